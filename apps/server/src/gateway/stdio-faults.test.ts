import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULTY_STDIO_SERVER } from './fixtures/paths.js';
import {
  ADMIN_ONLY_ACL,
  connectV1,
  errorOf,
  startTestGateway,
  type TestGateway,
  textOf,
  until,
} from './test-gateway.js';

// A stdio upstream that misbehaves on request: none of it may crash the gateway or show a stack; garbage is
// dropped and logged, an oversized message or a flood stops the process (restarted with the session's
// initialize replayed), an exit mid-call is an error for that call only.

describe('gateway in front of a misbehaving stdio server', () => {
  let gateway: TestGateway;
  let client: Client;
  beforeAll(async () => {
    gateway = await startTestGateway({
      upstreams: [{ name: 'faulty', command: process.execPath, args: [FAULTY_STDIO_SERVER] }],
      server: { requestTimeoutMs: 1500 },
      plugins: ADMIN_ONLY_ACL,
    });
    client = await connectV1(gateway.url, await gateway.key(['admin']));
  }, 60_000);
  afterAll(async () => {
    await client?.close();
    await gateway?.close();
  });

  const restarts = () => gateway.events.filter((e) => e.type === 'upstream.restarted').length;
  const failures = (kind: string) =>
    gateway.events.filter((e) => e.type === 'upstream.failed' && e.details?.kind === kind).length;

  it('drops and logs stdout lines that are not JSON-RPC, and still answers', async () => {
    const answer = await client.callTool({ name: 'fault', arguments: { kind: 'garbage' } });
    expect(JSON.stringify(answer)).toContain('garbage');
    expect(gateway.log.some((line) => line.includes('not JSON-RPC'))).toBe(true);
  });

  for (const kind of ['oversized', 'flood', 'exit'] as const)
    it(`${kind}: the call fails, the process is replaced, and the next call works`, async () => {
      const restarted = restarts();
      const error = await errorOf(
        client.callTool({ name: 'fault', arguments: { kind } }, undefined, { timeout: 10_000 }),
      );
      expect(error?.code).toBe(-32051);
      expect(error?.message).not.toMatch(/at .*\.(js|ts):\d+/);
      expect(failures(kind === 'exit' ? 'exited' : kind === 'flood' ? 'flood' : 'too-large')).toBeGreaterThan(
        0,
      );
      await until(() => restarts() > restarted);
      expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'again' } }))).toContain(
        'again',
      );
    }, 30_000);

  it('hang: the gateway times the call out and tells the process', async () => {
    const error = await errorOf(client.callTool({ name: 'fault', arguments: { kind: 'hang' } }));
    expect(error?.code).toBe(-32001);
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'after hang' } }))).toContain(
      'after hang',
    );
  });

  it('keeps serving other clients through all of it', async () => {
    const other = await connectV1(gateway.url, await gateway.key(['admin'], 'other'));
    expect(textOf(await other.callTool({ name: 'echo', arguments: { text: 'fine' } }))).toContain('fine');
    await other.close();
    expect((await fetch(new URL('/healthz', gateway.url))).status).toBe(200);
  });
});

describe('gateway upstream metrics', () => {
  it('counts faults and restarts per upstream, apart from refusals', async () => {
    const { createMetrics } = await import('../metrics.js');
    const metrics = createMetrics({ sessions: () => 0 });
    const base = { time: new Date().toISOString(), severity: 'warn' as const };
    metrics.onEvent({
      ...base,
      type: 'upstream.failed',
      outcome: 'denied',
      details: { upstream: 'faulty', kind: 'exited' },
    });
    metrics.onEvent({
      ...base,
      type: 'upstream.restarted',
      outcome: 'info',
      details: { upstream: 'faulty', attempt: 1 },
    });
    const text = await metrics.registry.metrics();
    expect(text).toContain('mcp_warden_upstream_failures_total{upstream="faulty",kind="exited"} 1');
    expect(text).toContain('mcp_warden_upstream_restarts_total{upstream="faulty"} 1');
    expect(text).not.toMatch(/mcp_warden_refusals_total\{[^}]*\} 1/);
    await metrics.close();
  });
});

describe('a stdio upstream under a session flood', () => {
  it('runs at most maxProcesses processes: a session over it is refused with 503, and a freed slot is reused', async () => {
    const gateway = await startTestGateway({
      upstreams: [
        { name: 'faulty', command: process.execPath, args: [FAULTY_STDIO_SERVER], maxProcesses: 2 },
      ],
      plugins: ADMIN_ONLY_ACL,
    });
    try {
      const key = await gateway.key(['admin']);
      const first = await connectV1(gateway.url, key);
      const second = await connectV1(gateway.url, key);
      await expect(connectV1(gateway.url, key)).rejects.toThrow();
      expect(gateway.events.some((e) => e.type === 'session.rejected')).toBe(true);
      await (first.transport as { terminateSession?: () => Promise<void> }).terminateSession?.();
      await first.close();
      const third = await connectV1(gateway.url, key);
      expect(textOf(await third.callTool({ name: 'echo', arguments: { text: 'slot' } }))).toContain('slot');
      await second.close();
      await third.close();
    } finally {
      await gateway.close();
    }
  });
});
