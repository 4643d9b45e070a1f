import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { acl } from '@mcp-warden/acl';
import { apiKeyAuth } from '@mcp-warden/apikey-auth';
import type { WardenPlugin } from '@mcp-warden/core';
import { cryptoPlugin } from '@mcp-warden/crypto';
import { oauth } from '@mcp-warden/oauth';
import { rateLimit } from '@mcp-warden/ratelimit';
import { sanitize } from '@mcp-warden/sanitize';
import { toolPinning } from '@mcp-warden/tool-pinning';
import { createSafePath, validation } from '@mcp-warden/validation';
import { z } from 'zod';
import { type ServerConfig, ServerConfigError } from './config.js';
import type { SandboxResolver } from './demo-server.js';
import { forUpstream, upstreamPluginName } from './gateway/upstream-policy.js';
import { apiKeySectionSchema, DATA_FILES, type DataDirServices, section } from './services.js';

const require = createRequire(import.meta.url);

const toggle = (enabled: boolean) => z.object({ enabled: z.boolean().default(enabled) }).passthrough();

/** What plugin wiring contributes to the reference server. */
export interface PluginWiring {
  plugins: WardenPlugin[];
  /** Resolves user paths of `read_file` and the file resources (the validation plugin's `safePath`). */
  resolveInSandbox: SandboxResolver;
  /** Runs once the server is up (prints the bootstrap key). */
  afterStart: () => Promise<void>;
}

export interface WiringContext {
  config: ServerConfig;
  services: DataDirServices;
  /** The canonical URL of the MCP endpoint (the OAuth audience). */
  resourceUrl: URL;
  log: (line: string) => void;
  /** Serving over stdio: stderr usually ends up in the host application's log, so no bootstrap key is printed. */
  stdio: boolean;
  /**
   * `mcp-warden gateway`: the tools are the upstreams', so the default policy is the gateway one and no demo tool
   * rules apply; with `auth: none` no authenticator is wired at all.
   */
  gateway?: boolean;
}

/**
 * The OAuth resource(s): the MCP endpoint's URL; for a gateway with several upstreams, one per endpoint
 * (`<publicUrl>/<name>`, as the endpoints are served), so a token issued for one upstream's endpoint opens no other.
 */
function oauthResources(
  ctx: WiringContext,
  options: Record<string, unknown>,
): { resource: string; endpointResources?: string[] } {
  const upstreams = ctx.gateway ? ctx.config.upstreams : [];
  if (upstreams.length < 2) return { resource: ctx.resourceUrl.href };
  if (options.resource !== undefined || options.endpointResources !== undefined)
    throw new ServerConfigError(
      'plugins.oauth.resource cannot be set for a gateway with several upstreams: each endpoint is its own resource, <server.publicUrl>/<name>; set server.publicUrl instead.',
    );
  const base = ctx.resourceUrl.href.replace(/\/$/, '');
  const [first, ...rest] = upstreams.map((upstream) => `${base}/${upstream.name}`);
  return { resource: first!, endpointResources: rest };
}

/** Plugin options from the config file, without the `enabled` switch. */
function optionsOf(
  config: ServerConfig,
  name: string,
  enabledByDefault: boolean,
): Record<string, unknown> | undefined {
  const parsed = section(toggle(enabledByDefault), config, name);
  if (!parsed.enabled) return undefined;
  const { enabled: _enabled, ...rest } = parsed;
  return rest;
}

/**
 * Builds the plugins the configuration enables, in registration order (stages order the request hooks): rate
 * limits and lockouts, authenticators (API keys, OAuth), access control, validation, sanitizing, crypto. Every
 * plugin validates its own options and refuses a bad configuration before the server starts.
 */
