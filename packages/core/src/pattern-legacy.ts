/**
 * The move to the one pattern language from the wildcards some plugins read before: oauth and ratelimit matched
 * `*` across `/` (and oauth `?` as one character); sanitize's per-target keys were exact names or a `prefix*`.
 * A spelling whose meaning changed on the strings an option is matched against is refused at setup, with the
 * spelling that keeps the old meaning, so that no rule widens or narrows silently.
 *
 * A pattern with a `{…}` group is read in the pattern language only: braces did not exist in those options, so
 * whoever wrote one wrote the new language (`{*}` is one segment, `{?}` a literal `?`). A whole-segment `**` is
 * accepted as the new spelling it is: it matches what `*` did across segments, and also zero segments
 * (`file:///private/**` matches `file:///private` itself), a widening by the parent only.
 */
import { compilePattern, type PatternContext, PatternSyntaxError } from './pattern.js';

/**
 * Every MCP method name (2025-06-18 to 2026-07-28, requests and notifications): the strings a pattern over
 * JSON-RPC methods is matched against.
 */
export const MCP_METHOD_NAMES: readonly string[] = [
  'initialize',
  'ping',
  'server/discover',
  'tools/list',
  'tools/call',
  'prompts/list',
  'prompts/get',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'completion/complete',
  'logging/setLevel',
  'subscriptions/listen',
  'sampling/createMessage',
  'elicitation/create',
  'roots/list',
  'tasks/get',
  'tasks/result',
  'tasks/list',
  'tasks/cancel',
  'notifications/initialized',
  'notifications/cancelled',
  'notifications/progress',
  'notifications/message',
  'notifications/resources/updated',
  'notifications/resources/list_changed',
  'notifications/tools/list_changed',
  'notifications/prompts/list_changed',
  'notifications/roots/list_changed',
  'notifications/tasks/status',
];

export interface LegacyPatternOptions {
  /**
   * What the option's old reading was: `wildcard` (`*` any run of characters, `/` included) or `prefix` (an
   * exact name, or a name ending in `*` for a prefix; any other `*` literal).
   */
  readonly legacy: 'wildcard' | 'prefix';
  /** Whether `?` matched exactly one character. @default false */
  readonly questionMark?: boolean;
  /**
   * What the pattern is matched against: `names` (never a `/`: tool and prompt names), `paths` (any string,
   * `/` included: resource URIs, `resource:`-prefixed targets), or the full list of strings (e.g.
   * {@link MCP_METHOD_NAMES}), so that only a pattern whose matches on that list changed is refused.
   */
  readonly targets: 'names' | 'paths' | readonly string[];
}

/**
 * Throws {@link PatternSyntaxError} when `source`, read the old way, matches other strings than it does in the
 * pattern language; returns otherwise (the caller still compiles it with `compilePattern`).
 * @example
 * checkLegacyPattern('resources/*', { legacy: 'wildcard', targets: MCP_METHOD_NAMES }, { plugin: 'oauth', path: 'methods' })
 * // PatternSyntaxError: oauth: methods: "resources/*" no longer matches "resources/templates/list" … (fix: write "resources/**" …)
 */
