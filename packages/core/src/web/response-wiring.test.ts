import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { denyTools, tokenAuth } from '../__fixtures__/plugins.js';
import { MemoryEventSink } from '../events.js';
import type { WardenPlugin } from '../plugin.js';
import { createWarden, type Warden } from '../warden.js';
import type { WardenFetchHandler } from './handler.js';
import type { UpstreamRequestOptions } from './options.js';

const CLAIM = 'io.modelcontextprotocol/protocolVersion';
const CAPS = 'io.modelcontextprotocol/clientCapabilities';
const ALICE = 'Bearer good:alice:read';
const BOB = 'Bearer good:bob:read';

/** Hides the private resource from lists (and so from listen streams). */
const hidePrivate: WardenPlugin = {
  specVersion: 1,
  name: 'hide-private',
  filterListItem: (item) => !(item.type === 'resource' && item.uri.startsWith('file:///private/')),
};

/** A scripted upstream: answers each method with what the test put in `answers`, records what it received. */
const answers = new Map<string, (body: Record<string, unknown>) => Response>();
const received: Record<string, unknown>[] = [];
function upstream(_request: Request, options?: UpstreamRequestOptions): Promise<Response> {
  const body = options?.parsedBody as Record<string, unknown>;
  received.push(body);
  const answer = answers.get(String(body.method));
  return Promise.resolve(answer ? answer(body) : new Response(null, { status: 500 }));
}
const json = (body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json', ...headers } });

let warden: Warden;
let handler: WardenFetchHandler;
const sink = new MemoryEventSink();
beforeAll(async () => {
  warden = await createWarden({
    plugins: [tokenAuth(), denyTools(['admin_stats']), hidePrivate],
    sinks: [sink],
  });
  handler = warden.fetchHandler({ upstream });
});
afterAll(() => warden.close());

function call(method: string, params: Record<string, unknown>, auth = ALICE, name?: string): Request {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    authorization: auth,
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': method,
  };
  if (name !== undefined) headers['mcp-name'] = name;
  const body = {
    jsonrpc: '2.0',
    id: 1,
    method,
    params: { ...params, _meta: { [CLAIM]: '2026-07-28', [CAPS]: {} } },
  };
  return new Request('http://localhost/mcp', { method: 'POST', headers, body: JSON.stringify(body) });
}

describe('response duties on the fetch handler', () => {
  it('filters server/discover like the lists and never passes a shared cache hint', async () => {
    answers.set('server/discover', (b) =>
      json(
        {
          jsonrpc: '2.0',
          id: b.id,
          result: {
            supportedVersions: ['2026-07-28'],
            capabilities: {
              tools: {},
              experimental: { catalog: { tools: [{ name: 'echo' }, { name: 'admin_stats' }] } },
            },
            resultType: 'complete',
            ttlMs: 60000,
            cacheScope: 'public',
          },
        },
        { 'cache-control': 'public, max-age=60', 'cdn-cache-control': 'max-age=600' },
      ),
    );
    const response = await handler.fetch(call('server/discover', {}));
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    expect(response.headers.get('cdn-cache-control')).toBeNull();
    type Discover = { cacheScope: string; capabilities: { experimental: { catalog: { tools: unknown[] } } } };
    const { result } = (await response.json()) as { result: Discover };
    expect(result.cacheScope).toBe('private');
    expect(JSON.stringify(result)).not.toContain('admin_stats');
    expect(result.capabilities.experimental.catalog.tools).toEqual([{ name: 'echo' }]);
  });

  it('drops listen notifications about resources the principal may not read, keeps the stream streaming', async () => {
    answers.set('subscriptions/listen', (b) => {
      const events = [
        { jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: {} },
        {
          jsonrpc: '2.0',
          method: 'notifications/resources/updated',
          params: { uri: 'file:///private/secret.txt' },
        },
        {
          jsonrpc: '2.0',
          method: 'notifications/resources/updated',
          params: { uri: 'file:///public/readme.txt' },
        },
        { jsonrpc: '2.0', id: b.id, result: { resultType: 'complete' } },
      ];
      const text = events.map((e) => `event: message\ndata: ${JSON.stringify(e)}\n\n`).join('');
      return new Response(text, { headers: { 'content-type': 'text/event-stream' } });
    });
    const response = await handler.fetch(call('subscriptions/listen', { notifications: {} }));
    const text = await response.text();
    expect(text).toContain('file:///public/readme.txt');
    expect(text).not.toContain('secret');
    expect(text).toContain('"resultType":"complete"');
  });

  it('seals requestState for the principal and request, opens it on the retry, refuses it otherwise', async () => {
    answers.set('tools/call', (b) => {
      const params = b.params as Record<string, unknown>;
      if (params.requestState !== undefined)
        return json({
          jsonrpc: '2.0',
          id: b.id,
          result: { resultType: 'complete', content: [], seen: params.requestState },
        });
      return json({
        jsonrpc: '2.0',
        id: b.id,
        result: { resultType: 'input_required', inputRequests: {}, requestState: 'server-inner' },
      });
    });
    const args = { name: 'echo', arguments: { text: 'x' } };
    const first = (await (await handler.fetch(call('tools/call', args, ALICE, 'echo'))).json()) as {
      result: { requestState: string };
    };
    const sealed = first.result.requestState;
    expect(sealed).not.toContain('server-inner');

    received.length = 0;
    const retry = await handler.fetch(call('tools/call', { ...args, requestState: sealed }, ALICE, 'echo'));
    expect(((await retry.json()) as { result: { seen: string } }).result.seen).toBe('server-inner');
    expect(received[0]?.params).toMatchObject({ requestState: 'server-inner' });

    const forged = [
      { who: ALICE, state: `${sealed.slice(0, -2)}AA`, params: args },
      { who: ALICE, state: 'server-inner', params: args },
      { who: BOB, state: sealed, params: args },
      { who: ALICE, state: sealed, params: { ...args, arguments: { text: 'other request' } } },
    ];
    for (const attempt of forged) {
      received.length = 0;
      const events = sink.events.length;
      const response = await handler.fetch(
        call('tools/call', { ...attempt.params, requestState: attempt.state }, attempt.who, 'echo'),
      );
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: number } }).error.code).toBe(-32602);
      expect(received).toHaveLength(0);
      expect(sink.events.slice(events).some((e) => e.type === 'request.rejected')).toBe(true);
    }
  });
});

