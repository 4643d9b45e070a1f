import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';

/** Where each setting of a config file is written, to point at a problem by line and column. */
export class ConfigSource {
  readonly #doc: ReturnType<typeof parseDocument>;
  readonly #lines = new LineCounter();

  constructor(
    readonly file: string,
    text: string,
  ) {
    // YAML 1.2 reads JSON too, so one parser gives positions for both formats.
    this.#doc = parseDocument(text, { lineCounter: this.#lines, keepSourceTokens: false });
  }

  /** `file:line:column` of the value at `path`, or of the key `key` under it; the file alone if not found. */
  locate(path: readonly PropertyKey[], key?: string): string {
    const offset = this.#offset(path, key);
    if (offset === undefined) return this.file;
    const { line, col } = this.#lines.linePos(offset);
    return `${this.file}:${line}:${col}`;
  }

  #offset(path: readonly PropertyKey[], key?: string): number | undefined {
    let node: unknown = this.#doc.contents;
    let offset: number | undefined = rangeStart(node);
    const steps = key === undefined ? path : [...path, key];
    for (const step of steps) {
      if (!isMap(node)) return offset;
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(step));
      if (!pair) return offset;
      offset =
        step === key && key !== undefined
          ? (rangeStart(pair.key) ?? offset)
          : (rangeStart(pair.value) ?? rangeStart(pair.key) ?? offset);
      node = pair.value;
    }
    return offset;
  }
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range?.[0];
}

/** Edit distance counting a swap of neighbours as one edit (optimal string alignment); inputs are short keys. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  return d[a.length]![b.length]!;
}

/**
 * The known key meant by a misspelled one: same letters in another case (`rateLimit` → `ratelimit`), British and
 * American spellings (`sanitise` → `sanitize`), or a typo of at most two edits (a third of the length for short keys).
 */
export function suggestKey(key: string, known: readonly string[]): string | undefined {
  const folded = key.toLowerCase().replaceAll('_', '').replaceAll('-', '');
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const d = distance(folded, candidate.toLowerCase());
    if (!best || d < best.distance) best = { key: candidate, distance: d };
  }
  if (!best) return undefined;
  const limit = Math.min(2, Math.max(1, Math.floor(best.key.length / 3)));
  return best.distance <= limit ? best.key : undefined;
}

/** The keys a zod object schema accepts at `path` (through optional, default and prefault wrappers). */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: unknown = schema;
  const unwrap = () => {
    for (let i = 0; i < 10; i++) {
      const def = (current as { _zod?: { def?: { innerType?: unknown } } })._zod?.def;
      if (!def?.innerType) return;
      current = def.innerType;
    }
  };
  unwrap();
  for (const step of path) {
    const shape = (current as { shape?: Record<string, unknown> }).shape;
    if (!shape || !(String(step) in shape)) return [];
    current = shape[String(step)];
    unwrap();
  }
  const shape = (current as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : [];
}

const SECRET_KEY = /(secret|password|passphrase|token|pepper|api[-_]?key|private[-_]?key|credential)/i;

/**
 * A copy of the configuration fit to print: values under secret-looking keys are masked, and so are passwords in
 * URLs (`redis://:pw@host`). Keys ending in `Env` name an environment variable, not a secret, and stay visible.
 */
export function maskSecrets(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((item) => maskSecrets(item, key));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v, k)]));
  if (typeof value !== 'string') return value;
  if (SECRET_KEY.test(key) && !/Env$/.test(key)) return '[masked]';
  return maskUrlPassword(value);
}

function maskUrlPassword(text: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(text)) return text;
  try {
    const url = new URL(text);
    if (!url.password) return text;
    url.password = 'masked';
    return url.href;
  } catch {
    return text;
  }
}
