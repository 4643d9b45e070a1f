/** How one rule is applied: `enforce` changes the text (or refuses), `audit` only records, `off` skips it. */
export type RuleMode = 'off' | 'audit' | 'enforce';

/** A rule setting in configuration: `true` is `enforce`, `false` is `off`. */
export type RuleSetting = RuleMode | boolean;

/** What a rule does to what it finds when enforced. */
export type RuleAction = 'remove' | 'redact' | 'escape' | 'flag' | 'refuse';

/** The family a rule belongs to; also usable as a group name in configuration. */
export type RuleCategory = 'invisible' | 'terminal' | 'secrets' | 'pii' | 'injection' | 'markup';

/** One thing a rule found. Never carries the matched text (it may be a secret). */
export interface Finding {
  /** Rule id, e.g. `unicode-tags`, `aws-access-key-id`. */
  readonly rule: string;
  readonly category: RuleCategory;
  /** Sub-kind where a rule has several (e.g. `osc-52`, `csi` for `terminal-escapes`). */
  readonly kind?: string;
  /**
   * UTF-16 offsets of the match in the text the rule saw. Rules run in stages (invisible/terminal, then
   * secrets/PII/injection/SQL together, then markup), and each stage sees the output of the one before.
   */
  readonly start: number;
  readonly end: number;
  /** How many occurrences this finding stands for (adjacent removals of one rule are merged). */
  readonly count: number;
  readonly action: RuleAction;
  /** True when the rule was enforced (the text was changed or the request refused); false in audit mode. */
  readonly enforced: boolean;
}

/** The result of {@link sanitizeText}. */
export interface SanitizeTextResult {
  /** The sanitized text; the very same string when nothing was changed. */
  readonly text: string;
  readonly changed: boolean;
  /** Findings in order of the stages; capped at {@link MAX_FINDINGS} entries (see `truncated`). */
  readonly findings: readonly Finding[];
  /** True when more findings existed than were kept; `counts` stays exact. */
  readonly truncated: boolean;
}

/** Findings per rule, as summed up for events. */
export interface RuleCount {
  readonly rule: string;
  readonly category: RuleCategory;
  readonly count: number;
  readonly action: RuleAction;
  readonly enforced: boolean;
  /** Sub-kinds and their counts (e.g. `{ "osc-52": 1 }`), when the rule reports kinds. */
  readonly kinds?: Readonly<Record<string, number>>;
}

/** The most findings one call keeps in its list. */
export const MAX_FINDINGS = 1000;
