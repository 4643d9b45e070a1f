import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessDeniedError, type WardenPlugin } from '@mcp-warden/core';
import { connectTestClient, fakePrincipal } from '@mcp-warden/core/testing';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SqliteAuditStore } from './sinks/sqlite.js';
import { auditTrail } from './trail.js';

function server(): McpServer {
  const s = new McpServer({ name: 'audit-test', version: '1.0.0' });
  s.registerTool('echo', { inputSchema: { text: z.string() } }, async ({ text }) => ({
    content: [{ type: 'text', text: `echo: ${text.length}` }],
  }));
  s.registerTool('forbidden', {}, async () => ({ content: [{ type: 'text', text: 'x' }] }));
  return s;
}

const denyForbidden: WardenPlugin = {
  specVersion: 1,
  name: 'deny-forbidden',
  stage: 'authorize',
  beforeRequest(ctx) {
    if (ctx.target?.type === 'tool' && ctx.target.name === 'forbidden')
      throw new AccessDeniedError({ message: 'Access denied.', reason: 'test' });
  },
};

/** Every byte the database wrote (the file and its WAL). */
function databaseBytes(dir: string): string {
  return readdirSync(dir)
    .map((f) => readFileSync(join(dir, f)).toString('latin1'))
    .join('\n');
}

describe('auditTrail with a real client', () => {
  it('records allowed calls with digests only; argument values never reach the database file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcpw-trail-'));
    const store = new SqliteAuditStore({ path: join(dir, 'audit.db') });
    const { client, close } = await connectTestClient({
      plugins: [denyForbidden],
      wardenOptions: { observers: [auditTrail({ sinks: [store] })] },
      createServer: server,
      principal: fakePrincipal({ id: 'alice', authenticatedBy: 'apikey-auth' }),
    });
    const markers = fc.sample(fc.string({ minLength: 12, maxLength: 40, unit: 'grapheme-ascii' }), 20);
    for (const [i, marker] of markers.entries())
      await client.callTool({ name: 'echo', arguments: { text: `M${i}<${marker}>` } });
    await expect(client.callTool({ name: 'forbidden' })).rejects.toThrow();
    await close();
    const reader = new SqliteAuditStore({ path: join(dir, 'audit.db'), readonly: true });
    const calls = reader.query({ method: 'tools/call', limit: 1000 });
    expect(calls).toHaveLength(markers.length); // the refusal is a security event, not an audit record
    expect(calls[0]).toMatchObject({
      principalId: 'alice',
      authenticator: 'apikey-auth',
      target: 'echo',
      outcome: 'ok',
      errorCode: null,
      transport: 'memory',
    });
    expect(calls[0]!.argsDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(calls[0]!.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(calls[0]).not.toHaveProperty('arguments');
    expect(new Set(calls.map((c) => c.argsDigest)).size).toBe(markers.length);
    reader.close();
    const bytes = databaseBytes(dir);
    for (const [i, marker] of markers.entries()) expect(bytes).not.toContain(`M${i}<${marker}>`);
  });

  it('with captureArguments, stores arguments with secrets redacted first', async () => {
    const store = new SqliteAuditStore({ path: ':memory:' });
    const { client, close } = await connectTestClient({
      wardenOptions: { observers: [auditTrail({ sinks: [store], captureArguments: true })] },
      createServer: server,
    });
    const secrets = [
      'ghp_0123456789abcdefghijABCDEFGHIJ012345',
      'AKIAIOSFODNN7EXAMPLQ',
      'postgres://app:s3cr3t-Pa55w0rd@db.internal/app',
    ];
    for (const secret of secrets)
      await client.callTool({ name: 'echo', arguments: { text: `use ${secret}` } });
    await client.callTool({ name: 'echo', arguments: { text: 'plain', password: 'hunter2' } });
    const rows = store.query({ limit: 100 }).filter((r) => r.method === 'tools/call');
    await close();
    const stored = JSON.stringify(rows.map((r) => r.arguments));
    for (const secret of secrets) expect(stored).not.toContain(secret);
    expect(stored).not.toContain('hunter2');
    expect(stored).toContain('plain');
    expect(stored).toContain('[REDACTED:');
  });

  it('refuses bad options at setup', () => {
    expect(() => auditTrail({ sinks: [] })).toThrow(/at least one sink/);
    expect(() => auditTrail({ sinks: [{} as never] })).toThrow(/audit: invalid options/);
    expect(() =>
      auditTrail({ sinks: [new SqliteAuditStore({ path: ':memory:' })], digestKey: 'short' }),
    ).toThrow(/audit: invalid options/);
  });
});
