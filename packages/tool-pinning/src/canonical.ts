import { createHash } from 'node:crypto';
import { DefinitionNotPinnableError } from './errors.js';

/**
 * The fields of a tool definition a pin covers. Anything else (`_meta`, `icons`, `execution`, unknown extension
 * fields) may change without holding the tool: it does not reach the model as instructions.
 */
export const PINNED_FIELDS = [
  'name',
  'title',
  'description',
  'inputSchema',
  'outputSchema',
  'annotations',
] as const;

export type PinnedField = (typeof PINNED_FIELDS)[number];

/** Deeper definitions are refused (and the tool held) rather than walked. */
export const MAX_DEFINITION_DEPTH = 64;
/** Longer canonical definitions are refused (and the tool held). */
export const MAX_CANONICAL_LENGTH = 512 * 1024;

/**
 * The canonical JSON text of a tool definition's pinned fields.
 *
 * Rules (the hash is over exactly this text):
 * - Object keys are sorted by UTF-16 code unit, at every depth; array order is kept (it is meaningful).
 * - A field that is absent or `undefined` is left out; an object entry whose value is `undefined` is left out
 *   (as `JSON.stringify` does). So `{}` and `{ title: undefined }` pin the same.
 * - `null`, `""`, `{}` and `[]` are values: each is distinct from the others and from an absent field.
 * - Strings are kept byte for byte (no Unicode normalisation, no trimming): an invisible character or a
 *   homoglyph is a change. Numbers are written as `JSON.stringify` writes them (`-0` as `0`, `1.0` as `1`).
 * - Values JSON cannot carry (functions, symbols, bigints, non-finite numbers) make the definition not pinnable.
 */
export function canonicalDefinition(definition: Readonly<Record<string, unknown>>): string {
  const picked: Record<string, unknown> = {};
  for (const field of PINNED_FIELDS) {
    if (Object.hasOwn(definition, field) && definition[field] !== undefined) {
      picked[field] = definition[field];
    }
  }
  const text = canonicalJson(picked);
  if (text.length > MAX_CANONICAL_LENGTH) {
    throw new DefinitionNotPinnableError(`definition is longer than ${MAX_CANONICAL_LENGTH} characters`);
  }
  return text;
}

/** Canonical JSON of any JSON value (sorted keys, no whitespace). */
export function canonicalJson(value: unknown): string {
  return write(value, 0);
}

function write(value: unknown, depth: number): string {
  if (depth > MAX_DEFINITION_DEPTH) {
    throw new DefinitionNotPinnableError(`definition is nested deeper than ${MAX_DEFINITION_DEPTH} levels`);
  }
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value))
        throw new DefinitionNotPinnableError('definition holds a non-finite number');
      return JSON.stringify(value);
    case 'object':
      return Array.isArray(value) ? writeArray(value, depth) : writeObject(value as object, depth);
    default:
      throw new DefinitionNotPinnableError(`definition holds a ${typeof value}, which JSON cannot carry`);
  }
}

function writeArray(items: readonly unknown[], depth: number): string {
  // JSON has no holes or undefined entries: they are written as null, like JSON.stringify does.
  const parts: string[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    parts.push(item === undefined ? 'null' : write(item, depth + 1));
  }
  return `[${parts.join(',')}]`;
}

function writeObject(object: object, depth: number): string {
  const record = object as Record<string, unknown>;
  const keys = Object.keys(record).sort(compareCodeUnits);
  const parts: string[] = [];
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    parts.push(`${JSON.stringify(key)}:${write(item, depth + 1)}`);
  }
  return `{${parts.join(',')}}`;
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** SHA-256 (lower-case hex) of a canonical definition text. */
export function hashCanonical(canonical: string): string {
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/** The pin of one tool definition: its canonical text and that text's SHA-256. */
export interface ToolFingerprint {
  readonly canonical: string;
  readonly hash: string;
}

/**
 * Hashes a tool definition (as a `tools/list` entry) over its pinned fields.
 * @example
 * fingerprintTool({ name: 'echo', description: 'Echoes', inputSchema: { type: 'object' } }).hash
 */
export function fingerprintTool(definition: Readonly<Record<string, unknown>>): ToolFingerprint {
  const canonical = canonicalDefinition(definition);
  return { canonical, hash: hashCanonical(canonical) };
}
