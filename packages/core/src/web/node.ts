/**
 * Carries a web-standard Warden handler to node:http, Express and Fastify: a Node request becomes a `Request`
 * (streamed body, or the body a framework already parsed), the `Response` is written back with its stream piped
 * chunk by chunk under backpressure, and a client that goes away aborts the request (and so the upstream).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FetchHandlerLike, FetchRequestInfo } from './handler.js';
import { STANDARD_HEADERS } from './standard-headers.js';

export type NodeHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

/** A request a framework may have parsed already (`express.json()` sets `req.body`). */
type MaybeParsed = IncomingMessage & { body?: unknown };

function requestUrl(req: IncomingMessage): URL {
  const secure = (req.socket as { encrypted?: boolean }).encrypted === true;
  const path = req.url ?? '/';
  try {
    return new URL(path, `${secure ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`);
  } catch {
    // An unusable Host header: the handler's Host check refuses it (it reads the header, not this URL).
    return new URL(path.startsWith('/') ? path : '/', 'http://localhost');
  }
}

/** Node's raw header list as fetch `Headers`, and which standard MCP headers came more than once. */
function headersOf(req: IncomingMessage): { headers: Headers; repeated: string[] } {
  const headers = new Headers();
  const seen = new Map<string, number>();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.startsWith(':')) continue; // HTTP/2 pseudo-headers
    const lower = name.toLowerCase();
    seen.set(lower, (seen.get(lower) ?? 0) + 1);
    try {
      headers.append(lower, raw[i + 1]!);
    } catch {
      // A value fetch cannot hold (Node already refuses most); leaving it out can only lose a header.
    }
  }
  const repeated = STANDARD_HEADERS.filter((name) => (seen.get(name) ?? 0) > 1);
  return { headers, repeated };
}

function bodyOf(req: MaybeParsed): RequestInit['body'] | undefined {
  if (req.method === 'GET' || req.method === 'HEAD') return undefined;
  const parsed = req.body;
  if (parsed !== undefined) {
    // Parsed by the framework: the object is what Warden checks and forwards (the stream is already drained).
    if (typeof parsed === 'string' || parsed instanceof Uint8Array) return parsed as RequestInit['body'];
    return JSON.stringify(parsed);
  }
  return bodyStream(req);
}

/**
 * A Node request body as a web stream, pulled as the reader asks (the request is paused in between). Not
 * `Readable.toWeb`: on Node 20 its generic adapter cost ~80 us per request in the v2-profile bench.
 */
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  let done = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const fail = (error: unknown) => {
        if (done) return;
        done = true;
        controller.error(error);
      };
      req.on('data', (chunk: Buffer) => {
        if (done) return;
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 0) <= 0) req.pause();
      });
      req.once('end', () => {
        if (done) return;
        done = true;
        controller.close();
      });
      req.once('error', fail);
      // A connection that closes before the body ended: the body is incomplete, never a short message.
      req.once('close', () => {
        if (!req.complete) fail(new Error('the request body was cut off'));
      });
      req.pause();
    },
    pull() {
      req.resume();
    },
    cancel() {
      done = true;
      req.destroy();
    },
  });
}

export function toWebRequest(
  req: MaybeParsed,
  signal: AbortSignal,
): { request: Request; info: FetchRequestInfo } {
  const { headers, repeated } = headersOf(req);
  const body = bodyOf(req);
  if (body !== undefined && req.body !== undefined) headers.delete('content-length');
  const init: RequestInit & { duplex?: 'half' } = { method: req.method ?? 'GET', headers, signal };
  if (body !== undefined) {
    init.body = body;
    init.duplex = 'half';
  }
  return {
    request: new Request(requestUrl(req), init),
    info: {
      remoteAddress: req.socket.remoteAddress,
      ...(repeated.length > 0 ? { repeatedHeaders: repeated } : {}),
    },
  };
}

/** Writes a `Response` to a Node response: head first, then the body stream under backpressure. */
export async function writeWebResponse(
  response: Response,
  res: ServerResponse,
  signal: AbortSignal,
): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (response.body && type === 'application/json') {
    // One JSON-RPC answer: written whole with its length in one syscall (streaming it chunk by chunk, headers
    // flushed first, cost ~200 us per request in the gateway profile). Streams (SSE) keep the path below.
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (signal.aborted) return void res.destroy();
    headers['content-length'] = String(bytes.byteLength);
    res.writeHead(response.status, response.statusText || undefined, headers);
    res.end(bytes);
    return;
  }
  res.writeHead(response.status, response.statusText || undefined, headers);
  if (!response.body) {
    res.end();
    return;
  }
  // SSE: no Nagle delay between small events.
  res.socket?.setNoDelay(true);
  res.flushHeaders();
  const reader = response.body.getReader();
  try {
    while (!signal.aborted) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) {
        await new Promise<void>((resolve) => {
          const settle = () => {
            res.off('drain', settle);
            res.off('close', settle);
            resolve();
          };
          res.on('drain', settle);
          res.on('close', settle);
        });
      }
    }
  } finally {
    if (signal.aborted) await reader.cancel(signal.reason).catch(() => undefined);
    else reader.releaseLock();
    res.end();
  }
}

/**
 * Adapts a web-standard handler to `(req, res, next)`. With `next` (Express, Connect), paths the handler does not
 * serve go on to the next middleware. Behind `express.json()`, the parsed `req.body` is used.
 * @example
 * http.createServer(toNodeHandler(warden.fetchHandler({ upstream }))).listen(3000, '127.0.0.1');
 */
export function toNodeHandler(handler: FetchHandlerLike): NodeHandler {
  return (req, res, next) => {
    if (next && handler.serves) {
      const path = (req.url ?? '/').split('?')[0]!;
      if (!handler.serves(path)) return next();
    }
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new Error('client disconnected'));
    });
    const run = async () => {
      const { request, info } = toWebRequest(req as MaybeParsed, controller.signal);
      const response = await handler.fetch(request, info);
      await writeWebResponse(response, res, controller.signal);
    };
    run().catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
        res.end(
          JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32603, message: 'Internal error.' } }),
        );
      } else res.destroy(error instanceof Error ? error : undefined);
    });
  };
}
