/**
 * The one pattern language of MCP Warden, for everything an operator writes to select tools, prompts, resource
 * URIs, methods or scopes. Patterns are read over `/`-separated strings:
 * - `*` matches any run of characters within one segment (never a `/`), including none;
 * - `**` as a whole segment matches zero or more whole segments (`a/**` matches `a`, `a/` and `a/b/c`);
 *   `**` inside a segment (`a**b`) is the same as `*`;
 * - `{a,b}` is an alternative (nestable, expanded when compiled; at most {@link MAX_PATTERN_EXPANSIONS});
 * - every other character is literal: there is no `?`, no character class and no escape (`?`, `[` and `\` are
 *   URI characters).
 *
 * Matching never builds a RegExp from the pattern: it is a set-of-states walk over the segments, so it takes
 * time linear in the name for a given pattern and cannot backtrack catastrophically.
 */
import { CORE_ERROR_CODES, ConfigError } from './errors.js';
import { formatOptionPath } from './options.js';

/** Most alternatives one pattern may expand to (`{a,b}{c,d}` is four). */
export const MAX_PATTERN_EXPANSIONS = 256;
/** Longest pattern accepted, in UTF-16 code units. */
export const MAX_PATTERN_LENGTH = 4096;

/** Where a pattern was written, so that its error names the option. */
export interface PatternContext {
  /** The plugin (or program) whose options hold the pattern, e.g. `oauth`. */
  readonly plugin?: string;
  /** The option path, as a string (`tools["notes_*"]`) or as path steps (`['tools', 'notes_*']`). */
  readonly path?: string | readonly PropertyKey[];
}

/**
 * A pattern that is not valid in the pattern language (or, in a plugin, one whose meaning changed). A
 * {@link ConfigError}: thrown at setup, never at request time. `problem` says what is wrong, `hint` how to fix it.
 */
export class PatternSyntaxError extends ConfigError {
  readonly pattern: string;
  readonly problem: string;
  readonly hint: string;
  /** The option path the pattern was read from, when known. */
  readonly path: string | undefined;

  constructor(options: { pattern: string; problem: string; hint: string; context?: PatternContext }) {
    const path = pathText(options.context?.path);
    const where = [options.context?.plugin, path].filter((s) => s !== undefined && s !== '').join(': ');
    super(`${where ? `${where}: ` : ''}${options.problem} (fix: ${options.hint})`, {
      code: CORE_ERROR_CODES.PATTERN_INVALID,
    });
    this.pattern = options.pattern;
    this.problem = options.problem;
    this.hint = options.hint;
    this.path = path;
  }
}

function pathText(path: PatternContext['path']): string | undefined {
  if (path === undefined) return undefined;
  return typeof path === 'string' ? path : formatOptionPath(path);
}

/** A pattern compiled once, to test names with. */
export interface CompiledPattern {
  readonly source: string;
  /** The brace-free alternatives the pattern expands to (one when it has no braces). */
  readonly alternatives: readonly string[];
  /** True when no alternative has a wildcard: the pattern matches exactly the names in `alternatives`. */
  readonly literal: boolean;
  /** Whether `name` matches the pattern. */
  test(name: string): boolean;
}

/** One segment of a brace-free pattern. */
export type PatternSegment =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'star' }
  | { readonly kind: 'globstar' }
  /** `prefix*mid*suffix`: the literal parts between stars (at least two parts). */
  | { readonly kind: 'wild'; readonly source: string; readonly parts: readonly string[] };

/**
 * Compiles a pattern, or throws {@link PatternSyntaxError} naming `context`'s option.
 * @example
 * compilePattern('file:///{public,shared}/**').test('file:///public/a/b.md') // true
 * compilePattern('notes_*').test('notes/x') // false: `*` stays within a segment
 */
export function compilePattern(source: string, context?: PatternContext): CompiledPattern {
  const alternatives = expandPattern(source, context);
  const literal = alternatives.every(isLiteralAlternative);
  if (literal) {
    const names = new Set(alternatives);
    return { source, alternatives, literal, test: (name) => names.has(name) };
  }
  const compiled = alternatives.map(parsePatternSegments);
  return {
    source,
    alternatives,
    literal,
    test(name) {
      const segments = name.split('/');
      for (const alternative of compiled) if (matchSegments(alternative, segments)) return true;
      return false;
    },
  };
}

/** True when `source` is a pattern rather than one plain name: it has a `*` or a `{…}` group. */
export function isPattern(source: string): boolean {
  return source.includes('*') || source.includes('{') || source.includes('}');
}

/**
 * Checks the length and expands `{a,b}` alternatives (nested braces allowed), or throws
 * {@link PatternSyntaxError}.
 * @example expandPattern('file:///{public,shared}/*.md') // ['file:///public/*.md', 'file:///shared/*.md']
 */
