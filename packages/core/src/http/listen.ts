import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isIP, type Socket } from 'node:net';
import { CORE_ERROR_CODES, ConfigError, JSON_RPC_ERROR_CODES } from '../errors.js';
import type { SecurityEventBus } from '../events.js';
import { UnauthenticatedConnectionLimiter } from './connections.js';
import { normalizeAddress } from './proxies.js';

export interface ListenOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 3000 (0 picks a free port) */
  port?: number;
  /** Serve HTTPS with this key and certificate (PEM). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /**
   * Allow plain HTTP on a non-loopback address. Only for running behind a TLS-terminating reverse proxy on a
   * private network; bearer credentials travel in clear text otherwise. @default false
   */
  allowInsecureHttp?: boolean;
  /** Time to receive a request's headers (Node's `headersTimeout`; also the TLS handshake budget). @default 10000 */
  headersTimeoutMs?: number;
  /**
   * Time to receive a whole request, headers and body (Node's `requestTimeout`); the connection is then answered
   * 408 and closed. Responses (SSE streams) are not limited by it. Keep it above the handler's `bodyTimeoutMs`.
   * @default 30000
   */
  requestReceiveTimeoutMs?: number;
  /**
   * Open connections per client address that have not carried an authenticated request yet; over it the oldest
   * of them is closed. `0` disables. @default 32
   */
  maxUnauthenticatedConnectionsPerAddress?: number;
  /** Max total header size, bytes. @default 16384 */
  maxHeaderSize?: number;
  /** Where connection-level refusals are recorded (e.g. `warden.events`). */
  events?: Pick<SecurityEventBus, 'emit'>;
}

export interface ListeningServer {
  server: Server;
  /** The MCP base URL origin, e.g. `http://127.0.0.1:3000`. */
  origin: string;
  port: number;
  close(): Promise<void>;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0)
    throw new ConfigError(`${name} must be a non-negative integer (got ${String(value)}).`);
  return value;
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1';
}

/**
 * Starts an HTTP(S) server for a warden handler. Binds to loopback by default and refuses a non-loopback
 * address without TLS unless told (`allowInsecureHttp`), per the MCP transport security guidance.
 */
export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  options: ListenOptions = {},
): Promise<ListeningServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 3000;
  if (!isLoopbackHost(host) && !options.tls && !options.allowInsecureHttp) {
    throw new ConfigError(
      `Refusing to serve plain HTTP on non-loopback address ${host}: credentials would cross the network unencrypted. Configure TLS (key and cert), or set allowInsecureHttp when a TLS-terminating proxy is in front.`,
    );
  }
  const headersTimeout = nonNegative('headersTimeoutMs', options.headersTimeoutMs, 10_000);
  const requestTimeout = nonNegative('requestReceiveTimeoutMs', options.requestReceiveTimeoutMs, 30_000);
  const perAddress = nonNegative(
    'maxUnauthenticatedConnectionsPerAddress',
    options.maxUnauthenticatedConnectionsPerAddress,
    32,
  );
  if (requestTimeout > 0 && headersTimeout > requestTimeout) {
    throw new ConfigError(
      `headersTimeoutMs (${headersTimeout}) must not be above requestReceiveTimeoutMs (${requestTimeout}).`,
    );
  }
  const serverOptions = {
    maxHeaderSize: options.maxHeaderSize ?? 16_384,
    headersTimeout,
    requestTimeout,
    // How often Node enforces the two timeouts above (its default, 30 s, would let them overrun by that much).
    connectionsCheckingInterval: Math.max(250, Math.min(1000, Math.floor((headersTimeout || 1000) / 4))),
    handshakeTimeout: headersTimeout || undefined,
  };
  const server: Server = options.tls
    ? createHttpsServer({ ...serverOptions, key: options.tls.key, cert: options.tls.cert }, handler)
    : createHttpServer(serverOptions, handler);
  if (perAddress > 0) {
    const limiter = new UnauthenticatedConnectionLimiter(perAddress, (address) =>
      options.events?.emit({
        type: 'request.rejected',
        outcome: 'denied',
        reason: `more than ${perAddress} unauthenticated connections from this address: the oldest was closed`,
        remoteAddress: address,
        details: { code: CORE_ERROR_CODES.CONNECTION_LIMIT },
      }),
    );
    server.on(options.tls ? 'secureConnection' : 'connection', (socket: Socket) => limiter.admit(socket));
  }
  // Malformed requests (bad header bytes, oversized headers, too slow) get a 4xx that says what happened, as a
  // JSON-RPC error, instead of a reset. Oversized headers are mostly an oversized credential, so the 431 also
  // carries a Bearer challenge (RFC 6750 `invalid_request`), as the other credential refusals do.
  const maxHeaderSize = serverOptions.maxHeaderSize;
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const [status, message, challenge, code] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? ([
            '431 Request Header Fields Too Large',
            `Request headers too large: at most ${maxHeaderSize} bytes in all, credentials included.`,
            `Bearer realm="mcp-warden", error="invalid_request", error_description="request headers too large"`,
            CORE_ERROR_CODES.HEADERS_TOO_LARGE,
          ] as const)
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? ([
              '408 Request Timeout',
              'The request was not received in time.',
              undefined,
              CORE_ERROR_CODES.REQUEST_TIMEOUT,
            ] as const)
          : ([
              '400 Bad Request',
              'Malformed HTTP request.',
              undefined,
              CORE_ERROR_CODES.MALFORMED_REQUEST,
            ] as const);
    const remoteAddress = normalizeAddress((socket as Partial<Socket>).remoteAddress ?? '');
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: null,
      error: { code: JSON_RPC_ERROR_CODES.INVALID_REQUEST, message },
    });
    options.events?.emit({
      type: 'request.rejected',
      outcome: 'denied',
      reason: message,
      ...(remoteAddress === undefined ? {} : { remoteAddress }),
      details: { code, status: Number(status.slice(0, 3)) },
    });
    socket.end(
      `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
        (challenge ? `WWW-Authenticate: ${challenge}\r\n` : '') +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const urlHost = isIP(host) === 6 ? `[${host}]` : host;
  return {
    server,
    port: actualPort,
    origin: `${options.tls ? 'https' : 'http'}://${urlHost}:${actualPort}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}
