/**
 * Pattern rules (secrets, PII, injection markers, SQL keywords) and the engine that runs a set of them over a
 * text in one go.
 *
 * Linear time, by construction:
 * - every regex is a literal anchor or a small character class followed by *bounded* quantifiers only
 *   (`{m,n}`, never `*`, `+` or `{m,}`); quantified groups only repeat a delimiter-separated unit, so there is a
 *   single way to match each prefix. Each start position therefore costs at most a constant (the sum of the
 *   bounds), and a scan O(n · k) with a fixed k. `linear-time.test.ts` checks the sources for unbounded
 *   quantifiers and feeds each rule 100 KB of near-matches built for it.
 * - all literal anchors of all active rules are found in one pass (an Aho-Corasick automaton, `anchor-index.ts`);
 *   a rule whose anchors are absent costs nothing, and most rules are sticky regexes (`at`) tried only at their
 *   anchor positions, never a scan of the whole text;
 * - rules that start with a left-boundary look-behind enter a long run of token characters once, not at each of
 *   its positions;
 * - rules that would need an unbounded search (PEM blocks, HTML comments, e-mail local parts) use `find`, a
 *   hand-written scanner built on `indexOf` with memoised look-ups.
 */
import { type AnchorEntry, AnchorIndex } from './anchor-index.js';
import type { FindingCollector } from './findings.js';
import type { RuleAction, RuleCategory, RuleMode } from './types.js';

/** Options pattern validators can read. */
export interface PatternContext {
  /** Minimum Shannon entropy (bits per character) of a generic secret value. */
  readonly entropyThreshold: number;
}

/** One pattern rule. */
export interface PatternRule {
  /** Stable kebab-case id, used in the redaction marker `[REDACTED:<id>]`. */
  readonly id: string;
  readonly title: string;
  readonly category: Extract<RuleCategory, 'secrets' | 'pii' | 'injection' | 'markup'>;
  /** `redact` replaces the match; `flag` only records it; `refuse` refuses the request when enforced. */
  readonly action: Extract<RuleAction, 'redact' | 'flag' | 'refuse'>;
  /** Case-sensitive literals; the rule runs only when the text contains at least one. */
  readonly anchors?: readonly string[];
  /** Lower-case literals matched ignoring ASCII case (e.g. `password`); same role as `anchors`. */
  readonly anchorsCI?: readonly string[];
  /** An extra regex (no `g`) that must match before the rule runs (checked after the anchors). */
  readonly prefilter?: RegExp;
  /** A global (`g`) regex with bounded quantifiers only; add the `d` flag when `group` is set. */
  readonly pattern?: RegExp;
  /**
   * A sticky (`y`) regex tried at each anchor position instead of a global `pattern` (for rules whose anchors
   * are common words, e.g. `key`, so the rule costs one anchored test per occurrence). Add `d` with `group`.
   */
  readonly at?: RegExp;
  /** With `at`: try the regex this many characters before each anchor (an anchor inside the token). @default 0 */
  readonly back?: number;
  /** Capture group to redact instead of the whole match (e.g. only the password of a URL). */
  readonly group?: number;
  /** Extra check of a match (checksum, entropy, placeholder); receives the redacted part. */
  readonly validate?: (value: string, ctx: PatternContext) => boolean;
  /** A hand-written linear matcher instead of `pattern`: calls `emit(start, end)` for each match, in order. */
  readonly find?: (text: string, emit: (start: number, end: number, kind?: string) => void) => void;
}

interface Match {
  start: number;
  end: number;
  rule: PatternRule;
  priority: number;
  enforced: boolean;
  kind: string | undefined;
}

