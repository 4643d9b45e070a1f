import {
  AUTHENTICATION_CAPABILITY,
  type AuthChallenge,
  AuthenticationError,
  ConfigError,
  type EdgeRequest,
  type PluginSetupContext,
  type Principal,
  parseOptions,
  WARDEN_SPEC_VERSION,
  type WardenPlugin,
} from '@mcp-warden/core';
import { APIKEY_AUTH_ERROR_CODES } from './errors.js';
import { APIKEY_AUTH_PLUGIN_NAME, type ApiKeyFailure, ApiKeyManager } from './manager.js';
import {
  type ApiKeyAuthOptions,
  apiKeyAuthOptionsSchema,
  DEFAULT_PEPPER_ENV_VAR,
  type ResolvedApiKeyAuthOptions,
} from './options.js';
import { MemoryApiKeyStore } from './stores/memory.js';

/** The one message every refused key gets, whatever the reason (the reason goes to the security event). */
export const INVALID_API_KEY_MESSAGE = 'The API key is not valid.';

/** Query parameters that are refused outright, whatever their value. */
const KEY_QUERY_PARAMETERS = new Set(['api_key', 'apikey', 'api-key', 'x-api-key', 'key']);

const FAILURE_CODES: Record<ApiKeyFailure, string> = {
  malformed: APIKEY_AUTH_ERROR_CODES.MALFORMED,
  unknown: APIKEY_AUTH_ERROR_CODES.UNKNOWN,
  expired: APIKEY_AUTH_ERROR_CODES.EXPIRED,
  revoked: APIKEY_AUTH_ERROR_CODES.REVOKED,
  exhausted: APIKEY_AUTH_ERROR_CODES.EXHAUSTED,
  address_not_allowed: APIKEY_AUTH_ERROR_CODES.ADDRESS_NOT_ALLOWED,
};

/** The plugin object {@link apiKeyAuth} returns: a `WardenPlugin` plus access to its engine. */
export interface ApiKeyAuthPlugin extends WardenPlugin {
  /** The manager behind the plugin: set after setup, or at once when one was passed in the options. */
  readonly manager: ApiKeyManager | undefined;
}

/**
 * API-key authentication for MCP Warden. Reads `Authorization: Bearer <prefix>_…` (other bearer tokens are left
 * to other authenticators), the optional `header` (default `x-api-key`), and under stdio the `envVar` (default
 * `MCP_WARDEN_API_KEY`). Keys in the URL query string are refused.
 * @example
 * const keys = new ApiKeyManager({ store: new SqliteApiKeyStore({ path: 'keys.db' }), peppers: [{ id: 'p1', secret: process.env.PEPPER! }] });
 * const warden = await createWarden({ plugins: [apiKeyAuth({ manager: keys }), acl({ … })] });
 */
export function apiKeyAuth(options: ApiKeyAuthOptions = {}): ApiKeyAuthPlugin {
  // Eagerly, in the factory: bad options fail where they are written. The pepper variable is read at setup.
  const parsed = parseOptions(apiKeyAuthOptionsSchema, options, { plugin: APIKEY_AUTH_PLUGIN_NAME });
  /** The options, once setup has run. */
  let resolved: ResolvedApiKeyAuthOptions | undefined;
  let manager: ApiKeyManager | undefined = isManagerLike(options.manager) ? options.manager : undefined;
  let ownsManager = false;
  let unsubscribe: (() => void) | undefined;
  let prefixMarker = `${parsed.prefix}_`;
  /**
   * True when the warden says this is its only authenticator: then every bearer token is an API key (a wrong one is
   * refused as "The API key is not valid."), rather than "no credential" that sends clients into OAuth discovery.
   */
  let soleAuthenticator = false;

  const plugin = {
    specVersion: WARDEN_SPEC_VERSION,
    name: APIKEY_AUTH_PLUGIN_NAME,
    version: '0.1.0',
    provides: [AUTHENTICATION_CAPABILITY],
    ...(parsed.mode === undefined ? {} : { mode: parsed.mode }),

    get manager(): ApiKeyManager | undefined {
      return manager;
    },

    setup(ctx: PluginSetupContext): void {
      resolved = parsed;
      if (resolved.manager) {
        manager = resolved.manager;
        prefixMarker = `${manager.prefix}_`;
      } else {
        const peppers = resolved.peppers ?? pepperFromEnv();
        if (!peppers) {
          throw new ConfigError(
            `apiKeyAuth: no pepper configured. Set options.peppers to [{ id: 'p1', secret: <at least 32 random bytes> }] or the ${DEFAULT_PEPPER_ENV_VAR} environment variable (e.g. \`openssl rand -base64 32\`).`,
          );
        }
        try {
          manager = new ApiKeyManager({
            store: resolved.store ?? new MemoryApiKeyStore(),
            peppers,
            ...(resolved.currentPepperId === undefined ? {} : { currentPepperId: resolved.currentPepperId }),
            prefix: resolved.prefix,
            ...(resolved.cache === undefined ? {} : { cache: resolved.cache }),
            ...(resolved.lastUsedResolutionMs === undefined
              ? {}
              : { lastUsedResolutionMs: resolved.lastUsedResolutionMs }),
            onBackgroundError: (error) =>
              ctx.emit({
                type: 'store.degraded',
                outcome: 'info',
                severity: 'warn',
                reason: `API-key store background write failed: ${describe(error)}`,
              }),
          });
        } catch (error) {
          throw new ConfigError(`apiKeyAuth: ${describe(error)}`, { cause: error });
        }
        ownsManager = true;
        prefixMarker = `${resolved.prefix}_`;
      }
      soleAuthenticator =
        ctx.plugins.some((p) => p.name === APIKEY_AUTH_PLUGIN_NAME) &&
        !ctx.plugins.some(
          (p) => p.name !== APIKEY_AUTH_PLUGIN_NAME && p.provides.includes(AUTHENTICATION_CAPABILITY),
        );
      const onEvent = resolved.onEvent;
      unsubscribe = manager.subscribe((event) => {
        ctx.emit(event);
        onEvent?.(event);
      });
    },

    async close(): Promise<void> {
      unsubscribe?.();
      unsubscribe = undefined;
      if (ownsManager) await manager?.close();
    },

    async authenticate(request: EdgeRequest): Promise<Principal | undefined> {
      if (!manager || !resolved) throw new ConfigError('apiKeyAuth: authenticate() called before setup().');
      if (request.url !== undefined && request.url.search.length > 1)
        refuseKeyInQuery(request.url, prefixMarker, resolved.header);
      const credential = extractCredential(request, resolved, prefixMarker, soleAuthenticator);
      if (credential === undefined) return undefined;
      checkCredentialSyntax(credential.value, credential.source, resolved.maxCredentialLength);
      const result = await manager.verify(
        credential.value,
        request.remoteAddress === undefined ? {} : { remoteAddress: request.remoteAddress },
      );
      if (result.ok) return result.principal;
      throw new AuthenticationError({
        message: INVALID_API_KEY_MESSAGE,
        oauthError: 'invalid_token',
        reason: `API key refused: ${result.failure}${result.keyId === undefined ? '' : ` (key ${result.keyId})`}`,
        details: {
          failure: result.failure,
          failureCode: FAILURE_CODES[result.failure],
          source: credential.source,
          ...(result.keyId === undefined ? {} : { keyId: result.keyId }),
        },
      });
    },

    challenge(): AuthChallenge {
      return { scheme: 'Bearer', params: { realm: resolved?.realm ?? 'mcp-warden' } };
    },
  } satisfies ApiKeyAuthPlugin;
  return plugin;
}

