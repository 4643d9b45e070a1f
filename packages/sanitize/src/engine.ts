/**
 * The engine: `sanitizeText` for one string, `sanitizeValue` for structured JSON (walked, never stringified).
 */
import { JSON_RPC_ERROR_CODES, WardenError } from '@mcp-warden/core';
import { scanControls } from './control-scan.js';
import { SANITIZE_ERROR_CODES } from './errors.js';
import { FindingCollector } from './findings.js';
import { applyHtmlEscape } from './markup.js';
import { type CompiledRules, compileRules, type RulesConfig } from './rules.js';
import type { Finding, RuleCount, SanitizeTextResult } from './types.js';

/** Redaction passes after the first; real text settles in one, the bound only keeps a pathological input finite. */
const MAX_REDACTION_PASSES = 4;

const compiledCache = new WeakMap<object, CompiledRules>();
let defaultOutputRules: CompiledRules | undefined;

function isCompiled(rules: CompiledRules | RulesConfig): rules is CompiledRules {
  return rules instanceof Object && 'patterns' in rules && 'control' in rules && 'modes' in rules;
}

/** Accepts compiled rules, a rules config (compiled once and cached per object), or nothing (output defaults). */
export function resolveRules(rules?: CompiledRules | RulesConfig): CompiledRules {
  if (rules === undefined) {
    defaultOutputRules ??= compileRules();
    return defaultOutputRules;
  }
  if (isCompiled(rules)) return rules;
  let compiled = compiledCache.get(rules);
  if (compiled === undefined) {
    compiled = compileRules(rules);
    compiledCache.set(rules, compiled);
  }
  return compiled;
}

/** Runs every stage of `rules` on one string, recording into `sink`. */
export function runRules(text: string, rules: CompiledRules, sink: FindingCollector | undefined): string {
  let out = text;
  if (rules.controlActive) out = scanControls(out, rules.control, sink);
  if (rules.patterns.size > 0) {
    sink?.barrier();
    let redacted = rules.patterns.apply(out, sink);
    // A marker can give its neighbours the boundary the original text lacked: in "ghp_…-----BEGIN PRIVATE KEY"
    // the token is glued to "-" until the key block becomes "[REDACTED:private-key]". Passes repeat until
    // nothing changes (bounded: each pass only turns more text into markers), so a second run finds nothing.
    for (let pass = 0, before = out; redacted !== before && pass < MAX_REDACTION_PASSES; pass++) {
      before = redacted;
      sink?.barrier();
      redacted = rules.patterns.apply(redacted, sink, true);
    }
    // A marker replaced the left neighbour of whatever follows it (e.g. a variation selector kept after "=");
    // scanning again decides those characters against the marker, as the next pass would: idempotence.
    if (redacted !== out && rules.controlActive) {
      sink?.barrier();
      out = scanControls(redacted, rules.control, sink);
    } else {
      out = redacted;
    }
  }
  if (rules.html !== 'off') {
    sink?.barrier();
    out = applyHtmlEscape(out, rules.html, sink);
  }
  sink?.barrier();
  return out;
}

/**
 * Sanitizes one string: removes invisible/bidi/escape characters, redacts secrets (and PII when enabled) as
 * `[REDACTED:<rule-id>]`, flags injection markers, escapes HTML when enabled. Never throws on any string input.
 *
 * @param rules compiled rules ({@link compileRules}), a rules config, or nothing for the output defaults.
 * @example
 * const { text, findings } = sanitizeText('key: AKIAIOSFODNN7EXAMPLE\u001b]52;c;aGk=\u0007');
 * // text === 'key: [REDACTED:aws-access-key-id]'
 */
export function sanitizeText(
  text: string,
  rules?: CompiledRules | RulesConfig,
): SanitizeTextResult & {
  readonly counts: readonly RuleCount[];
  readonly refused: boolean;
} {
  const compiled = resolveRules(rules);
  const sink = new FindingCollector();
  const out = runRules(text, compiled, sink);
  return {
    text: out,
    changed: out !== text,
    findings: sink.list(),
    truncated: sink.truncated,
    counts: sink.counts(),
    refused: sink.refused,
  };
}

