import { advertisableScopes } from '../advertised-scopes.js';
import {
  type AuthChallenge,
  type AuthenticationError,
  CORE_ERROR_CODES,
  type InsufficientScopeError,
  type WardenError,
} from '../errors.js';

/** RFC 7230 quoted-string: escape backslash and double quote; drop control characters. */
function quote(value: string): string {
  return `"${value.replace(/[\u0000-\u001f\u007f]/g, '').replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * `Bearer realm="x", scope="a b"`. Every challenge goes out through here, so this is where a `scope` value loses
 * `offline_access` (in any case) and duplicates, whichever plugin wrote it: MCP servers do not advertise it.
 */
export function formatChallenge(challenge: AuthChallenge): string {
  const params = Object.entries(challenge.params)
    .map(([k, v]): [string, string] => [k, k.toLowerCase() === 'scope' ? advertisableScopes(v).join(' ') : v])
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${quote(v)}`);
  return params.length ? `${challenge.scheme} ${params.join(', ')}` : challenge.scheme;
}

/** The space-separated union of two `scope` values, first-seen order, each scope once. */
function unionScopes(a: string, b: string): string {
  return [...new Set(`${a} ${b}`.split(' ').filter(Boolean))].join(' ');
}

/**
 * Merges challenges of the same auth scheme (compared case-insensitively) into one, in the order schemes first
 * appear. With API keys and OAuth both on, both authenticators offer a `Bearer` challenge; sent as two, clients
 * that read only the first one (the MCP SDK's `extractWWWAuthenticateParams` among them) never see the second one's
 * `resource_metadata`. Parameters are joined (names compared case-insensitively, RFC 7235 §2.1): `scope` values are
 * united; for any other parameter both name, the first challenge's value stays (one challenge has one `realm`).
 */
export function mergeChallenges(challenges: readonly AuthChallenge[]): AuthChallenge[] {
  const merged = new Map<
    string,
    { scheme: string; params: Record<string, string>; names: Map<string, string> }
  >();
  for (const challenge of challenges) {
    const scheme = challenge.scheme.toLowerCase();
    let into = merged.get(scheme);
    if (!into) {
      into = { scheme: challenge.scheme, params: {}, names: new Map() };
      merged.set(scheme, into);
    }
    for (const [name, value] of Object.entries(challenge.params)) {
      if (value === undefined || value === '') continue;
      const lower = name.toLowerCase();
      const existing = into.names.get(lower);
      if (existing === undefined) {
        into.names.set(lower, name);
        into.params[name] = value;
      } else if (lower === 'scope') {
        into.params[existing] = unionScopes(into.params[existing] ?? '', value);
      }
    }
  }
  return [...merged.values()].map(({ scheme, params }) => ({ scheme, params }));
}

function bearerFirst(challenges: AuthChallenge[]): AuthChallenge[] {
  const isBearer = (c: AuthChallenge) => c.scheme.toLowerCase() === 'bearer';
  return [...challenges.filter(isBearer), ...challenges.filter((c) => !isBearer(c))];
}

/**
 * Merges challenges of one scheme ({@link mergeChallenges}), puts the Bearer one first, and adds RFC 6750 error parameters to the Bearer
 * challenge (others are left as they are). `extra` replaces parameters of the same name, e.g. `scope` with the
 * scopes an `insufficient_scope` refusal needs.
 */
export function withBearerError(
  challenges: readonly AuthChallenge[],
  extra: Record<string, string>,
): AuthChallenge[] {
  const merged = mergeChallenges(challenges);
  // The Bearer challenge leads: MCP clients (the SDK among them) look only at the first challenge's scheme.
  const list = merged.length > 0 ? bearerFirst(merged) : [{ scheme: 'Bearer', params: {} }];
  return list.map((c) => {
    if (c.scheme.toLowerCase() !== 'bearer') return c;
    // Same-named parameters are replaced in place; one spelled in another case is dropped, so none appears twice.
    const replaced = new Map(Object.keys(extra).map((k) => [k.toLowerCase(), k]));
    const params: Record<string, string> = {};
    for (const [name, value] of Object.entries(c.params)) {
      const by = replaced.get(name.toLowerCase());
      if (by === undefined || by === name) params[name] = value;
    }
    return { scheme: c.scheme, params: { ...params, ...extra } };
  });
}

/**
 * The `WWW-Authenticate` value of a refusal, or `undefined` when it needs none: a 401 gets every authenticator's
 * challenge (merged per scheme, Bearer first) with the RFC 6750 `error` when there is one; a 403
 * `insufficient_scope` gets the same challenges with `error="insufficient_scope"` and, in one `scope`, every scope
 * the operation needs (MCP 2026-07-28, "Scope Challenge Handling"). Any edge (Node, web-standard) answers
 * refusals through this, so every face of Warden challenges alike.
 */
export function refusalChallenge(
  error: WardenError,
  challenges: readonly AuthChallenge[],
): string | undefined {
  let extra: Record<string, string>;
  if (error.httpStatus === 401) {
    const oauthError = (error as Partial<AuthenticationError>).oauthError;
    extra = oauthError ? { error: oauthError } : {};
  } else if (error.code === CORE_ERROR_CODES.INSUFFICIENT_SCOPE) {
    const required = (error as Partial<InsufficientScopeError>).requiredScopes ?? [];
    extra = {
      error: 'insufficient_scope',
      scope: required.join(' '),
      error_description: 'The access token lacks a scope this operation needs.',
    };
  } else {
    return undefined;
  }
  return withBearerError(challenges, extra).map(formatChallenge).join(', ');
}
