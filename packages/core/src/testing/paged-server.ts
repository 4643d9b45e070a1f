import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';

/**
 * The pages {@link pagedToolsServer} serves: `tools/list` without a cursor is the first, each `nextCursor` leads to
 * the next, and the last has none.
 */
export const CONTRACT_TOOL_PAGES: ReadonlyArray<{
  cursor: string | undefined;
  tools: readonly string[];
  nextCursor: string | undefined;
}> = [
  { cursor: undefined, tools: ['paged_a1', 'paged_a2'], nextCursor: 'page-2' },
  { cursor: 'page-2', tools: ['paged_b1'], nextCursor: 'page-3' },
  { cursor: 'page-3', tools: ['paged_c1'], nextCursor: undefined },
];

/**
 * A server whose `tools/list` comes in pages (SDK 1.x low-level `Server`), for what `filterListItem`'s list context
 * must tell apart. Every tool answers `tools/call` with its name.
 */
export function pagedToolsServer(): Server {
  const server = new Server({ name: 'mcp-warden-paged', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async (request) => {
    const page = CONTRACT_TOOL_PAGES.find((p) => p.cursor === request.params?.cursor);
    if (!page) throw new McpError(ErrorCode.InvalidParams, 'Unknown cursor.');
    return {
      tools: page.tools.map((name) => ({ name, inputSchema: { type: 'object' as const } })),
      ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }),
    };
  });
  server.setRequestHandler(CallToolRequestSchema, async (request) => ({
    content: [{ type: 'text', text: request.params.name }],
  }));
  return server;
}
