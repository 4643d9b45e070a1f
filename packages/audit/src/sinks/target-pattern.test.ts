/**
 * The audit query's `target` is a pattern of core's one pattern language: it returns exactly the records whose
 * target the pattern matches (newest first, `limit` counting matches), refuses a bad pattern with core's
 * PatternSyntaxError naming `target`, and refuses the old `prefix*` where its meaning changed.
 */
import { compilePattern, PatternSyntaxError } from '@mcp-warden/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../record.js';
import { SqliteAuditStore } from './sqlite.js';

const TARGETS = [
  'echo',
  'echo_all',
  'read_file',
  'file:///a',
  'file:///a/b.md',
  'file:///ab/c',
  'file:///b.md',
];

function storeWith(targets: readonly string[]): SqliteAuditStore {
  const store = new SqliteAuditStore({ path: ':memory:' });
  for (const target of targets)
    store.write({
      time: new Date().toISOString(),
      principalId: 'alice',
      authenticator: 'apikey-auth',
      method: 'tools/call',
      target,
      argsDigest: `sha256:${'0'.repeat(64)}`,
      outcome: 'ok',
      errorCode: null,
      latencyMs: 1,
      traceId: 'a'.repeat(32),
      sessionId: null,
      transport: 'http',
      requestId: '1',
      remoteAddress: null,
    } satisfies AuditRecord);
  return store;
}

describe('audit query by target pattern', () => {
  const store = storeWith(TARGETS);
  const piece = fc.constantFrom(
    'echo',
    'file:',
    '//',
    '/',
    'a',
    '*',
    '**',
    '/**',
    '.md',
    '{a,b}',
    '{echo,read}_*',
  );

  it('returns exactly the records the pattern matches, newest first, at most limit', () => {
    fc.assert(
      fc.property(
        fc.array(piece, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 8 }),
        (parts, limit) => {
          const pattern = `{${parts.join('')}}`; // braces: read in the new language only
          const expected = TARGETS.filter((t) => compilePattern(pattern).test(t))
            .reverse()
            .slice(0, limit);
          expect(store.query({ target: pattern, limit }).map((r) => r.target)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each([
    ['file:///a/**', ['file:///a', 'file:///a/b.md']],
    ['file:///**/*.md', ['file:///a/b.md', 'file:///b.md']],
    ['file:///{*.md}', ['file:///b.md']],
    ['{echo,read_file}', ['echo', 'read_file']],
    ['file:///a/{*}', ['file:///a/b.md']],
  ])('%s', (pattern, expected) => {
    expect(store.query({ target: pattern }).map((r) => r.target)).toEqual([...expected].reverse());
  });

  it.each(['file:///a{', 'x}'])('refuses %s with core’s PatternSyntaxError naming target', (pattern) => {
    expect(() => store.query({ target: pattern })).toThrow(PatternSyntaxError);
    expect(() => store.query({ target: pattern })).toThrow(/^audit: target: /);
  });

  it('refuses the old prefix query that could reach past "/", with the spelling that keeps it', () => {
    expect(() => store.query({ target: 'file:///a*' })).toThrow('write "file:///a*/**"');
    expect(() => store.query({ target: 'echo*' })).toThrow('write "echo*/**"');
  });
});
