import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { demoServer } from '../__fixtures__/demo-server.js';
import { recorder } from '../__fixtures__/observer-recorder.js';
import { denyTools, tokenAuth } from '../__fixtures__/plugins.js';
import { connectHttpClient, connectTestClient, startTestHttpServer } from '../testing/kit.js';
import { createWarden } from '../warden.js';
import type { RequestObserver } from './observer.js';
import { formatTraceparent, parseTraceparent, resolveTraceContext } from './trace-context.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('request observers', () => {
  it('see every request once, with stages, outcome and the trace from _meta', async () => {
    const { observer, seen } = recorder();
    const { client, close } = await connectTestClient({
      plugins: [denyTools(['admin_stats'])],
      wardenOptions: { observers: [observer] },
      createServer: demoServer,
    });
    await client.callTool({
      name: 'echo',
      arguments: { text: 'hi' },
      _meta: { traceparent: formatTraceparent(TRACE, SPAN, true) },
    });
    await expect(client.callTool({ name: 'admin_stats' })).rejects.toThrow(/Access denied/);
    await client.callTool({ name: 'nope' }).catch(() => undefined);
    await close();
    const calls = seen.filter((s) => s.request.method === 'tools/call');
    expect(calls.map((s) => [s.request.targetName, s.end?.outcome, s.end?.errorCode])).toEqual([
      ['echo', 'ok', undefined],
      ['admin_stats', 'refused', 'ACCESS_DENIED'],
      ['nope', 'error', 'tool_error'],
    ]);
    for (const s of seen) expect(s.ends).toBe(1);
    const echo = calls[0]!;
    expect(echo.request.trace).toMatchObject({ traceId: TRACE, parentSpanId: SPAN, source: 'meta' });
    expect(echo.request.principal.id).toBe('test-user');
    expect(echo.end?.delivered).toBe(true);
    expect(echo.end?.durationMs).toBeGreaterThanOrEqual(0);
    expect(echo.stages).toEqual([
      expect.objectContaining({
        plugin: 'deny-tools',
        stage: 'authorize',
        hook: 'beforeRequest',
        outcome: 'ok',
      }),
      expect.objectContaining({ plugin: 'deny-tools', hook: 'afterResponse', outcome: 'ok' }),
    ]);
    expect(calls[1]!.end).toMatchObject({ delivered: false, plugin: 'deny-tools' });
    expect(calls[1]!.stages[0]).toMatchObject({ outcome: 'refused', code: 'ACCESS_DENIED' });
    // Without a traceparent, a trace is generated for each request.
    expect(calls[1]!.request.trace.source).toBe('generated');
    expect(calls[1]!.request.trace.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(calls[1]!.request.trace.traceId).not.toBe(calls[2]!.request.trace.traceId);
  });

  it('take the trace from the HTTP traceparent header, and record timeouts', async () => {
    const { observer, seen } = recorder();
    const server = await startTestHttpServer({
      plugins: [tokenAuth()],
      wardenOptions: { observers: [observer], requestTimeoutMs: 300 },
      createServer: demoServer,
    });
    const client = await connectHttpClient(server.url, {
      headers: { authorization: 'Bearer good:alice', traceparent: formatTraceparent(TRACE, SPAN, false) },
    });
    await client.callTool({ name: 'whoami' });
    await expect(client.callTool({ name: 'stall' })).rejects.toThrow(/timed out/);
    await client.close();
    await server.close();
    const whoami = seen.find((s) => s.request.targetName === 'whoami')!;
    expect(whoami.request.trace).toMatchObject({ traceId: TRACE, source: 'header', sampled: false });
    expect(whoami.request.principal.id).toBe('alice');
    expect(whoami.request.transport).toBe('http');
    expect(whoami.end?.outcome).toBe('ok');
    expect(seen.find((s) => s.request.targetName === 'stall')?.end).toMatchObject({
      outcome: 'timeout',
      errorCode: 'REQUEST_TIMEOUT',
    });
  });

  it('a throwing observer changes nothing for the request', async () => {
    const broken: RequestObserver = {
      name: 'broken',
      start: () => ({
        stage: () => {
          throw new Error('stage');
        },
        end: () => {
          throw new Error('end');
        },
      }),
    };
    const alsoBroken: RequestObserver = {
      name: 'also-broken',
      start: () => {
        throw new Error('start');
      },
    };
    const { client, close } = await connectTestClient({
      plugins: [denyTools([])],
      wardenOptions: { observers: [broken, alsoBroken] },
      createServer: demoServer,
    });
    const result = await client.callTool({ name: 'echo', arguments: { text: 'still here' } });
    expect(result.content).toEqual([{ type: 'text', text: 'still here' }]);
    await close();
  });

  it('refuses an observer without start at setup', async () => {
    await expect(createWarden({ observers: [{ name: 'x' } as unknown as RequestObserver] })).rejects.toThrow(
      /observer is an object with a name and a start/,
    );
  });
});

describe('traceparent parsing', () => {
  const hex = (n: number) =>
    fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });

  it('accepts every valid version-00 value and reads it back exactly', () => {
    fc.assert(
      fc.property(hex(32), hex(16), fc.boolean(), (trace, span, sampled) => {
        fc.pre(!/^0+$/.test(trace) && !/^0+$/.test(span));
        expect(parseTraceparent(formatTraceparent(trace, span, sampled))).toEqual({
          traceId: trace,
          parentSpanId: span,
          sampled,
        });
      }),
    );
  });

  it('rejects every corruption of a valid value', () => {
    const valid = formatTraceparent(TRACE, SPAN, true);
    const variants = [
      valid.toUpperCase(),
      `ff${valid.slice(2)}`,
      `00-${'0'.repeat(32)}-${SPAN}-01`,
      `00-${TRACE}-${'0'.repeat(16)}-01`,
      `${valid}-extra`,
      valid.slice(0, 54),
      valid.replace(/-/g, '_'),
      `00-${TRACE.slice(0, 31)}g-${SPAN}-01`,
      `${'a'.repeat(600)}`,
    ];
    for (const variant of variants) expect(parseTraceparent(variant), variant).toBeUndefined();
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: valid.length - 1 }),
        fc.constantFrom('x', 'G', ' ', '-', 'Z'),
        (at, ch) => {
          const corrupted = valid.slice(0, at) + ch + valid.slice(at + 1);
          fc.pre(corrupted !== valid && !(at === 0 || at === 1));
          const parsed = parseTraceparent(corrupted);
          // Only a change of the flags' low bits can still be valid; never a different trace id.
          if (parsed) expect(parsed.traceId).toBe(TRACE);
          else expect(parsed).toBeUndefined();
        },
      ),
    );
  });

  it('prefers _meta over the header, ignores invalid values, and accepts future versions with extra fields', () => {
    const meta = formatTraceparent(TRACE, SPAN, true);
    const header = formatTraceparent('a'.repeat(32), 'b'.repeat(16), true);
    expect(resolveTraceContext({ _meta: { traceparent: meta } }, header).source).toBe('meta');
    expect(resolveTraceContext({ _meta: { traceparent: 'junk' } }, header)).toMatchObject({
      source: 'header',
      traceId: 'a'.repeat(32),
    });
    expect(resolveTraceContext({ _meta: { traceparent: 42 } }, 'junk').source).toBe('generated');
    expect(parseTraceparent(`01-${TRACE}-${SPAN}-01-future`)?.traceId).toBe(TRACE);
  });
});
