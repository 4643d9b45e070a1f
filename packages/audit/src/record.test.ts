import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSince } from './duration.js';
import { argumentsOf, canonicalJson, digestArguments } from './record.js';

function shuffleKeys(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v, i) => shuffleKeys(v, seed + i));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  const rotated = entries.map((_, i) => entries[(i + seed) % entries.length]!);
  return Object.fromEntries(rotated.reverse().map(([k, v]) => [k, shuffleKeys(v, seed + 1)]));
}

describe('canonical JSON and argument digests', () => {
  it('give one digest whatever the key order, and the canonical text parses back to the value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(20), (value, seed) => {
        const a = canonicalJson(value);
        expect(canonicalJson(shuffleKeys(value, seed))).toBe(a);
        expect(digestArguments(shuffleKeys(value, seed))).toBe(digestArguments(value));
        expect(canonicalJson(JSON.parse(a))).toBe(a);
      }),
    );
  });

  it('differ for different arguments, and never contain them', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (x, y) => {
        fc.pre(x !== y);
        const dx = digestArguments({ path: x });
        expect(dx).not.toBe(digestArguments({ path: y }));
        expect(dx).toMatch(/^sha256:[0-9a-f]{64}$/);
      }),
    );
  });

  it('are keyed with a digest key, and stay canonical on hostile input', () => {
    expect(digestArguments({ a: 1 }, 'k'.repeat(32))).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(digestArguments({ a: 1 }, 'k'.repeat(32))).not.toBe(digestArguments({ a: 1 }, 'j'.repeat(32)));
    let deep: unknown = 'x';
    for (let i = 0; i < 2000; i++) deep = [deep];
    expect(digestArguments(deep)).toMatch(/^sha256:/);
    expect(canonicalJson({ b: undefined, a: Number.NaN })).toBe('{"a":null}');
  });

  it('digest the arguments of calls and prompts, and the params without _meta otherwise', () => {
    expect(argumentsOf('tools/call', { name: 't', arguments: { x: 1 }, _meta: { a: 1 } })).toEqual({ x: 1 });
    expect(argumentsOf('prompts/get', { name: 'p' })).toEqual({});
    expect(argumentsOf('resources/read', { uri: 'u', _meta: { traceparent: 't' } })).toEqual({ uri: 'u' });
  });

  it('read --since as a duration ago or a date, and nothing else', () => {
    const now = Date.UTC(2025, 0, 31);
    expect(parseSince('1h', now)).toBe(now - 3_600_000);
    expect(parseSince('7d', now)).toBe(now - 7 * 86_400_000);
    expect(parseSince('2025-01-30', now)).toBe(Date.UTC(2025, 0, 30));
    expect(parseSince('2025-01-30T12:00:00Z', now)).toBe(Date.UTC(2025, 0, 30, 12));
    for (const bad of ['', '1', 'h', '1y', '-1h', '1.5h', 'yesterday', '2025-13-45', '1h; DROP TABLE'])
      expect(parseSince(bad, now), bad).toBeUndefined();
  });
});