/** A compiled, ordered set of pattern rules with their modes. */
export class PatternSet {
  readonly #rules: {
    rule: PatternRule;
    mode: Exclude<RuleMode, 'off'>;
    priority: number;
    anchored: boolean;
  }[] = [];
  readonly #index: AnchorIndex;

  constructor(
    rules: readonly { rule: PatternRule; mode: RuleMode }[],
    readonly ctx: PatternContext,
  ) {
    const entries: AnchorEntry[] = [];
    for (const { rule, mode } of rules) {
      if (mode === 'off') continue;
      const index = this.#rules.length;
      const positional = rule.at !== undefined;
      for (const anchor of rule.anchors ?? []) entries.push({ anchor, ci: false, rule: index, positional });
      for (const anchor of rule.anchorsCI ?? [])
        entries.push({ anchor: anchor.toLowerCase(), ci: true, rule: index, positional });
      const anchored = (rule.anchors?.length ?? 0) + (rule.anchorsCI?.length ?? 0) > 0;
      this.#rules.push({ rule, mode, priority: index, anchored });
    }
    this.#index = new AnchorIndex(entries);
  }

  get size(): number {
    return this.#rules.length;
  }

  /**
   * Runs every rule on `text`; records findings; returns the text with enforced `redact` matches replaced by
   * `[REDACTED:<id>]` (the same string when none). With `redactionsOnly`, only enforced redactions are recorded:
   * a pass over text already redacted once must not count its audit and flag findings twice.
   */
  apply(text: string, sink: FindingCollector | undefined, redactionsOnly = false): string {
    if (this.#rules.length === 0 || text.length === 0) return text;
    const hits = this.#index.size > 0 ? this.#index.scan(text) : undefined;

    const matches: Match[] = [];
    for (let index = 0; index < this.#rules.length; index++) {
      const entry = this.#rules[index];
      if (entry === undefined) continue;
      const { rule, mode, priority } = entry;
      if (entry.anchored && !hits?.rules.has(index)) continue;
      if (rule.prefilter && !rule.prefilter.test(text)) continue;
      const enforced = mode === 'enforce';
      const push = (start: number, end: number, kind?: string): void => {
        if (end <= start || text.startsWith('[REDACTED:', start)) return;
        matches.push({ start, end, rule, priority, enforced, kind });
      };
      if (rule.find) {
        rule.find(text, push);
        continue;
      }
      if (rule.at) {
        const re = rule.at;
        const back = rule.back ?? 0;
        let last = -1;
        for (const position of hits?.positions.get(index) ?? []) {
          const start = Math.max(0, position - back);
          if (start === last) continue;
          last = start;
          re.lastIndex = start;
          const m = re.exec(text);
          if (m !== null) this.#accept(rule, m, text, push);
        }
        continue;
      }
      const re = rule.pattern;
      if (re === undefined) continue;
      re.lastIndex = 0;
      for (let m = re.exec(text); m !== null; m = re.exec(text)) {
        if (!this.#accept(rule, m, text, push)) {
          // Resume right after the match start so an overlapping real match is still found.
          re.lastIndex = m.index + 1;
          continue;
        }
        if (m[0].length === 0) re.lastIndex++;
      }
    }
    if (matches.length === 0) return text;
    matches.sort((a, b) => a.start - b.start || b.end - a.end || a.priority - b.priority);

    let out = '';
    let copied = 0;
    let covered = 0;
    let changed = false;
    for (const match of matches) {
      const action = match.rule.action;
      // One redaction per span: a match overlapping an earlier (more specific or longer) one is the same secret.
      if (action === 'redact') {
        if (match.start < covered) continue;
        covered = match.end;
      }
      const redacts = action === 'redact' && match.enforced;
      if (redactionsOnly && !redacts) continue;
      sink?.add(
        match.rule.id,
        match.rule.category,
        action,
        match.enforced,
        match.start,
        match.end,
        match.kind,
      );
      if (!redacts) continue;
      out += `${text.slice(copied, match.start)}[REDACTED:${match.rule.id}]`;
      copied = match.end;
      changed = true;
    }
    if (!changed) return text;
    return out + text.slice(copied);
  }

  /** Validates a match and reports its span (or its group's); false when rejected. */
  #accept(
    rule: PatternRule,
    m: RegExpExecArray,
    text: string,
    push: (start: number, end: number) => void,
  ): boolean {
    let start = m.index;
    let end = start + m[0].length;
    if (rule.group !== undefined) {
      const span = m.indices?.[rule.group];
      if (span === undefined) return false;
      [start, end] = span;
    }
    if (rule.validate && !rule.validate(text.slice(start, end), this.ctx)) return false;
    push(start, end);
    return true;
  }
}

/** Shannon entropy of `value` in bits per character. */
export function shannonEntropy(value: string): number {
  if (value.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let entropy = 0;
  const length = [...value].length;
  for (const n of counts.values()) {
    const p = n / length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}
