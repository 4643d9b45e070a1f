import { type Principal, parseOptions } from '@mcp-warden/core';
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  errors,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import type { z } from 'zod';
import { OAUTH_ERROR_CODES, TokenVerificationError } from './errors.js';
import { type IntrospectionOptions, Introspector } from './introspection.js';
import { DEFAULT_ALGORITHMS, type SupportedAlgorithm, tokenVerifierOptionsSchema } from './options.js';
import { principalFromClaims } from './principal-from-claims.js';
import { publicSigningKeys, RemoteKeySet } from './remote-key-set.js';
import { tokenHash, VerifiedTokenCache } from './token-cache.js';

/** Options of {@link createTokenVerifier}. */
export interface TokenVerifierOptions {
  /**
   * The canonical URI of this MCP server (RFC 8707 / MCP "Canonical Server URI"), e.g.
   * `https://mcp.example.com/mcp`. A token is accepted only when its `aud` contains it.
   */
  resource: string;
  /** The authorization server's issuer identifier(s); the JWT `iss` must equal one. Required for JWTs. */
  issuer?: string | string[];
  /** JWKS URL of the authorization server (fetched, cached, refreshed on an unknown `kid`). */
  jwksUri?: string;
  /** Static public keys (JWK) instead of `jwksUri`. Symmetric and private keys are refused. */
  keys?: (JWK & { kty: string })[];
  /** JWKS cache settings. */
  jwks?: {
    /** @default 600 */
    cacheMaxAgeSeconds?: number;
    /** At most one JWKS fetch per this many seconds. @default 30 */
    cooldownSeconds?: number;
    /** @default 5000 */
    timeoutMs?: number;
    /**
     * How long cached keys keep working while the JWKS endpoint is down. Until then, keys older than
     * `cacheMaxAgeSeconds` keep verifying while a refresh runs in the background. @default 86400
     */
    maxStaleSeconds?: number;
    /**
     * Longest a request waits for a JWKS fetch, and only when no cached key can verify it (an unknown `kid`, or no
     * usable keys yet); the fetch itself goes on, up to `timeoutMs`. @default 1000
     */
    unknownKidWaitMs?: number;
  };
  /**
   * Accepted JWS algorithms. `none` and HMAC (`HS*`) are never accepted.
   * @default ['ES256', 'EdDSA', 'RS256', 'PS256']
   */
  algorithms?: SupportedAlgorithm[];
  /** Require the JWT header `typ: at+jwt` (RFC 9068 §4). Turn on when your authorization server sets it. @default false */
  requireTyp?: boolean;
  /**
   * Refuse a JWT whose header names no `kid` (`OAUTH_KID_MISSING`), even when only one configured key could match.
   * Without it, a token without `kid` is checked against whichever key fits its `alg`, so which key signed it is
   * never stated. Turn off only for an authorization server with a single key that does not set `kid`.
   * @default true
   */
  requireKid?: boolean;
  /**
   * Allowed clock skew for `exp`, `nbf` and `iat`. A token whose `iat` lies further ahead than this is refused
   * (`OAUTH_TOKEN_ISSUED_IN_FUTURE`), whether or not `maxTokenAgeSeconds` is set.
   * @default 5
   */
  clockToleranceSeconds?: number;
  /** Refuse tokens whose `iat` is older than this (and tokens without `iat`). Off when not set. */
  maxTokenAgeSeconds?: number;
  /** Further accepted audiences, e.g. the URI without a trailing slash during a migration. Use sparingly. */
  additionalAudiences?: string[];
  /** RFC 7662 introspection for opaque (non-JWT) access tokens. */
  introspection?: IntrospectionOptions;
  /** Dot path of the roles claim. @default 'roles' */
  rolesClaim?: string;
  /**
   * Cache of verified tokens, keyed by SHA-256 of the token, bounded (LRU) and never past `exp`. `false` turns it
   * off. A cached JWT stays accepted until its TTL even if its key is removed from the JWKS.
   * @default { maxEntries: 1000, ttlSeconds: 300 }
   */
  tokenCache?: false | { maxEntries?: number; ttlSeconds?: number };
  /** Longer tokens are refused before any parsing. @default 16384 */
  maxTokenLength?: number;
  /** `Principal.authenticatedBy` of the principals built. @default 'oauth' */
  authenticatedBy?: string;
  /** Told when the JWKS endpoint becomes unreachable (cached keys served) and when it recovers. */
  onJwksStatus?: (status: { degraded: boolean; reason: string }) => void;
}

