import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { ReferenceServer } from './reference-server.js';
import { tempDataDir } from './test-support.js';

const KEY_MATERIAL = 'KEY-MATERIAL-never-readable';
const PRIVATE_TEXT = 'Private plans: only administrators may read this.';

/** What one resources/read came to: the text read, or the JSON-RPC error code. */
async function read(client: Client, uri: string): Promise<{ text?: string; code?: number }> {
  try {
    const result = await client.readResource({ uri });
    return { text: result.contents.map((c) => ('text' in c ? c.text : '')).join('') };
  } catch (error) {
    if (error instanceof McpError) return { code: error.code };
    throw error;
  }
}

describe('resources/read: what the ACL authorised is what the handler reads', () => {
  let server: ReferenceServer;
  let admin: Client;
  let reader: Client;

  beforeAll(async () => {
    const dataDir = tempDataDir();
    const logs: string[] = [];
    const config = loadConfig({ dataDir, port: 0 }, {});
    config.logging.level = 'error';
    // Hundreds of reads from two keys: a budget the default per-principal limit would spend.
    config.plugins.ratelimit = {
      rules: [{ name: 'test', key: ['identity'], points: 100_000, duration: 60 }],
    };
    server = await ReferenceServer.create({ config, log: (line) => logs.push(line) });
    const url = await server.listen();
    const files = join(dataDir, 'files');
    mkdirSync(join(files, 'private', 'keys'), { recursive: true });
    writeFileSync(join(files, 'private', 'keys', 'secret.txt'), KEY_MATERIAL);
    mkdirSync(join(files, 'public', 'sub'), { recursive: true });
    writeFileSync(join(files, 'public', 'sub', 'nested.txt'), 'nested and public');
    const connect = async (key: string) => {
      const client = new Client({ name: 't', version: '1' });
      await client.connect(
        new StreamableHTTPClientTransport(url, {
          requestInit: { headers: { authorization: `Bearer ${key}` } },
        }),
      );
      return client;
    };
    const bootstrap = /\n\s+(mcpw_\S+)\n/.exec(logs.join('\n'))?.[1];
    admin = await connect(bootstrap!);
    reader = await connect((await server.services.keys!.create({ name: 'r', roles: ['reader'] })).key);
  }, 60_000);

  afterAll(async () => {
    await admin?.close();
    await reader?.close();
    await server?.close();
  });

  const ATTACKS = [
    'file:///private/x?%2F..%2Fkeys%2Fsecret.txt',
    'file:///private/x#%2F..%2Fkeys%2Fsecret.txt',
    'file:///private/.?%2F..%2Fkeys%2Fsecret.txt',
    'file:///private/x?/../keys/secret.txt',
    'file:///private/keys/secret.txt?',
    'file:///private/keys/secret.txt#',
    'file:///private/keys;x/secret.txt',
    'file:///private/x/..;/keys/secret.txt',
    'file:///private/keys\u2215secret.txt',
    'file:///public/x?%2F..%2F..%2Fprivate%2Fkeys%2Fsecret.txt',
    'file:///public/x?%2F..%2F..%2Fprivate%2Fplans.txt',
    'file:///public/x#/../../private/plans.txt',
    'file:///public/..;/private/plans.txt',
    'file:///public/..\u2215private/plans.txt',
    'file:///public/\u00b7\u00b7/private/plans.txt',
  ];

  it.each(ATTACKS)('%s reads nothing it may not, for admin and reader', async (uri) => {
    for (const [who, client] of [
      ['admin', admin],
      ['reader', reader],
    ] as const) {
      const outcome = await read(client, uri);
      expect(outcome.text ?? '', `${who} ${uri}`).not.toContain(KEY_MATERIAL);
      if (who === 'reader') expect(outcome.text ?? '', `${who} ${uri}`).not.toContain(PRIVATE_TEXT);
      expect(outcome.code, `${who} ${uri} must be refused, not an internal error`).not.toBe(-32603);
    }
  });

  it('generated: traversal hidden in a query, fragment, path parameter or look-alike never reaches keys', async () => {
    const samples = fc.sample(
      fc.tuple(
        fc.constantFrom('file:///private/x', 'file:///private/.', 'file:///private', 'file:///public/x'),
        fc.constantFrom('?', '#', '?a=', ';', '/', ''),
        fc.array(
          fc.tuple(fc.constantFrom('/', '%2F', '\u2215', '\u2044'), fc.constantFrom('..', '%2e%2e', '..;')),
          {
            minLength: 1,
            maxLength: 3,
          },
        ),
        fc.constantFrom('/', '%2F', '\u2215'),
        fc.constantFrom('keys/secret.txt', 'private/keys/secret.txt', 'private/plans.txt'),
      ),
      { numRuns: 150, seed: 13 },
    );
    for (const [head, sep, ups, slash, tail] of samples) {
      const uri = `${head}${sep}${ups.map(([s, d]) => s + d).join('')}${slash}${tail.replaceAll('/', slash)}`;
      for (const client of [admin, reader]) {
        const outcome = await read(client, uri);
        expect(outcome.text ?? '', uri).not.toContain(KEY_MATERIAL);
        expect(outcome.code, uri).not.toBe(-32603);
      }
      expect((await read(reader, uri)).text ?? '', uri).not.toContain(PRIVATE_TEXT);
    }
  });

  it('refusals are resource-not-found, never internal errors; lists offer only readable files, nested ones too', async () => {
    const listed = (await reader.listResources()).resources.map((r) => r.uri);
    expect(listed).toContain('file:///public/sub/nested.txt');
    expect(listed).not.toContain('file:///public/sub');
    expect(await read(reader, 'file:///public/sub/nested.txt')).toEqual({ text: 'nested and public' });
    for (const uri of [
      'file:///public/sub',
      'file:///public/sub/',
      'file:///public/missing.txt',
      'file:///public/hello.txt?x=1',
      'file:///public/hello.txt#top',
    ]) {
      // Resource not found: -32602 with data.uri, as 2026-07-28 has it (SDK v2 answers both eras so).
      expect(await read(reader, uri), uri).toEqual({ code: -32602 });
    }
    for (const uri of listed) expect((await read(reader, uri)).text, uri).toBeDefined();
    // Deny wins even for the administrator, and the ACL's answer is no internal error either.
    const denied = await read(admin, 'file:///private/keys/secret.txt');
    expect(denied.text).toBeUndefined();
    expect(denied.code).not.toBe(-32603);
    expect((await admin.listResources()).resources.map((r) => r.uri)).not.toContain(
      'file:///private/keys/secret.txt',
    );
  });
});
