import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { z } from 'zod';
import { UpstreamConfigError } from '../errors.js';

/**
 * The upstreams of `mcp-warden gateway`: MCP servers Warden fronts, reached over Streamable HTTP (`url`) or spawned
 * over stdio (`command`). Credentials for an upstream come from the gateway's own environment through `${VAR}`
 * templates, never from the client (no token passthrough).
 */

/** The environment a stdio upstream inherits unless its entry says otherwise: enough to find and run a program. */
export const DEFAULT_INHERITED_ENV = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'TERM', 'LANG', 'TMPDIR'];

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name');
/** A header value or env value, possibly with `${VAR}` templates; no line breaks (header injection). */
const templated = z
  .string()
  .max(8192)
  .refine((value) => !/[\r\n\0]/.test(value), 'no line breaks or NUL characters');
/** Headers Warden sets itself or that describe the client's own request: an upstream entry may not set them. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'accept',
  'connection',
  'transfer-encoding',
  'mcp-session-id',
  'mcp-protocol-version',
  'mcp-method',
  'mcp-name',
  'last-event-id',
]);
/** Header names checked one by one, so the error names the header and says what is wrong with it. */
const upstreamHeadersSchema = z.record(z.string(), templated).superRefine((headers, ctx) => {
  for (const name of Object.keys(headers)) {
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name))
      ctx.addIssue({ code: 'custom', path: [name], message: 'not an HTTP header name' });
    else if (RESERVED_HEADERS.has(name.toLowerCase()))
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: 'a header the gateway sets itself (from the client request or the MCP transport)',
      });
  }
});

export const upstreamSchema = z
  .object({
    /** Names the upstream in events, logs, tool pins and its endpoint (`/mcp/<name>` with several upstreams). */
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, "-" and "_" (at most 63)'),
    /** A Streamable HTTP MCP server (either era). */
    url: z
      .url({ protocol: /^https?$/ })
      .refine((u) => !new URL(u).username && !new URL(u).password, 'no credentials in the URL: use headers')
      .optional(),
    /** Headers sent to an HTTP upstream, e.g. `Authorization: Bearer ${UPSTREAM_TOKEN}`. */
    headers: upstreamHeadersSchema.default({}),
    /** A stdio MCP server: the program and its arguments. */
    command: z.string().min(1).optional(),
    args: z.array(z.string()).default([]),
    cwd: z.string().min(1).optional(),
    /** Variables given to a stdio upstream, values with `${VAR}` templates. Nothing else of the gateway's passes. */
    env: z.record(envName, templated).default({}),
    /** Names of the gateway's variables the child inherits as they are. */
    inheritEnv: z.array(envName).default(DEFAULT_INHERITED_ENV),
    /**
     * stdio: processes running at once (one per client session); a session over it is refused with 503 like any
     * over `server.maxSessions`, so a flood of sessions cannot fork the host to death.
     */
    maxProcesses: z.number().int().min(1).max(10_000).default(32),
    /** Largest JSON-RPC message accepted from the upstream (a JSON body, an SSE event, a stdio line). */
    maxMessageBytes: z
      .number()
      .int()
      .min(1024)
      .max(256 * 1024 * 1024)
      .default(4 * 1024 * 1024),
    /**
     * An access policy for this upstream only (YAML or JSON, reloaded on change), applied beside the main one: a
     * request for this upstream must be allowed by both, so it can only narrow what the main policy grants.
     */
    policyFile: z.string().min(1).optional(),
    /** Messages per second an upstream may send on one stream before it is cut off as a flood. */
    maxMessagesPerSecond: z.number().int().min(1).default(2000),
  })
  .strict()
  .refine((u) => (u.url === undefined) !== (u.command === undefined), {
    message: 'an upstream has either "url" (Streamable HTTP) or "command" (stdio), not both or neither',
  });

export type UpstreamConfig = z.infer<typeof upstreamSchema>;

export { UpstreamConfigError };

/** Expands `${VAR}` in `template` from `env`; `$${` stays a literal `${`. */
export function expandTemplate(template: string, env: NodeJS.ProcessEnv, where: string): string {
  return template.replace(/\$?\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (match, name: string) => {
    if (match.startsWith('$$')) return match.slice(1);
    const value = env[name];
    if (value === undefined || value === '')
      throw new UpstreamConfigError(`${where} names the environment variable ${name}, which is not set.`);
    if (/[\r\n\0]/.test(value))
      throw new UpstreamConfigError(`${where}: the environment variable ${name} holds a line break.`);
    return value;
  });
}

/** The headers of an HTTP upstream with its templates expanded (at start: a missing variable stops the start). */
export function upstreamHeaders(upstream: UpstreamConfig, env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(upstream.headers))
    out[name.toLowerCase()] = expandTemplate(value, env, `upstream "${upstream.name}" header ${name}`);
  return out;
}

/**
 * Stops the start when a stdio upstream's program cannot be found (a typo would otherwise show only when the first
 * client connects): an absolute or relative path must be executable, a bare name must be on the child's PATH.
 */
export function checkRunnable(upstream: UpstreamConfig, env: Readonly<Record<string, string>>): void {
  const command = upstream.command!;
  const runnable = (file: string) => {
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  };
  const found = command.includes('/')
    ? runnable(resolve(upstream.cwd ?? '.', command))
    : (env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && runnable(join(dir, command)));
  if (!found)
    throw new UpstreamConfigError(
      `upstream "${upstream.name}": the command "${command}" was not found${command.includes('/') ? '' : " on the PATH the upstream gets (its entry's inheritEnv)"} or is not executable.`,
    );
}

/** The whole environment of a stdio upstream: the inherited names that are set, then its own entries. */
export function upstreamEnvironment(
  upstream: UpstreamConfig,
  env: NodeJS.ProcessEnv,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of upstream.inheritEnv) {
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  for (const [name, value] of Object.entries(upstream.env))
    out[name] = expandTemplate(value, env, `upstream "${upstream.name}" env ${name}`);
  return out;
}