// Compile-time check that the interface and the zod schema agree.
type SchemaInput = z.input<typeof tokenVerifierOptionsSchema>;
const _schemaAgrees = (o: Omit<TokenVerifierOptions, 'authenticatedBy' | 'onJwksStatus'>): SchemaInput => o;
void _schemaAgrees;

/** A token that passed verification. */
export interface VerifiedToken {
  readonly principal: Principal;
  /** The verified JWT payload, or the introspection answer. */
  readonly claims: Readonly<Record<string, unknown>>;
  readonly format: 'jwt' | 'opaque';
  /** Epoch seconds (`exp`), when the token says. */
  readonly expiresAt: number | undefined;
}

/** Verifies access tokens for one resource server. Create once, use for every request. */
export interface TokenVerifier {
  /** Resolves the verified token, or throws {@link TokenVerificationError} with a stable `code` and a `reason`. */
  verify(token: string): Promise<VerifiedToken>;
  /** The canonical resource URI tokens must be issued for. */
  readonly resource: string;
  /** Empties the verified-token cache (e.g. after a key compromise). */
  clearCache(): void;
}

/** JWS compact serialization: three base64url segments (the signature may be empty, which is then refused). */
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** JOSE header parameters that carry or point at key material, or extensions we do not implement. */
const FORBIDDEN_HEADERS = ['jwk', 'jku', 'x5u', 'x5c', 'crit', 'b64'] as const;

/** True when the token has the shape of a JWS compact serialization (and so is verified as a JWT). */
export function looksLikeJwt(token: string): boolean {
  return JWS_COMPACT.test(token);
}

/**
 * The canonical form of a resource URI: parsed and re-serialized (lower-case scheme and host, default port
 * dropped), without fragment. This is what the MCP SDK client sends as `resource` and so what tokens carry.
 */
export function canonicalResource(resource: string | URL): string {
  const url = new URL(resource);
  url.hash = '';
  return url.href;
}

