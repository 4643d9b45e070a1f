import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, createWarden, type Warden } from '@mcp-warden/core';
import { connectTestClient } from '@mcp-warden/core/testing';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { reencrypt, rotate } from './commands.js';
import { DATA_DIR_FILES } from './data-dir.js';
import { CRYPTO_ERROR_CODES } from './errors.js';
import { KeyRing } from './key-ring.js';
import { CRYPTO_SERVICE, cryptoPlugin } from './plugin.js';
import { FAST_KDF, rejectionCode, tempDir } from './test-helpers.js';

/** A notes server whose tools keep note bodies in the crypto plugin's encrypted store. */
function notesServer(warden: Warden) {
  return () => {
    const crypto = warden.services.require(CRYPTO_SERVICE);
    const notes = () => crypto.store!.namespace('notes');
    const server = new McpServer({ name: 'notes', version: '1.0.0' });
    server.registerTool(
      'write_note',
      { inputSchema: { id: z.string(), body: z.string() } },
      async ({ id, body }) => {
        await notes().set(id, body);
        return { content: [{ type: 'text', text: `saved ${id}` }] };
      },
    );
    server.registerTool('read_note', { inputSchema: { id: z.string() } }, async ({ id }) => ({
      content: [{ type: 'text', text: (await notes().getString(id)) ?? '(none)' }],
    }));
    server.registerTool(
      'issue_token',
      { outputSchema: { token: z.string(), label: z.string() } },
      async () => {
        const structuredContent = { token: 'tok_live_SENSITIVE', label: 'ci' };
        return {
          structuredContent,
          content: [
            { type: 'text', text: JSON.stringify(structuredContent) },
            { type: 'text', text: 'Your new token is tok_live_SENSITIVE, keep it safe.' },
          ],
        };
      },
    );
    return server;
  };
}

const textOf = (result: unknown) => (result as { content: { text: string }[] }).content[0]?.text ?? '';

function sqliteBytes(dir: string): string {
  return readdirSync(dir)
    .filter((f) => f.startsWith(DATA_DIR_FILES.store))
    .map((f) => readFileSync(join(dir, f)).toString('latin1'))
    .join('');
}

