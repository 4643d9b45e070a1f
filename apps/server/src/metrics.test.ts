import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { ReferenceServer } from './reference-server.js';
import { tempDataDir } from './test-support.js';

/** The value of one sample of the exposition text (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = /\{([^}]*)\}/.exec(line)?.[1] ?? '';
    const have = Object.fromEntries([...labelText.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(line.split(' ').at(-1));
  }
  return 0;
}

describe('Prometheus metrics of the reference server', () => {
  let server: ReferenceServer;
  let url: URL;
  let key: string;
  beforeAll(async () => {
    const config = loadConfig({ dataDir: tempDataDir(), port: 0 }, {});
    config.logging.level = 'error';
    config.metrics = { enabled: true, host: '127.0.0.1', port: 0, path: '/metrics' };
    config.plugins.ratelimit = {
      rules: [
        { name: 'tight', key: ['principal'], points: 3, duration: 60, match: { targets: ['tool:echo'] } },
      ],
    };
    server = await ReferenceServer.create({ config, log: () => undefined });
    url = await server.listen();
    key = (await server.services.keys!.create({ name: 'r', roles: ['reader'] })).key;
  });
  afterAll(async () => {
    await server?.close();
  });

  const scrape = async () => {
    const response = await fetch(server.metricsUrl!);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/plain/);
    return response.text();
  };

  it('serves /metrics on a separate loopback port, and counters move with traffic', async () => {
    expect(server.metricsUrl!.hostname).toBe('127.0.0.1');
    expect(server.metricsUrl!.port).not.toBe(url.port);
    expect((await fetch(new URL('/metrics', url))).status).not.toBe(200); // not on the MCP port
    const before = await scrape();
    const client = new Client({ name: 't', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(url, {
        requestInit: { headers: { authorization: `Bearer ${key}` } },
      }),
    );
    const during = await scrape();
    expect(sample(during, 'mcp_warden_active_sessions')).toBe(1);
    await client.callTool({ name: 'read_file', arguments: { path: 'public/welcome.txt' } });
    await expect(client.callTool({ name: 'admin_stats', arguments: {} })).rejects.toThrow(/Access denied/);
    const outcomes: string[] = [];
    for (let i = 0; i < 5; i++)
      outcomes.push(
        await client.callTool({ name: 'echo', arguments: { text: 'x' } }).then(
          () => 'ok',
          (e: Error) => e.message,
        ),
      );
    const after = await scrape();
    const ok = { method: 'tools/call', outcome: 'ok' };
    expect(
      sample(after, 'mcp_warden_requests_total', ok) - sample(before, 'mcp_warden_requests_total', ok),
    ).toBe(1 + outcomes.filter((o) => o === 'ok').length);
    expect(sample(after, 'mcp_warden_refusals_total', { plugin: 'acl', code: 'ACCESS_DENIED' })).toBe(1);
    expect(
      sample(after, 'mcp_warden_requests_total', { method: 'tools/call', outcome: 'refused' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(after, 'mcp_warden_request_duration_seconds_count', { method: 'tools/call' }),
    ).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(3);
    expect(sample(after, 'mcp_warden_rate_limit_hits_total', { plugin: 'ratelimit' })).toBe(2);
    await client.close();
  });

  it('refuses a non-loopback metrics host at start', async () => {
    const config = loadConfig({ dataDir: tempDataDir(), port: 0 }, {});
    config.logging.level = 'error';
    config.metrics = { enabled: true, host: '0.0.0.0', port: 0, path: '/metrics' };
    const other = await ReferenceServer.create({ config, log: () => undefined });
    await expect(other.listen()).rejects.toThrow(/metrics.host must be a loopback address/);
    await other.close();
  });
});
