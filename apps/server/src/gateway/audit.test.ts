import {
  Client as V2Client,
  StreamableHTTPClientTransport as V2Transport,
} from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RecordingUpstream, startRecordingUpstream } from './fixtures/recording-upstream.js';
import { connectV1, readerPolicy, startTestGateway, type TestGateway } from './test-gateway.js';

// The audit trail of a gateway: every allowed call to an HTTP upstream is recorded, whichever era the client
// speaks (the web-standard face ends each request's observation as the Node edge does), and refusals stay events.

const policy = readerPolicy(['echo', 'add']);

let upstream: RecordingUpstream;
let gateway: TestGateway;
let key: string;
let keyId: string;

beforeAll(async () => {
  upstream = await startRecordingUpstream();
  gateway = await startTestGateway({
    upstreams: [{ name: 'remote', url: upstream.url.href }],
    plugins: { acl: { policy } },
  });
  key = await gateway.key(['reader'], 'auditor');
  keyId = (await gateway.server.services.keys!.list()).find((k) => k.name === 'auditor')!.id;
}, 60_000);
afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

describe('the audit trail of a gateway in front of an HTTP upstream', () => {
  it('records each allowed call in both eras with principal, target and outcome, and no refused one', async () => {
    const legacy = await connectV1(gateway.url, key);
    await legacy.callTool({ name: 'echo', arguments: { text: 'from 2025' } });
    await expect(legacy.callTool({ name: 'whoami', arguments: {} })).rejects.toThrow(/Access denied/);
    await legacy.close();
    const modern = new V2Client({ name: 'v2', version: '1' }, { versionNegotiation: { mode: 'auto' } });
    await modern.connect(
      new V2Transport(gateway.url, { requestInit: { headers: { authorization: `Bearer ${key}` } } }),
    );
    expect(modern.getProtocolEra()).toBe('modern');
    await modern.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
    await modern.close();
    const audit = gateway.server.audit!;
    audit.flush();
    const calls = audit.query({ principal: keyId, method: 'tools/call', limit: 100 });
    expect(calls.map((c) => [c.target, c.outcome, c.transport]).sort()).toEqual([
      ['add', 'ok', 'http'],
      ['echo', 'ok', 'http'],
    ]);
    for (const call of calls) {
      expect(call.authenticator).toBe('apikey-auth');
      expect(call.argsDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(JSON.stringify(call)).not.toContain('from 2025');
    }
  });
});
