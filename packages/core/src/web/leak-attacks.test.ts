/**
 * Attacks of a lower-privileged principal on what the fetch face answers: `server/discover` entries, a
 * `subscriptions/listen` request and stream, list entries, and another anonymous client's `requestState`. Each is
 * refused (hidden, dropped, or 400) with no 5xx, and recorded as an event that counts and never names.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenAuth } from '../__fixtures__/plugins.js';
import { MemoryEventSink, type SecurityEvent } from '../events.js';
import type { ListItem, WardenPlugin } from '../plugin.js';
import { createWarden, type Warden } from '../warden.js';
import type { WardenFetchHandler } from './handler.js';
import type { UpstreamRequestOptions } from './options.js';

const CLAIM = 'io.modelcontextprotocol/protocolVersion';
const CAPS = 'io.modelcontextprotocol/clientCapabilities';
const READER = 'Bearer good:reader:read';
const ADMIN = 'Bearer good:root:admin';
const SECRET = 'secret-';

const idOf = (item: ListItem) =>
  item.type === 'resource' ? item.uri : item.type === 'resourceTemplate' ? item.uriTemplate : item.name;

/** Hides every item whose name or URI contains `secret-` from principals without the `admin` scope. */
const secrets: WardenPlugin = {
  specVersion: 1,
  name: 'secrets',
  filterListItem: (item, ctx) => ctx.principal.scopes.includes('admin') || !idOf(item).includes(SECRET),
};

type Body = Record<string, unknown> & { id: number; params: Record<string, unknown> };
let answer: (body: Body) => Response = () => new Response(null, { status: 500 });
const received: Body[] = [];
function upstream(_request: Request, options?: UpstreamRequestOptions): Promise<Response> {
  const body = options?.parsedBody as Body;
  received.push(body);
  return Promise.resolve(answer(body));
}
const json = (body: unknown) =>
  new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } });
const sse = (messages: unknown[]) =>
  new Response(messages.map((m) => `event: message\ndata: ${JSON.stringify(m)}\n\n`).join(''), {
    headers: { 'content-type': 'text/event-stream' },
  });

function call(method: string, params: Record<string, unknown>, auth?: string): Request {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': method,
  };
  if (auth !== undefined) headers.authorization = auth;
  if (typeof params.name === 'string') headers['mcp-name'] = params.name;
  const body = {
    jsonrpc: '2.0',
    id: 7,
    method,
    params: { ...params, _meta: { [CLAIM]: '2026-07-28', [CAPS]: {} } },
  };
  return new Request('http://localhost/mcp', { method: 'POST', headers, body: JSON.stringify(body) });
}

/** Names: public ones and `secret-` ones, unique, in any order. */
const names = (prefix: string) =>
  fc
    .uniqueArray(fc.tuple(fc.boolean(), fc.stringMatching(/^[a-z0-9]{1,8}$/)), {
      selector: ([, n]) => n,
      maxLength: 8,
    })
    .map((list) => list.map(([secret, n]) => `${secret ? SECRET : 'pub-'}${prefix}${n}`));
const uris = names('').map((list) => list.map((n) => `file:///${n}`));
const count = (list: readonly string[]) => list.filter((n) => n.includes(SECRET)).length;

let warden: Warden;
let handler: WardenFetchHandler;
const sink = new MemoryEventSink();
beforeAll(async () => {
  warden = await createWarden({ plugins: [tokenAuth(), secrets], sinks: [sink] });
  handler = warden.fetchHandler({ upstream });
});
afterAll(() => warden.close());

/** Runs `request`, returns its text (never a 5xx) and the events it recorded. */
async function attempt(request: Request): Promise<{ text: string; events: SecurityEvent[] }> {
  const before = sink.events.length;
  received.length = 0;
  const response = await handler.fetch(request);
  expect(response.status).toBeLessThan(500);
  const text = await response.text();
  return { text, events: sink.events.slice(before) };
}

/** The `access.denied`/`modified` events that record hidden items: counts only, never a hidden name. */
function hiddenEvents(events: SecurityEvent[]) {
  expect(JSON.stringify(events)).not.toContain(SECRET);
  return events.filter((e) => e.type === 'access.denied' && e.outcome === 'modified');
}

describe('server/discover leaks', () => {
  it('generated: every hidden entry is removed and recorded as one aggregated event per response', async () => {
    await fc.assert(
      fc.asyncProperty(names('t'), uris, names('p'), async (tools, resources, prompts) => {
        answer = (b) =>
          json({
            jsonrpc: '2.0',
            id: b.id,
            result: {
              supportedVersions: ['2026-07-28'],
              capabilities: {
                tools: { listChanged: true },
                experimental: { catalog: { tools: tools.map((name) => ({ name, inputSchema: {} })) } },
                extensions: { 'x/prompts': { prompts: prompts.map((name) => ({ name, arguments: [] })) } },
              },
              _meta: { 'x/resources': { resources: resources.map((uri) => ({ uri, name: uri })) } },
              resultType: 'complete',
            },
          });
        const hidden = count(tools) + count(resources) + count(prompts);
        const reader = await attempt(call('server/discover', {}, READER));
        expect(reader.text).not.toContain(SECRET);
        const events = hiddenEvents(reader.events);
        if (hidden === 0) expect(events).toHaveLength(0);
        else {
          expect(events).toHaveLength(1);
          expect(events[0]).toMatchObject({
            plugin: 'secrets',
            principalId: 'reader',
            details: { hidden, method: 'server/discover' },
          });
        }
        const admin = await attempt(call('server/discover', {}, ADMIN));
        for (const name of [...tools, ...resources, ...prompts]) expect(admin.text).toContain(name);
        expect(hiddenEvents(admin.events)).toHaveLength(0);
      }),
      { numRuns: 40 },
    );
  });
});

