import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import { tokenAuth } from './__fixtures__/plugins.js';
import type { ListContext, ListItem, RequestContext, WardenPlugin } from './plugin.js';
import {
  connectHttpClient,
  connectTestClient,
  startTestHttpServer,
  type TestClient,
  type TestHttpServer,
} from './testing/index.js';
import { CONTRACT_TOOL_PAGES, pagedToolsServer } from './testing/paged-server.js';
import { createWarden, type Warden } from './warden.js';
import type { UpstreamRequestOptions } from './web/options.js';

// filterListItem's third argument (contract 1.2): which list and page an entry is on, on every edge, and a
// plugin written against 1.0 (two parameters) beside it keeps filtering.

interface Filtered {
  name: string;
  list: ListContext;
}

function pageRecorder(seen: Filtered[]): WardenPlugin {
  return {
    specVersion: 1,
    name: 'page-recorder',
    filterListItem(item: ListItem, _ctx: RequestContext, list: ListContext) {
      seen.push({ name: item.type === 'tool' ? item.name : '?', list });
      return true;
    },
  };
}

/** Written against 1.0: two parameters, hides one tool. */
const hideB1: WardenPlugin = {
  specVersion: 1,
  name: 'hide-b1',
  filterListItem: (item, _ctx) => !(item.type === 'tool' && item.name === 'paged_b1'),
};

/** What every edge must hand the recorder, page after page (the 1.0 plugin hides paged_b1 outside it). */
function expectPages(seen: Filtered[], listed: string[][]): void {
  for (const [index, page] of CONTRACT_TOOL_PAGES.entries()) {
    const onPage = seen.filter((s) => s.list.cursor === page.cursor);
    expect(onPage.map((s) => s.name)).toEqual(page.tools);
    for (const s of onPage)
      expect(s.list).toEqual({ method: 'tools/list', cursor: page.cursor, nextCursor: page.nextCursor });
    expect(listed[index]).toEqual(page.tools.filter((t) => t !== 'paged_b1'));
  }
  expect(Object.isFrozen(seen[0]?.list)).toBe(true);
}

/** Walks every page with `list(cursor)`, returning the names of each. */
async function walk(
  list: (cursor: string | undefined) => Promise<{ tools: Array<{ name: string }>; nextCursor?: string }>,
) {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await list(cursor);
    pages.push(page.tools.map((t) => t.name));
    cursor = page.nextCursor;
  } while (cursor !== undefined && pages.length < 10);
  return pages;
}

const listWith = (client: Client) => (cursor: string | undefined) =>
  client.listTools(cursor === undefined ? {} : { cursor });

let kit: TestClient | undefined;
let http: TestHttpServer | undefined;
let warden: Warden | undefined;
afterEach(async () => {
  await kit?.close();
  await http?.close();
  await warden?.close();
  kit = http = warden = undefined;
});

describe('the list context of filterListItem', () => {
  it('tells the pages apart in memory (a wrapped transport)', async () => {
    const seen: Filtered[] = [];
    kit = await connectTestClient({ plugins: [hideB1, pageRecorder(seen)], createServer: pagedToolsServer });
    expectPages(seen, await walk(listWith(kit.client)));
  });

  it('tells the pages apart on the node edge', async () => {
    const seen: Filtered[] = [];
    http = await startTestHttpServer({
      plugins: [hideB1, pageRecorder(seen)],
      createServer: pagedToolsServer,
    });
    const client = await connectHttpClient(http.url);
    try {
      expectPages(seen, await walk(listWith(client)));
    } finally {
      await client.close();
    }
  });

  it('tells the pages apart on the fetch face (2026-07-28 requests)', async () => {
    const seen: Filtered[] = [];
    warden = await createWarden({ plugins: [tokenAuth(), hideB1, pageRecorder(seen)] });
    const handler = warden.fetchHandler({ upstream: pagedUpstream });
    let id = 0;
    const list = async (cursor: string | undefined) => {
      const params = {
        ...(cursor === undefined ? {} : { cursor }),
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientCapabilities': {},
        },
      };
      const response = await handler.fetch(
        new Request('http://localhost/mcp', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            authorization: 'Bearer good:alice:read',
            'mcp-protocol-version': '2026-07-28',
            'mcp-method': 'tools/list',
          },
          body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method: 'tools/list', params }),
        }),
      );
      return ((await response.json()) as { result: { tools: Array<{ name: string }>; nextCursor?: string } })
        .result;
    };
    expectPages(seen, await walk(list));
  });
});

/** A fetch-shaped upstream serving the same pages as {@link pagedToolsServer}, answering in JSON. */
async function pagedUpstream(_request: Request, options?: UpstreamRequestOptions): Promise<Response> {
  const body = options?.parsedBody as { id: number; params?: { cursor?: string } };
  const page = CONTRACT_TOOL_PAGES.find((p) => p.cursor === body.params?.cursor)!;
  const result = {
    tools: page.tools.map((name) => ({ name, inputSchema: { type: 'object' } })),
    ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }),
  };
  return Response.json({ jsonrpc: '2.0', id: body.id, result });
}
