/**
 * What the edge decides from the request line and headers alone, like the node edge: Host and Origin (DNS
 * rebinding), CORS preflight, plugin routes, the endpoint path, the HTTP method, and credentials in the URL.
 */
import { AuthenticationError, CORE_ERROR_CODES } from '../errors.js';
import type { EdgeRequest } from '../plugin.js';
import type { DispatchDeps } from './dispatch.js';
import type { FetchRequestInfo } from './handler.js';
import { edgeError, errorMessage, jsonResponse, refusal } from './responses.js';

/** Query parameters that would carry a credential in the URL (where it leaks into logs and history). */
const CREDENTIAL_QUERY_PARAMS = ['access_token', 'token', 'api_key', 'apikey', 'api-key', 'key'];
const CORS_ALLOW_HEADERS =
  'Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID, Mcp-Method, Mcp-Name, X-API-Key, traceparent';
const CORS_EXPOSE_HEADERS = 'Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate, Retry-After';

export type EdgeVerdict =
  | { kind: 'response'; response: Response }
  | { kind: 'mcp'; edge: EdgeRequest; cors: Record<string, string> | undefined };

function hostnameOf(host: string): string | undefined {
  try {
    return new URL(`http://${host}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

function headerRecord(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  // Lower-case names, duplicates joined with ", " (the Fetch rules).
  headers.forEach((value, name) => {
    out[name] = value;
  });
  return out;
}

const respond = (response: Response): EdgeVerdict => ({ kind: 'response', response });

/** Host and Origin; the CORS headers to add when an allowed Origin came with the request. */
function checkOrigin(deps: DispatchDeps, request: Request, edge: EdgeRequest): EdgeVerdict {
  const { options } = deps;
  const host = edge.headers.host ?? edge.url?.host;
  if (options.allowedHosts && (!host || !options.allowedHosts.has(hostnameOf(host) ?? ''))) {
    const error = edgeError(
      403,
      'Forbidden: invalid Host header.',
      `Host "${String(host).slice(0, 100)}" is not allowed`,
      undefined,
      CORE_ERROR_CODES.FORBIDDEN_ORIGIN,
    );
    return respond(refusal(deps, error, { edge }));
  }
  const origin = edge.headers.origin;
  if (origin === undefined) return { kind: 'mcp', edge, cors: undefined };
  if (!options.originAllowed(origin, host)) {
    const error = edgeError(
      403,
      'Forbidden: invalid Origin header.',
      `Origin "${origin.slice(0, 100)}" is not allowed`,
      undefined,
      CORE_ERROR_CODES.FORBIDDEN_ORIGIN,
    );
    return respond(refusal(deps, error, { edge }));
  }
  const cors = {
    'Access-Control-Allow-Origin': origin,
    Vary: 'Origin',
    'Access-Control-Expose-Headers': CORS_EXPOSE_HEADERS,
  };
  if (request.method === 'OPTIONS')
    return respond(
      jsonResponse(204, undefined, {
        ...cors,
        'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
        'Access-Control-Allow-Headers': CORS_ALLOW_HEADERS,
        'Access-Control-Max-Age': '600',
      }),
    );
  return { kind: 'mcp', edge, cors };
}

/** Everything the edge answers before the body is read. */
export async function checkEdge(
  deps: DispatchDeps,
  request: Request,
  info: FetchRequestInfo,
): Promise<EdgeVerdict> {
  const { options } = deps;
  const headers = headerRecord(request.headers);
  const remoteAddress = options.clientAddress(info.remoteAddress, headers['x-forwarded-for']);
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    const edge: EdgeRequest = { transport: 'http', headers: {}, remoteAddress };
    return respond(refusal(deps, edgeError(400, 'Invalid request URL.', undefined), { edge }));
  }
  const edge: EdgeRequest = { transport: 'http', method: request.method, url, headers, remoteAddress };
  const verdict = checkOrigin(deps, request, edge);
  if (verdict.kind === 'response') return verdict;
  const route = options.routes.get(`${request.method} ${url.pathname}`);
  if (route) {
    const out = await route.handle(edge);
    return respond(jsonResponse(out.status, out.body, { ...verdict.cors, ...out.headers }));
  }
  if (url.pathname !== options.endpoint)
    return respond(
      jsonResponse(404, {
        error: 'not_found',
        error_description: `No MCP endpoint at this path; use ${options.endpoint}.`,
      }),
    );
  if (request.method !== 'POST' && request.method !== 'GET' && request.method !== 'DELETE') {
    const error = edgeError(
      405,
      `Method ${request.method.slice(0, 20)} not allowed; use POST, GET or DELETE.`,
      undefined,
    );
    return respond(jsonResponse(405, errorMessage(null, error), { Allow: 'GET, POST, DELETE' }));
  }
  for (const name of url.searchParams.keys()) {
    if (!CREDENTIAL_QUERY_PARAMS.includes(name.toLowerCase())) continue;
    const error = new AuthenticationError({
      code: CORE_ERROR_CODES.INVALID_CREDENTIALS,
      message: 'Credentials in the URL are not accepted: send them in the Authorization header.',
      reason: `credential in query parameter "${name.toLowerCase()}"`,
      oauthError: 'invalid_request',
    });
    return respond(refusal(deps, error, { edge }));
  }
  return verdict;
}