type CredentialSource = 'authorization' | 'header' | 'environment';

/** The credential this plugin should judge, or `undefined` when the request carries none of ours. */
function extractCredential(
  request: EdgeRequest,
  options: ResolvedApiKeyAuthOptions,
  prefixMarker: string,
  everyBearerIsOurs: boolean,
): { value: string; source: CredentialSource } | undefined {
  if (request.transport === 'stdio') {
    const value = request.env !== undefined ? request.env[options.envVar] : process.env[options.envVar];
    return value === undefined ? undefined : { value, source: 'environment' };
  }
  const authorization = request.headers.authorization;
  if (
    authorization !== undefined &&
    authorization.length > 7 &&
    authorization.slice(0, 7).toLowerCase() === 'bearer '
  ) {
    // RFC 7235: one or more spaces between the scheme and the token.
    let start = 7;
    while (authorization.charCodeAt(start) === 32) start++;
    // Only tokens with our prefix are ours: anything else (a JWT, another product's key) goes to the next
    // authenticator, e.g. the OAuth plugin.
    if (everyBearerIsOurs || authorization.startsWith(prefixMarker, start))
      return { value: authorization.slice(start), source: 'authorization' };
  }
  if (options.header !== false) {
    const value = request.headers[options.header];
    if (value !== undefined) return { value, source: 'header' };
  }
  return undefined;
}

/** Refuses empty, over-long, whitespace-containing or non-ASCII credentials with a clear message, before any lookup. */
function checkCredentialSyntax(value: string, source: CredentialSource, maxLength: number): void {
  const where =
    source === 'environment'
      ? 'The API key in the environment'
      : source === 'header'
        ? 'The API-key header'
        : 'The bearer API key';
  let problem: string | undefined;
  if (value.length === 0) problem = `${where} is empty.`;
  else if (value.length > maxLength) problem = `${where} is too long (at most ${maxLength} characters).`;
  else {
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c <= 0x20 || c >= 0x7f) {
        problem = `${where} contains whitespace, control or non-ASCII characters.`;
        break;
      }
    }
  }
  if (problem !== undefined) {
    throw new AuthenticationError({
      code: APIKEY_AUTH_ERROR_CODES.BAD_CREDENTIAL_SYNTAX,
      message: problem,
      oauthError: 'invalid_request',
      reason: `API key refused without lookup: ${problem}`,
      details: { failure: 'bad_syntax', source: source, length: value.length },
    });
  }
}

/** Keys never travel in URLs (they end up in logs and browser history): refuse, and say how to send it. */
function refuseKeyInQuery(url: URL, prefixMarker: string, header: string | false): void {
  let seen = 0;
  for (const [name, value] of url.searchParams) {
    if (++seen > 100) break;
    const lower = name.toLowerCase();
    if (
      (value.length > 0 && (KEY_QUERY_PARAMETERS.has(lower) || lower === header)) ||
      value.includes(prefixMarker)
    ) {
      throw new AuthenticationError({
        code: APIKEY_AUTH_ERROR_CODES.KEY_IN_QUERY,
        message:
          'API keys are not accepted in the URL query string (URLs end up in logs). Send the key in the "Authorization: Bearer <key>" header, and rotate the key that was exposed.',
        oauthError: 'invalid_request',
        reason: `API key sent in query parameter "${name.slice(0, 40)}"`,
        details: { failure: 'key_in_query', parameter: name.slice(0, 40) },
      });
    }
  }
}

function pepperFromEnv(): { id: string; secret: string }[] | undefined {
  const secret = process.env[DEFAULT_PEPPER_ENV_VAR];
  return secret === undefined || secret === '' ? undefined : [{ id: 'env', secret }];
}

function isManagerLike(value: unknown): value is ApiKeyManager {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { verify?: unknown }).verify === 'function'
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