describe('subscriptions/listen leaks', () => {
  it('generated: unreadable resourceSubscriptions are dropped before the server, and recorded', async () => {
    await fc.assert(
      fc.asyncProperty(uris, fc.boolean(), async (asked, listChanged) => {
        answer = (b) =>
          sse([
            {
              jsonrpc: '2.0',
              method: 'notifications/subscriptions/acknowledged',
              params: { notifications: (b.params as { notifications: unknown }).notifications },
            },
            { jsonrpc: '2.0', id: b.id, result: { resultType: 'complete' } },
          ]);
        const notifications = { resourceSubscriptions: asked, resourcesListChanged: listChanged };
        const reader = await attempt(call('subscriptions/listen', { notifications }, READER));
        const forwarded = received[0]!.params.notifications as Record<string, unknown>;
        const readable = asked.filter((uri) => !uri.includes(SECRET));
        expect(forwarded.resourcesListChanged).toBe(listChanged);
        if (readable.length > 0 || asked.length === 0)
          expect(forwarded.resourceSubscriptions).toEqual(readable);
        else expect(forwarded).not.toHaveProperty('resourceSubscriptions');
        expect(reader.text).not.toContain(SECRET);
        const events = hiddenEvents(reader.events);
        expect(events).toHaveLength(count(asked) > 0 ? 1 : 0);
        if (count(asked) > 0)
          expect(events[0]?.details).toEqual({ hidden: count(asked), method: 'subscriptions/listen' });

        await attempt(call('subscriptions/listen', { notifications }, ADMIN));
        expect((received[0]!.params.notifications as Record<string, unknown>).resourceSubscriptions).toEqual(
          asked,
        );
      }),
      { numRuns: 40 },
    );
  });

  it('generated: a server that ignores the narrowing still leaks nothing, one event per dropped message', async () => {
    await fc.assert(
      fc.asyncProperty(uris, uris, async (acked, updated) => {
        answer = (b) =>
          sse([
            {
              jsonrpc: '2.0',
              method: 'notifications/subscriptions/acknowledged',
              params: { notifications: { resourceSubscriptions: acked } },
            },
            ...updated.map((uri) => ({
              jsonrpc: '2.0',
              method: 'notifications/resources/updated',
              params: { uri },
            })),
            { jsonrpc: '2.0', id: b.id, result: { resultType: 'complete' } },
          ]);
        const reader = await attempt(call('subscriptions/listen', { notifications: {} }, READER));
        expect(reader.text).not.toContain(SECRET);
        for (const uri of updated.filter((u) => !u.includes(SECRET))) expect(reader.text).toContain(uri);
        const events = hiddenEvents(reader.events);
        // The ack narrowed is one event; each dropped update is one more.
        const expected = (count(acked) > 0 ? 1 : 0) + count(updated);
        expect(events).toHaveLength(expected);
        const total = events.reduce((n, e) => n + Number(e.details?.hidden), 0);
        expect(total).toBe(count(acked) + count(updated));
      }),
      { numRuns: 40 },
    );
  });
});

describe('list leaks', () => {
  it('generated: a filtered list records the count, not the names', async () => {
    await fc.assert(
      fc.asyncProperty(names('t'), async (tools) => {
        answer = (b) =>
          json({
            jsonrpc: '2.0',
            id: b.id,
            result: { tools: tools.map((name) => ({ name, inputSchema: {} })) },
          });
        const reader = await attempt(call('tools/list', {}, READER));
        expect(reader.text).not.toContain(SECRET);
        const events = hiddenEvents(reader.events);
        expect(events).toHaveLength(count(tools) > 0 ? 1 : 0);
        if (count(tools) > 0)
          expect(events[0]?.details).toEqual({ hidden: count(tools), method: 'tools/list' });
      }),
      { numRuns: 30 },
    );
  });
});

describe('anonymous requestState', () => {
  it('generated: one anonymous client’s state does not open for another at another address', async () => {
    const events = new MemoryEventSink();
    const open = await createWarden({ plugins: [secrets], sinks: [events] });
    const inner: string[] = [];
    const anonymous = open.fetchHandler({
      upstream: (_request, options) => {
        const body = options?.parsedBody as Body;
        if (body.params.requestState !== undefined) inner.push(String(body.params.requestState));
        return Promise.resolve(
          json({
            jsonrpc: '2.0',
            id: body.id,
            result: { resultType: 'input_required', inputRequests: {}, requestState: 'inner' },
          }),
        );
      },
    });
    const args = { name: 'echo', arguments: {} };
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(fc.oneof(fc.ipV4(), fc.ipV6()), { minLength: 2, maxLength: 2 }),
          async ([a, b]) => {
            const first = await anonymous.fetch(call('tools/call', args), { remoteAddress: a });
            const sealed = ((await first.json()) as { result: { requestState: string } }).result.requestState;
            inner.length = 0;
            const before = events.events.length;
            const stolen = await anonymous.fetch(call('tools/call', { ...args, requestState: sealed }), {
              remoteAddress: b,
            });
            expect(stolen.status).toBe(400);
            expect(((await stolen.json()) as { error: { code: number } }).error.code).toBe(-32602);
            expect(inner).toHaveLength(0);
            expect(events.events.slice(before).some((e) => e.type === 'request.rejected')).toBe(true);
            const own = await anonymous.fetch(call('tools/call', { ...args, requestState: sealed }), {
              remoteAddress: a,
            });
            expect(own.status).toBe(200);
            expect(inner).toEqual(['inner']);
          },
        ),
        { numRuns: 30 },
      );
    } finally {
      await open.close();
    }
  });
});
