/**
 * The rule catalogue, rule configuration, and compiled rule sets.
 */
import { ConfigError } from '@mcp-warden/core';
import { CONTROL_RULE_IDS, type ControlScanModes } from './control-scan.js';
import { SANITIZE_ERROR_CODES } from './errors.js';
import { INJECTION_RULES } from './injection.js';
import { SQL_KEYWORDS_RULE } from './markup.js';
import { type PatternContext, type PatternRule, PatternSet } from './pattern-rule.js';
import { PII_RULES } from './pii.js';
import { SECRET_RULES } from './secrets.js';
import type { RuleAction, RuleCategory, RuleMode, RuleSetting } from './types.js';

/** Description of one rule. */
export interface RuleInfo {
  readonly id: string;
  readonly category: RuleCategory;
  readonly action: RuleAction;
  readonly title: string;
  /** Mode on tool results and other output when not configured. */
  readonly defaultOutput: RuleMode;
  /** Mode on tool/prompt arguments when not configured. */
  readonly defaultInput: RuleMode;
}

/**
 * Rule configuration: rule ids, category names (`invisible`, `terminal`, `secrets`, `pii`, `injection`,
 * `markup`) or `all`, each mapped to `'enforce' | 'audit' | 'off'` (or `true`/`false`). Ids win over categories,
 * categories over `all`, whatever the key order.
 *
 * @example { secrets: 'enforce', 'generic-secret': 'audit', pii: 'enforce', 'pii-phone': false }
 */
export type RulesConfig = Readonly<Record<string, RuleSetting>>;

const CONTROL_INFO: readonly RuleInfo[] = [
  {
    id: CONTROL_RULE_IDS.tags,
    category: 'invisible',
    action: 'remove',
    title: 'Unicode tag characters U+E0000–U+E007F (outside the RGI flags of England, Scotland and Wales)',
    defaultOutput: 'enforce',
    defaultInput: 'enforce',
  },
  {
    id: CONTROL_RULE_IDS.bidi,
    category: 'invisible',
    action: 'remove',
    title: 'Bidi embedding, override and isolate controls (Trojan Source)',
    defaultOutput: 'enforce',
    defaultInput: 'enforce',
  },
  {
    id: CONTROL_RULE_IDS.invisible,
    category: 'invisible',
    action: 'remove',
    title:
      'Zero-width and other invisible format characters (joiners kept where a script or emoji needs them)',
    defaultOutput: 'enforce',
    defaultInput: 'enforce',
  },
  {
    id: CONTROL_RULE_IDS.variation,
    category: 'invisible',
    action: 'remove',
    title: 'Variation selectors VS1–VS256 not attached to a base that takes them (byte smuggling)',
    defaultOutput: 'enforce',
    defaultInput: 'enforce',
  },
  {
    id: CONTROL_RULE_IDS.escapes,
    category: 'terminal',
    action: 'remove',
    title:
      'Terminal escape sequences: CSI, OSC (incl. OSC 8 links, OSC 52 clipboard), DCS, SOS, PM, APC, 8-bit C1 introducers',
    defaultOutput: 'enforce',
    defaultInput: 'enforce',
  },
  {
    id: CONTROL_RULE_IDS.controls,
    category: 'terminal',
    action: 'remove',
    title: 'C0 controls except TAB/LF/CR and BS, DEL, C1 controls',
    defaultOutput: 'enforce',
    defaultInput: 'enforce',
  },
  {
    id: CONTROL_RULE_IDS.overwrite,
    category: 'terminal',
    action: 'remove',
    title:
      'Terminal overwrite tricks: a carriage return outside CRLF (becomes a line feed) and backspace (removed)',
    defaultOutput: 'enforce',
    defaultInput: 'enforce',
  },
];

function infoOf(rule: PatternRule, defaultOutput: RuleMode, defaultInput: RuleMode): RuleInfo {
  return {
    id: rule.id,
    category: rule.category,
    action: rule.action,
    title: rule.title,
    defaultOutput,
    defaultInput,
  };
}

const PATTERN_RULES: readonly PatternRule[] = [
  ...SECRET_RULES,
  ...PII_RULES,
  ...INJECTION_RULES,
  SQL_KEYWORDS_RULE,
];

/** Every built-in rule, with its defaults. */
export const RULES: readonly RuleInfo[] = [
  ...CONTROL_INFO,
  ...SECRET_RULES.map((r) => infoOf(r, 'enforce', 'off')),
  ...PII_RULES.map((r) => infoOf(r, 'off', 'off')),
  ...INJECTION_RULES.map((r) => infoOf(r, 'audit', 'off')),
  {
    id: 'html-escape',
    category: 'markup',
    action: 'escape',
    title: 'HTML-escape text rendered into HTML (enable per tool)',
    defaultOutput: 'off',
    defaultInput: 'off',
  },
  infoOf(SQL_KEYWORDS_RULE, 'off', 'off'),
];

const RULE_BY_ID = new Map(RULES.map((r) => [r.id, r]));
export const RULE_CATEGORIES: readonly RuleCategory[] = [
  'invisible',
  'terminal',
  'secrets',
  'pii',
  'injection',
  'markup',
];

