import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as V2Client } from '@modelcontextprotocol/client';
import { StdioClientTransport as V2Stdio } from '@modelcontextprotocol/client/stdio';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as V1Stdio } from '@modelcontextprotocol/sdk/client/stdio.js';
import { describe, expect, it } from 'vitest';
import { issueKey } from './issue-key.js';

// stdio-server.ts (an SDK v2 server behind warden.connectStdio), started by each client as its child process.
const pepper = randomBytes(32).toString('base64');
const keysDb = join(mkdtempSync(join(tmpdir(), 'warden-examples-stdio-')), 'keys.db');
const server = {
  command: process.execPath,
  args: ['--import', 'tsx', join(import.meta.dirname, 'stdio-server.ts')],
};
const envWith = (key: string) => ({
  PATH: process.env.PATH ?? '',
  PEPPER: pepper,
  KEYS_DB: keysDb,
  MCP_WARDEN_API_KEY: key,
});
const TAG_CHARS = /[\u{E0000}-\u{E007F}]/u;

type AnyClient = Pick<V1Client, 'listTools' | 'callTool'>;

/** The same checks as over HTTP: the ACL hides and refuses delete_notes, sanitize cleans read_note. */
async function expectSecured(client: AnyClient) {
  const tools = await client.listTools();
  expect(tools.tools.map((t) => t.name).sort()).toEqual(['add', 'read_note']);
  const sum = await client.callTool({ name: 'add', arguments: { a: 40, b: 2 } });
  expect(sum.content).toEqual([{ type: 'text', text: '42' }]);
  await expect(client.callTool({ name: 'delete_notes', arguments: {} })).rejects.toThrow(/Access denied/);
  const note = await client.callTool({ name: 'read_note', arguments: {} });
  const text = (note.content as { text: string }[])[0]?.text ?? '';
  expect(text).toMatch(/^Deploy at 10:00\./);
  expect(text).not.toMatch(TAG_CHARS);
  expect(text).toContain('[REDACTED:aws-access-key-id]');
}

describe('stdio-server.ts', () => {
  it('SDK 1.x client: the key from the environment authenticates the process', async () => {
    const client = new V1Client({ name: 'example-test', version: '1' });
    await client.connect(new V1Stdio({ ...server, env: envWith(await issueKey(keysDb, pepper)) }));
    await expectSecured(client);
    await client.close();
  });

  it('SDK v2 client: served in the 2025 era (connectStdio does not serve 2026-07-28 over stdio)', async () => {
    const client = new V2Client(
      { name: 'example-test', version: '2' },
      { versionNegotiation: { mode: 'auto' } },
    );
    await client.connect(new V2Stdio({ ...server, env: envWith(await issueKey(keysDb, pepper)) }));
    expect(client.getProtocolEra()).toBe('legacy');
    await expectSecured(client as unknown as AnyClient);
    await client.close();
  });

  it('a wrong key refuses to serve at all', async () => {
    const client = new V1Client({ name: 'example-test', version: '1' });
    const transport = new V1Stdio({ ...server, env: envWith('mcpw_notarealkey'), stderr: 'pipe' });
    await expect(client.connect(transport)).rejects.toThrow();
  });
});