/**
 * Creates a verifier for access tokens: JWTs locally (remote JWKS or static keys) and opaque tokens through
 * RFC 7662 introspection. Options are validated at once; a problem throws `ConfigError`.
 * @example
 * const verifier = createTokenVerifier({
 *   resource: 'https://mcp.example.com/mcp',
 *   issuer: 'https://auth.example.com',
 *   jwksUri: 'https://auth.example.com/jwks',
 * });
 * const { principal } = await verifier.verify(token); // throws TokenVerificationError when refused
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const { authenticatedBy, onJwksStatus, ...rest } = options;
  const o = parseOptions(tokenVerifierOptionsSchema, rest, { plugin: 'oauth token verifier' });
  const resource = canonicalResource(o.resource as string);
  const audiences = [resource, ...(o.additionalAudiences ?? [])];
  // An origin-only resource serializes with a trailing "/"; tokens naming it without one are the same resource.
  if (new URL(resource).pathname === '/') audiences.push(resource.slice(0, -1));
  const algorithms = [...(o.algorithms ?? DEFAULT_ALGORITHMS)];
  const clockTolerance = o.clockToleranceSeconds ?? 5;
  const requireKid = o.requireKid ?? true;
  const maxTokenLength = o.maxTokenLength ?? 16_384;
  const issuers = o.issuer === undefined ? undefined : Array.isArray(o.issuer) ? o.issuer : [o.issuer];
  const mapping = { rolesClaim: o.rolesClaim ?? 'roles', authenticatedBy: authenticatedBy ?? 'oauth' };

  let getKey: JWTVerifyGetKey | undefined;
  if (o.jwksUri) {
    const j = o.jwks ?? {};
    const remote = new RemoteKeySet(o.jwksUri, {
      cacheMaxAgeMs: (j.cacheMaxAgeSeconds ?? 600) * 1000,
      cooldownMs: (j.cooldownSeconds ?? 30) * 1000,
      timeoutMs: j.timeoutMs ?? 5000,
      maxStaleMs: (j.maxStaleSeconds ?? 86_400) * 1000,
      unknownKidWaitMs: j.unknownKidWaitMs ?? 1000,
      onStatus: onJwksStatus,
    });
    getKey = remote.getKey;
  } else if (o.keys) {
    getKey = createLocalJWKSet({ keys: publicSigningKeys({ keys: o.keys }) });
  }
  const introspector = o.introspection ? new Introspector(o.introspection) : undefined;
  const cache =
    o.tokenCache === false
      ? undefined
      : new VerifiedTokenCache<VerifiedToken>({
          maxEntries: o.tokenCache?.maxEntries ?? 1000,
          ttlSeconds: o.tokenCache?.ttlSeconds ?? 300,
        });

  function toVerified(claims: Record<string, unknown>, format: 'jwt' | 'opaque'): VerifiedToken {
    const principal = principalFromClaims(claims, mapping);
    if (!principal)
      throw new TokenVerificationError(
        OAUTH_ERROR_CODES.CLAIM_INVALID,
        'the token names no subject (neither "sub" nor "client_id")',
      );
    const exp = typeof claims.exp === 'number' ? claims.exp : undefined;
    return Object.freeze({ principal, claims: principal.claims, format, expiresAt: exp });
  }

  async function verifyJwt(token: string): Promise<VerifiedToken> {
    if (!getKey) {
      throw new TokenVerificationError(
        OAUTH_ERROR_CODES.UNSUPPORTED_TOKEN,
        'a JWT arrived but no jwksUri or keys are configured',
      );
    }
    let header: Record<string, unknown>;
    try {
      header = decodeProtectedHeader(token) as Record<string, unknown>;
    } catch {
      throw new TokenVerificationError(
        OAUTH_ERROR_CODES.TOKEN_MALFORMED,
        'the JWT header is not valid base64url JSON',
      );
    }
    const alg = header.alg;
    if (typeof alg !== 'string' || !algorithms.includes(alg as SupportedAlgorithm)) {
      throw new TokenVerificationError(
        OAUTH_ERROR_CODES.ALGORITHM_NOT_ALLOWED,
        `JWT alg ${JSON.stringify(typeof alg === 'string' ? alg.slice(0, 32) : (alg ?? null))} is not allowed (allowed: ${algorithms.join(', ')})`,
      );
    }
    for (const name of FORBIDDEN_HEADERS) {
      if (Object.hasOwn(header, name)) {
        throw new TokenVerificationError(
          OAUTH_ERROR_CODES.FORBIDDEN_HEADER,
          `JWT header "${name}" is refused: keys come only from the configured JWKS`,
        );
      }
    }
    const kid = header.kid;
    if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0)) {
      throw new TokenVerificationError(
        OAUTH_ERROR_CODES.TOKEN_MALFORMED,
        'the JWT header "kid" is not a non-empty string',
      );
    }
    if (kid === undefined && requireKid) {
      throw new TokenVerificationError(
        OAUTH_ERROR_CODES.KID_MISSING,
        'the JWT header names no "kid" (requireKid is on): the token must say which key signed it',
      );
    }
    let payload: JWTPayload;
    try {
      const result = await jwtVerify(token, getKey, {
        algorithms,
        issuer: issuers,
        audience: audiences,
        clockTolerance,
        requiredClaims: o.maxTokenAgeSeconds ? ['exp', 'iat'] : ['exp'],
        ...(o.maxTokenAgeSeconds ? { maxTokenAge: o.maxTokenAgeSeconds } : {}),
        ...(o.requireTyp ? { typ: 'at+jwt' } : {}),
      });
      payload = result.payload;
    } catch (error) {
      throw mapJoseError(error);
    }
    checkTimeClaims(payload as Record<string, unknown>, clockTolerance, 'the token');
    return toVerified(payload as Record<string, unknown>, 'jwt');
  }

  async function verifyOpaque(token: string): Promise<VerifiedToken> {
    if (!introspector) {
      throw new TokenVerificationError(
        OAUTH_ERROR_CODES.UNSUPPORTED_TOKEN,
        'an opaque (non-JWT) token arrived but no introspection endpoint is configured',
      );
    }
    const claims = await introspector.introspect(token);
    checkTimeClaims(claims, clockTolerance, 'introspection');
    const now = Date.now() / 1000;
    if (typeof claims.exp === 'number' && claims.exp + clockTolerance <= now) {
      throw new TokenVerificationError(
        OAUTH_ERROR_CODES.TOKEN_EXPIRED,
        'introspection reports an "exp" in the past',
      );
    }
    if (typeof claims.nbf === 'number' && claims.nbf - clockTolerance > now) {
      throw new TokenVerificationError(
        OAUTH_ERROR_CODES.TOKEN_NOT_YET_VALID,
        'introspection reports an "nbf" in the future',
      );
    }
    if (issuers && claims.iss !== undefined && !issuers.includes(String(claims.iss))) {
      throw new TokenVerificationError(
        OAUTH_ERROR_CODES.ISSUER_MISMATCH,
        'introspection reports an unexpected issuer',
      );
    }
    const aud = claims.aud;
    const audList = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
    if (!audList.some((a) => typeof a === 'string' && audiences.includes(a))) {
      throw new TokenVerificationError(
        OAUTH_ERROR_CODES.AUDIENCE_MISMATCH,
        aud === undefined
          ? 'introspection reports no "aud": the token is not bound to this resource'
          : 'introspection reports an "aud" that does not contain this server\'s resource URI',
      );
    }
    return toVerified(claims, 'opaque');
  }

  return {
    resource,
    clearCache() {
      cache?.clear();
    },
    async verify(token: string): Promise<VerifiedToken> {
      if (typeof token !== 'string' || token.length === 0) {
        throw new TokenVerificationError(OAUTH_ERROR_CODES.TOKEN_MALFORMED, 'the token is empty');
      }
      if (token.length > maxTokenLength) {
        throw new TokenVerificationError(
          OAUTH_ERROR_CODES.TOKEN_MALFORMED,
          `the token is longer than ${maxTokenLength} characters`,
        );
      }
      const jwt = looksLikeJwt(token);
      const key = cache && jwt ? tokenHash(token) : undefined;
      if (key !== undefined) {
        const hit = cache?.get(key);
        if (hit) return hit;
      }
      const verified = jwt ? await verifyJwt(token) : await verifyOpaque(token);
      if (key !== undefined && verified.expiresAt !== undefined) {
        let until = verified.expiresAt * 1000;
        const iat = verified.claims.iat;
        if (o.maxTokenAgeSeconds && typeof iat === 'number')
          until = Math.min(until, (iat + o.maxTokenAgeSeconds) * 1000);
        cache?.set(key, verified, until);
      }
      return verified;
    },
  };
}

const TIME_CLAIMS = ['exp', 'nbf', 'iat'] as const;

/**
 * Checks what `jose` leaves open: a time claim that is present must be a finite, non-negative number (JSON's
 * `1e999` parses as `Infinity`, which jose takes for a number), and `iat` must not lie beyond the clock tolerance
 * in the future. jose checks the latter only when `maxTokenAge` is set; a token "issued" a year ahead is a forged or
 * mis-minted one, so it is refused always.
 */
