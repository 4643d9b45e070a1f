import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { knownKeysAt, suggestKey } from '@mcp-warden/core';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigSource } from './config-source.js';
import { ServerConfigError } from './errors.js';
import { upstreamSchema } from './gateway/upstream-config.js';
import { auditConfigSchema, metricsConfigSchema, tracingConfigSchema } from './observability-config.js';
import { pluginsSchema } from './plugin-sections.js';

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
        /** On SIGTERM, how long requests in flight get to finish before each is answered with an error. */
        shutdownTimeoutMs: z.number().int().min(0).max(600_000).default(10_000),
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
    /** Per-plugin settings; see each plugin's README. An unknown section is an error, like in config.schema.json. */
    plugins: pluginsSchema.default({}),
    /**
     * `mcp-warden gateway`: the MCP servers the gateway fronts, each at its own endpoint (`/mcp/<name>` when there
     * are several). `--upstream-url` or `-- COMMAND ARGS` on the command line replace this list.
     */
    upstreams: z
      .array(upstreamSchema)
      .max(64)
      .default([])
      .refine(
        (list) => new Set(list.map((u) => u.name)).size === list.length,
        'upstream names must be unique',
      ),
    /**
     * `none` runs the gateway without any authenticator, for local testing only: refused on a non-loopback
     * address, and every request is recorded as anonymous. @default 'required'
     */
    auth: z.enum(['required', 'none']).default('required'),
  })
  .strict();

export type ServerConfig = z.infer<typeof serverConfigSchema>;

/** What every MCP endpoint takes from `server`: browser checks, body bound, proxies and session limits. */
export function edgeOptionsOf(config: ServerConfig) {
  const s = config.server;
  return {
    allowedHosts: s.allowedHosts,
    allowedOrigins: s.allowedOrigins,
    maxBodyBytes: s.maxBodyBytes,
    trustedProxies: s.trustedProxies,
    sessionIdleTimeoutMs: s.sessionIdleTimeoutMs,
    maxSessions: s.maxSessions,
    maxSessionsPerPrincipal: s.maxSessionsPerPrincipal,
  };
}

export interface ConfigOverrides {
  configFile?: string;
  dataDir?: string;
  host?: string;
  port?: number;
  /** `--tls-key` / `--tls-cert`: serve HTTPS with these PEM files. */
  tlsKeyFile?: string;
  tlsCertFile?: string;
  /** `--allow-insecure-http`. */
  allowInsecureHttp?: boolean;
  /** `mcp-warden gateway`: the upstream given on the command line (replaces the config file's list). */
  upstreams?: unknown[];
  /** `--allow-anonymous`. */
  auth?: 'none';
}

export { ServerConfigError };

/** Environment variables, the setting each overrides, and how its text is read. */
const ENV_OVERRIDES: ReadonlyArray<[string, readonly string[], (value: string) => unknown]> = [
  ['MCP_WARDEN_DATA_DIR', ['dataDir'], String],
  ['MCP_WARDEN_HOST', ['server', 'host'], String],
  ['MCP_WARDEN_PORT', ['server', 'port'], readNumber],
  ['MCP_WARDEN_SESSIONS', ['server', 'sessions'], String],
  ['MCP_WARDEN_PUBLIC_URL', ['server', 'publicUrl'], String],
  ['MCP_WARDEN_LOG_LEVEL', ['logging', 'level'], String],
  ['MCP_WARDEN_SECURITY_LOG', ['logging', 'securityLogFile'], String],
];

/** Boolean environment values: anything else is left as text, and refused naming the variable. */
function readBoolean(value: string): unknown {
  const lower = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(lower)) return true;
  if (['0', 'false', 'no', 'off'].includes(lower)) return false;
  return value;
}

/** Text that is not a number stays text, so the error shows what was given. */
function readNumber(value: string): unknown {
  return /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
}

/** TLS and plain-HTTP settings from the environment (kept apart from the general table above). */
const ENV_TRANSPORT_OVERRIDES: ReadonlyArray<[string, readonly string[], (value: string) => unknown]> = [
  ['MCP_WARDEN_TLS_KEY_FILE', ['server', 'tls', 'keyFile'], String],
  ['MCP_WARDEN_TLS_CERT_FILE', ['server', 'tls', 'certFile'], String],
  ['MCP_WARDEN_ALLOW_INSECURE_HTTP', ['server', 'allowInsecureHttp'], readBoolean],
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
  let source: ConfigSource | undefined;
  /** Settings that came from a variable or a flag, by path: errors there name the variable or flag. */
  const origins = new Map<string, string>();
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
    source = new ConfigSource(file, text);
  }
  for (const [name, path, read] of [...ENV_OVERRIDES, ...ENV_TRANSPORT_OVERRIDES]) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(raw, path, read(value));
    origins.set(path.join('.'), `environment variable ${name}`);
  }
  const flags: ReadonlyArray<[unknown, readonly string[], string]> = [
    [overrides.dataDir, ['dataDir'], '--data-dir'],
    [overrides.host, ['server', 'host'], '--host'],
    [overrides.port, ['server', 'port'], '--port'],
    [overrides.tlsKeyFile, ['server', 'tls', 'keyFile'], '--tls-key'],
    [overrides.tlsCertFile, ['server', 'tls', 'certFile'], '--tls-cert'],
    [overrides.allowInsecureHttp, ['server', 'allowInsecureHttp'], '--allow-insecure-http'],
    [overrides.upstreams, ['upstreams'], '--upstream-url / -- COMMAND'],
    [overrides.auth, ['auth'], '--allow-anonymous'],
  ];
  for (const [value, path, flag] of flags) {
    if (value === undefined) continue;
    setPath(raw, path, value);
    origins.set(path.join('.'), `flag ${flag}`);
  }
  const result = serverConfigSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.flatMap((issue) => describeIssue(issue, source, origins));
    throw new ServerConfigError(
      `Invalid configuration${file ? ` in ${file}` : ''}:\n${problems.map((p) => `  ✖ ${p}`).join('\n')}`,
    );
  }
  return { ...result.data, dataDir: resolve(result.data.dataDir) };
}

/** One line per problem: where it was written (file:line:column, or the variable or flag) and how to fix it. */
function describeIssue(
  issue: z.core.$ZodIssue,
  source: ConfigSource | undefined,
  origins: ReadonlyMap<string, string>,
): string[] {
  const path = issue.path;
  const at = path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(serverConfigSchema, path);
    return issue.keys.map((key) => {
      const suggestion = suggestKey(key, known);
      const where = source ? `${source.locate(path, key)}: ` : '';
      return `${where}${at ? `${at}: ` : ''}Unrecognized key: "${key}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}${known.length > 0 ? `; known keys: ${known.filter((k) => k !== '$schema').join(', ')}` : ''}`;
    });
  }
  for (let i = path.length; i > 0; i--) {
    const origin = origins.get(path.slice(0, i).map(String).join('.'));
    if (origin) return [`${origin} (${at}): ${issue.message}`];
  }
  return [`${source ? `${source.locate(path)}: ` : ''}${at || '(root)'}: ${issue.message}`];
}
