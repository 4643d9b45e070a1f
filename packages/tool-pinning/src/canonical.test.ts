import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalDefinition,
  canonicalJson,
  fingerprintTool,
  MAX_DEFINITION_DEPTH,
  PINNED_FIELDS,
} from './canonical.js';
import { DefinitionNotPinnableError } from './errors.js';

/** JSON values as a server could send them (no undefined: that is not JSON). */
const jsonValue = fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<unknown>;

/** A tool definition with any subset of the pinned fields plus uncovered fields. */
const definition = fc.record(
  {
    name: fc.string({ minLength: 1, maxLength: 20 }),
    title: fc.string(),
    description: fc.string(),
    inputSchema: fc.dictionary(fc.string(), jsonValue, { maxKeys: 5 }),
    outputSchema: fc.dictionary(fc.string(), jsonValue, { maxKeys: 5 }),
    annotations: fc.dictionary(fc.string(), jsonValue, { maxKeys: 4 }),
    _meta: fc.dictionary(fc.string(), jsonValue, { maxKeys: 3 }),
    icons: fc.array(jsonValue, { maxLength: 2 }),
  },
  { requiredKeys: ['name'] },
) as fc.Arbitrary<Record<string, unknown>>;

/** The same value with every object's keys in a shuffled order (by a seed). */
function shuffleKeys(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v, i) => shuffleKeys(v, seed + i));
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    let s = seed;
    for (let i = entries.length - 1; i > 0; i--) {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      const j = s % (i + 1);
      [entries[i], entries[j]] = [entries[j]!, entries[i]!];
    }
    const out: Record<string, unknown> = {};
    // defineProperty keeps a "__proto__" key an own property, as JSON.parse makes it.
    for (const [k, v] of entries) {
      Object.defineProperty(out, k, {
        value: shuffleKeys(v, s + k.length),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

describe('canonical tool definitions', () => {
  it('hashes equal whatever the key order, at every depth', () => {
    fc.assert(
      fc.property(definition, fc.integer({ min: 1, max: 2 ** 30 }), (def, seed) => {
        const shuffled = shuffleKeys(def, seed) as Record<string, unknown>;
        expect(fingerprintTool(shuffled).hash).toBe(fingerprintTool(def).hash);
      }),
      { numRuns: 300 },
    );
  });

  it('changes the hash for any change to any pinned field', () => {
    const field = fc.constantFrom(...PINNED_FIELDS);
    fc.assert(
      fc.property(definition, field, jsonValue, (def, key, replacement) => {
        const changed = { ...def, [key]: replacement };
        const before = def[key] === undefined ? undefined : canonicalJson(def[key]);
        fc.pre(canonicalJson(replacement) !== before);
        expect(fingerprintTool(changed).hash).not.toBe(fingerprintTool(def).hash);
      }),
      { numRuns: 300 },
    );
  });

  it('changes the hash when a pinned field appears or disappears', () => {
    fc.assert(
      fc.property(definition, fc.constantFrom(...PINNED_FIELDS.filter((f) => f !== 'name')), (def, key) => {
        const without = { ...def };
        delete without[key];
        const withIt = { ...def, [key]: def[key] ?? null };
        expect(fingerprintTool(withIt).hash).not.toBe(fingerprintTool(without).hash);
      }),
      { numRuns: 200 },
    );
  });

  it('changes the hash for a one-character change deep inside a schema', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (a, b) => {
        fc.pre(a !== b);
        const schema = (d: string) => ({
          type: 'object',
          properties: { path: { type: 'string', description: d } },
        });
        const one = fingerprintTool({ name: 't', inputSchema: schema(a) }).hash;
        const two = fingerprintTool({ name: 't', inputSchema: schema(b) }).hash;
        expect(one).not.toBe(two);
      }),
    );
  });

  it('ignores fields it does not cover (_meta, icons, unknown extensions)', () => {
    fc.assert(
      fc.property(definition, jsonValue, jsonValue, (def, meta, other) => {
        const changed = { ...def, _meta: meta, icons: other, 'x-vendor': other };
        expect(fingerprintTool(changed).hash).toBe(fingerprintTool(def).hash);
      }),
      { numRuns: 200 },
    );
  });

  it('treats absent and undefined alike, and null, "", {} and [] as distinct values', () => {
    const hash = (d: Record<string, unknown>) => fingerprintTool(d).hash;
    expect(hash({ name: 't' })).toBe(hash({ name: 't', title: undefined, description: undefined }));
    const variants = [
      { name: 't' },
      { name: 't', description: null },
      { name: 't', description: '' },
      { name: 't', description: {} },
      { name: 't', description: [] },
    ];
    expect(new Set(variants.map(hash)).size).toBe(variants.length);
    // Inside a value the same rules hold: an undefined entry is dropped, null is kept.
    expect(hash({ name: 't', inputSchema: { a: undefined, b: 1 } })).toBe(
      hash({ name: 't', inputSchema: { b: 1 } }),
    );
    expect(hash({ name: 't', inputSchema: { a: null, b: 1 } })).not.toBe(
      hash({ name: 't', inputSchema: { b: 1 } }),
    );
  });

  it('keeps strings byte for byte: invisible characters and other normal forms are changes', () => {
    const hash = (description: string) => fingerprintTool({ name: 't', description }).hash;
    expect(hash('Reads a file')).not.toBe(hash('Reads a\u200b file'));
    expect(hash('caf\u00e9')).not.toBe(hash('cafe\u0301'));
    expect(hash('read')).not.toBe(hash('read '));
  });

  it('writes sorted, whitespace-free JSON and keeps array order', () => {
    expect(canonicalDefinition({ name: 'n', inputSchema: { z: 1, a: [3, 1, { y: 2, b: 1 }] } })).toBe(
      '{"inputSchema":{"a":[3,1,{"b":1,"y":2}],"z":1},"name":"n"}',
    );
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });

  it('refuses definitions JSON cannot carry or too deep to walk', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < MAX_DEFINITION_DEPTH + 2; i++) deep = { d: deep };
    for (const bad of [
      { name: 't', inputSchema: deep },
      { name: 't', annotations: { n: Number.NaN } },
      { name: 't', annotations: { n: 10n } },
      { name: 't', description: () => 'x' },
    ]) {
      expect(() => fingerprintTool(bad as Record<string, unknown>)).toThrow(DefinitionNotPinnableError);
    }
  });

  it('is SHA-256 hex of the canonical text', () => {
    const fp = fingerprintTool({ name: 'echo' });
    expect(fp.canonical).toBe('{"name":"echo"}');
    // Computed independently: printf %s '{"name":"echo"}' | sha256sum
    expect(fp.hash).toBe('f7817751a90d6baf078dd0e2d98b278faa025d83ccee00eb9b60100ad65bdcb9');
  });
});