describe('cryptoPlugin', () => {
  it('stores notes written through the real SDK client encrypted, readable before and after a key rotation', async () => {
    const dataDir = tempDir();
    const passphrase = 'e2e passphrase';
    const options = { dataDir, passphrase, kdf: FAST_KDF };
    let warden = await createWarden({ plugins: [cryptoPlugin(options)] });
    let kit = await connectTestClient({ warden, createServer: notesServer(warden) });
    expect(kit.events.events.length).toBe(0); // key.created was emitted before the sink was attached
    const body = 'PLAINTEXT-e2e-note-body: the vault combination is 4-8-15-16';
    await kit.client.callTool({ name: 'write_note', arguments: { id: 'n1', body } });
    expect(textOf(await kit.client.callTool({ name: 'read_note', arguments: { id: 'n1' } }))).toBe(body);
    await kit.close();
    await warden.close();

    const onDisk = sqliteBytes(dataDir);
    expect(onDisk.length).toBeGreaterThan(0);
    expect(onDisk).not.toContain('PLAINTEXT');
    expect(onDisk).not.toContain('vault combination');

    // `mcp-warden crypto rotate` then `crypto reencrypt`, with the server stopped.
    const rotated = await rotate({ dataDir, passphrase, kdf: FAST_KDF });
    expect(await reencrypt({ dataDir, passphrase, retireOldKeys: true, kdf: FAST_KDF })).toMatchObject({
      rotated: 1,
      retiredKeyIds: [rotated.previousKeyId],
    });

    warden = await createWarden({ plugins: [cryptoPlugin(options)] });
    kit = await connectTestClient({ warden, createServer: notesServer(warden) });
    expect(textOf(await kit.client.callTool({ name: 'read_note', arguments: { id: 'n1' } }))).toBe(body);
    await kit.close();
    await warden.close();
    expect(sqliteBytes(dataDir)).not.toContain('vault combination');
  });

  it('seals declared fields of tool results and the text that mirrors them', async () => {
    const ring = await KeyRing.generate();
    const warden = await createWarden({
      plugins: [cryptoPlugin({ keyRing: ring, sealToolResults: { issue_token: ['/token'] } })],
    });
    const service = warden.services.require(CRYPTO_SERVICE);
    const kit = await connectTestClient({ warden, createServer: () => notesServer(warden)() });
    const result = (await kit.client.callTool({ name: 'issue_token', arguments: {} })) as unknown as {
      structuredContent: { token: string; label: string };
      content: { text: string }[];
    };
    expect(result.structuredContent.label).toBe('ci');
    expect(service.isCiphertext(result.structuredContent.token)).toBe(true);
    expect(JSON.stringify(result)).not.toContain('tok_live_SENSITIVE');
    expect(JSON.parse(result.content[0]!.text)).toEqual(result.structuredContent);
    expect(result.content[1]!.text).toBe(
      `Your new token is ${result.structuredContent.token}, keep it safe.`,
    );
    const context = { purpose: 'tool-result', tool: 'issue_token', field: '/token' };
    expect(await service.decryptString(result.structuredContent.token, { context })).toBe(
      'tok_live_SENSITIVE',
    );
    expect(kit.events.ofType('content.sealed')).toHaveLength(1);
    await kit.close();
    await warden.close();
  });

  it('audit mode leaves results unchanged and records what it would have sealed', async () => {
    const warden = await createWarden({
      plugins: [
        cryptoPlugin({
          mode: 'audit',
          keyRing: await KeyRing.generate(),
          sealToolResults: { issue_token: ['/token'] },
        }),
      ],
    });
    const kit = await connectTestClient({ warden, createServer: notesServer(warden) });
    const result = await kit.client.callTool({ name: 'issue_token', arguments: {} });
    expect(JSON.stringify(result)).toContain('tok_live_SENSITIVE');
    expect(kit.events.ofType('content.sealed')[0]).toMatchObject({ outcome: 'audited', plugin: 'crypto' });
    await kit.close();
    await warden.close();
  });

  it('provides the service and reports failures as crypto.failed events without plaintext', async () => {
    const warden = await createWarden({ plugins: [cryptoPlugin({ keyRing: await KeyRing.generate() })] });
    const events: { type: string; details?: Record<string, unknown>; outcome: string }[] = [];
    warden.events.on((e) => events.push(e as never));
    const crypto = warden.services.require(CRYPTO_SERVICE);
    expect(crypto.store).toBeUndefined();
    const ct = await crypto.encrypt('PLAINTEXT-service', { context: { record: 'a' } });
    expect(await crypto.decryptString(ct, { context: { record: 'a' } })).toBe('PLAINTEXT-service');
    expect(await rejectionCode(crypto.decrypt(ct, { context: { record: 'b' } }))).toBe(
      CRYPTO_ERROR_CODES.DECRYPT_FAILED,
    );
    expect(await rejectionCode(crypto.decrypt('mcpw1.AAAA'))).toBe(CRYPTO_ERROR_CODES.MALFORMED);
    expect(events.map((e) => [e.type, e.outcome, e.details?.code])).toEqual([
      ['crypto.failed', 'denied', CRYPTO_ERROR_CODES.DECRYPT_FAILED],
      ['crypto.failed', 'denied', CRYPTO_ERROR_CODES.MALFORMED],
    ]);
    expect(JSON.stringify(events)).not.toContain('PLAINTEXT');
    await warden.close();
  });

  it('refuses to start on a data directory whose key is missing, with a ConfigError that says how to fix it', async () => {
    const dataDir = tempDir();
    const first = await createWarden({ plugins: [cryptoPlugin({ dataDir })] });
    await first.services.require(CRYPTO_SERVICE).store!.set('n', 'k', 'v');
    await first.close();
    const { rmSync } = await import('node:fs');
    rmSync(join(dataDir, DATA_DIR_FILES.keyFile));
    const err = await createWarden({ plugins: [cryptoPlugin({ dataDir })] }).catch((e: unknown) => e);
    expect(ConfigError.isInstance(err)).toBe(true);
    expect(err).toMatchObject({ code: CRYPTO_ERROR_CODES.KEY_MISSING });
    expect((err as Error).message).toContain('Restore the key file');
  });

  it('rejects bad options when cryptoPlugin() is called, with a ConfigError that echoes no secret', async () => {
    const bad = [
      {},
      { keyFile: 'k.json', keyRing: await KeyRing.generate() },
      { dataDir: '/tmp/x', sealToolResults: { t: ['token'] } },
      { keyRing: await KeyRing.generate(), store: {} },
      { dataDir: '/tmp/x', passphrase: 'hunter2-SECRET', unknown: 1 },
    ];
    for (const options of bad) {
      const err = (() => {
        try {
          cryptoPlugin(options as never);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).not.toContain('hunter2');
    }
  });
});
