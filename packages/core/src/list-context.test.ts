import { afterEach, describe, expect, it } from 'vitest';
import { tokenAuth } from './__fixtures__/plugins.js';
import type { ListContext, ListItem, RequestContext, WardenPlugin } from './plugin.js';
import { connectHttpClient, connectTestClient, startTestHttpServer } from './testing/index.js';
import { CONTRACT_TOOL_PAGES, pagedToolsServer } from './testing/paged-server.js';
import { createWarden } from './warden.js';
import type { UpstreamRequestOptions } from './web/options.js';

// filterListItem's third argument (contract 1.2): which list and page an entry is on, on every face, with a plugin
// written against 1.0 (two parameters) beside it still filtering; and, per face, the order within one plugin.

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

type Page = { tools: Array<{ name: string }>; nextCursor?: string };
type Lister = (cursor: string | undefined) => Promise<Page>;

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** Each face, serving the same pages through `plugins`: a way to ask for one page. */
const EDGES: Record<string, (plugins: WardenPlugin[]) => Promise<Lister>> = {
  'in memory (a wrapped transport)': async (plugins) => {
    const kit = await connectTestClient({ plugins, createServer: pagedToolsServer });
    closers.push(() => kit.close());
    return (cursor) => kit.client.listTools(cursor === undefined ? {} : { cursor });
  },
  'on the node edge': async (plugins) => {
    const http = await startTestHttpServer({ plugins, createServer: pagedToolsServer });
    closers.push(() => http.close());
    const client = await connectHttpClient(http.url);
    closers.push(() => client.close());
    return (cursor) => client.listTools(cursor === undefined ? {} : { cursor });
  },
  'on the fetch face (2026-07-28 requests)': async (plugins) => {
    const warden = await createWarden({ plugins: [tokenAuth(), ...plugins] });
    closers.push(() => warden.close());
    const handler = warden.fetchHandler({ upstream: pagedUpstream });
    let id = 0;
    return async (cursor) => {
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
      return ((await response.json()) as { result: Page }).result;
    };
  },
};

/**
 * Rewrites each page in afterResponse (an extra entry, a note in ctx.state) and records what its own
 * filterListItem then gets: the order within one plugin (contract 1.2).
 */
function shaper(log: string[]): WardenPlugin {
  const note = Symbol('shaper');
  return {
    specVersion: 1,
    name: 'shaper',
    afterResponse(ctx) {
      if (ctx.method !== 'tools/list') return;
      log.push('after');
      ctx.state.set(note, 'noted');
      const tools = [...(ctx.result.tools as unknown[]), { name: 'added', inputSchema: { type: 'object' } }];
      return { result: { ...ctx.result, tools } };
    },
    filterListItem(item, ctx, list) {
      log.push(
        `filter:${item.type === 'tool' ? item.name : '?'}:${String(ctx.state.get(note))}:${list.nextCursor}`,
      );
      return true;
    },
  };
}

describe.each(Object.keys(EDGES))('filterListItem %s', (edge) => {
  it('gets the list context of each page, beside a 1.0 plugin that keeps filtering', async () => {
    const seen: Filtered[] = [];
    const list = await EDGES[edge]!([hideB1, pageRecorder(seen)]);
    expectPages(seen, await walk(list));
  });

  it("runs after the plugin's own afterResponse, on the result that hook returned", async () => {
    const log: string[] = [];
    const list = await EDGES[edge]!([shaper(log)]);
    const first = await list(undefined);
    expect(first.tools.map((t) => t.name)).toEqual(['paged_a1', 'paged_a2', 'added']);
    expect(log).toEqual([
      'after',
      ...['paged_a1', 'paged_a2', 'added'].map((n) => `filter:${n}:noted:page-2`),
    ]);
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
