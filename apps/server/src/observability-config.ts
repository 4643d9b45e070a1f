import { parseDurationMs } from '@mcp-warden/audit';
import { z } from 'zod';

const duration = z
  .string()
  .refine((v) => v === '0' || parseDurationMs(v) !== undefined, 'a duration such as 30d, 12h or 15m, or "0"');

/** `audit`: the trail of allowed actions (see @mcp-warden/audit). */
export const auditConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** `sqlite`: `<dataDir>/audit.db`; `jsonl`: `file`; `stdout` (HTTP only). */
    sinks: z
      .array(z.enum(['sqlite', 'jsonl', 'stdout']))
      .min(1)
      .default(['sqlite']),
    /** The JSON-lines file (with the `jsonl` sink). @default <dataDir>/audit.jsonl */
    file: z.string().min(1).optional(),
    /** Records older than this are deleted ("0" keeps them). */
    maxAge: duration.default('30d'),
    /** Only the newest this many records are kept (0: no limit). */
    maxRows: z.number().int().min(0).default(1_000_000),
    /** Also store arguments, secrets redacted first. */
    captureArguments: z.boolean().default(false),
    /** Methods not recorded. */
    excludeMethods: z.array(z.string().min(1)).default(['ping']),
  })
  .strict()
  .prefault({});

/** `metrics`: Prometheus metrics on a separate loopback port. */
export const metricsConfigSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** A loopback address: the metrics endpoint has no authentication of its own. */
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65_535).default(9464),
    path: z.string().startsWith('/').default('/metrics'),
  })
  .strict()
  .prefault({});

/** `tracing`: an OpenTelemetry span per MCP request through the global tracer provider. */
export const tracingConfigSchema = z
  .object({
    enabled: z.boolean().default(false),
  })
  .strict()
  .prefault({});

export type AuditConfig = z.infer<typeof auditConfigSchema>;
export type MetricsConfig = z.infer<typeof metricsConfigSchema>;
