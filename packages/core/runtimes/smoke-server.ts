/**
 * One MCP endpoint on Bun or Deno (whichever runs this file): an SDK v2 `createMcpHandler` server with one tool,
 * `echo`, served by the runtime's own web server on 127.0.0.1, bare or behind MCP Warden's web-standard face with
 * the core test fixture's `tokenAuth` plugin.
 *
 *   bun runtimes/smoke-server.ts <plain|warden>
 *   deno run --allow-net --allow-read --allow-env --allow-sys --sloppy-imports runtimes/smoke-server.ts <plain|warden>
 *
 * Prints one JSON line `{"url":...,"runtime":...,"mode":...}` once it listens, then serves until stdin closes.
 */
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import * as z from 'zod';
import { tokenAuth } from '../src/__fixtures__/plugins.js';
import { createWarden, type FetchRequestInfo } from '../src/index.js';

/** A web-standard handler, as both runtimes' servers take it (the second argument is runtime-specific). */
type Fetch = (request: Request, info?: FetchRequestInfo) => Promise<Response>;
interface Listening {
  url: string;
  stop(): Promise<void>;
}
interface BunGlobal {
  version: string;
  serve(options: {
    hostname: string;
    port: number;
    fetch(request: Request, server: { requestIP(r: Request): { address: string } | null }): Promise<Response>;
  }): { port: number; stop(force?: boolean): Promise<void> | void };
}
interface DenoGlobal {
  version: { deno: string };
  args: string[];
  stdin: { readable: ReadableStream<Uint8Array> };
  exit(code: number): never;
  serve(
    options: { hostname: string; port: number; onListen?(addr: { port: number }): void },
    handler: (request: Request, info: { remoteAddr: { hostname: string } }) => Promise<Response>,
  ): { finished: Promise<void>; shutdown(): Promise<void> };
}
const runtime = globalThis as unknown as { Bun?: BunGlobal; Deno?: DenoGlobal };

function createEndpoint() {
  return createMcpHandler(() => {
    const server = new McpServer({ name: 'warden-runtime-smoke', version: '1.0.0' });
    server.registerTool(
      'echo',
      { description: 'Echoes its text argument', inputSchema: z.object({ text: z.string() }) },
      async ({ text }) => ({ content: [{ type: 'text', text: `echo: ${text}` }] }),
    );
    return server;
  });
}

async function serve(fetch: Fetch): Promise<{ name: string; listening: Listening }> {
  if (runtime.Bun) {
    const server = runtime.Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      fetch: (request, bun) => fetch(request, { remoteAddress: bun.requestIP(request)?.address }),
    });
    return {
      name: `bun ${runtime.Bun.version}`,
      listening: { url: `http://127.0.0.1:${server.port}/mcp`, stop: async () => server.stop(true) },
    };
  }
  if (runtime.Deno) {
    const deno = runtime.Deno;
    const port = await new Promise<number>((resolve) => {
      const server = deno.serve(
        { hostname: '127.0.0.1', port: 0, onListen: (addr) => resolve(addr.port) },
        (request, info) => fetch(request, { remoteAddress: info.remoteAddr.hostname }),
      );
      stopDeno = () => server.shutdown();
    });
    return {
      name: `deno ${deno.version.deno}`,
      listening: { url: `http://127.0.0.1:${port}/mcp`, stop: () => stopDeno() },
    };
  }
  throw new Error('smoke-server.ts runs on Bun or Deno');
}
let stopDeno: () => Promise<void> = async () => undefined;

/** Resolves when the parent closes our stdin (it went away or is done with us). */
async function stdinClosed(): Promise<void> {
  const readable =
    runtime.Deno?.stdin.readable ??
    ((await import('node:stream')).Readable.toWeb(process.stdin) as ReadableStream<Uint8Array>);
  const reader = readable.getReader();
  while (!(await reader.read()).done) {
    // Nothing is sent on stdin; reading only waits for its end.
  }
}

async function main(): Promise<void> {
  const mode = (runtime.Deno?.args ?? process.argv.slice(2))[0];
  if (mode !== 'plain' && mode !== 'warden') throw new Error('usage: smoke-server.ts <plain|warden>');
  const upstream = createEndpoint();
  let fetch: Fetch = (request) => upstream.fetch(request);
  let close = () => upstream.close();
  if (mode === 'warden') {
    const warden = await createWarden({ plugins: [tokenAuth()] });
    const face = warden.fetchHandler({ upstream });
    fetch = (request, info) => face.fetch(request, info);
    close = async () => {
      await face.close();
      await warden.close();
      await upstream.close();
    };
  }
  const { name, listening } = await serve(fetch);
  console.log(JSON.stringify({ url: listening.url, runtime: name, mode }));
  await stdinClosed();
  await Promise.race([
    Promise.all([close(), listening.stop()]),
    new Promise((resolve) => setTimeout(resolve, 2000)),
  ]);
  exit(0);
}

function exit(code: number): never {
  if (runtime.Deno) runtime.Deno.exit(code);
  process.exit(code);
}

main().catch((error: unknown) => {
  console.error(
    `smoke-server.ts: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  exit(1);
});
