import type { z } from 'zod';
import { ConfigError } from './errors.js';
import { suggestKey } from './suggest.js';

/**
 * The one way a plugin turns its options into a value or a {@link ConfigError}: every zod issue, each with the
 * path of the option and a fix hint, in one error thrown where it is called (the plugin's factory, at setup).
 * Values the caller gave are never echoed (an option may be a secret); names of unknown options are, with the
 * known option they most likely meant.
 */

type Path = readonly PropertyKey[];
type Issue = z.core.$ZodIssue;

/** What a zod schema's internal definition exposes for walking it (`_zod.def`, zod 4's documented core API). */
interface SchemaDef {
  type?: string;
  innerType?: unknown;
  in?: unknown;
  shape?: Record<string, unknown>;
  element?: unknown;
  valueType?: unknown;
  options?: readonly unknown[];
  getter?: () => unknown;
}

const defOf = (schema: unknown): SchemaDef | undefined =>
  (schema as { _zod?: { def?: SchemaDef } } | undefined)?._zod?.def;

/** The schema under wrappers (optional, default, nullable, readonly, catch, prefault, lazy) and a pipe's input. */
function unwrap(schema: unknown): unknown {
  let current = schema;
  for (let i = 0; i < 16; i++) {
    const def = defOf(current);
    if (def?.innerType !== undefined) current = def.innerType;
    else if (def?.type === 'pipe' && def.in !== undefined) current = def.in;
    else if (def?.type === 'lazy' && def.getter) current = def.getter();
    else return current;
  }
  return current;
}

/** The part of `schema` that validates the value at `path`, when it can be followed (objects, records, arrays). */
export function schemaAt(schema: unknown, path: Path): unknown {
  let current = unwrap(schema);
  for (const step of path) {
    const def = defOf(current);
    if (def?.type === 'object' && def.shape && Object.hasOwn(def.shape, String(step))) {
      current = def.shape[String(step)];
    } else if (def?.type === 'record' && typeof step !== 'number') current = def.valueType;
    else if (def?.type === 'array' && typeof step === 'number') current = def.element;
    else if (def?.type === 'union' && def.options) {
      current = def.options.map(unwrap).find((o) => {
        const shape = defOf(o)?.shape;
        return shape !== undefined && Object.hasOwn(shape, String(step));
      });
      if (current === undefined) return undefined;
      current = defOf(current)?.shape?.[String(step)];
    } else return undefined;
    current = unwrap(current);
  }
  return current;
}

/** The keys the schema accepts for the object at `path`; empty when the value there is not an object. */
export function knownKeysAt(schema: unknown, path: Path): string[] {
  const def = defOf(schemaAt(schema, path));
  if (def?.type === 'object' && def.shape) return Object.keys(def.shape);
  // A union of object shapes accepts the keys of any of them.
  const branches = def?.type === 'union' ? (def.options ?? []) : [];
  return [...new Set(branches.flatMap((o) => knownKeysAt(o, [])))];
}

/** `tools["read_file"].paths[0]`, or `(options)` for the options object itself. */
export function formatOptionPath(path: Path): string {
  let out = '';
  for (const step of path) {
    if (typeof step === 'number') out += `[${step}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(String(step))) out += `${out ? '.' : ''}${String(step)}`;
    else out += `[${JSON.stringify(String(step))}]`;
  }
  return out || '(options)';
}

function valueAt(input: unknown, path: Path): unknown {
  let current = input;
  for (const step of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[step];
  }
  return current;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const article = (word: string) => `${/^[aeiou]/.test(word) ? 'an' : 'a'} ${word}`;

function formatHint(issue: z.core.$ZodIssueInvalidStringFormat): string {
  const { pattern, prefix, suffix, includes } = issue as unknown as Record<string, unknown>;
  if (issue.format === 'regex' && typeof pattern === 'string') return `match ${pattern}`;
  if (issue.format === 'starts_with') return `start with ${JSON.stringify(prefix)}`;
  if (issue.format === 'ends_with') return `end with ${JSON.stringify(suffix)}`;
  if (issue.format === 'includes') return `include ${JSON.stringify(includes)}`;
  return `give a valid ${issue.format}`;
}

/** How to fix one issue, in words; for unknown codes, where to look. */
function hintFor(issue: Issue, input: unknown, path: Path): string {
  switch (issue.code) {
    case 'invalid_type':
      return `${valueAt(input, path) === undefined ? 'this option is required: ' : ''}give ${article(issue.expected)}`;
    case 'invalid_value': {
      const given = valueAt(input, path);
      const allowed = issue.values.map((v) => String(v));
      const near = typeof given === 'string' ? suggestKey(given, allowed) : undefined;
      return `${near ? `did you mean ${JSON.stringify(near)}? ` : ''}use one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    case 'too_small':
    case 'too_big': {
      const bound = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
      const op = issue.code === 'too_small' ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
      if (issue.origin === 'string') return `give a string of ${op} ${plural(bound, 'character')}`;
      if (issue.origin === 'array' || issue.origin === 'set') return `give ${op} ${plural(bound, 'item')}`;
      return `use a value ${op} ${bound}`;
    }
    case 'invalid_format':
      return formatHint(issue);
    case 'not_multiple_of':
      return `use a multiple of ${String(issue.divisor)}`;
    case 'custom': {
      // A refinement names its own fix: `.refine(check, { message, params: { fix: '…' } })`.
      const fix = (issue.params as { fix?: unknown } | undefined)?.fix;
      if (typeof fix === 'string') return fix;
      return 'see the Options table of the plugin README';
    }
    default:
      return 'see the Options table of the plugin README';
  }
}

