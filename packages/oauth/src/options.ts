import { isRefreshTokenScope } from '@mcp-warden/core';
import { z } from 'zod';
import { isLoopbackUrl } from './http-fetch.js';
import { isScopeToken } from './scopes.js';

/** Asymmetric JWS algorithms the verifier can be told to accept. HMAC and `none` are never accepted. */
export const SUPPORTED_ALGORITHMS = [
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
] as const;
export type SupportedAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number];

/** The default allow-list. */
export const DEFAULT_ALGORITHMS: readonly SupportedAlgorithm[] = ['ES256', 'EdDSA', 'RS256', 'PS256'];

function secureUrl(what: string) {
  return z.string().superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: `${what} must be an absolute URL (got something that does not parse as one)`,
      });
      return;
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackUrl(url))) {
      ctx.addIssue({
        code: 'custom',
        message: `${what} must use https (plain http is only allowed for localhost/127.0.0.1)`,
      });
    }
    if (url.hash) ctx.addIssue({ code: 'custom', message: `${what} must not have a #fragment` });
  });
}

const scopeToken = z.string().refine(isScopeToken, {
  message: 'a scope must be printable ASCII without spaces, quotes or backslashes (RFC 6749 §3.3)',
});

/**
 * A scope this resource requires or advertises: never `offline_access` (any case). MCP 2026-07-28 keeps it out of
 * `scopes_supported` and every challenge; requiring it would send clients into a step-up they can never satisfy.
 */
const resourceScope = scopeToken.refine((scope) => !isRefreshTokenScope(scope), {
  message:
    '"offline_access" (in any case) asks the authorization server for a refresh token; it is not a scope of this resource, so it can be neither required nor advertised (MCP 2026-07-28, "Refresh Tokens")',
  params: { fix: 'remove it; clients ask for offline_access themselves' },
});

const jwkSchema = z
  .looseObject({ kty: z.string() })
  .refine((k) => k.kty !== 'oct', {
    message: 'symmetric (kty "oct") keys are not accepted: tokens must be verified with public keys',
  })
  .refine((k) => !('d' in k), {
    message: 'this key contains private material ("d"): pass the public key only',
  });

export const jwksSettingsSchema = z.strictObject({
  /** @default 600 */
  cacheMaxAgeSeconds: z.number().int().positive().optional(),
  /** @default 30 */
  cooldownSeconds: z.number().int().nonnegative().optional(),
  /** @default 5000 */
  timeoutMs: z.number().int().positive().max(60_000).optional(),
  /** @default 86400 */
  maxStaleSeconds: z.number().int().positive().optional(),
  /** @default 1000 */
  unknownKidWaitMs: z.number().int().nonnegative().max(60_000).optional(),
});

export const introspectionOptionsSchema = z.strictObject({
  endpoint: secureUrl('introspection.endpoint'),
  clientId: z.string().min(1, 'introspection.clientId is required'),
  clientSecret: z.string().min(1, 'introspection.clientSecret is required'),
  timeoutMs: z.number().int().positive().max(60_000).optional(),
  cacheTtlSeconds: z.number().int().nonnegative().optional(),
  cacheMaxEntries: z.number().int().positive().optional(),
});

export const tokenCacheOptionsSchema = z.strictObject({
  /** @default 1000 */
  maxEntries: z.number().int().positive().optional(),
  /** @default 300 */
  ttlSeconds: z.number().int().positive().optional(),
});

