/**
 * The contract suite's checks of what core hands a plugin's hooks (contract 1.2): one `connectionId` per
 * connection, and the list context of every page `filterListItem` filters. Each plugin proves them with its own
 * hooks and companions, so a plugin that reorders or replaces contexts (or a core that stops filling them) fails.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { expect, it } from 'vitest';
import { z } from 'zod';
import type { ListContext, WardenPlugin } from '../plugin.js';
import { createWarden } from '../warden.js';
import { connectTestClient, fakePrincipal } from './kit.js';
import { CONTRACT_TOOL_PAGES, pagedToolsServer } from './paged-server.js';

interface ContextSuiteOptions {
  name: string;
  create: () => WardenPlugin | Promise<WardenPlugin>;
  companions: () => WardenPlugin[];
  createServer: () => McpServer;
}

/** The plugin with each request-direction hook it has recording `ctx.connectionId` before it runs. */
function recordingConnections(plugin: WardenPlugin, seen: string[]): WardenPlugin {
  const note = (ctx: { connectionId: string }) => void seen.push(ctx.connectionId);
  const hooks: Partial<WardenPlugin> = {};
  if (plugin.beforeRequest)
    hooks.beforeRequest = (ctx) => {
      note(ctx);
      return plugin.beforeRequest!.call(plugin, ctx);
    };
  if (plugin.afterResponse)
    hooks.afterResponse = (ctx) => {
      note(ctx);
      return plugin.afterResponse!.call(plugin, ctx);
    };
  if (plugin.filterListItem)
    hooks.filterListItem = (item, ctx, list) => {
      note(ctx);
      return plugin.filterListItem!.call(plugin, item, ctx, list);
    };
  if (plugin.onServerMessage)
    hooks.onServerMessage = (ctx) => {
      note(ctx);
      return plugin.onServerMessage!.call(plugin, ctx);
    };
  return Object.assign({}, plugin, hooks);
}

export function contextTests(options: ContextSuiteOptions): void {
  it('gets one connectionId for every request of a connection, and another for the next connection', async () => {
    const plugin = await options.create();
    // Without request-direction hooks there is nothing to hand a connectionId to.
    if (!plugin.beforeRequest && !plugin.afterResponse && !plugin.filterListItem && !plugin.onServerMessage)
      return;
    const seen: string[] = [];
    const recorded = recordingConnections(plugin, seen);
    const warden = await createWarden({ plugins: [...options.companions(), recorded] });
    const perConnection: string[][] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const kit = await connectTestClient({
          warden,
          createServer: options.createServer,
          principal: fakePrincipal(),
        });
        try {
          // Whatever the plugin answers: what it was handed is the point.
          await kit.client.listTools().catch(() => undefined);
          await kit.client
            .callTool({ name: 'contract_echo', arguments: { text: 'a' } })
            .catch(() => undefined);
          await kit.client.callTool({ name: 'contract_notify', arguments: {} }).catch(() => undefined);
        } finally {
          await kit.close();
        }
        const ids = seen.splice(0);
        expect(ids.length, `${options.name}: no hook of the plugin ran`).toBeGreaterThan(0);
        for (const id of ids)
          expect(id, `${options.name}: a context with another connectionId`).toBe(kit.connectionId);
        perConnection.push(ids);
      }
    } finally {
      await warden.close();
    }
    expect(perConnection[0]![0]).not.toBe(perConnection[1]![0]);
  });

  it('gets the list context of each page in filterListItem', async () => {
    const plugin = await options.create();
    if (!plugin.filterListItem) return;
    const seen: ListContext[] = [];
    // Its beforeRequest is taken away so that every page surely reaches the server and comes back filtered.
    const recorded: WardenPlugin = Object.assign({}, plugin, {
      beforeRequest: undefined,
      filterListItem: (...args: Parameters<NonNullable<WardenPlugin['filterListItem']>>) => {
        seen.push(args[2]);
        return plugin.filterListItem!.call(plugin, ...args);
      },
    });
    const kit = await connectTestClient({
      plugins: [...options.companions(), recorded],
      createServer: pagedToolsServer,
      principal: fakePrincipal(),
    });
    try {
      for (const page of CONTRACT_TOOL_PAGES) {
        const before = seen.length;
        const params = page.cursor === undefined ? {} : { cursor: page.cursor };
        await kit.client.request({ method: 'tools/list', params }, z.any()).catch(() => undefined);
        const onPage = seen.slice(before);
        expect(
          onPage.length,
          `${options.name}: filterListItem did not run on page ${page.cursor}`,
        ).toBeGreaterThan(0);
        for (const list of onPage)
          expect(list).toEqual({ method: 'tools/list', cursor: page.cursor, nextCursor: page.nextCursor });
      }
    } finally {
      await kit.close();
    }
  });
}