export function expandPattern(source: string, context?: PatternContext): string[] {
  const fail = (problem: string, hint: string): never => {
    throw new PatternSyntaxError({ pattern: source, problem, hint, ...(context && { context }) });
  };
  if (source.length > MAX_PATTERN_LENGTH)
    fail(`pattern is longer than ${MAX_PATTERN_LENGTH} characters`, 'shorten it or use "**"');
  return expand(source, fail, source);
}

type Fail = (problem: string, hint: string) => never;

function expand(pattern: string, fail: Fail, whole: string): string[] {
  const open = pattern.indexOf('{');
  const close = pattern.indexOf('}');
  if (open === -1 || (close !== -1 && close < open)) {
    if (close !== -1)
      fail(`unbalanced "}" in ${JSON.stringify(whole)}`, 'remove the "}" or add the matching "{"');
    return [pattern];
  }
  // The matching close brace of the first open brace, splitting its top-level alternatives on commas.
  let depth = 0;
  const alternatives: string[] = [];
  let start = open + 1;
  let end = -1;
  for (let i = open; i < pattern.length && end === -1; i++) {
    const ch = pattern[i];
    if (ch === '{') depth++;
    else if (ch === '}') {
      depth--;
      if (depth === 0) {
        alternatives.push(pattern.slice(start, i));
        end = i;
      }
    } else if (ch === ',' && depth === 1) {
      alternatives.push(pattern.slice(start, i));
      start = i + 1;
    }
  }
  if (end === -1)
    fail(`unbalanced "{" in ${JSON.stringify(whole)}`, 'close every "{" with "}", e.g. "{a,b}"');
  const prefix = pattern.slice(0, open);
  const suffixes = expand(pattern.slice(end + 1), fail, whole);
  const out: string[] = [];
  for (const alternative of alternatives) {
    for (const head of expand(alternative, fail, whole)) {
      for (const tail of suffixes) {
        out.push(prefix + head + tail);
        if (out.length > MAX_PATTERN_EXPANSIONS)
          fail(
            `${JSON.stringify(whole)} expands to more than ${MAX_PATTERN_EXPANSIONS} alternatives`,
            'split it into several patterns or use "*"',
          );
      }
    }
  }
  return out;
}

/** True when the brace-free alternative has no wildcard. */
export function isLiteralAlternative(alternative: string): boolean {
  return !alternative.includes('*');
}

/** Splits a brace-free alternative into segment patterns. */
export function parsePatternSegments(alternative: string): PatternSegment[] {
  return alternative.split('/').map((segment): PatternSegment => {
    if (segment === '**') return { kind: 'globstar' };
    if (!segment.includes('*')) return { kind: 'literal', text: segment };
    const parts = segment.split('*');
    if (parts.every((p) => p === '')) return { kind: 'star' };
    // `a**b` splits into ['a', '', 'b']; empty middle parts are harmless for matching.
    return { kind: 'wild', source: segment, parts };
  });
}

/**
 * Matches one segment against `parts` (a segment split on `*`): the first part is a prefix, the last a suffix,
 * and the middle parts occur in order; taking each middle part at its leftmost position is always correct.
 */
export function matchWildSegment(parts: readonly string[], segment: string): boolean {
  const first = parts[0] ?? '';
  const last = parts[parts.length - 1] ?? '';
  if (segment.length < first.length + last.length) return false;
  if (!segment.startsWith(first) || !segment.endsWith(last)) return false;
  let pos = first.length;
  const limit = segment.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i] ?? '';
    if (part === '') continue;
    const at = segment.indexOf(part, pos);
    if (at === -1 || at + part.length > limit) return false;
    pos = at + part.length;
  }
  return true;
}

/** Whether one segment pattern (not `**`) matches one segment of a name. */
export function matchSegment(pattern: PatternSegment, segment: string): boolean {
  switch (pattern.kind) {
    case 'literal':
      return pattern.text === segment;
    case 'star':
    case 'globstar':
      return true;
    case 'wild':
      return matchWildSegment(pattern.parts, segment);
  }
}

/**
 * Walks the name's segments with the set of pattern positions that can still match (an NFA simulation: every
 * position at most once per segment), so the cost is O(segments × pattern segments), with no backtracking.
 */
function matchSegments(pattern: readonly PatternSegment[], segments: readonly string[]): boolean {
  const m = pattern.length;
  let active = new Uint8Array(m + 1);
  let next = new Uint8Array(m + 1);
  const close = (set: Uint8Array): void => {
    // A `**` may match zero segments: the position after it is active too.
    for (let i = 0; i < m; i++) if (set[i] === 1 && pattern[i]?.kind === 'globstar') set[i + 1] = 1;
  };
  active[0] = 1;
  close(active);
  for (const segment of segments) {
    next.fill(0);
    let any = false;
    for (let i = 0; i < m; i++) {
      if (active[i] !== 1) continue;
      const p = pattern[i] as PatternSegment;
      if (p.kind === 'globstar') {
        next[i] = 1;
        any = true;
      } else if (matchSegment(p, segment)) {
        next[i + 1] = 1;
        any = true;
      }
    }
    if (!any) return false;
    close(next);
    [active, next] = [next, active];
  }
  return active[m] === 1;
}
