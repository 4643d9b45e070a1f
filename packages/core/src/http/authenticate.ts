import type { IncomingMessage } from 'node:http';
import { AuthenticationError, CORE_ERROR_CODES, type WardenError } from '../errors.js';
import type { Pipeline } from '../pipeline.js';
import type { EdgeRequest } from '../plugin.js';
import { isAnonymous, type Principal } from '../principal.js';
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
