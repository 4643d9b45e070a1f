import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../record.js';
import { jsonLinesSink } from './jsonl.js';
import { SqliteAuditStore } from './sqlite.js';

function record(overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    time: new Date().toISOString(),
    principalId: 'alice',
    authenticator: 'apikey-auth',
    method: 'tools/call',
    target: 'echo',
    argsDigest: `sha256:${'0'.repeat(64)}`,
    outcome: 'ok',
    errorCode: null,
    latencyMs: 1.5,
    traceId: 'a'.repeat(32),
    sessionId: null,
    transport: 'http',
    requestId: '1',
    remoteAddress: null,
    ...overrides,
  };
}

const dir = () => mkdtempSync(join(tmpdir(), 'mcpw-audit-'));

describe('SqliteAuditStore', () => {
  it('stores records (mode 0600) and filters by every field', () => {
    const path = join(dir(), 'audit.db');
    const store = new SqliteAuditStore({ path });
    const hourAgo = new Date(Date.now() - 3_600_000 - 1000).toISOString();
    store.write(record({ principalId: 'alice', target: 'file:///public/a.txt', method: 'resources/read' }));
    store.write(record({ principalId: 'bob', target: 'file:///private/b.txt', method: 'resources/read' }));
    store.write(record({ principalId: 'alice', target: 'echo', outcome: 'error', errorCode: '-32602' }));
    store.write(record({ principalId: 'alice', target: 'echo', time: hourAgo, traceId: 'b'.repeat(32) }));
    expect(store.count()).toBe(4);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const ids = (q: Parameters<SqliteAuditStore['query']>[0]) => store.query(q).length;
    expect(ids({ principal: 'alice' })).toBe(3);
    expect(ids({ principal: 'alice', target: 'echo' })).toBe(2);
    expect(ids({ target: 'file:///p*/**' })).toBe(2);
    expect(ids({ target: 'file:///public/**' })).toBe(1);
    expect(ids({ target: '%' })).toBe(0);
    expect(ids({ target: 'file:///_ublic/**' })).toBe(0);
    expect(ids({ outcome: 'error' })).toBe(1);
    expect(ids({ method: 'resources/read', principal: 'bob' })).toBe(1);
    expect(ids({ since: Date.now() - 3_600_000 })).toBe(3);
    expect(ids({ traceId: 'b'.repeat(32) })).toBe(1);
    expect(store.query({ limit: 2 }).map((r) => r.principalId)).toEqual(['alice', 'alice']);
    const first = store.query({ limit: 100 }).at(-1)!;
    expect(store.query({ afterId: first.id }).map((r) => r.id)).toEqual([
      first.id + 1,
      first.id + 2,
      first.id + 3,
    ]);
    expect(store.query({ outcome: 'error' })[0]).toMatchObject({ errorCode: '-32602', latencyMs: 1.5 });
    store.close();
    const reader = new SqliteAuditStore({ path, readonly: true });
    expect(reader.count()).toBe(4);
    reader.close();
  });

  it.each([
    {
      name: 'max age',
      options: { maxAgeMs: 60_000, maxRows: 0 },
      ages: [0, 30_000, 61_000, 3_600_000],
      kept: 2,
    },
    { name: 'max rows', options: { maxAgeMs: 0, maxRows: 3 }, ages: [0, 1, 2, 3, 4, 5], kept: 3 },
    { name: 'both', options: { maxAgeMs: 10_000, maxRows: 2 }, ages: [0, 1, 2, 20_000], kept: 2 },
    { name: 'none', options: { maxAgeMs: 0, maxRows: 0 }, ages: [0, 86_400_000 * 400], kept: 2 },
  ])('retention by $name deletes old rows and keeps the newest', ({ options, ages, kept }) => {
    const store = new SqliteAuditStore({ path: ':memory:', pruneIntervalMs: 0, ...options });
    const now = Date.now();
    // Oldest first, as a server writes them.
    for (const age of [...ages].sort((a, b) => b - a))
      store.write(record({ time: new Date(now - age).toISOString(), requestId: String(age) }));
    store.flush();
    store.prune(now);
    const left = store.query({ limit: 1000 });
    expect(left).toHaveLength(kept);
    const youngest = [...ages]
      .sort((a, b) => a - b)
      .slice(0, kept)
      .map(String);
    expect(left.map((r) => r.requestId).sort()).toEqual(youngest.sort());
    store.close();
  });

  it('refuses bad retention settings at setup, and a missing file when read-only', () => {
    expect(() => new SqliteAuditStore({ path: ':memory:', maxRows: -1 })).toThrow(
      /SqliteAuditStore: invalid options \(1 problem\):\n {2}✖ maxRows: /,
    );
    expect(() => new SqliteAuditStore({ path: ':memory:', maxAgeMs: 1.5 })).toThrow(/✖ maxAgeMs: .* \(fix: /);
    expect(() => new SqliteAuditStore({ path: join(dir(), 'none.db'), readonly: true })).toThrow(
      /No audit database/,
    );
  });
});

describe('jsonLinesSink', () => {
  it('appends one JSON line per record to a 0600 file', () => {
    const path = join(dir(), 'logs', 'audit.jsonl');
    const sink = jsonLinesSink(path);
    sink.write(record({ requestId: '1' }));
    sink.write(record({ requestId: '2' }));
    sink.close?.();
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as AuditRecord).requestId)).toEqual(['1', '2']);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});
