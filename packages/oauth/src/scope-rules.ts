/**
 * Scope rules (`pattern → scopes`) for methods, tools, prompts and resources, in core's one pattern language
 * (see core's README, "Patterns"): `*` within a `/` segment, `**` whole segments, `{a,b}` alternatives.
 *
 * These options used to read `*` across `/` and `?` as one character. A spelling whose matches changed on what the
 * option is matched against (a method such as `resources/templates/list`, a resource URI) is refused at setup with
 * the spelling that keeps its meaning: a scope rule that quietly matched less would ask for fewer scopes.
 */
import {
  checkLegacyPattern,
  compilePattern,
  type LegacyPatternOptions,
  MCP_METHOD_NAMES,
  PatternIndex,
} from '@mcp-warden/core';

/** The options that hold scope rules, and what each is matched against. */
export type ScopeRuleOption = 'methods' | 'tools' | 'prompts' | 'resources';

const TARGETS: Record<ScopeRuleOption, LegacyPatternOptions['targets']> = {
  methods: MCP_METHOD_NAMES,
  tools: 'names',
  prompts: 'names',
  resources: 'paths',
};

/** A compiled set of `pattern → scopes` rules. Every matching rule applies. */
export class ScopeRules {
  readonly #index = new PatternIndex<readonly string[]>();
  readonly #size: number;

  /**
   * @param option which option the rules come from (decides the move-from-old-wildcards check and names the
   *   option in a `PatternSyntaxError`).
   * @throws PatternSyntaxError for a pattern that is not valid, or whose meaning changed.
   */
  constructor(
    rules: Readonly<Record<string, readonly string[]>> = {},
    option: ScopeRuleOption,
    plugin = 'oauth',
  ) {
    const entries = Object.entries(rules);
    for (const [pattern, scopes] of entries) {
      const context = { plugin, path: [option, pattern] };
      checkLegacyPattern(
        pattern,
        { legacy: 'wildcard', questionMark: true, targets: TARGETS[option] },
        context,
      );
      this.#index.add(compilePattern(pattern, context), scopes);
    }
    this.#size = entries.length;
  }

  /** Adds the scopes of every rule matching `name` to `into`. */
  collect(name: string, into: Set<string>): void {
    const found: (readonly string[])[] = [];
    this.#index.collect(name, found);
    for (const scopes of found) for (const scope of scopes) into.add(scope);
  }

  get size(): number {
    return this.#size;
  }
}
