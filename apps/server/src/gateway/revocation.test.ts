import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../test-support.js';
import { type RecordingUpstream, startRecordingUpstream } from './fixtures/recording-upstream.js';
import { connectV1, readerPolicy, startTestGateway, type TestGateway } from './test-gateway.js';

// A key revoked by another process (the CLI against the same keys.db) ends its 2025-era sessions through an HTTP
// upstream within the recheck interval, and the gateway ends the session upstream too (a DELETE of its own).

const policy = readerPolicy(['echo']);

let upstream: RecordingUpstream;
let gateway: TestGateway;

beforeAll(async () => {
  upstream = await startRecordingUpstream();
  gateway = await startTestGateway({
    upstreams: [{ name: 'remote', url: upstream.url.href }],
    plugins: { acl: { policy } },
  });
}, 60_000);
afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

/** The CLI in its own process, without blocking this one (the gateway under test runs here). */
function cli(args: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args, '--data-dir', gateway.server.config.dataDir],
      { env: { ...process.env, MCP_WARDEN_CONFIG: '' } },
      (error) => resolve(error ? (typeof error.code === 'number' ? error.code : null) : 0),
    );
  });
}

describe('a gateway in front of an HTTP upstream', () => {
  it('ends the sessions of a key revoked by another process, upstream too', async () => {
    const key = await gateway.key(['reader'], 'leaver');
    const keyId = (await gateway.server.services.keys!.list()).find((k) => k.name === 'leaver')!.id;
    const client = await connectV1(gateway.url, key);
    await client.callTool({ name: 'echo', arguments: { text: 'before' } });
    const sessionId = upstream.requests.at(-1)!.headers['mcp-session-id'];
    expect(sessionId).toBeTruthy();
    expect(await cli(['keys', 'revoke', keyId])).toBe(0);
    await expect
      .poll(
        () =>
          upstream.requests.some((r) => r.method === 'DELETE' && r.headers['mcp-session-id'] === sessionId),
        { timeout: 20_000, interval: 200 },
      )
      .toBe(true);
    expect(gateway.server.sessionCount).toBe(0);
    expect(gateway.events.some((e) => e.type === 'session.closed' && e.sessionId === sessionId)).toBe(true);
    await expect(client.callTool({ name: 'echo', arguments: { text: 'after' } })).rejects.toThrow();
    await client.close().catch(() => undefined);
  }, 30_000);
});