export async function wirePlugins(ctx: WiringContext): Promise<PluginWiring> {
  const { config, services } = ctx;
  const plugins: WardenPlugin[] = [];
  const filesRoot = join(config.dataDir, DATA_FILES.files);

  const rateLimitOptions = optionsOf(config, 'ratelimit', true);
  if (rateLimitOptions) {
    const store = rateLimitOptions.store as { type?: string; url?: string } | undefined;
    // The Redis URL (with its password) belongs in the environment, not the config file.
    const withUrl =
      store?.type === 'redis' && !store.url && process.env.REDIS_URL
        ? { ...store, url: process.env.REDIS_URL }
        : store;
    plugins.push(
      rateLimit({ ...rateLimitOptions, ...(withUrl ? { store: withUrl } : {}) } as Parameters<
        typeof rateLimit
      >[0]),
    );
  }

  const anonymous = config.auth === 'none';
  const apiKeys = section(apiKeySectionSchema, config, 'apikeyAuth');
  if (apiKeys.enabled && services.keys && !anonymous) {
    plugins.push(apiKeyAuth({ manager: services.keys, header: apiKeys.header }));
  }

  if (anonymous)
    // `auth: none` stands where the authenticators would: it takes no credential, so the warden lets every
    // request through as the anonymous principal (and records it). Plugins that require authentication (the
    // ACL) then decide on that principal.
    plugins.push({
      specVersion: 1,
      name: 'anonymous-access',
      provides: ['authentication'],
      authenticate: () => undefined,
    });
  const oauthOptions = anonymous ? undefined : optionsOf(config, 'oauth', false);
  if (oauthOptions) {
    const secretEnv = (oauthOptions.introspection as { clientSecretEnv?: string } | undefined)
      ?.clientSecretEnv;
    const introspection = oauthOptions.introspection
      ? {
          ...(oauthOptions.introspection as Record<string, unknown>),
          clientSecretEnv: undefined,
          clientSecret: secretEnv ? process.env[secretEnv] : undefined,
        }
      : undefined;
    plugins.push(
      oauth({
        ...oauthResources(ctx, oauthOptions),
        ...(apiKeys.enabled ? { ignoreTokenPrefixes: [`${apiKeys.prefix}_`] } : {}),
        ...oauthOptions,
        ...(introspection ? { introspection } : {}),
      } as Parameters<typeof oauth>[0]),
    );
  }

  const aclOptions = optionsOf(config, 'acl', true);
  const defaultPolicy = ctx.gateway
    ? '@mcp-warden/acl/examples/gateway-policy.yaml'
    : '@mcp-warden/acl/examples/reference-policy.yaml';
  if (aclOptions) {
    const configured = aclOptions.policyFile as string | undefined;
    const policyFile = configured ?? join(config.dataDir, DATA_FILES.policy);
    const installedMarker = join(config.dataDir, DATA_FILES.policyMarker);
    if (!aclOptions.policy && !existsSync(policyFile)) {
      // Only a data directory that never had a policy gets the default one. A policy that was configured or
      // installed and is now gone would otherwise come back as the default, silently granting what it denied.
      if (configured !== undefined || existsSync(installedMarker)) {
        throw new ServerConfigError(
          `the access policy ${policyFile} is missing; refusing to start with no policy or the default one. ` +
            `Restore it from a backup, or copy ${require.resolve(defaultPolicy)} ` +
            'there to start over with the default policy.',
        );
      }
      copyFileSync(require.resolve(defaultPolicy), policyFile);
      writeFileSync(installedMarker, `${policyFile}\n`, { mode: 0o600 });
      ctx.log(
        `mcp-warden: wrote the default access policy to ${policyFile} (edit it; changes apply without a restart)`,
      );
    } else if (!aclOptions.policy && configured === undefined && !existsSync(installedMarker)) {
      // A data directory from before the marker existed: from now on its policy is known to be installed.
      writeFileSync(installedMarker, `${policyFile}\n`, { mode: 0o600 });
    }
    plugins.push(
      acl({ ...(aclOptions.policy ? {} : { policyFile }), ...aclOptions } as Parameters<typeof acl>[0]),
    );
  }
  if (ctx.gateway) {
    // An upstream's own policy narrows the main one for its requests (see forUpstream).
    const taken = new Set(plugins.map((p) => p.name));
    for (const upstream of config.upstreams) {
      if (upstream.policyFile === undefined) continue;
      if (!existsSync(upstream.policyFile))
        throw new ServerConfigError(
          `the access policy ${upstream.policyFile} of upstream "${upstream.name}" is missing; refusing to start without it.`,
        );
      const name = upstreamPluginName('acl', upstream.name, taken);
      taken.add(name);
      plugins.push(forUpstream(upstream.name, acl({ policyFile: upstream.policyFile, name })));
    }
  }

  // One path checker for the pipeline's argument check and for the tools' own resolution.
  // The demo file root exists only for `serve`: a gateway has no file root of its own.
  const filesChecker = ctx.gateway
    ? () => {
        throw new ServerConfigError('the gateway has no demo file root');
      }
    : createSafePath({ root: filesRoot, mustExist: true });
  const validationOptions = optionsOf(config, 'validation', true);
  if (validationOptions) {
    plugins.push(
      validation({
        ...validationOptions,
        tools: {
          // The demo read_file's path check; a gateway's upstream tools get only what the config says.
          ...(ctx.gateway ? {} : { read_file: { paths: { path: filesChecker } } }),
          ...(validationOptions.tools as Record<string, unknown> | undefined),
        },
      } as Parameters<typeof validation>[0]),
    );
  }

  const sanitizeOptions = optionsOf(config, 'sanitize', true);
  if (sanitizeOptions) plugins.push(sanitize(sanitizeOptions as Parameters<typeof sanitize>[0]));

  if (services.keyRing) plugins.push(cryptoPlugin({ keyRing: services.keyRing, store: false }));

  const pinning = wireToolPinning(config, ctx.gateway ?? false);
  if (pinning) plugins.push(pinning.plugin);

  return {
    plugins,
    resolveInSandbox: (root, userPath) =>
      root === filesRoot ? filesChecker(userPath) : createSafePath({ root, mustExist: true })(userPath),
    afterStart: async () => {
      pinning?.afterStart();
      if (!apiKeys.enabled || !apiKeys.bootstrapAdminKey || !services.keys || ctx.stdio || anonymous) return;
      const marker = join(config.dataDir, DATA_FILES.bootstrapMarker);
      if (existsSync(marker) || (await services.keys.list()).length > 0) return;
      const issued = await services.keys.create(
        { name: 'bootstrap admin', owner: 'admin', roles: ['admin'], scopes: [] },
        { actor: 'mcp-warden serve' },
      );
      writeFileSync(marker, `${issued.info.id}\n`, { mode: 0o600 });
      ctx.log(
        [
          'mcp-warden: first start: created an admin API key. It is shown only this once; store it now:',
          '',
          `    ${issued.key}`,
          '',
          `  Use it as "Authorization: Bearer <key>". Create more with "mcp-warden keys create", revoke this one with "mcp-warden keys revoke ${issued.info.id}".`,
          '  (Turn this off with plugins.apikeyAuth.bootstrapAdminKey: false.)',
        ].join('\n'),
      );
    },
  };
}

