import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { createParser } from 'eventsource-parser';
import { describe, expect, it } from 'vitest';
import { transformSseStream } from './sse.js';

/** A real SDK v2 endpoint whose tool sends a progress notification, then waits for the test to let it go. */
function slowEndpoint(gate: Promise<void>) {
  return createMcpHandler(() => {
    const server = new McpServer({ name: 'sse-test', version: '1.0.0' });
    server.registerTool('slow', { description: 'Progress, then an answer when let go' }, async (ctx) => {
      await ctx.mcpReq.notify({
        method: 'notifications/progress',
        params: { progressToken: 'p1', progress: 1 },
      });
      await gate;
      return { content: [{ type: 'text', text: 'done' }] };
    });
    return server;
  });
}

const meta = {
  progressToken: 'p1',
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'sse-test-client', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

describe('transformSseStream on an SDK v2 server’s stream', () => {
  it('passes the progress notification on while the tool is still running', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handler = slowEndpoint(gate);
    const response = await handler.fetch(
      new Request('http://localhost/mcp', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': 'tools/call',
          'mcp-name': 'slow',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'slow', arguments: {}, _meta: meta },
        }),
      }),
    );
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const seen: unknown[] = [];
    const reader = transformSseStream(response.body as ReadableStream<Uint8Array>, async (message) => {
      seen.push(message);
      return message;
    }).getReader();
    const messages: Array<Record<string, unknown>> = [];
    const parser = createParser({ onEvent: (e) => e.data && messages.push(JSON.parse(e.data)) });
    const decoder = new TextDecoder();
    while (messages.length === 0) {
      const { value, done } = await reader.read();
      expect(done).toBe(false);
      parser.feed(decoder.decode(value, { stream: true }));
    }
    // The tool has not answered yet: it waits for the gate.
    expect(messages[0]).toMatchObject({ method: 'notifications/progress', params: { progressToken: 'p1' } });
    release();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
    }
    expect(messages.at(-1)).toMatchObject({ id: 1, result: { content: [{ type: 'text', text: 'done' }] } });
    expect(seen).toHaveLength(messages.length);
  });
});
