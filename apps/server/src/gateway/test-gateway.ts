import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SecurityEvent } from '@mcp-warden/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { serverConfigSchema } from '../config.js';
import { ReferenceServer } from '../reference-server.js';
import { tempDataDir } from '../test-support.js';

/** Test support: an in-process `mcp-warden gateway` on a free loopback port. */
export interface TestGateway {
  server: ReferenceServer;
  /** The first endpoint. */
  url: URL;
  endpoint(upstream: string): URL;
  events: SecurityEvent[];
  /** What the gateway logged (upstream stderr included). */
  log: string[];
  /** A new API key with these roles. */
  key(roles: string[], name?: string): Promise<string>;
  close(): Promise<void>;
}

export interface TestGatewayOptions {
  upstreams: Record<string, unknown>[];
  /** Plugin sections (merged over the defaults of the gateway). */
  plugins?: Record<string, unknown>;
  auth?: 'none';
  /** The gateway's environment (upstream credentials and inherited variables come from here). */
  env?: NodeJS.ProcessEnv;
  server?: Record<string, unknown>;
}

export async function startTestGateway(options: TestGatewayOptions): Promise<TestGateway> {
  const dataDir = tempDataDir();
  const config = serverConfigSchema.parse({
    dataDir,
    server: { port: 0, requestTimeoutMs: 10_000, ...options.server },
    logging: { securityLogFile: join(dataDir, '..', 'security.log') },
    upstreams: options.upstreams,
    ...(options.auth ? { auth: options.auth } : {}),
    plugins: {
      apikeyAuth: { bootstrapAdminKey: false },
      ratelimit: { enabled: false },
      ...options.plugins,
    },
  });
  const log: string[] = [];
  const server = await ReferenceServer.create({
    config,
    mode: 'gateway',
    log: (line) => log.push(line),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
  });
  const events: SecurityEvent[] = [];
  server.warden.events.on((event) => events.push(event));
  const url = await server.listen();
  return {
    server,
    url,
    endpoint: (upstream) => new URL(server.gatewayEndpoints.find((e) => e.upstream === upstream)!.path, url),
    events,
    log,
    key: async (roles, name = roles.join('-') || 'none') =>
      (await server.services.keys!.create({ name, owner: name, roles, scopes: [] })).key,
    close: () => server.close(),
  };
}

/** An access policy for gateway tests: every key may list tools (and set the log level), readers may call `tools`. */
export function readerPolicy(tools: string[]) {
  return {
    version: 1,
    roles: { reader: {} },
    rules: [
      { effect: 'allow', subjects: ['authenticated'], actions: ['tools:list', 'logging:setLevel'] },
      { effect: 'allow', subjects: ['role:reader'], actions: ['tools:call'], targets: tools },
    ],
  };
}

/** The real SDK 1.x client over Streamable HTTP, with a bearer key (or none). */
export async function connectV1(url: URL, key?: string): Promise<Client> {
  const client = new Client({ name: 'gateway-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(url, {
      requestInit: key ? { headers: { authorization: `Bearer ${key}` } } : {},
    }),
  );
  return client;
}

/** The security log file of a test gateway (JSON lines). */
export function securityLog(gateway: TestGateway): string {
  return readFileSync(join(gateway.server.config.dataDir, '..', 'security.log'), 'utf8');
}

/** The text parts of a tool result, joined. */
export function textOf(result: unknown): string {
  return ((result as { content?: Array<{ text?: string }> }).content ?? [])
    .map((c) => c.text ?? '')
    .join('\n');
}

/** The JSON-RPC error a call was refused with (the SDK clients throw it), or `undefined` when it succeeded. */
export async function errorOf(
  promise: Promise<unknown>,
): Promise<{ code?: number; message?: string } | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error as { code?: number; message?: string };
  }
}

/** Waits until `check` holds (polling), or fails after `ms`. */
export async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The `acl` plugin section of a gateway where admins may do everything and nobody else anything. */
export const ADMIN_ONLY_ACL = {
  acl: {
    policy: {
      version: 1,
      roles: { admin: {} },
      rules: [{ effect: 'allow', subjects: ['role:admin'], actions: ['*'] }],
    },
  },
};