/** Where the pin store of `plugins.toolPinning` lives: its `storeFile`, else `<dataDir>/tool-pins.db`. */
export function toolPinsFile(config: ServerConfig): string {
  const configured = (config.plugins.toolPinning as { storeFile?: unknown } | undefined)?.storeFile;
  return typeof configured === 'string' ? resolve(configured) : join(config.dataDir, DATA_FILES.toolPins);
}

/**
 * Tool pinning (off by default). Once its store exists a marker records it, so a pin store that disappears
 * refuses to start instead of trusting every tool on first use again.
 */
function wireToolPinning(
  config: ServerConfig,
  gateway: boolean,
): { plugin: WardenPlugin; afterStart: () => void } | undefined {
  const options = optionsOf(config, 'toolPinning', false);
  if (!options) return undefined;
  // A gateway names each request's upstream (ctx.upstream, its configured name): pins are kept under that,
  // never under the name a server gives itself (a server could rename itself to be trusted on first use again).
  if (gateway && options.upstream !== undefined)
    throw new ServerConfigError(
      'plugins.toolPinning.upstream is for one in-process server: the gateway pins each upstream under its configured name.',
    );
  const storeFile = toolPinsFile(config);
  const marker = join(config.dataDir, DATA_FILES.toolPinsMarker);
  if (!existsSync(storeFile) && existsSync(marker)) {
    throw new ServerConfigError(
      `the tool pin store ${storeFile} is missing; refusing to start, because every tool would be trusted on ` +
        `first use again. Restore it from a backup, or delete ${marker} to start over.`,
    );
  }
  const plugin = toolPinning({ ...options, storeFile } as Parameters<typeof toolPinning>[0]);
  return {
    plugin,
    afterStart: () => {
      if (!existsSync(marker)) writeFileSync(marker, `${storeFile}\n`, { mode: 0o600 });
    },
  };
}
