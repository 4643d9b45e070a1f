/**
 * The `sanitize(options)` plugin: sanitizes arguments before the handler and every text a result carries after it.
 */
import {
  AccessDeniedError,
  ArgumentValidationError,
  type CompiledPattern,
  ConfigError,
  checkLegacyPattern,
  compilePattern,
  isListMethod,
  type PluginMode,
  parseOptions,
  type RequestContext,
  type ResponseContext,
  type ServerMessageContext,
  WARDEN_SPEC_VERSION,
  type WardenPlugin,
} from '@mcp-warden/core';
import { z } from 'zod';
import { sanitizeValue, ValueTooDeepError } from './engine.js';
import { SANITIZE_ERROR_CODES } from './errors.js';
import { FindingCollector } from './findings.js';
import { type CompiledRules, compileRules, RuleConfigError, type RulesConfig } from './rules.js';
import type { RuleCount } from './types.js';

const ruleSetting = z.union([z.enum(['enforce', 'audit', 'off']), z.boolean()]);
const rulesConfig = z.record(z.string(), ruleSetting);
const targetOptions = z.strictObject({
  /** Rule overrides for this target's arguments. */
  input: rulesConfig.optional(),
  /** Rule overrides for this target's results. */
  output: rulesConfig.optional(),
  /** The result is rendered into HTML: enforce `html-escape` on it. */
  html: z.boolean().optional(),
  /** The result is raw terminal output: keep bare CR and BS (`terminal-overwrite` off). */
  keepOverwrites: z.boolean().optional(),
});

/** The options schema (zod 4), for hosts that embed it in their own configuration. */
export const sanitizeOptionsSchema = z.strictObject({
  mode: z.enum(['enforce', 'audit']).optional(),
  input: rulesConfig.optional(),
  output: rulesConfig.optional(),
  tools: z.record(z.string().min(1), targetOptions).optional(),
  prompts: z.record(z.string().min(1), targetOptions).optional(),
  resources: z.record(z.string().min(1), targetOptions.omit({ input: true })).optional(),
  lists: z.boolean().optional(),
  entropyThreshold: z.number().min(0).max(8).optional(),
  maxDepth: z.number().int().min(1).max(10_000).optional(),
});

/** Per-target rule overrides. */
export interface SanitizeTargetOptions {
  /** Rule overrides for this tool's / prompt's arguments (on top of the plugin's `input`). */
  input?: RulesConfig;
  /** Rule overrides for its results (on top of the plugin's `output`). */
  output?: RulesConfig;
  /** The result is rendered into HTML: enforce `html-escape` on its text. @default false */
  html?: boolean;
  /**
   * The result is meant to be raw terminal output (progress bars, captured sessions): keep carriage returns outside
   * CRLF and backspaces in it, i.e. turn `terminal-overwrite` off for this target's results. Escape sequences and
   * every other rule still apply.
   *
   * **Security:** a bare CR or a run of BS lets a later part of a line overwrite an earlier one on a terminal
   * ("approved: NO\rapproved: YES"); enable this only for tools whose output is displayed raw on purpose.
   * @default false
   */
  keepOverwrites?: boolean;
}

