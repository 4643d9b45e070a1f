import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { getPrincipal } from '../principal.js';

/** A small server for core's own tests: tools that echo, report the principal, and stall. */
export function demoServer(): McpServer {
  const server = new McpServer({ name: 'core-test', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'Echo', inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  server.registerTool('whoami', { description: 'Who am I' }, async (extra) => ({
    content: [{ type: 'text', text: getPrincipal(extra)?.id ?? 'nobody' }],
  }));
  server.registerTool('admin_stats', { description: 'Admin only' }, async () => ({
    content: [{ type: 'text', text: 'stats' }],
  }));
  server.registerTool(
    'stall',
    { description: 'Never answers until aborted' },
    (extra) =>
      new Promise((resolve) => {
        extra.signal.addEventListener('abort', () =>
          resolve({ content: [{ type: 'text', text: 'aborted' }] }),
        );
      }),
  );
  server.registerPrompt(
    'greet',
    { description: 'Greeting', argsSchema: { name: z.string() } },
    ({ name }) => ({
      messages: [{ role: 'user', content: { type: 'text', text: `Hello ${name}` } }],
    }),
  );
  server.registerResource('readme', 'file:///public/readme.txt', { mimeType: 'text/plain' }, async (uri) => ({
    contents: [{ uri: uri.href, text: 'public' }],
  }));
  server.registerResource(
    'secret',
    'file:///private/secret.txt',
    { mimeType: 'text/plain' },
    async (uri) => ({ contents: [{ uri: uri.href, text: 'private' }] }),
  );
  return server;
}
