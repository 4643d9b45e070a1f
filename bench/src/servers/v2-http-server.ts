// A tools/call target on SDK v2: one `createMcpHandler` per mode named on the command line, all in this one process
// (same core placement and memory for every contender). `bare` serves it with @modelcontextprotocol/node's
// toNodeHandler on node:http; any plugin configuration of plugin-configs.ts (`empty` = the empty pipeline) serves it
// behind `warden.fetchHandler({ upstream })` with core's toNodeHandler on node:http. Both eras reach every mode: the
// SDK serves 2026-07-28 per request and 2025-era traffic by its stateless fallback. Prints
// {"servers": [{"url", "headers"}, …]} (in argument order) once listening.
import { createServer, type RequestListener } from 'node:http';
import { toNodeHandler as sdkNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler } from '@modelcontextprotocol/server';
import {
  createWarden,
  toNodeHandler,
  type WardenFetchHandler,
  type WardenPlugin,
} from '../../../packages/core/src/index.ts';
import { echoServer } from './echo-server.ts';

/** The SDK v2 endpoint: a fresh server per request (the SDK's model), one `echo` tool. */
export function v2Endpoint(): ReturnType<typeof createMcpHandler> {
  return createMcpHandler(echoServer);
}

/** The same endpoint behind Warden's web-standard face, with the given plugins. */
export async function wardenV2(
  plugins: WardenPlugin[],
  allowAnonymous: boolean,
): Promise<{ handler: WardenFetchHandler; close: () => Promise<void> }> {
  const warden = await createWarden({ plugins, allowAnonymous });
  const endpoint = v2Endpoint();
  const handler = warden.fetchHandler({ upstream: endpoint });
  return {
    handler,
    close: async () => {
      await warden.close();
      await endpoint.close();
    },
  };
}

async function listenOn(listener: RequestListener): Promise<string> {
  const http = createServer(listener);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const address = http.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/mcp`;
}

if (process.argv[1]?.endsWith('v2-http-server.ts')) {
  // Imported only here: plugin-configs issues keys and signs a token at load, which the memory bench does not need.
  const { allowsAnonymous, configurations, credentialHeaders } = await import('./plugin-configs.ts');
  const servers = [];
  for (const mode of process.argv.slice(2)) {
    if (mode === 'bare') {
      const serve = sdkNodeHandler(v2Endpoint());
      servers.push({ url: await listenOn((req, res) => void serve(req, res)), headers: {} });
      continue;
    }
    const build = configurations[mode];
    if (!build) throw new Error(`unknown configuration ${mode}`);
    const { handler } = await wardenV2(build(), allowsAnonymous(mode));
    servers.push({ url: await listenOn(toNodeHandler(handler)), headers: credentialHeaders(mode) });
  }
  process.stdout.write(`${JSON.stringify({ servers })}\n`);
}
