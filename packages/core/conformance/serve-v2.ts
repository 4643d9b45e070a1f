/**
 * Serves the SDK v2 conformance fixture on 127.0.0.1, bare or behind MCP Warden's web-standard face.
 *
 *   node --import tsx conformance/serve-v2.ts <bare|wrapped> [port]      (port also from PORT; 0 = a free port)
 *
 * Same protocol as serve.ts: one JSON line `{"url":...,"mode":...}` once listening; on SIGTERM, SIGINT or when
 * stdin closes it shuts down and, wrapped, prints the inspector's summary as `{"inspector":{...}}`.
 * Wrapped is `toNodeHandler(warden.fetchHandler({ upstream }))` from core: a core without that face fails to
 * load this file (and to type-check it), and the runner counts a server that does not start as a failed run.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { localhostHostValidation, toNodeHandler } from '@modelcontextprotocol/node';
import type { McpHttpHandler } from '@modelcontextprotocol/server';
import { createWarden, toNodeHandler as wardenNodeHandler } from '../src/index.js';
import { createFixtureHandlerV2 } from './fixture-server-v2.js';
import { createInspector } from './inspector.js';

type Mode = 'bare' | 'wrapped';
type NodeHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

function parseArgs(argv: readonly string[]): { mode: Mode; port: number } {
  const mode = argv[0];
  if (mode !== 'bare' && mode !== 'wrapped') throw new Error('usage: serve-v2.ts <bare|wrapped> [port]');
  const port = Number(argv[1] ?? process.env.PORT ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`invalid port "${argv[1] ?? process.env.PORT}"`);
  return { mode, port };
}

async function listenOn(port: number, handle: NodeHandler): Promise<{ url: string; close(): Promise<void> }> {
  const http = createServer((req, res) => {
    Promise.resolve(handle(req, res)).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.end();
    });
  });
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
  const address = http.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://127.0.0.1:${actual}/mcp`,
    close: () =>
      new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}

/** The baseline: the SDK's handler through its own Node adapter, with the SDK's localhost Host guard. */
function bareHandler(upstream: McpHttpHandler): NodeHandler {
  const hostAllowed = localhostHostValidation();
  const serve = toNodeHandler(upstream);
  return (req, res) => (hostAllowed(req, res) ? serve(req, res) : undefined);
}

async function main(): Promise<void> {
  const { mode, port } = parseArgs(process.argv.slice(2));
  const upstream = createFixtureHandlerV2();
  let close: () => Promise<void>;
  let summary: (() => unknown) | undefined;
  let url: string;
  if (mode === 'bare') {
    const served = await listenOn(port, bareHandler(upstream));
    url = served.url;
    close = async () => {
      await upstream.close();
      await served.close();
    };
  } else {
    const inspector = createInspector();
    const warden = await createWarden({ plugins: [inspector.plugin] });
    const wrapped = warden.fetchHandler({ upstream });
    const served = await listenOn(port, wardenNodeHandler(wrapped));
    url = served.url;
    summary = inspector.summary;
    close = async () => {
      await wrapped.close();
      await warden.close();
      await upstream.close();
      await served.close();
    };
  }
  process.stdout.write(`${JSON.stringify({ url, mode })}\n`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
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
    `serve-v2.ts: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