describe('request timeout on the fetch handler', () => {
  it('answers -32001 and cancels an upstream that does not answer in requestTimeoutMs', async () => {
    const events = new MemoryEventSink();
    const slow = await createWarden({ plugins: [tokenAuth()], sinks: [events], requestTimeoutMs: 100 });
    let cancelled = false;
    const stuck = slow.fetchHandler({
      upstream: (request) =>
        new Promise<Response>((_resolve, reject) => {
          request.signal.addEventListener('abort', () => {
            cancelled = true;
            reject(new Error('aborted'));
          });
        }),
    });
    const response = await stuck.fetch(call('tools/call', { name: 'echo', arguments: {} }, ALICE, 'echo'));
    expect(((await response.json()) as { error: { code: number } }).error.code).toBe(-32001);
    expect(cancelled).toBe(true);
    expect(events.ofType('request.timeout')).toHaveLength(1);
    await slow.close();
  });

  /** An upstream that opens its SSE answer at once and sends `events`, then the result only if `answer`. */
  function streamingUpstream(state: { aborted: boolean }, events: string[], answerAfterMs?: number) {
    return (request: Request) => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (const event of events) controller.enqueue(new TextEncoder().encode(event));
          request.signal.addEventListener('abort', () => {
            state.aborted = true;
            controller.error(new Error('aborted'));
          });
          if (answerAfterMs !== undefined)
            setTimeout(() => {
              controller.enqueue(
                new TextEncoder().encode(
                  `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: 1, result: { content: [] } })}\n\n`,
                ),
              );
              controller.close();
            }, answerAfterMs);
        },
      });
      return Promise.resolve(
        new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
      );
    };
  }
  const progress = `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 1 } })}\n\n`;

  it('also covers answers that stream: an SSE answer that never ends gets -32001 as its last event', async () => {
    const events = new MemoryEventSink();
    const slow = await createWarden({ plugins: [tokenAuth()], sinks: [events], requestTimeoutMs: 150 });
    const state = { aborted: false };
    const stuck = slow.fetchHandler({ upstream: streamingUpstream(state, [progress]) });
    const response = await stuck.fetch(call('tools/call', { name: 'echo', arguments: {} }, ALICE, 'echo'));
    const text = await response.text();
    expect(text).toContain('notifications/progress'); // what came in time still streamed
    const last = text.trim().split('\n\n').at(-1) ?? '';
    expect(JSON.parse(last.split('data: ')[1]!).error.code).toBe(-32001);
    expect(state.aborted).toBe(true);
    expect(events.ofType('request.timeout')).toHaveLength(1);
    await slow.close();
  });

  it('lets a streamed answer that arrives in time through untouched', async () => {
    const events = new MemoryEventSink();
    const timely = await createWarden({ plugins: [tokenAuth()], sinks: [events], requestTimeoutMs: 2000 });
    const state = { aborted: false };
    const handler = timely.fetchHandler({ upstream: streamingUpstream(state, [progress], 50) });
    const response = await handler.fetch(call('tools/call', { name: 'echo', arguments: {} }, ALICE, 'echo'));
    const text = await response.text();
    expect(text).toContain('"result"');
    expect(text).not.toContain('-32001');
    expect(state.aborted).toBe(false);
    expect(events.ofType('request.timeout')).toHaveLength(0);
    await timely.close();
  });

  it("passes the server's own messages on a request stream through onServerMessage", async () => {
    const seen: string[] = [];
    const redact: WardenPlugin = {
      specVersion: 1,
      name: 'redact',
      onServerMessage: (ctx) => {
        seen.push(`${ctx.kind}:${ctx.method}:${String(ctx.relatedRequestId)}`);
        return { params: JSON.parse(JSON.stringify(ctx.params).replaceAll('s3cret', '[gone]')) };
      },
    };
    const w = await createWarden({ plugins: [tokenAuth(), redact], requestTimeoutMs: 2000 });
    const log = `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'the s3cret' } })}\n\n`;
    const handler = w.fetchHandler({ upstream: streamingUpstream({ aborted: false }, [log], 10) });
    const text = await (
      await handler.fetch(call('tools/call', { name: 'echo', arguments: {} }, ALICE, 'echo'))
    ).text();
    expect(text).toContain('the [gone]');
    expect(text).not.toContain('s3cret');
    expect(seen).toEqual(['notification:notifications/message:1']);
    await w.close();
  });
});
