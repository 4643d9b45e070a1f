import { createParser } from 'eventsource-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createListenFilter, filterListenMessage } from './listen-filter.js';
import { transformSseStream } from './sse.js';

/** The principal may read `ok://…` resources and nothing else. */
const mayRead = async (uri: string) => uri.startsWith('ok://');
const options = { mayRead };
const SUB = { 'io.modelcontextprotocol/subscriptionId': 'listen-1' };

function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      strings(v, out);
    }
  }
  return out;
}

const updated = (uri: unknown, extra: object = {}) => ({
  jsonrpc: '2.0',
  method: 'notifications/resources/updated',
  params: { uri, ...extra, _meta: SUB },
});

describe('filterListenMessage: the notifications of a listen stream', () => {
  it('forwards resources/updated only for URIs the principal may read', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.webPath(), async (readable, path) => {
        const uri = `${readable ? 'ok' : 'hidden'}://host${path}`;
        const out = await filterListenMessage(updated(uri), options);
        expect(out).toEqual(readable ? updated(uri) : undefined);
      }),
      { numRuns: 50 },
    );
    for (const bad of [undefined, 1, null, ['ok://a'], { uri: 'ok://a' }]) {
      expect(await filterListenMessage(updated(bad), options)).toBeUndefined();
    }
    const noParams = { jsonrpc: '2.0', method: 'notifications/resources/updated' };
    expect(await filterListenMessage(noParams, options)).toBeUndefined();
    // Other fields of an allowed update that name other resources do not go along with it.
    const withParent = updated('ok://a/b', { parentUri: 'hidden://a', title: 'B' });
    expect(await filterListenMessage(withParent, options)).toEqual(updated('ok://a/b', { title: 'B' }));
  });

  it('confirms in the ack only the subscriptions the principal may read', async () => {
    const ack = (resourceSubscriptions: unknown) => ({
      jsonrpc: '2.0',
      method: 'notifications/subscriptions/acknowledged',
      params: { notifications: { toolsListChanged: true, resourceSubscriptions }, _meta: SUB },
    });
    expect(await filterListenMessage(ack(['ok://a', 'hidden://b', 3, 'ok://c']), options)).toEqual(
      ack(['ok://a', 'ok://c']),
    );
    const none = (await filterListenMessage(ack(['hidden://b']), options)) as {
      params: { notifications: object };
    };
    expect(none.params.notifications).toEqual({ toolsListChanged: true });
    const odd = (await filterListenMessage(ack('hidden://b'), options)) as {
      params: { notifications: object };
    };
    expect(odd.params.notifications).toEqual({ toolsListChanged: true });
  });

  it('passes list_changed notifications, without anything in them that names a resource', async () => {
    for (const kind of ['tools', 'prompts', 'resources']) {
      const note = { jsonrpc: '2.0', method: `notifications/${kind}/list_changed`, params: { _meta: SUB } };
      expect(await filterListenMessage(note, options)).toBe(note);
      const bare = { jsonrpc: '2.0', method: `notifications/${kind}/list_changed` };
      expect(await filterListenMessage(bare, options)).toBe(bare);
      const leaky = { ...note, params: { _meta: SUB, added: [{ uri: 'hidden://x', name: 'x' }] } };
      expect(await filterListenMessage(leaky, options)).toEqual({
        ...note,
        params: { _meta: SUB, added: [{ name: 'x' }] },
      });
    }
  });

  it('passes the close result and errors, stripped of resource names', async () => {
    const close = { jsonrpc: '2.0', id: 'listen-1', result: { resultType: 'complete', _meta: SUB } };
    expect(await filterListenMessage(close, options)).toEqual(close);
    const error = {
      jsonrpc: '2.0',
      id: 'listen-1',
      error: { code: -32602, message: 'x', data: { uri: 'hidden://x' } },
    };
    expect(await filterListenMessage(error, options)).toEqual({
      jsonrpc: '2.0',
      id: 'listen-1',
      error: { code: -32602, message: 'x', data: {} },
    });
  });

  it('drops any other message that names a resource, wherever and however it is spelled', async () => {
    const keyArb = fc.constantFrom(
      'uri',
      'URI',
      'Uri',
      'uris',
      'targetUri',
      'resourceURI',
      'resource',
      'Resources',
      'resourceLink',
      'resourceTemplates',
      'uriTemplate',
    );
    const methodArb = fc.oneof(
      fc.constantFrom(
        'notifications/message',
        'notifications/progress',
        'notifications/cancelled',
        'elicitation/create',
      ),
      fc.string(),
    );
    const nestArb = fc.array(fc.constantFrom('data', 'items', '0', 'deep'), { maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(methodArb, keyArb, nestArb, async (method, key, path) => {
        fc.pre(
          !['notifications/resources/updated', 'notifications/subscriptions/acknowledged'].includes(method),
        );
        fc.pre(!method.endsWith('/list_changed'));
        let payload: unknown = { [key]: 'hidden://secret' };
        for (const segment of path.reverse()) payload = segment === '0' ? [payload] : { [segment]: payload };
        const message = { jsonrpc: '2.0', method, params: { level: 'info', payload, _meta: SUB } };
        const out = await filterListenMessage(message, options);
        expect(strings(out).some((s) => s.startsWith('hidden://'))).toBe(false);
      }),
      { numRuns: 300 },
    );
    const progress = {
      jsonrpc: '2.0',
      method: 'notifications/progress',
      params: { progressToken: 1, progress: 2 },
    };
    expect(await filterListenMessage(progress, options)).toBe(progress);
  });

  it('drops what is not one JSON-RPC message, and nesting past the bound', async () => {
    for (const bad of [null, 1, 'x', [updated('ok://a')], { jsonrpc: '2.0', method: 'x', params: [1] }]) {
      expect(await filterListenMessage(bad, options)).toBeUndefined();
    }
    let deep: unknown = { a: 1 };
    for (let i = 0; i < 40; i += 1) deep = { next: deep };
    expect(
      await filterListenMessage({ jsonrpc: '2.0', method: 'x/y', params: { deep } }, options),
    ).toBeUndefined();
  });
});

