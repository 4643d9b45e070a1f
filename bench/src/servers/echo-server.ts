// The one `echo` tool every SDK v2 bench server serves, so the HTTP and the stdio upstreams do the same work.
import { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';

export function echoServer(): McpServer {
  const server = new McpServer({ name: 'bench-v2', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'echo', inputSchema: z.object({ text: z.string() }) },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  return server;
}