/** Returns the description of a built-in rule, or undefined. */
export function getRule(id: string): RuleInfo | undefined {
  return RULE_BY_ID.get(id);
}

/** Thrown by {@link compileRules} for an unknown rule id or a bad setting: a core `ConfigError`. */
export class RuleConfigError extends ConfigError {
  declare readonly code: typeof SANITIZE_ERROR_CODES.RULES_INVALID;
  constructor(message: string) {
    super(message, { code: SANITIZE_ERROR_CODES.RULES_INVALID });
  }
}

function toMode(setting: RuleSetting, key: string): RuleMode {
  if (setting === true) return 'enforce';
  if (setting === false) return 'off';
  if (setting === 'enforce' || setting === 'audit' || setting === 'off') return setting;
  throw new RuleConfigError(`rule setting for "${key}" must be "enforce", "audit", "off", true or false`);
}

/** Options of {@link compileRules}. */
export interface CompileOptions {
  /** Start from the output defaults (`'output'`, tool results) or the input defaults (`'input'`, arguments). @default 'output' */
  readonly direction?: 'input' | 'output';
  /** Minimum Shannon entropy (bits/char) for `generic-secret` and `authorization-bearer` values. @default 2.8 */
  readonly entropyThreshold?: number;
}

/** A rule set ready to run: build once (e.g. at setup), use for every text. Immutable. */
export interface CompiledRules {
  readonly modes: ReadonlyMap<string, RuleMode>;
  readonly control: ControlScanModes;
  readonly controlActive: boolean;
  readonly patterns: PatternSet;
  readonly html: RuleMode;
  readonly direction: 'input' | 'output';
}

export const DEFAULT_ENTROPY_THRESHOLD = 2.8;

/**
 * Resolves configuration layers (later wins; within a layer ids beat categories beat `all`) on top of the
 * defaults, and compiles the result.
 *
 * @example
 * const rules = compileRules([{ pii: 'enforce' }]);
 * sanitizeText('mail me: a@example.com', rules).text; // 'mail me: [REDACTED:pii-email]'
 */
export function compileRules(
  layers: RulesConfig | readonly RulesConfig[] = [],
  options: CompileOptions = {},
): CompiledRules {
  const direction = options.direction ?? 'output';
  const modes = new Map<string, RuleMode>();
  for (const rule of RULES)
    modes.set(rule.id, direction === 'output' ? rule.defaultOutput : rule.defaultInput);
  const list: readonly RulesConfig[] = Array.isArray(layers)
    ? (layers as readonly RulesConfig[])
    : [layers as RulesConfig];
  for (const layer of list) applyLayer(modes, layer);

  const entropyThreshold = options.entropyThreshold ?? DEFAULT_ENTROPY_THRESHOLD;
  if (!Number.isFinite(entropyThreshold) || entropyThreshold < 0 || entropyThreshold > 8) {
    throw new RuleConfigError('entropyThreshold must be a number of bits per character between 0 and 8');
  }
  const ctx: PatternContext = { entropyThreshold };
  const mode = (id: string): RuleMode => modes.get(id) ?? 'off';
  const control: ControlScanModes = {
    tags: mode(CONTROL_RULE_IDS.tags),
    bidi: mode(CONTROL_RULE_IDS.bidi),
    invisible: mode(CONTROL_RULE_IDS.invisible),
    variation: mode(CONTROL_RULE_IDS.variation),
    escapes: mode(CONTROL_RULE_IDS.escapes),
    controls: mode(CONTROL_RULE_IDS.controls),
    overwrite: mode(CONTROL_RULE_IDS.overwrite),
  };
  // Secrets, PII, injection flags and SQL keywords share one pattern set: one anchor scan per text.
  const patternRules = PATTERN_RULES.map((rule) => ({ rule, mode: mode(rule.id) }));
  return Object.freeze({
    modes,
    control,
    controlActive: Object.values(control).some((m) => m !== 'off'),
    patterns: new PatternSet(patternRules, ctx),
    html: mode('html-escape'),
    direction,
  });
}

function applyLayer(modes: Map<string, RuleMode>, layer: RulesConfig): void {
  const entries = Object.entries(layer);
  const all = entries.filter(([key]) => key === 'all');
  const categories = entries.filter(([key]) => (RULE_CATEGORIES as readonly string[]).includes(key));
  const ids = entries.filter(
    ([key]) => key !== 'all' && !(RULE_CATEGORIES as readonly string[]).includes(key),
  );
  for (const [key, setting] of all) {
    const m = toMode(setting, key);
    for (const rule of RULES) modes.set(rule.id, m);
  }
  for (const [key, setting] of categories) {
    const m = toMode(setting, key);
    for (const rule of RULES) if (rule.category === key) modes.set(rule.id, m);
  }
  for (const [key, setting] of ids) {
    if (!RULE_BY_ID.has(key)) {
      throw new RuleConfigError(
        `unknown rule "${key}": use a rule id (see RULES, e.g. "aws-access-key-id") or a category (${RULE_CATEGORIES.join(', ')}, all)`,
      );
    }
    modes.set(key, toMode(setting, key));
  }
}