/** Options of {@link sanitizeValue}. */
export interface SanitizeValueOptions {
  /** Object keys whose values are left alone (e.g. base64 `blob`). @default ['blob', '_meta'] */
  readonly skipKeys?: readonly string[];
  /** Also skip `data` of objects whose `type` is `image` or `audio` (base64 media). @default true */
  readonly skipMedia?: boolean;
  /** Deepest nesting walked; deeper values make the call throw (fail closed). @default 256 */
  readonly maxDepth?: number;
  /** Sanitize object keys too (a changed key is replaced). @default false */
  readonly keys?: boolean;
}

/** The result of {@link sanitizeValue}. */
export interface SanitizeValueResult<T> {
  /** The sanitized value; the very same object when nothing changed (unchanged sub-trees are shared). */
  readonly value: T;
  readonly changed: boolean;
  readonly findings: readonly Finding[];
  readonly counts: readonly RuleCount[];
  readonly truncated: boolean;
  /** True when an enforced `refuse` rule (e.g. `sql-keywords`) matched. */
  readonly refused: boolean;
}

/**
 * Thrown by {@link sanitizeValue} when a value nests deeper than `maxDepth` (fail closed): a `WardenError` with
 * code `SANITIZE_VALUE_TOO_DEEP`, answered as invalid params when it escapes as it is.
 */
export class ValueTooDeepError extends WardenError {
  declare readonly code: typeof SANITIZE_ERROR_CODES.VALUE_TOO_DEEP;
  constructor(readonly maxDepth: number) {
    super({
      code: SANITIZE_ERROR_CODES.VALUE_TOO_DEEP,
      message: `value nests deeper than ${maxDepth} levels`,
      httpStatus: 400,
      jsonRpcCode: JSON_RPC_ERROR_CODES.INVALID_PARAMS,
      eventType: 'validation.rejected',
    });
  }
}

const DEFAULT_SKIP = ['blob', '_meta'];

/**
 * Sanitizes every string in a JSON value (objects, arrays, strings; other values pass). Structure is walked, not
 * stringified, so a redaction can never break JSON syntax and keys stay intact.
 *
 * @example
 * const { value } = sanitizeValue({ rows: [{ note: 'token=ghp_…' }] });
 */
export function sanitizeValue<T>(
  value: T,
  rules?: CompiledRules | RulesConfig,
  options: SanitizeValueOptions = {},
  sink: FindingCollector = new FindingCollector(),
): SanitizeValueResult<T> {
  const compiled = resolveRules(rules);
  const skip = new Set(options.skipKeys ?? DEFAULT_SKIP);
  const skipMedia = options.skipMedia ?? true;
  const maxDepth = options.maxDepth ?? 256;
  const keys = options.keys ?? false;

  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return runRules(v, compiled, sink);
    if (typeof v !== 'object' || v === null) return v;
    if (depth >= maxDepth) throw new ValueTooDeepError(maxDepth);
    if (Array.isArray(v)) {
      let copy: unknown[] | undefined;
      for (let i = 0; i < v.length; i++) {
        const item: unknown = v[i];
        const next = walk(item, depth + 1);
        if (next !== item) {
          copy ??= v.slice();
          copy[i] = next;
        }
      }
      return copy ?? v;
    }
    const record = v as Record<string, unknown>;
    const media = skipMedia && (record.type === 'image' || record.type === 'audio');
    let copy: Record<string, unknown> | undefined;
    for (const key of Object.keys(record)) {
      const item = record[key];
      if (skip.has(key) || (media && key === 'data')) continue;
      const next = walk(item, depth + 1);
      const nextKey = keys ? runRules(key, compiled, sink) : key;
      if (next !== item || nextKey !== key) {
        copy ??= { ...record };
        if (nextKey !== key) delete copy[key];
        copy[nextKey] = next;
      }
    }
    return copy ?? record;
  };

  const out = walk(value, 0) as T;
  return {
    value: out,
    changed: out !== value,
    findings: sink.list(),
    counts: sink.counts(),
    truncated: sink.truncated,
    refused: sink.refused,
  };
}
