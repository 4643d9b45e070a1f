import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  CreateMessageRequestSchema,
  CreateMessageResultSchema,
  LoggingMessageNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MemoryEventSink } from './events.js';
import type { ServerMessageContext, WardenPlugin } from './plugin.js';
import { fakePrincipal } from './testing/index.js';
import { createWarden } from './warden.js';

// onServerMessage: what the server sends on its own (notifications, requests to the client) passes the plugins,
// which may rewrite or withhold it; a throwing plugin withholds it; a withheld request is answered to the server.

/** A server whose tool `chatty` logs `text` and then asks the client to sample, returning what it got back. */
function chattyServer(): McpServer {
  const server = new McpServer({ name: 'chatty', version: '1.0.0' }, { capabilities: { logging: {} } });
  server.registerTool('chatty', { inputSchema: { text: z.string() } }, async ({ text }, extra) => {
    await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data: text } });
    try {
      const answer = await extra.sendRequest(
        {
          method: 'sampling/createMessage',
          params: { messages: [{ role: 'user', content: { type: 'text', text } }], maxTokens: 10 },
        },
        CreateMessageResultSchema,
      );
      return { content: [{ type: 'text', text: `sampled: ${JSON.stringify(answer.content)}` }] };
    } catch (error) {
      return { content: [{ type: 'text', text: `sampling refused: ${(error as Error).message}` }] };
    }
  });
  return server;
}

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of open.splice(0)) await close();
});

async function connect(plugins: WardenPlugin[]) {
  const events = new MemoryEventSink();
  const warden = await createWarden({ plugins, sinks: [events] });
  const server = chattyServer();
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(
    warden.wrapTransport(serverSide, { transport: 'memory', principal: fakePrincipal({ id: 'alice' }) }),
  );
  const client = new Client({ name: 'c', version: '1' }, { capabilities: { sampling: {} } });
  const logs: unknown[] = [];
  const sampled: string[] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    logs.push(n.params.data);
  });
  client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
    sampled.push(JSON.stringify(request.params.messages));
    return { role: 'assistant', content: { type: 'text', text: 'ok' }, model: 'm' };
  });
  await client.connect(clientSide);
  open.push(async () => {
    await client.close();
    await warden.close();
  });
  return { client, events, logs, sampled };
}

const call = (client: Client, text: string) => client.callTool({ name: 'chatty', arguments: { text } });
const textOf = (r: unknown) => JSON.stringify((r as { content: unknown }).content);

describe('onServerMessage', () => {
  it('sees notifications and requests with the principal and the related request, and may rewrite them', async () => {
    const seen: ServerMessageContext[] = [];
    const redact: WardenPlugin = {
      specVersion: 1,
      name: 'redact',
      onServerMessage: (ctx) => {
        seen.push(ctx);
        return { params: JSON.parse(JSON.stringify(ctx.params).replaceAll('s3cret', '[gone]')) };
      },
    };
    const { client, logs, sampled } = await connect([redact]);
    await call(client, 'the s3cret word');
    expect(logs).toEqual(['the [gone] word']);
    expect(sampled[0]).toContain('[gone]');
    expect(sampled[0]).not.toContain('s3cret');
    expect(seen.map((c) => [c.kind, c.method])).toEqual([
      ['notification', 'notifications/message'],
      ['request', 'sampling/createMessage'],
    ]);
    expect(seen.every((c) => c.principal.id === 'alice' && c.relatedRequestId !== undefined)).toBe(true);
  });

  it('withholds what a plugin drops or throws on; a withheld request is answered to the server with an error', async () => {
    const guard: WardenPlugin = {
      specVersion: 1,
      name: 'guard',
      onServerMessage: (ctx) => {
        if (ctx.kind === 'request') throw new Error('no sampling for you');
        return { drop: true };
      },
    };
    const { client, logs, sampled, events } = await connect([guard]);
    const result = await call(client, 'hello');
    expect(logs).toEqual([]);
    expect(sampled).toEqual([]);
    expect(textOf(result)).toContain('sampling refused');
    expect(events.ofType('plugin.error').some((e) => e.plugin === 'guard')).toBe(true);
  });

  it('in audit mode changes nothing', async () => {
    const audited: WardenPlugin = {
      specVersion: 1,
      name: 'audited',
      mode: 'audit',
      onServerMessage: () => ({ drop: true }),
    };
    const { client, logs, sampled } = await connect([audited]);
    await call(client, 'hello');
    expect(logs).toEqual(['hello']);
    expect(sampled).toHaveLength(1);
  });
});
