/**
 * Canonical JSON: object keys sorted by UTF-16 code units, no whitespace, numbers and strings as
 * `JSON.stringify` writes them (ECMAScript fixes both, so every runtime agrees). Two JSON values that are equal
 * as data give the same text whatever key order they arrived in, which is what a request digest needs.
 */

const MAX_DEPTH = 256;

/** Throws `TypeError` for values JSON cannot carry (functions, symbols, bigints, cycles) or nesting past 256. */
export function canonicalJson(value: unknown): string {
  return write(value, 0, new Set());
}

function write(value: unknown, depth: number, seen: Set<object>): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('canonicalJson: number is not finite');
    return JSON.stringify(value);
  }
  if (typeof value !== 'object') throw new TypeError(`canonicalJson: ${typeof value} is not JSON`);
  if (depth >= MAX_DEPTH) throw new TypeError('canonicalJson: nested too deeply');
  if (seen.has(value)) throw new TypeError('canonicalJson: cycle');
  seen.add(value);
  let out: string;
  if (Array.isArray(value)) {
    out = `[${value.map((v) => (v === undefined ? 'null' : write(v, depth + 1, seen))).join(',')}]`;
  } else {
    const record = value as Record<string, unknown>;
    const parts: string[] = [];
    for (const key of Object.keys(record).sort()) {
      if (record[key] === undefined) continue;
      parts.push(`${JSON.stringify(key)}:${write(record[key], depth + 1, seen)}`);
    }
    out = `{${parts.join(',')}}`;
  }
  seen.delete(value);
  return out;
}