/** Options of {@link sanitize}. */
export interface SanitizeOptions {
  /** `audit` records what would change and lets everything through unchanged. @default 'enforce' */
  mode?: PluginMode;
  /**
   * Rule overrides for tool and prompt arguments. Defaults: invisible and terminal rules enforced; secrets, PII,
   * injection and markup rules off. Turn on secrets for inputs with `{ secrets: 'enforce' }`.
   */
  input?: RulesConfig;
  /**
   * Rule overrides for results. Defaults: invisible, terminal and secrets rules enforced, injection rules in
   * audit, PII and markup off.
   */
  output?: RulesConfig;
  /**
   * Per-tool overrides, by exact name or a pattern of core's pattern language (`render_*`): an exact name wins,
   * then the pattern with the longest text before its first `*` or `{`, then the one written first.
   */
  tools?: Record<string, SanitizeTargetOptions>;
  /** Per-prompt overrides, as for tools. */
  prompts?: Record<string, Omit<SanitizeTargetOptions, never>>;
  /** Per-resource overrides of `resources/read` results, by exact URI or a pattern (`file:///logs/**`), as for tools. */
  resources?: Record<string, Omit<SanitizeTargetOptions, 'input'>>;
  /** Also sanitize descriptions in `tools/list`, `prompts/list` and `resources/*list` results. @default true */
  lists?: boolean;
  /** Minimum Shannon entropy (bits/char) of generic secret values. @default 2.8 */
  entropyThreshold?: number;
  /** Deepest JSON nesting walked; deeper arguments/results are refused. @default 256 */
  maxDepth?: number;
}

const RESULT_SKIP = ['blob', '_meta', 'uri', 'mimeType'];
const LIST_SKIP = [...RESULT_SKIP, 'name', 'uriTemplate'];
/** Ids and tokens of server messages: opaque, never shown to anyone. */
const SERVER_MESSAGE_SKIP = [...RESULT_SKIP, 'progressToken', 'requestId'];

interface Compiled {
  input: CompiledRules;
  output: CompiledRules;
  targets: Map<string, { patterns: TargetEntry[]; exact: Map<string, TargetEntry> }>;
  lists: boolean;
  maxDepth: number;
  mode: PluginMode;
}

interface TargetEntry {
  key: string;
  pattern: CompiledPattern;
  /** Characters before the first `*` or `{`: the longer, the more specific (an old `prefix*` ranks as before). */
  specificity: number;
  input: CompiledRules;
  output: CompiledRules;
}

/** What each per-target option is matched against: names have no `/`, resource URIs do. */
const TARGET_KINDS = { tool: 'names', prompt: 'names', resource: 'paths' } as const;

/**
 * A per-target key in core's pattern language. These keys used to be an exact name or a `prefix*`; one whose
 * matches changed (a `*` inside it, a resource `prefix*` that now stops at `/`) is refused with the new spelling.
 */
function compileTargetKey(type: keyof typeof TARGET_KINDS, key: string): CompiledPattern {
  const context = { plugin: 'sanitize', path: [`${type}s`, key] };
  checkLegacyPattern(key, { legacy: 'prefix', targets: TARGET_KINDS[type] }, context);
  return compilePattern(key, context);
}

