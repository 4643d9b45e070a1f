import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { auditConfigSchema, metricsConfigSchema, tracingConfigSchema } from './observability-config.js';

/**
 * The reference server's configuration: a JSON or YAML file, then `MCP_WARDEN_*` environment variables, then
 * command-line flags, each overriding the one before. `config.schema.json` (generated from this) helps editors.
 */
export const serverConfigSchema = z
  .object({
    $schema: z.string().optional(),
    /** Where keys, the notes database and the demo files live. */
    dataDir: z.string().min(1).default('./.mcp-warden'),
    server: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65_535).default(3000),
        endpoint: z.string().startsWith('/').default('/mcp'),
        sessions: z.enum(['stateful', 'stateless']).default('stateful'),
        /** Stateful sessions: idle timeout, server-wide cap (503) and cap per principal (429). */
        sessionIdleTimeoutMs: z
          .number()
          .int()
          .min(1000)
          .default(30 * 60_000),
        maxSessions: z.number().int().min(1).default(10_000),
        maxSessionsPerPrincipal: z.number().int().min(1).default(16),
        /** Public URL of the MCP endpoint (behind a proxy); defaults to http://host:port/endpoint. */
        publicUrl: z.url().optional(),
        /** Host names accepted in the Host header (DNS-rebinding protection). Defaults to loopback names. */
        allowedHosts: z.array(z.string().min(1)).optional(),
        /** Browser origins allowed (`https://app.example.com`; `http://localhost:*` for any port). */
        allowedOrigins: z
          .array(
            z.string().regex(/^https?:\/\/[^/\s]+$/, 'an origin: scheme://host[:port] or scheme://host:*'),
          )
          .optional(),
        /**
         * Reverse proxies whose X-Forwarded-For is trusted: their addresses or CIDR ranges, or `{ hops: n }` spelled
         * out. A bare number is refused: it would trust the header from any direct client.
         */
        trustedProxies: z
          .union(
            [
              z.array(z.string().min(1)).max(1000),
              z.object({ hops: z.number().int().min(0).max(32) }).strict(),
              z.literal(0),
            ],
            {
              error: (issue) =>
                typeof issue.input === 'number'
                  ? `a bare number trusts X-Forwarded-For from any direct client: list the proxies' addresses or CIDR ranges (["10.0.0.5", "10.1.0.0/16"]), or spell a hop count out as { "hops": ${issue.input} }`
                  : 'a list of proxy addresses or CIDR ranges, or { "hops": n }',
            },
          )
          .default([]),
        maxBodyBytes: z
          .number()
          .int()
          .min(1024)
          .max(64 * 1024 * 1024)
          .default(1024 * 1024),
        requestTimeoutMs: z.number().int().min(0).default(120_000),
        /** Time to receive request headers, and a whole request (headers and body); then 408 and closed. */
        headersTimeoutMs: z.number().int().min(0).default(10_000),
        requestReceiveTimeoutMs: z.number().int().min(0).default(30_000),
        /** Connections per address without an authenticated request; over it the oldest is closed. 0: off. */
        maxUnauthenticatedConnectionsPerAddress: z.number().int().min(0).default(32),
        tls: z.object({ keyFile: z.string(), certFile: z.string() }).strict().optional(),
        /** Plain HTTP on a non-loopback address: only behind a TLS-terminating proxy. */
        allowInsecureHttp: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    logging: z
      .object({
        level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
        /** File for security events (JSON lines); stdout (HTTP) or stderr (stdio) when absent. */
        securityLogFile: z.string().optional(),
      })
      .strict()
      .prefault({}),
    /** The audit trail of allowed actions, Prometheus metrics and OpenTelemetry tracing. */
    audit: auditConfigSchema,
    metrics: metricsConfigSchema,
    tracing: tracingConfigSchema,
    /** Per-plugin settings; see each plugin's README. */
    plugins: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export type ServerConfig = z.infer<typeof serverConfigSchema>;

export interface ConfigOverrides {
  configFile?: string;
  dataDir?: string;
  host?: string;
  port?: number;
}

/** Thrown for a configuration that cannot be used; the message says what and where. */
export class ServerConfigError extends Error {
  override name = 'ServerConfigError';
}

/** Environment variables, the setting each overrides, and how its text is read. */
const ENV_OVERRIDES: ReadonlyArray<[string, readonly string[], (value: string) => unknown]> = [
  ['MCP_WARDEN_DATA_DIR', ['dataDir'], String],
  ['MCP_WARDEN_HOST', ['server', 'host'], String],
  ['MCP_WARDEN_PORT', ['server', 'port'], Number],
  ['MCP_WARDEN_SESSIONS', ['server', 'sessions'], String],
  ['MCP_WARDEN_PUBLIC_URL', ['server', 'publicUrl'], String],
  ['MCP_WARDEN_LOG_LEVEL', ['logging', 'level'], String],
  ['MCP_WARDEN_SECURITY_LOG', ['logging', 'securityLogFile'], String],
];

function setPath(config: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let target = config;
  for (const key of path.slice(0, -1)) target = section(target, key);
  target[path[path.length - 1]!] = value;
}

function section(config: Record<string, unknown>, key: string): Record<string, unknown> {
  const current = config[key];
  if (typeof current === 'object' && current !== null && !Array.isArray(current))
    return current as Record<string, unknown>;
  const fresh: Record<string, unknown> = {};
  config[key] = fresh;
  return fresh;
}

/** Reads, merges and validates the configuration. Throws `ServerConfigError` with every problem listed. */
export function loadConfig(
  overrides: ConfigOverrides = {},
  env: NodeJS.ProcessEnv = process.env,
): ServerConfig {
  const file = overrides.configFile ?? env.MCP_WARDEN_CONFIG;
  let raw: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(resolve(file), 'utf8');
    } catch (error) {
      throw new ServerConfigError(
        `Cannot read config file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`,
      );
    }
    try {
      const parsed: unknown = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
      raw = (parsed ?? {}) as Record<string, unknown>;
    } catch (error) {
      throw new ServerConfigError(
        `Config file ${file} is not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(error as Error).message}`,
      );
    }
    if (typeof raw !== 'object' || Array.isArray(raw))
      throw new ServerConfigError(`Config file ${file} must contain an object.`);
  }
  for (const [name, path, read] of ENV_OVERRIDES) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(raw, path, read(value));
  }
  if (overrides.dataDir !== undefined) raw.dataDir = overrides.dataDir;
  if (overrides.host !== undefined) section(raw, 'server').host = overrides.host;
  if (overrides.port !== undefined) section(raw, 'server').port = overrides.port;
  const result = serverConfigSchema.safeParse(raw);
  if (!result.success) {
    throw new ServerConfigError(
      `Invalid configuration${file ? ` in ${file}` : ''}:\n${z.prettifyError(result.error)}`,
    );
  }
  return { ...result.data, dataDir: resolve(result.data.dataDir) };
}