function checkTimeClaims(claims: Record<string, unknown>, clockTolerance: number, source: string): void {
  for (const claim of TIME_CLAIMS) {
    const value = claims[claim];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new TokenVerificationError(
        OAUTH_ERROR_CODES.CLAIM_INVALID,
        `${source} carries a "${claim}" that is not a finite, non-negative number (${typeof value})`,
      );
    }
  }
  const iat = claims.iat;
  // Whole seconds, as jose counts them, so that both checks agree on the boundary.
  const now = Math.floor(Date.now() / 1000);
  if (typeof iat === 'number' && iat > now + clockTolerance) {
    throw new TokenVerificationError(
      OAUTH_ERROR_CODES.TOKEN_ISSUED_IN_FUTURE,
      `${source} says it was issued ${Math.round(iat - now)} s in the future ("iat"), beyond the clock tolerance of ${clockTolerance} s`,
    );
  }
}

/** Maps a jose error onto a stable code and a reason without token contents. */
function mapJoseError(error: unknown): TokenVerificationError {
  if (error instanceof TokenVerificationError) return error;
  if (error instanceof errors.JWTExpired && error.claim === 'iat') {
    return new TokenVerificationError(
      OAUTH_ERROR_CODES.TOKEN_TOO_OLD,
      'the token is older than maxTokenAgeSeconds',
    );
  }
  if (error instanceof errors.JWTExpired)
    return new TokenVerificationError(
      OAUTH_ERROR_CODES.TOKEN_EXPIRED,
      'the token has expired ("exp" is in the past)',
    );
  if (error instanceof errors.JWTClaimValidationFailed) {
    const claim = error.claim;
    const reason = `claim "${claim}" check failed: ${error.reason}`;
    if (claim === 'iss')
      return new TokenVerificationError(
        OAUTH_ERROR_CODES.ISSUER_MISMATCH,
        'the token\'s "iss" is not the configured issuer',
      );
    if (claim === 'aud')
      return new TokenVerificationError(
        OAUTH_ERROR_CODES.AUDIENCE_MISMATCH,
        'the token\'s "aud" does not contain this server\'s resource URI',
      );
    if (claim === 'nbf' && error.reason === 'check_failed')
      return new TokenVerificationError(
        OAUTH_ERROR_CODES.TOKEN_NOT_YET_VALID,
        'the token is not valid yet ("nbf" is in the future)',
      );
    // jose raises JWTExpired for a too old token (handled above) and this one for an `iat` in the future.
    if (claim === 'iat' && error.reason === 'check_failed')
      return new TokenVerificationError(
        OAUTH_ERROR_CODES.TOKEN_ISSUED_IN_FUTURE,
        'the token says it was issued in the future ("iat"), beyond the clock tolerance',
      );
    if (claim === 'typ')
      return new TokenVerificationError(
        OAUTH_ERROR_CODES.TYPE_MISMATCH,
        'the JWT "typ" header is not "at+jwt"',
      );
    return new TokenVerificationError(OAUTH_ERROR_CODES.CLAIM_INVALID, reason);
  }
  if (error instanceof errors.JOSEAlgNotAllowed)
    return new TokenVerificationError(OAUTH_ERROR_CODES.ALGORITHM_NOT_ALLOWED, 'the JWT alg is not allowed');
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return new TokenVerificationError(
      OAUTH_ERROR_CODES.SIGNATURE_INVALID,
      'the JWT signature does not verify',
    );
  if (error instanceof errors.JWKSNoMatchingKey)
    return new TokenVerificationError(
      OAUTH_ERROR_CODES.KEY_NOT_FOUND,
      'no configured key matches the JWT header (kid/alg)',
    );
  if (error instanceof errors.JWKSMultipleMatchingKeys)
    return new TokenVerificationError(
      OAUTH_ERROR_CODES.KEY_NOT_FOUND,
      'several keys match a JWT without "kid"; the token must name its key',
    );
  if (error instanceof errors.JOSENotSupported)
    return new TokenVerificationError(
      OAUTH_ERROR_CODES.TOKEN_MALFORMED,
      `unsupported JOSE feature: ${error.message}`,
    );
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid)
    return new TokenVerificationError(
      OAUTH_ERROR_CODES.TOKEN_MALFORMED,
      `the JWT is malformed: ${error.message}`,
    );
  if (error instanceof errors.JOSEError)
    return new TokenVerificationError(
      OAUTH_ERROR_CODES.SIGNATURE_INVALID,
      `the JWT could not be verified (${error.code})`,
    );
  return new TokenVerificationError(
    OAUTH_ERROR_CODES.SIGNATURE_INVALID,
    `the JWT could not be verified: ${error instanceof Error ? error.message : String(error)}`,
  );
}