function specificity(key: string): number {
  const wild = key.search(/[*{]/);
  return wild === -1 ? key.length : wild;
}

function compileOptions(raw: SanitizeOptions): Compiled {
  const options = parseOptions(sanitizeOptionsSchema, raw, { plugin: 'sanitize' });
  const compileOpts =
    options.entropyThreshold === undefined ? {} : { entropyThreshold: options.entropyThreshold };
  const layer = (direction: 'input' | 'output', ...layers: (RulesConfig | undefined)[]): CompiledRules =>
    compileRules(
      layers.filter((l): l is RulesConfig => l !== undefined),
      { ...compileOpts, direction },
    );
  const wrap = <T>(where: string, fn: () => T): T => {
    try {
      return fn();
    } catch (error) {
      if (error instanceof RuleConfigError) {
        throw new ConfigError(`sanitize: ${where}: ${error.message}.`, { cause: error });
      }
      throw error;
    }
  };
  const input = wrap('input', () => layer('input', options.input));
  const output = wrap('output', () => layer('output', options.output));
  const targets = new Map<string, { patterns: TargetEntry[]; exact: Map<string, TargetEntry> }>();
  for (const [type, entries] of [
    ['tool', options.tools],
    ['prompt', options.prompts],
    ['resource', options.resources],
  ] as const) {
    const table = { patterns: [] as TargetEntry[], exact: new Map<string, TargetEntry>() };
    targets.set(type, table);
    for (const [key, target] of Object.entries(entries ?? {})) {
      const html: RulesConfig | undefined = target.html ? { 'html-escape': 'enforce' } : undefined;
      const raw: RulesConfig | undefined = target.keepOverwrites
        ? { 'terminal-overwrite': 'off' }
        : undefined;
      const targetInput = 'input' in target ? (target.input as RulesConfig | undefined) : undefined;
      const pattern = compileTargetKey(type, key);
      const entry: TargetEntry = {
        key,
        pattern,
        specificity: specificity(key),
        input: wrap(`${type}s.${key}.input`, () => layer('input', options.input, targetInput)),
        output: wrap(`${type}s.${key}.output`, () =>
          layer('output', options.output, target.output, html, raw),
        ),
      };
      if (!pattern.literal) table.patterns.push(entry);
      else for (const name of pattern.alternatives) if (!table.exact.has(name)) table.exact.set(name, entry);
    }
    // Most specific first; `sort` is stable, so equally specific patterns keep the order they were written in.
    table.patterns.sort((a, b) => b.specificity - a.specificity);
  }
  return {
    input,
    output,
    targets,
    lists: options.lists ?? true,
    maxDepth: options.maxDepth ?? 256,
    mode: options.mode ?? 'enforce',
  };
}

function targetEntry(compiled: Compiled, ctx: RequestContext): TargetEntry | undefined {
  const target = ctx.target;
  if (target === undefined) return undefined;
  const table = compiled.targets.get(target.type);
  if (table === undefined) return undefined;
  const name = 'uri' in target ? target.uri : 'name' in target ? target.name : undefined;
  if (typeof name !== 'string') return undefined;
  return table.exact.get(name) ?? table.patterns.find((p) => p.pattern.test(name));
}

function summarize(counts: readonly RuleCount[]): string {
  return counts
    .map((c) => {
      const verb = !c.enforced
        ? 'audited'
        : c.action === 'redact'
          ? 'redacted'
          : c.action === 'remove'
            ? 'removed'
            : c.action === 'escape'
              ? 'escaped'
              : c.action === 'refuse'
                ? 'refused on'
                : 'flagged';
      return `${verb} ${c.count} ${c.rule}`;
    })
    .join('; ');
}

function emitFindings(
  ctx: Pick<RequestContext, 'emit' | 'mode'>,
  direction: 'input' | 'output',
  counts: readonly RuleCount[],
  changed: boolean,
): void {
  if (counts.length === 0) return;
  const alarming = counts.some(
    (c) => c.category === 'secrets' || c.category === 'injection' || c.rule === 'unicode-tags',
  );
  ctx.emit({
    type: 'content.sanitized',
    outcome: changed ? (ctx.mode === 'audit' ? 'audited' : 'modified') : 'audited',
    severity: alarming ? 'warn' : 'info',
    reason: `${direction}: ${summarize(counts)}`,
    details: {
      direction,
      // An array of { rule, count } rather than a map keyed by rule id: core masks values under secret-looking
      // keys, and ids such as `github-pat` or `aws-secret-access-key` look like that.
      rules: counts.map((c) => ({
        rule: c.rule,
        category: c.category,
        count: c.count,
        action: c.action,
        enforced: c.enforced,
        ...(c.kinds ? { kinds: c.kinds } : {}),
      })),
    },
  });
}

/**
 * Sanitizes MCP traffic: tool/prompt arguments before the handler, and tool results (text and structured),
 * embedded resources, `resources/read` contents, `prompts/get` messages and list descriptions after it. Emits one
 * `content.sanitized` event per request and direction with counts per rule id (never the matched text).
 *
 * @example
 * const warden = await createWarden({
 *   plugins: [sanitize({ output: { pii: 'enforce' }, tools: { render_page: { html: true } } })],
 * });
 */
export function sanitize(options: SanitizeOptions = {}) {
  // Eagerly, in the factory: bad options or rules fail where they are written.
  const c = compileOptions(options);

  return {
    specVersion: WARDEN_SPEC_VERSION,
    name: 'sanitize',
    version: '0.1.0',
    stage: 'sanitize',
    mode: c.mode,

    beforeRequest(ctx: RequestContext) {
      if (ctx.arguments === undefined || (ctx.method !== 'tools/call' && ctx.method !== 'prompts/get'))
        return;
      const rules = targetEntry(c, ctx)?.input ?? c.input;
      const sink = new FindingCollector();
      let result: ReturnType<typeof sanitizeValue<Readonly<Record<string, unknown>>>>;
      try {
        result = sanitizeValue(ctx.arguments, rules, { maxDepth: c.maxDepth, skipKeys: [] }, sink);
      } catch (error) {
        if (error instanceof ValueTooDeepError) {
          throw new ArgumentValidationError({
            issues: [{ pointer: '', message: `arguments nest deeper than ${error.maxDepth} levels` }],
            code: SANITIZE_ERROR_CODES.VALUE_TOO_DEEP,
          });
        }
        throw error;
      }
      emitFindings(ctx, 'input', result.counts, result.changed);
      if (result.refused) {
        throw new ArgumentValidationError({
          issues: [
            {
              pointer: '',
              message: 'contains SQL keywords or statement separators, refused by the sql-keywords rule',
            },
          ],
          code: SANITIZE_ERROR_CODES.SQL_KEYWORDS,
          reason: 'sql-keywords rule matched the arguments',
        });
      }
      if (result.changed) return { arguments: { ...result.value } };
      return undefined;
    },

    // What the server sends on its own goes to the client too, and some of it to the model (a sampling request's
    // messages, log lines an assistant reads): the output rules apply to it as to results.
    onServerMessage(ctx: ServerMessageContext) {
      const sink = new FindingCollector();
      let result: ReturnType<typeof sanitizeValue<Readonly<Record<string, unknown>>>>;
      try {
        result = sanitizeValue(
          ctx.params,
          c.output,
          { maxDepth: c.maxDepth, skipKeys: SERVER_MESSAGE_SKIP },
          sink,
        );
      } catch (error) {
        if (error instanceof ValueTooDeepError) return { drop: true };
        throw error;
      }
      emitFindings(ctx, 'output', result.counts, result.changed);
      if (result.refused) return { drop: true };
      return result.changed ? { params: { ...result.value } } : undefined;
    },

    afterResponse(ctx: ResponseContext) {
      const isList = isListMethod(ctx.method);
      if (isList && !c.lists) return;
      if (
        !isList &&
        ctx.method !== 'tools/call' &&
        ctx.method !== 'resources/read' &&
        ctx.method !== 'prompts/get'
      )
        return;
      const rules = isList ? c.output : (targetEntry(c, ctx)?.output ?? c.output);
      const sink = new FindingCollector();
      let result: ReturnType<typeof sanitizeValue<Readonly<Record<string, unknown>>>>;
      try {
        result = sanitizeValue(
          ctx.result,
          rules,
          { maxDepth: c.maxDepth, skipKeys: isList ? LIST_SKIP : RESULT_SKIP },
          sink,
        );
      } catch (error) {
        if (error instanceof ValueTooDeepError) {
          throw new AccessDeniedError({
            message: 'The result could not be checked and was withheld.',
            code: SANITIZE_ERROR_CODES.VALUE_TOO_DEEP,
            reason: `result nests deeper than ${error.maxDepth} levels`,
          });
        }
        throw error;
      }
      emitFindings(ctx, 'output', result.counts, result.changed);
      if (result.refused) {
        throw new AccessDeniedError({
          message: 'The result was withheld by a content rule.',
          code: SANITIZE_ERROR_CODES.CONTENT_REFUSED,
          reason: 'a refusing rule (sql-keywords) matched the result',
        });
      }
      if (result.changed) return { result: { ...result.value } };
      return undefined;
    },
  } satisfies WardenPlugin;
}
