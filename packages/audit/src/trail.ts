import {
  authenticatorOf,
  type ObservedRequest,
  parseOptions,
  type RequestEnd,
  type RequestObserver,
  redactEventDetails,
} from '@mcp-warden/core';
import {
  type CompiledRules,
  compileRules,
  RuleConfigError,
  type RulesConfig,
  sanitizeValue,
} from '@mcp-warden/sanitize';
import { z } from 'zod';
import { type AuditRecord, argumentsOf, digestArguments } from './record.js';
import type { AuditSink } from './sink.js';

export interface AuditTrailOptions {
  /** Where records go (a `SqliteAuditStore`, `jsonLinesSink(path)`, `stdoutAuditSink()`, your own). */
  sinks: AuditSink[];
  /** Methods not recorded. @default ['ping'] */
  excludeMethods?: string[];
  /**
   * Also store the arguments, after secret redaction: values under secret-looking keys are masked, and every
   * string passes @mcp-warden/sanitize's secret rules (plus `redact`). Off by default: only a digest is stored.
   * @default false
   */
  captureArguments?: boolean;
  /** Extra sanitize rule settings for captured arguments (e.g. `{ pii: 'enforce' }`). @default { secrets: 'enforce' } */
  redact?: RulesConfig;
  /** Key for HMAC-SHA-256 argument digests, so small arguments cannot be confirmed by guessing. @default plain SHA-256 */
  digestKey?: string | Uint8Array;
}

/** The rules `captureArguments` redacts with: the secret rules, plus the operator's `redact` settings. */
const redactionRules = (redact: RulesConfig | undefined): CompiledRules =>
  compileRules([{ secrets: 'enforce' }, ...(redact ? [redact] : [])], { direction: 'input' });

/** `auditTrail`'s options, checked by core's `parseOptions` when the factory is called. */
export const auditTrailOptionsSchema = z
  .object({
    sinks: z
      .array(
        z.custom<AuditSink>((s) => typeof (s as AuditSink)?.write === 'function', {
          message: 'not an audit sink',
          params: {
            fix: 'give an object with a write(record) method, e.g. a SqliteAuditStore or jsonLinesSink()',
          },
        }),
      )
      .min(1, 'give at least one sink'),
    excludeMethods: z.array(z.string().min(1)).optional(),
    captureArguments: z.boolean().optional(),
    redact: z
      .record(z.string(), z.unknown())
      .superRefine((redact, ctx) => {
        try {
          redactionRules(redact as RulesConfig);
        } catch (error) {
          if (!(error instanceof RuleConfigError)) throw error;
          ctx.addIssue({
            code: 'custom',
            message: error.message,
            params: { fix: 'see the rule catalogue in the @mcp-warden/sanitize README' },
          });
        }
      })
      .optional(),
    digestKey: z.union([z.string().min(16), z.instanceof(Uint8Array)]).optional(),
  })
  .strict();

const MAX_TEXT = 2048;

function bounded(text: string | undefined): string | null {
  if (text === undefined) return null;
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}

/**
 * A request observer that records every allowed MCP action (everything the pipeline lets through to the server,
 * whatever the server then answered) to the given sinks. Requests refused before the server are not audit
 * records: they are security events.
 * @example
 * const store = new SqliteAuditStore({ path: 'audit.db', maxAgeMs: 90 * 86_400_000 });
 * const warden = await createWarden({ plugins, observers: [auditTrail({ sinks: [store] })] });
 */
export function auditTrail(options: AuditTrailOptions): RequestObserver & { flush(): Promise<void> } {
  parseOptions(auditTrailOptionsSchema, options, { plugin: 'audit' });
  const sinks = [...options.sinks];
  const excluded = new Set(options.excludeMethods ?? ['ping']);
  const rules = options.captureArguments ? redactionRules(options.redact) : undefined;
  const key = options.digestKey;
  const stdoutSinks = sinks.filter((s) => (s as { stdout?: boolean }).stdout === true);

  const record = (end: RequestEnd, request: ObservedRequest): void => {
    // Refused before the server ever saw it: a security event, not an action.
    if (end.outcome === 'refused' && !end.delivered) return;
    const args = argumentsOf(request.method, end.params);
    const entry: AuditRecord = {
      time: new Date(request.startTime).toISOString(),
      principalId: request.principal.id,
      authenticator: authenticatorOf(request.principal),
      method: request.method,
      target: bounded(request.targetName),
      argsDigest: digestArguments(args, key),
      outcome: end.outcome,
      errorCode: end.errorCode === undefined ? null : String(end.errorCode),
      latencyMs: Math.round(end.durationMs * 1000) / 1000,
      traceId: request.trace.traceId,
      sessionId: request.sessionId ?? null,
      transport: request.transport,
      requestId: bounded(String(request.requestId)) ?? '',
      remoteAddress: request.remoteAddress ?? null,
    };
    if (rules) {
      try {
        entry.arguments = sanitizeValue(redactEventDetails(args), rules).value;
      } catch {
        entry.arguments = '[not captured: too deep]';
      }
    }
    for (const sink of sinks) {
      // stdout is the protocol under stdio: such a record never goes there.
      if (request.transport === 'stdio' && stdoutSinks.includes(sink)) continue;
      try {
        sink.write(entry);
      } catch {
        // A broken sink must not change the request's fate.
      }
    }
  };

  return {
    name: 'audit',
    start: (request) => (excluded.has(request.method) ? undefined : { end: record }),
    flush: async () => {
      for (const sink of sinks) await sink.flush?.();
    },
    close: async () => {
      for (const sink of sinks) {
        try {
          await sink.close?.();
        } catch {
          // Close the others.
        }
      }
    },
  };
}