/** Picks the union branch the input was most likely meant for: one whose type matched, with the fewest issues. */
function closestBranch(branches: readonly (readonly Issue[])[]): number {
  let best = 0;
  let bestScore = Number.POSITIVE_INFINITY;
  branches.forEach((issues, i) => {
    const typeMismatch = issues.some((x) => x.code === 'invalid_type' && x.path.length === 0);
    const score = (typeMismatch ? 1_000 : 0) + issues.length;
    if (score < bestScore) [best, bestScore] = [i, score];
  });
  return best;
}

/**
 * One line per problem: `path: what is wrong (fix: how)`. `schema` and `input` are those the issues' paths are
 * relative to; `base` is where they sit in the options (for a union branch, the union's path).
 */
export function describeOptionIssues(
  schema: unknown,
  input: unknown,
  issues: readonly Issue[],
  base: Path = [],
): string[] {
  return issues.flatMap((issue) => {
    const at = formatOptionPath([...base, ...issue.path]);
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, issue.path);
      return issue.keys.map((key) => {
        const near = suggestKey(key, known);
        const fix = near
          ? `did you mean ${JSON.stringify(near)}?`
          : known.length > 0
            ? `remove it; known options here: ${known.join(', ')}`
            : 'remove it';
        return `${at}: unknown option ${JSON.stringify(key)} (fix: ${fix})`;
      });
    }
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const branch = closestBranch(issue.errors);
      const branchSchema = defOf(schemaAt(schema, issue.path))?.options?.[branch];
      if (branchSchema !== undefined) {
        const sub = valueAt(input, issue.path);
        return describeOptionIssues(branchSchema, sub, issue.errors[branch] ?? [], [...base, ...issue.path]);
      }
    }
    if (issue.code === 'invalid_key' && issue.issues.length > 0) {
      // zod's own message is only "Invalid key in record": say why the key was refused, still without the key.
      const why = issue.issues.map((i) => i.message).join('; ');
      return [`${at}: invalid key: ${why} (fix: rename the key so that it is accepted)`];
    }
    return [`${at}: ${issue.message} (fix: ${hintFor(issue, input, issue.path)})`];
  });
}

/**
 * Parses a plugin's options with its zod schema, or throws one {@link ConfigError} that lists every problem.
 * Call it in the factory, so bad options stop the program at startup rather than at the first request. A
 * refinement says how to fix what it refuses with `params: { fix: '…' }`.
 * @example
 * const options = parseOptions(myOptionsSchema, input, { plugin: 'my-plugin' });
 * // ConfigError: my-plugin: invalid options (2 problems):
 * //   ✖ (options): unknown option "maxLenght" (fix: did you mean "maxLength"?)
 * //   ✖ mode: Invalid option: expected one of "enforce"|"audit" (fix: use one of "enforce", "audit")
 */
export function parseOptions<S extends z.ZodType>(
  schema: S,
  input: unknown,
  context: { plugin: string },
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const lines = describeOptionIssues(schema, input, result.error.issues);
  throw new ConfigError(
    `${context.plugin}: invalid options (${plural(lines.length, 'problem')}):\n${lines.map((l) => `  ✖ ${l}`).join('\n')}`,
    { cause: result.error },
  );
}
