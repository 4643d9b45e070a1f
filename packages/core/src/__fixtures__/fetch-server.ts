import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Warden } from '../warden.js';
import { toNodeHandler } from '../web/node.js';
import type { FetchHandlerOptions } from '../web/options.js';

/** A served warden for a test: its MCP endpoint, and one `close` for the warden and the listener. */
export interface ServedWarden {
  url: URL;
  close(): Promise<void>;
}

/** Serves a warden's fetch face on node:http (core's adapter) at a free loopback port. */
export async function serveFetchFace(warden: Warden, options: FetchHandlerOptions): Promise<ServedWarden> {
  const server = createServer(toNodeHandler(warden.fetchHandler(options)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
  return {
    url,
    async close() {
      await warden.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