const verifierShape = {
  resource: secureUrl('resource').optional(),
  issuer: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  jwksUri: secureUrl('jwksUri').optional(),
  keys: z.array(jwkSchema).min(1).optional(),
  jwks: jwksSettingsSchema.optional(),
  algorithms: z
    .array(z.string())
    .min(1)
    .superRefine((algs, ctx) => {
      for (const alg of algs) {
        if (!(SUPPORTED_ALGORITHMS as readonly string[]).includes(alg)) {
          ctx.addIssue({
            code: 'custom',
            message: `algorithm "${alg}" is not allowed; choose from ${SUPPORTED_ALGORITHMS.join(', ')} (never "none" or HMAC)`,
          });
        }
      }
    })
    .optional(),
  requireTyp: z.boolean().optional(),
  requireKid: z.boolean().optional(),
  clockToleranceSeconds: z.number().nonnegative().max(300).optional(),
  maxTokenAgeSeconds: z.number().int().positive().optional(),
  additionalAudiences: z.array(z.string().min(1)).optional(),
  introspection: introspectionOptionsSchema.optional(),
  rolesClaim: z.string().min(1).optional(),
  tokenCache: z.union([z.literal(false), tokenCacheOptionsSchema]).optional(),
  maxTokenLength: z.number().int().min(256).max(1_000_000).optional(),
};

function checkKeySources(
  options: {
    jwksUri?: string | undefined;
    keys?: unknown[] | undefined;
    introspection?: unknown;
    issuer?: unknown;
  },
  ctx: z.RefinementCtx,
): void {
  if (options.jwksUri && options.keys) {
    ctx.addIssue({ code: 'custom', message: 'set either jwksUri or keys, not both', path: ['keys'] });
  }
  if (!options.jwksUri && !options.keys && !options.introspection) {
    ctx.addIssue({
      code: 'custom',
      message:
        'no way to verify tokens: set jwksUri (or keys) for JWT access tokens, or introspection for opaque ones',
    });
  }
  if ((options.jwksUri || options.keys) && options.issuer === undefined) {
    ctx.addIssue({
      code: 'custom',
      message:
        "issuer is required to verify JWT access tokens (the authorization server's issuer identifier)",
      path: ['issuer'],
    });
  }
}

/** Options of {@link createTokenVerifier}, validated with this schema. */
export const tokenVerifierOptionsSchema = z.strictObject(verifierShape).superRefine((o, ctx) => {
  checkKeySources(o, ctx);
  if (!o.resource)
    ctx.addIssue({
      code: 'custom',
      message: 'resource is required: the canonical URI of this MCP server, e.g. https://mcp.example.com/mcp',
      path: ['resource'],
    });
});

const scopeRulesSchema = z.record(z.string().min(1).max(512), z.array(resourceScope));

/** Options of the {@link oauth} plugin, validated with this schema at setup. */
export const oauthOptionsSchema = z
  .strictObject({
    ...verifierShape,
    authorizationServers: z.array(secureUrl('authorizationServers[]')).min(1).optional(),
    scopesSupported: z.array(resourceScope).optional(),
    requiredScopes: z.array(resourceScope).optional(),
    methods: scopeRulesSchema.optional(),
    tools: scopeRulesSchema.optional(),
    prompts: scopeRulesSchema.optional(),
    resources: scopeRulesSchema.optional(),
    scopeHierarchy: z
      .strictObject({
        implies: z.record(resourceScope, z.array(resourceScope)).optional(),
        prefixSeparator: z.string().min(1).max(4).optional(),
      })
      .optional(),
    endpointResources: z.array(secureUrl('endpointResources[]')).max(64).optional(),
    resourceName: z.string().min(1).max(200).optional(),
    resourceDocumentation: secureUrl('resourceDocumentation').optional(),
    ignoreTokenPrefixes: z.array(z.string().min(1)).optional(),
    mode: z.enum(['enforce', 'audit']).optional(),
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]*$/, 'name must be kebab-case')
      .optional(),
  })
  .superRefine((o, ctx) => {
    checkKeySources(o, ctx);
    if (!o.authorizationServers && typeof o.issuer !== 'string') {
      ctx.addIssue({
        code: 'custom',
        message:
          'authorizationServers is required (the issuer URL(s) clients get tokens from), unless a single issuer is set',
        path: ['authorizationServers'],
      });
    }
  });

export type TokenVerifierOptionsInput = z.input<typeof tokenVerifierOptionsSchema>;
export type OAuthOptionsInput = z.input<typeof oauthOptionsSchema>;