export function checkLegacyPattern(
  source: string,
  options: LegacyPatternOptions,
  context?: PatternContext,
): void {
  if (source.includes('{') || source.includes('}')) return;
  const refuse = (problem: string, hint: string): never => {
    throw new PatternSyntaxError({ pattern: source, problem, hint, ...(context && { context }) });
  };
  const shown = JSON.stringify(source);
  if (options.questionMark && source.includes('?'))
    refuse(
      `"?" in ${shown} matched one character before; in the pattern language it is a literal "?"`,
      'write "*" for any run of characters within a segment, or "{?}" for a literal "?"',
    );
  if (options.legacy === 'prefix') {
    // A whole-segment `**` is new: before, it was a literal `*` and a prefix, which nobody meant.
    if (source.split('/').includes('**')) return;
    const stars = crossingStars(source);
    const trailing = source.endsWith('*') && stars.includes(source.length - 1);
    if (stars.some((at) => at !== source.length - 1))
      refuse(
        `"*" inside ${shown} was a literal character before; it is a wildcard now`,
        `name the target without "*", or write ${JSON.stringify(`{${source}}`)} to use "*" as the wildcard`,
      );
    if (trailing && options.targets !== 'names')
      changed(
        source,
        `matched every name starting with ${JSON.stringify(source.slice(0, -1))} before`,
        refuse,
      );
    return;
  }
  if (options.targets === 'names') return;
  if (options.targets === 'paths') {
    if (crossingStars(source).length > 0) changed(source, 'could match across "/" before', refuse);
    return;
  }
  const now = compilePattern(source, context);
  for (const target of options.targets) {
    if (wildcardMatch(source, target, options.questionMark === true) !== now.test(target))
      changed(
        source,
        `${now.test(target) ? 'now matches' : 'no longer matches'} ${JSON.stringify(target)}`,
        refuse,
      );
  }
}

function changed(source: string, what: string, refuse: (problem: string, hint: string) => never): never {
  const keep = keepingSpelling(source);
  const one = JSON.stringify(`{${source}}`);
  return refuse(
    `${JSON.stringify(source)} ${what}; in the pattern language "*" stays within one "/" segment`,
    keep
      ? `write ${JSON.stringify(keep)} to keep the old meaning ("**" spans segments), or ${one} for the new one`
      : `use "**" for whole segments (e.g. "a/**/b"), or write ${one} for the new meaning`,
  );
}

// Positions of the `*`s that could match a `/` in the old reading but not in the new one: every star outside a
// whole-segment `**`, except a run at the end of a segment followed by a `**` segment, or at its start after one
// (`a*/**`, `**/*.md`: the `**` takes whatever the old star took past the `/`).
function crossingStars(source: string): number[] {
  const out: number[] = [];
  const segments = source.split('/');
  let start = 0;
  segments.forEach((segment, s) => {
    if (segment !== '**' && segment.includes('*')) {
      const lead = segment.length - segment.replace(/^\*+/, '').length;
      const trail = segment.length - segment.replace(/\*+$/, '').length;
      const covered = (i: number) =>
        (i < lead && segments[s - 1] === '**') || (i >= segment.length - trail && segments[s + 1] === '**');
      for (let i = 0; i < segment.length; i++) if (segment[i] === '*' && !covered(i)) out.push(start + i);
    }
    start += segment.length + 1;
  });
  return out;
}

// The pattern-language spelling of a `*`-across-`/` pattern: a run of stars at the start or end of a segment
// becomes a `**` segment next to it (`a*` → `a*/**`, `*.md` → `**/*.md`, `*` → `**`). `undefined` when a star sits
// inside a segment (`a*b`): that needs two patterns.
export function keepingSpelling(source: string): string | undefined {
  const out: string[] = [];
  for (const segment of source.split('/')) {
    if (segment === '**' || !segment.includes('*')) {
      out.push(segment);
      continue;
    }
    const core = segment.replace(/^\*+/, '').replace(/\*+$/, '');
    if (core.includes('*')) return undefined;
    if (core === '') {
      out.push('**');
      continue;
    }
    if (segment.startsWith('*')) out.push('**');
    out.push(segment);
    if (segment.endsWith('*')) out.push('**');
  }
  const joined: string[] = [];
  for (const segment of out)
    if (!(segment === '**' && joined[joined.length - 1] === '**')) joined.push(segment);
  return joined.join('/');
}

/** The old reading: `*` any run of characters (`/` included), `?` one character when `questionMark`. */
export function wildcardMatch(pattern: string, text: string, questionMark: boolean): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    const pc = pattern[p];
    if (pc !== undefined && pc !== '*' && (pc === text[t] || (questionMark && pc === '?'))) {
      p++;
      t++;
    } else if (pc === '*') {
      starP = p++;
      starT = t;
    } else if (starP !== -1) {
      p = starP + 1;
      t = ++starT;
    } else return false;
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}
