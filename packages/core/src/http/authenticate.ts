import type { IncomingMessage } from 'node:http';
import {
  type AuthChallenge,
  AuthenticationError,
  CORE_ERROR_CODES,
  type InsufficientScopeError,
  type WardenError,
} from '../errors.js';
import type { Pipeline } from '../pipeline.js';
import type { EdgeRequest } from '../plugin.js';
import { isAnonymous, type Principal } from '../principal.js';
import { formatChallenge, withBearerError } from './challenge.js';
import { markConnectionAuthenticated } from './connections.js';
import { toWardenError } from './edge-errors.js';

/** Query parameters that would carry a credential in the URL (where it leaks into logs and history). */
const CREDENTIAL_QUERY_PARAMS = ['access_token', 'token', 'api_key', 'apikey', 'api-key', 'key'];

/** A request refused before it had a principal; `record: false` when the pipeline recorded it already. */
export interface AuthRefusal {
  refused: WardenError;
  record: boolean;
}

/**
 * Establishes the principal of one HTTP request. Identity is established on every request; a session never
 * authenticates on its own. A credential in the URL is refused before any authenticator sees it.
 */
export async function authenticateRequest(
  pipeline: Pipeline,
  req: IncomingMessage,
  edge: EdgeRequest & { url: URL },
): Promise<Principal | AuthRefusal> {
  for (const queryName of edge.url.searchParams.keys()) {
    const name = queryName.toLowerCase();
    if (CREDENTIAL_QUERY_PARAMS.includes(name)) {
      const refused = new AuthenticationError({
        code: CORE_ERROR_CODES.INVALID_CREDENTIALS,
        message: 'Credentials in the URL are not accepted: send them in the Authorization header.',
        reason: `credential in query parameter "${name}"`,
        oauthError: 'invalid_request',
      });
      return { refused, record: true };
    }
  }
  let principal: Principal;
  try {
    principal = await pipeline.authenticate(edge);
  } catch (error) {
    return { refused: toWardenError(error), record: false };
  }
  // Exempt from listen()'s cap on unauthenticated connections per address (anonymous ones stay counted).
  if (!isAnonymous(principal)) markConnectionAuthenticated(req.socket);
  return principal;
}

export function isAuthRefusal(value: Principal | AuthRefusal): value is AuthRefusal {
  return 'refused' in value;
}

/**
 * The `WWW-Authenticate` value for a refusal: the authenticators' challenges on a 401 (with the OAuth error if
 * there is one), `insufficient_scope` with every scope the operation needs on a step-up; none otherwise.
 * `challenges` is only called when a challenge is due.
 */
export function challengeHeader(error: WardenError, challenges: () => AuthChallenge[]): string | undefined {
  if (error.httpStatus === 401) {
    const oauthError = (error as Partial<AuthenticationError>).oauthError;
    const params: Record<string, string> = oauthError ? { error: oauthError } : {};
    return withBearerError(challenges(), params).map(formatChallenge).join(', ');
  }
  if (error.code === CORE_ERROR_CODES.INSUFFICIENT_SCOPE) {
    const required = (error as Partial<InsufficientScopeError>).requiredScopes ?? [];
    return withBearerError(challenges(), {
      error: 'insufficient_scope',
      scope: required.join(' '),
      error_description: 'The access token lacks a scope this operation needs.',
    })
      .map(formatChallenge)
      .join(', ');
  }
  return undefined;
}
