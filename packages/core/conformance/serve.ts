/**
 * Serves the conformance fixture over Streamable HTTP on 127.0.0.1, bare or behind MCP Warden.
 *
 *   node --import tsx conformance/serve.ts <bare|wrapped> [port]      (port also from PORT; 0 = a free port)
 *
 * Prints one JSON line `{"url":"http://127.0.0.1:PORT/mcp","mode":...}` once it listens. On SIGTERM, SIGINT or
 * when stdin closes (the parent went away) it shuts down and, in wrapped mode, prints the inspector's summary
 * as one more JSON line `{"inspector":{...}}`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { createWarden, listen } from '../src/index.js';
import { createFixtureServer } from './fixture-server.js';
import { createInspector } from './inspector.js';

type Mode = 'bare' | 'wrapped';

function parseArgs(argv: readonly string[]): { mode: Mode; port: number } {
  const mode = argv[0];
  if (mode !== 'bare' && mode !== 'wrapped') throw new Error('usage: serve.ts <bare|wrapped> [port]');
  const port = Number(argv[1] ?? process.env.PORT ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`invalid port "${argv[1] ?? process.env.PORT}"`);
  return { mode, port };
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (error) {
        reject(error);
      }
    });
    req.on('error', reject);
  });
}

function jsonError(res: ServerResponse, status: number, code: number, message: string): void {
  res
    .writeHead(status, { 'Content-Type': 'application/json' })
    .end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message } }));
}

/**
 * The baseline: the SDK's own Streamable HTTP transport on plain node:http, stateful sessions, SSE responses,
 * and nothing in front of it (in particular no Host/Origin validation beyond the SDK's defaults).
 */
async function serveBare(port: number): Promise<{ url: string; close(): Promise<void> }> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== '/mcp')
      return jsonError(res, 404, -32000, 'Not found');
    const sessionId = req.headers['mcp-session-id'];
    const existing = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    if (typeof sessionId === 'string' && !existing) return jsonError(res, 404, -32001, 'Session not found');
    if (req.method !== 'POST') {
      if (!existing) return jsonError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
      return existing.handleRequest(req, res);
    }
    let body: unknown;
    try {
      body = await readJson(req);
    } catch {
      return jsonError(res, 400, -32700, 'Parse error');
    }
    if (existing) return existing.handleRequest(req, res, body);
    if (!isInitializeRequest(body)) return jsonError(res, 400, -32000, 'Bad Request: initialize first');
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, transport);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    const server = createFixtureServer();
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  };
  const http = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) jsonError(res, 500, -32603, 'Internal error');
      else res.end();
    });
  });
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
  const address = http.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://127.0.0.1:${actual}/mcp`,
    close: async () => {
      await Promise.allSettled([...sessions.values()].map((t) => t.close()));
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    },
  };
}

async function main(): Promise<void> {
  const { mode, port } = parseArgs(process.argv.slice(2));
  let close: () => Promise<void>;
  let summary: (() => unknown) | undefined;
  if (mode === 'bare') {
    const served = await serveBare(port);
    close = served.close;
    process.stdout.write(`${JSON.stringify({ url: served.url, mode })}\n`);
  } else {
    const inspector = createInspector();
    const warden = await createWarden({ plugins: [inspector.plugin] });
    // The suite opens a session per scenario from one address and never DELETEs it, so the per-client cap
    // (16 by default, there for hostile clients) is raised here; everything else keeps its default.
    const handler = warden.httpHandler({
      createServer: createFixtureServer,
      sessions: 'stateful',
      maxSessionsPerPrincipal: 256,
    });
    const listening = await listen(handler, { host: '127.0.0.1', port });
    summary = inspector.summary;
    close = async () => {
      await warden.close();
      await listening.close();
    };
    process.stdout.write(`${JSON.stringify({ url: `${listening.origin}/mcp`, mode })}\n`);
  }

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    // The summary first: every request is answered by now, and a slow close must not lose it.
    if (summary) process.stdout.write(`${JSON.stringify({ inspector: summary() })}\n`);
    const timer = setTimeout(() => process.exit(0), 3000);
    timer.unref();
    void close()
      .catch(() => undefined)
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
}

main().catch((error: unknown) => {
  process.stderr.write(
    `serve.ts: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
