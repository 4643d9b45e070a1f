/**
 * The ACL's glob language, over `/`-separated strings (tool names, prompt names, canonical URIs):
 * - `*` matches any run of characters within one segment (no `/`), including none;
 * - `**` as a whole segment matches zero or more whole segments (`a/**` matches `a`, `a/` and `a/b/c`);
 *   `**` inside a segment (`a**b`) is the same as `*`;
 * - `{a,b}` is an alternative (nestable, expanded before matching; at most {@link MAX_BRACE_EXPANSIONS});
 * - every other character is literal (there is no `?`, no character class and no escape: `?` is a URI character).
 *
 * Matching never uses regular expressions, so it cannot backtrack catastrophically.
 */

/** Most alternatives one target pattern may expand to. */
export const MAX_BRACE_EXPANSIONS = 256;

export class GlobSyntaxError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'GlobSyntaxError';
  }
}

/**
 * Expands `{a,b}` alternatives (nested braces allowed).
 * @example expandBraces('file:///{public,shared}/*.md') // ['file:///public/*.md', 'file:///shared/*.md']
 */
export function expandBraces(pattern: string, limit = MAX_BRACE_EXPANSIONS): string[] {
  const open = pattern.indexOf('{');
  const close = pattern.indexOf('}');
  if (open === -1 || (close !== -1 && close < open)) {
    if (close !== -1)
      throw new GlobSyntaxError(
        `unbalanced "}" in ${JSON.stringify(pattern)}`,
        'remove the "}" or add the matching "{"',
      );
    return [pattern];
  }
  // Find the matching close brace of the first open brace, splitting top-level alternatives on commas.
  let depth = 0;
  const alternatives: string[] = [];
  let start = open + 1;
  let end = -1;
  for (let i = open; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '{') depth++;
    else if (ch === '}') {
      depth--;
      if (depth === 0) {
        alternatives.push(pattern.slice(start, i));
        end = i;
        break;
      }
    } else if (ch === ',' && depth === 1) {
      alternatives.push(pattern.slice(start, i));
      start = i + 1;
    }
  }
  if (end === -1)
    throw new GlobSyntaxError(
      `unbalanced "{" in ${JSON.stringify(pattern)}`,
      'close every "{" with "}", e.g. "{a,b}"',
    );
  const prefix = pattern.slice(0, open);
  const suffixes = expandBraces(pattern.slice(end + 1), limit);
  const out: string[] = [];
  for (const alternative of alternatives) {
    for (const head of expandBraces(alternative, limit)) {
      for (const tail of suffixes) {
        out.push(prefix + head + tail);
        if (out.length > limit) {
          throw new GlobSyntaxError(
            `${JSON.stringify(pattern)} expands to more than ${limit} alternatives`,
            'split it into several targets or use "*"',
          );
        }
      }
    }
  }
  return out;
}

/** One segment of a compiled glob. */
export type SegmentPattern =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'star' }
  | { readonly kind: 'globstar' }
  /** `prefix*mid*suffix`: the literal parts between stars (at least two parts). */
  | { readonly kind: 'wild'; readonly source: string; readonly parts: readonly string[] };

/** Splits a brace-free glob into segment patterns. */
export function parseSegments(glob: string): SegmentPattern[] {
  return glob.split('/').map((segment): SegmentPattern => {
    if (segment === '**') return { kind: 'globstar' };
    if (!segment.includes('*')) return { kind: 'literal', text: segment };
    const parts = segment.split('*');
    if (parts.every((p) => p === '')) return { kind: 'star' };
    // `a**b` splits into ['a', '', 'b']; empty middle parts are harmless for matching.
    return { kind: 'wild', source: segment, parts };
  });
}

/** True when the brace-free glob has no wildcard. */
export function isLiteralGlob(glob: string): boolean {
  return !glob.includes('*');
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
