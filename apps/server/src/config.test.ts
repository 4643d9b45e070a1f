import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, ServerConfigError } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'mcp-warden-config-'));

describe('server configuration', () => {
  it('has embedded defaults: loopback, port 3000, ./.mcp-warden, stateful sessions', () => {
    const config = loadConfig({}, {});
    expect(config.server).toMatchObject({
      host: '127.0.0.1',
      port: 3000,
      endpoint: '/mcp',
      sessions: 'stateful',
    });
    expect(config.dataDir).toBe(resolve('.mcp-warden'));
  });

  it('reads YAML and JSON files', () => {
    const yaml = join(dir, 'c.yaml');
    writeFileSync(yaml, 'server:\n  port: 4100\n  sessions: stateless\n');
    expect(loadConfig({ configFile: yaml }, {}).server).toMatchObject({ port: 4100, sessions: 'stateless' });
    const json = join(dir, 'c.json');
    writeFileSync(json, JSON.stringify({ dataDir: '/tmp/x', server: { port: 4200 } }));
    expect(loadConfig({ configFile: json }, {})).toMatchObject({ dataDir: '/tmp/x', server: { port: 4200 } });
  });

  it('applies file, then environment, then flags', () => {
    const file = join(dir, 'p.json');
    writeFileSync(file, JSON.stringify({ server: { port: 4300, host: '127.0.0.2' } }));
    const env = { MCP_WARDEN_PORT: '4400', MCP_WARDEN_DATA_DIR: '/tmp/env-data' };
    expect(loadConfig({ configFile: file }, env).server.port).toBe(4400);
    expect(loadConfig({ configFile: file, port: 4500 }, env).server).toMatchObject({
      port: 4500,
      host: '127.0.0.2',
    });
    expect(loadConfig({ configFile: file, dataDir: '/tmp/flag' }, env).dataDir).toBe('/tmp/flag');
  });

  it('explains what is wrong, and where', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ server: { port: 99999, colour: 'blue' } }));
    expect(() => loadConfig({ configFile: bad }, {})).toThrow(ServerConfigError);
    expect(() => loadConfig({ configFile: bad }, {})).toThrow(/bad\.json[\s\S]*server\.port/);
    expect(() => loadConfig({ configFile: bad }, {})).toThrow(/Unrecognized key: "colour"/);
    expect(() => loadConfig({ configFile: join(dir, 'missing.yaml') }, {})).toThrow(
      /Cannot read config file .*ENOENT/,
    );
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'server: [unclosed');
    expect(() => loadConfig({ configFile: broken }, {})).toThrow(/not valid YAML/);
    expect(() => loadConfig({}, { MCP_WARDEN_PORT: 'abc' })).toThrow(/port/);
  });
});

describe('config.schema.json', () => {
  it('is generated from the zod schema and up to date (run `pnpm --filter @mcp-warden/server schema`)', async () => {
    const { readFileSync } = await import('node:fs');
    const { configJsonSchema } = await import('./config-schema.js');
    const committed = JSON.parse(readFileSync(new URL('../config.schema.json', import.meta.url), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(configJsonSchema())));
    expect(committed.properties.server.properties.port).toMatchObject({ type: 'integer', default: 3000 });
  });
});

describe('server.trustedProxies', () => {
  const load = (trustedProxies: unknown) => {
    const file = join(dir, 'proxies.json');
    writeFileSync(file, JSON.stringify({ server: { trustedProxies } }));
    return loadConfig({ configFile: file }, {}).server.trustedProxies;
  };

  it('takes proxy addresses and CIDRs, an explicit { hops }, or 0; the default trusts nobody', () => {
    expect(loadConfig({}, {}).server.trustedProxies).toEqual([]);
    expect(load(['10.0.0.5', '10.1.0.0/16', 'fd00::/8'])).toEqual(['10.0.0.5', '10.1.0.0/16', 'fd00::/8']);
    expect(load({ hops: 1 })).toEqual({ hops: 1 });
    expect(load(0)).toBe(0);
  });

  it('refuses a bare hop count and says how to spell it', () => {
    for (const count of [1, 2, 5])
      expect(() => load(count)).toThrow(
        new RegExp(`server\\.trustedProxies: a bare number[\\s\\S]*\\{ "hops": ${count} \\}`),
      );
  });
});
