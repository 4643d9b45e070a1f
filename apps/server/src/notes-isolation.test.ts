import { execFile } from 'node:child_process';
import { createPrincipal } from '@mcp-warden/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { ownerOf } from './demo-server.js';
import { ReferenceServer } from './reference-server.js';
import { CLI, tempDataDir } from './test-support.js';

/** A key as a client of the running server, with how it was issued (for failure messages). */
interface Holder {
  label: string;
  client: Client;
  canWrite: boolean;
}

/** Runs the CLI without blocking the event loop (the server under test runs in this process; see tools-cli.test.ts). */
function cli(args: string[]): Promise<{ key: string; info: { id: string } }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args, '--json'], { encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`mcp-warden ${args.join(' ')} failed: ${stderr}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

function text(result: Record<string, unknown>): string {
  return (result.content as Array<{ text?: string }> | undefined)?.map((c) => c.text ?? '').join('\n') ?? '';
}

describe('notes are kept apart per key, whichever way the key was issued', () => {
  let server: ReferenceServer;
  const holders = new Map<string, Holder>();
  const clients: Client[] = [];

  async function hold(label: string, key: string, canWrite: boolean): Promise<void> {
    const client = new Client({ name: label, version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(await url, {
        requestInit: { headers: { authorization: `Bearer ${key}` } },
      }),
    );
    clients.push(client);
    holders.set(label, { label, client, canWrite });
  }

  let url: Promise<URL>;
  beforeAll(async () => {
    const dataDir = tempDataDir();
    const logs: string[] = [];
    const config = loadConfig({ dataDir, port: 0 }, {});
    config.logging.level = 'error';
    server = await ReferenceServer.create({ config, log: (line) => logs.push(line) });
    url = server.listen();
    await url;
    const bootstrap = /\n\s+(mcpw_\S+)\n/.exec(logs.join('\n'))?.[1];
    expect(bootstrap, 'the first start prints an admin key').toBeDefined();
    await hold('bootstrap admin', bootstrap!, true);

    const create = (name: string, role: string) =>
      cli(['keys', 'create', '--data-dir', dataDir, '--name', name, '--roles', role]);
    await hold('cli writer 1', (await create('w1', 'writer')).key, true);
    await hold('cli writer 2', (await create('w2', 'writer')).key, true);
    await hold('cli reader', (await create('r1', 'reader')).key, false);
    await hold('cli admin', (await create('a1', 'admin')).key, true);

    const keys = server.services.keys!;
    await hold('api writer 1', (await keys.create({ name: 'api-w1', roles: ['writer'] })).key, true);
    await hold(
      'api writer 2',
      (await keys.create({ name: 'api-w2', roles: ['writer'] }, { actor: 'provisioning-job' })).key,
      true,
    );
    await hold('api reader', (await keys.create({ name: 'api-r1', roles: ['reader'] })).key, false);

    // Rotation with grace: the old key keeps working for an hour, and acts for the same owner as its successor.
    for (const n of [1, 2]) {
      const first = await create(`rot${n}`, 'writer');
      const rotated = await cli(['keys', 'rotate', first.info.id, '--grace', '1h', '--data-dir', dataDir]);
      await hold(`rotated ${n} (old, in grace)`, first.key, true);
      await hold(`rotated ${n} (new)`, rotated.key, true);
    }
  }, 120_000);

  afterAll(async () => {
    for (const client of clients) await client.close();
    await server?.close();
  });

  const pairs: Array<[string, string]> = [
    ['cli writer 1', 'cli writer 2'],
    ['cli writer 2', 'cli writer 1'],
    ['cli writer 1', 'cli reader'],
    ['api writer 1', 'api writer 2'],
    ['api writer 1', 'api reader'],
    ['api writer 2', 'cli writer 1'],
    ['bootstrap admin', 'cli admin'],
    ['cli admin', 'bootstrap admin'],
    ['rotated 1 (new)', 'rotated 2 (new)'],
    ['rotated 1 (old, in grace)', 'rotated 2 (old, in grace)'],
    ['rotated 2 (new)', 'rotated 1 (old, in grace)'],
  ];

  it.each(pairs)(
    '%s and %s see none of each other’s notes, through any notes tool',
    async (ownerLabel, otherLabel) => {
      const owner = holders.get(ownerLabel)!;
      const other = holders.get(otherLabel)!;
      const name = `confidential ${ownerLabel.replace(/\W+/g, '-')} ${otherLabel.replace(/\W+/g, '-')}`;
      const secret = `only for ${ownerLabel}: ${Math.random().toString(36).slice(2)}`;
      const written = await owner.client.callTool({ name: 'write_note', arguments: { name, body: secret } });
      expect(written.isError, text(written)).toBeFalsy();

      const read = await other.client.callTool({ name: 'read_note', arguments: { name } });
      expect(read.isError).toBe(true);
      expect(JSON.stringify(read)).not.toContain(secret);
      expect(
        JSON.stringify(await other.client.callTool({ name: 'list_notes', arguments: {} })),
      ).not.toContain(name);
      const prompt = await other.client.getPrompt({ name: 'summarize_notes', arguments: { topic: 'all' } });
      expect(JSON.stringify(prompt)).not.toContain(name);

      if (other.canWrite) {
        const overwrite = await other.client.callTool({
          name: 'write_note',
          arguments: { name, body: 'replaced' },
        });
        expect(overwrite.isError, text(overwrite)).toBeFalsy();
        expect(text(await other.client.callTool({ name: 'read_note', arguments: { name } }))).toBe(
          'replaced',
        );
      }
      // The owner's note is untouched whatever the other key did.
      expect(text(await owner.client.callTool({ name: 'read_note', arguments: { name } }))).toBe(secret);
    },
  );

  it.each([1, 2])('a rotated key and its predecessor in grace share their notes (rotation %i)', async (n) => {
    const before = holders.get(`rotated ${n} (old, in grace)`)!;
    const after = holders.get(`rotated ${n} (new)`)!;
    await before.client.callTool({ name: 'write_note', arguments: { name: 'handover', body: `kept ${n}` } });
    expect(text(await after.client.callTool({ name: 'read_note', arguments: { name: 'handover' } }))).toBe(
      `kept ${n}`,
    );
    const prompt = await after.client.getPrompt({ name: 'summarize_notes', arguments: { topic: 'all' } });
    expect(JSON.stringify(prompt)).toContain('handover');
  });
});

describe('ownerOf: whose notes a principal reaches', () => {
  const apiKey = (id: string, owner: string) =>
    createPrincipal({ id, kind: 'apikey', authenticatedBy: 'apikey-auth', claims: { owner } });

  it('is the API key’s owner, and keys of different owners never meet', () => {
    expect(ownerOf(apiKey('key_a', 'key_a'))).not.toBe(ownerOf(apiKey('key_b', 'key_b')));
    expect(ownerOf(apiKey('key_a', 'wendy'))).toBe(ownerOf(apiKey('key_b', 'wendy')));
  });

  it('never takes an owner from a claim another authenticator passed through', () => {
    const token = (sub: string, claims: Record<string, unknown>) =>
      createPrincipal({ id: sub, kind: 'oauth', authenticatedBy: 'oauth', claims: { sub, ...claims } });
    const victim = ownerOf(apiKey('key_v', 'victim'));
    for (const claims of [
      { owner: 'victim' },
      { owner: 'apikey-auth:victim' },
      { iss: 'https://as', owner: 'victim' },
    ]) {
      const forged = ownerOf(token('mallory', claims));
      expect(forged).not.toBe(victim);
      expect(forged).toContain('mallory');
    }
    // A spoofed kind without the API-key authenticator does not pass either.
    const spoof = createPrincipal({
      id: 'mallory',
      kind: 'apikey',
      authenticatedBy: 'other',
      claims: { owner: 'victim' },
    });
    expect(ownerOf(spoof)).not.toBe(victim);
  });

  it('keeps the same subject of two issuers apart', () => {
    const at = (iss: string) =>
      createPrincipal({
        id: 'alice',
        kind: 'oauth',
        authenticatedBy: 'oauth',
        claims: { iss, sub: 'alice' },
      });
    expect(ownerOf(at('https://a.example'))).not.toBe(ownerOf(at('https://b.example')));
  });
});

describe('ownerOf: keys issued by earlier releases', () => {
  it('no longer share the owner that used to be set to the issuing actor', () => {
    for (const legacy of ['mcp-warden keys create', 'mcp-warden serve', 'system']) {
      const a = createPrincipal({
        id: 'key_a',
        kind: 'apikey',
        authenticatedBy: 'apikey-auth',
        claims: { owner: legacy },
      });
      const b = createPrincipal({
        id: 'key_b',
        kind: 'apikey',
        authenticatedBy: 'apikey-auth',
        claims: { owner: legacy },
      });
      expect(ownerOf(a)).not.toBe(ownerOf(b));
    }
  });
});
