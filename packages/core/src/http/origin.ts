import type { IncomingMessage, ServerResponse } from 'node:http';
import { CORE_ERROR_CODES, type WardenError } from '../errors.js';
import { createOriginCheck } from '../origin-check.js';
import type { EdgeRequest } from '../plugin.js';
import { edgeError } from './edge-errors.js';
import { send } from './reply.js';

export { createOriginCheck } from '../origin-check.js';

const DEFAULT_HOSTS = ['localhost', '127.0.0.1', '[::1]'];
const CORS_ALLOW_HEADERS =
  'Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID, Mcp-Method, Mcp-Name, X-API-Key';
const CORS_EXPOSE_HEADERS = 'Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate, Retry-After';

function hostnameOf(host: string): string | undefined {
  try {
    return new URL(`http://${host}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * Checks a request's `Host` and `Origin`, and answers CORS for allowed origins. Returns the refusal, `'answered'`
 * when it answered a preflight itself, or `undefined` to go on.
 */
export type BrowserGuard = (
  req: IncomingMessage,
  res: ServerResponse,
  edge: EdgeRequest,
) => WardenError | 'answered' | undefined;

/** The Host check against DNS rebinding, then the Origin check (see {@link createOriginCheck}) with CORS. */
export function createBrowserGuard(
  hosts: readonly string[] | false | undefined,
  allowedOrigins: readonly string[] | undefined,
): BrowserGuard {
  const allowedHosts =
    hosts === false ? undefined : new Set((hosts ?? DEFAULT_HOSTS).map((h) => h.toLowerCase()));
  const originAllowed = createOriginCheck(allowedOrigins, allowedHosts);
  return (req, res, edge) => {
    // DNS rebinding: a browser tricked into calling us carries a foreign Host and Origin.
    const host = edge.headers.host;
    if (allowedHosts && (!host || !allowedHosts.has(hostnameOf(host) ?? ''))) {
      return edgeError(
        403,
        CORE_ERROR_CODES.FORBIDDEN_ORIGIN,
        'Forbidden: invalid Host header.',
        `Host "${String(host).slice(0, 100)}" is not allowed`,
      );
    }
    const origin = edge.headers.origin;
    if (origin === undefined) return undefined;
    if (!originAllowed(origin, host)) {
      return edgeError(
        403,
        CORE_ERROR_CODES.FORBIDDEN_ORIGIN,
        'Forbidden: invalid Origin header.',
        `Origin "${origin.slice(0, 100)}" is not allowed`,
      );
    }
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Expose-Headers', CORS_EXPOSE_HEADERS);
    if (req.method !== 'OPTIONS') return undefined;
    send(res, 204, undefined, {
      'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
      'Access-Control-Allow-Headers': CORS_ALLOW_HEADERS,
      'Access-Control-Max-Age': '600',
    });
    return 'answered';
  };
}
