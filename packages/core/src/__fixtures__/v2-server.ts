import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import * as z from 'zod';
import { getPrincipal } from '../principal.js';

/**
 * An SDK v2 (`@modelcontextprotocol/server`) endpoint for core's web tests: the same tools, prompt and resources as
 * `demoServer`, served to both eras by `createMcpHandler` (modern per request, 2025 era by its stateless fallback).
 */
export interface V2Hooks {
  /** `slow` sends a progress notification (token `p1`), then waits for this before it answers. */
  slowGate?: () => Promise<void>;
  /** Told when `slow` was cancelled (its signal aborted). */
  onSlowAborted?: () => void;
}

export function v2Endpoint(hooks: V2Hooks = {}) {
  return createMcpHandler(() => buildV2Server(hooks));
}

/** The server behind {@link v2Endpoint}, for compositions that serve it another way. */
export function buildV2Server(hooks: V2Hooks = {}): McpServer {
  const server = new McpServer({ name: 'core-v2-test', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'Echo', inputSchema: z.object({ text: z.string() }) },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  server.registerTool('whoami', { description: 'Who am I' }, async (toolCtx) => ({
    content: [{ type: 'text', text: getPrincipal(toolCtx.http)?.id ?? 'nobody' }],
  }));
  server.registerTool('slow', { description: 'Progress, then an answer when let go' }, async (ctx) => {
    ctx.mcpReq.signal.addEventListener('abort', () => hooks.onSlowAborted?.());
    await ctx.mcpReq.notify({
      method: 'notifications/progress',
      params: { progressToken: 'p1', progress: 1 },
    });
    await (hooks.slowGate?.() ?? Promise.resolve());
    return { content: [{ type: 'text', text: 'done' }] };
  });
  server.registerTool('admin_stats', { description: 'Admin only' }, async () => ({
    content: [{ type: 'text', text: 'stats' }],
  }));
  server.registerPrompt(
    'greet',
    { description: 'Greeting', argsSchema: z.object({ name: z.string() }) },
    ({ name }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `Hello ${name}` } }] }),
  );
  server.registerResource('readme', 'file:///public/readme.txt', { mimeType: 'text/plain' }, async (uri) => ({
    contents: [{ uri: uri.href, text: 'public' }],
  }));
  server.registerResource(
    'secret',
    'file:///private/secret.txt',
    { mimeType: 'text/plain' },
    async (uri) => ({
      contents: [{ uri: uri.href, text: 'private' }],
    }),
  );
  return server;
}
