/**
 * Rule patterns (`match.methods`, `match.targets`, `costs`) in core's one pattern language (see core's README,
 * "Patterns"): `*` within a `/` segment, `**` whole segments, `{a,b}` alternatives, everything else literal.
 *
 * These options used to read `*` across `/`. A spelling whose matches changed on what it is matched against (a
 * method such as `resources/templates/list`, a `resource:` target's URI) is refused when the rules are compiled,
 * with the spelling that keeps its meaning: a budget must not quietly count fewer (or other) requests.
 */
import {
  checkLegacyPattern,
  compilePattern,
  type LegacyPatternOptions,
  MCP_METHOD_NAMES,
  type PatternContext,
  PatternIndex,
} from '@mcp-warden/core';

/** What a pattern is matched against: JSON-RPC methods, or targets as `tool:name` / `prompt:name` / `resource:uri`. */
export type PatternKind = 'method' | 'target';

/** Targets of tools and prompts are names, which have no `/`; any other target pattern may reach a URI. */
function legacyTargets(kind: PatternKind, source: string): LegacyPatternOptions['targets'] {
  if (kind === 'method') return MCP_METHOD_NAMES;
  return source.startsWith('tool:') || source.startsWith('prompt:') ? 'names' : 'paths';
}

/** Compiles one rule pattern, refusing an invalid one or one whose meaning changed (`PatternSyntaxError`). */
function compileRulePattern(source: string, kind: PatternKind, context: PatternContext | undefined) {
  checkLegacyPattern(source, { legacy: 'wildcard', targets: legacyTargets(kind, source) }, context);
  return compilePattern(source, context);
}

/** A set of patterns compiled once: exact ones by lookup, the others in a segment trie. */
export class PatternSet {
  readonly #index = new PatternIndex<true>();

  /** @param at where the patterns were written (`rules[0].match.methods`), for errors. */
  constructor(patterns: readonly string[], kind: PatternKind, at?: PatternContext) {
    patterns.forEach((pattern, i) => {
      const context = at && { ...at, path: `${String(at.path ?? '')}[${i}]` };
      this.#index.add(compileRulePattern(pattern, kind, context), true);
    });
  }

  matches(text: string): boolean {
    const found: true[] = [];
    this.#index.collect(text, found);
    return found.length > 0;
  }
}

/** Ordered pattern → value table: the first entry whose pattern matches wins. */
export class PatternTable<T> {
  readonly #index = new PatternIndex<number>();
  readonly #values: T[] = [];

  /** @param at where the table was written (`rules[0].costs`), for errors. */
  constructor(entries: readonly (readonly [string, T])[], kind: PatternKind, at?: PatternContext) {
    entries.forEach(([pattern, value], i) => {
      const context = at && { ...at, path: `${String(at.path ?? '')}[${JSON.stringify(pattern)}]` };
      this.#index.add(compileRulePattern(pattern, kind, context), i);
      this.#values.push(value);
    });
  }

  lookup(text: string): T | undefined {
    const found: number[] = [];
    this.#index.collect(text, found);
    if (found.length === 0) return undefined;
    return this.#values[Math.min(...found)];
  }
}