describe('createListenFilter on a listen stream', () => {
  const frames = [
    `event: message\ndata: ${JSON.stringify({
      jsonrpc: '2.0',
      method: 'notifications/subscriptions/acknowledged',
      params: { notifications: { resourceSubscriptions: ['ok://a', 'hidden://b'] }, _meta: SUB },
    })}\n\n`,
    ': keepalive\n\n',
    `event: message\ndata: ${JSON.stringify(updated('hidden://b'))}\n\n`,
    `event: message\ndata: ${JSON.stringify(updated('ok://a'))}\n\n`,
  ];
  const upstream = (chunks: string[]) =>
    new ReadableStream<Uint8Array>({
      start(c) {
        for (const chunk of chunks) c.enqueue(new TextEncoder().encode(chunk));
        c.close();
      },
    });
  const read = async (stream: ReadableStream<Uint8Array>) => {
    const events: unknown[] = [];
    const comments: string[] = [];
    const parser = createParser({
      onEvent: (e) => events.push(JSON.parse(e.data)),
      onComment: (c) => comments.push(c),
    });
    const decoder = new TextDecoder();
    for await (const chunk of stream) parser.feed(decoder.decode(chunk, { stream: true }));
    return { events, comments };
  };

  it('delivers the ack, keep-alives and the readable updates; the rest never reaches the client', async () => {
    const { events, comments } = await read(
      transformSseStream(upstream(frames), createListenFilter(options)),
    );
    expect(comments).toEqual(['keepalive']);
    expect(events).toHaveLength(2);
    expect(strings(events).some((s) => s.startsWith('hidden://'))).toBe(false);
    expect(events[1]).toEqual(updated('ok://a'));
  });

  it('ends the stream when the read decision fails', async () => {
    const failing = createListenFilter({
      mayRead: async () => {
        throw new Error('policy store down');
      },
    });
    const { events } = await read(transformSseStream(upstream(frames), failing));
    expect(events).toEqual([
      {
        jsonrpc: '2.0',
        error: { code: -32603, message: 'The response could not be checked and was refused.' },
      },
    ]);
    expect(() => createListenFilter({} as never)).toThrow(TypeError);
  });
});
