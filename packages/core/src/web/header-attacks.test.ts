import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { denyTools, tokenAuth } from '../__fixtures__/plugins.js';
import { v2Endpoint } from '../__fixtures__/v2-server.js';
import { MemoryEventSink } from '../events.js';
import { createWarden, type Warden } from '../warden.js';
import type { WardenFetchHandler } from './handler.js';
import type { UpstreamRequestOptions } from './options.js';

const CLAIM = 'io.modelcontextprotocol/protocolVersion';
const CAPS = 'io.modelcontextprotocol/clientCapabilities';
const URL_ = 'http://localhost/mcp';
const AUTH = 'Bearer good:alice:read';

let warden: Warden;
let handler: WardenFetchHandler;
const sink = new MemoryEventSink();
let upstreamCalls = 0;

beforeAll(async () => {
  warden = await createWarden({ plugins: [tokenAuth(), denyTools(['admin_stats'])], sinks: [sink] });
  const endpoint = v2Endpoint();
  handler = warden.fetchHandler({
    upstream: (request: Request, options?: UpstreamRequestOptions) => {
      upstreamCalls++;
      return endpoint.fetch(request, options as never);
    },
  });
});
afterAll(() => warden.close());

type Target = { method: string; field: 'name' | 'uri'; value: string; other: string };
const TARGETS: Target[] = [
  { method: 'tools/call', field: 'name', value: 'echo', other: 'whoami' },
  { method: 'prompts/get', field: 'name', value: 'greet', other: 'echo' },
  {
    method: 'resources/read',
    field: 'uri',
    value: 'file:///public/readme.txt',
    other: 'file:///private/secret.txt',
  },
];

function modernBody(target: Target, meta: Record<string, unknown> = {}): Record<string, unknown> {
  const args =
    target.method === 'tools/call'
      ? { arguments: { text: 'hi' } }
      : target.method === 'prompts/get'
        ? { arguments: { name: 'Bo' } }
        : {};
  return {
    jsonrpc: '2.0',
    id: 7,
    method: target.method,
    params: { [target.field]: target.value, ...args, _meta: { [CLAIM]: '2026-07-28', [CAPS]: {}, ...meta } },
  };
}

function post(body: unknown, headers: Record<string, string | undefined>): Request {
  const h = new Headers({
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  });
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) h.set(name, value);
  return new Request(URL_, {
    method: 'POST',
    headers: h,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function goodHeaders(target: Target): Record<string, string> {
  return {
    authorization: AUTH,
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': target.method,
    'mcp-name': target.value,
  };
}

const b64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));
/** Ways to spoil one header value; each yields a value a strict check must refuse (no-ops are filtered out). */
const MUTATIONS: Record<string, (value: string, t: Target, h: Record<string, string>) => string | undefined> =
  {
    upper: (v) => v.toUpperCase(),
    flipFirst: (v) => (v[0] === v[0]!.toUpperCase() ? v[0]!.toLowerCase() : v[0]!.toUpperCase()) + v.slice(1),
    innerSpace: (v) => `${v.slice(0, 2)} ${v.slice(2)}`,
    innerTab: (v) => `${v.slice(0, 2)}\t${v.slice(2)}`,
    nbsp: (v) => `${v}\u00a0`,
    latin1Lookalike: (v) => v.replace(/e/, '\u00e9'),
    percentFirst: (v) => `%${v.charCodeAt(0).toString(16).toUpperCase()}${v.slice(1)}`,
    percentAll: (v) => [...v].map((c) => `%${c.charCodeAt(0).toString(16)}`).join(''),
    missing: () => undefined,
    duplicated: (v) => `${v}, ${v}`,
    duplicatedOther: (v, t) => `${v}, ${t.other}`,
    other: (_v, t) => t.other,
    swapMethodName: (_v, t, h) => (h['mcp-method'] === _v ? t.value : t.method),
    base64Other: (_v, t) => `=?base64?${b64(t.other)}?=`,
    base64Invalid: () => '=?base64?not*base64?=',
    base64Unpadded: (v) => `=?base64?${b64(v).replace(/=+$/, '')}?=`,
    sentinelUpper: (v) => `=?BASE64?${b64(v)}?=`,
    trailingDot: (v) => `${v}.`,
    empty: () => '',
  };

const attack = fc.record({
  target: fc.constantFrom(...TARGETS),
  header: fc.constantFrom('mcp-method', 'mcp-name', 'mcp-protocol-version'),
  mutation: fc.constantFrom(...Object.keys(MUTATIONS)),
});

async function expectHeaderMismatch(response: Response): Promise<void> {
  expect(response.status).toBe(400);
  const body = (await response.json()) as { error: { code: number } };
  expect(body.error.code).toBe(-32020);
}

describe('2026-07-28 header/body attacks', () => {
  it('accepts the unspoiled requests (the family is not vacuous)', async () => {
    for (const target of TARGETS) {
      const calls = upstreamCalls;
      const response = await handler.fetch(post(modernBody(target), goodHeaders(target)));
      expect(response.status).toBe(200);
      expect(upstreamCalls).toBe(calls + 1);
    }
  });

  it('refuses every spoiled header with 400/-32020, an event each, and never calls the upstream', async () => {
    await fc.assert(
      fc.asyncProperty(attack, async ({ target, header, mutation }) => {
        const headers = goodHeaders(target);
        const original = headers[header]!;
        const mutated = MUTATIONS[mutation]!(original, target, headers);
        // A spoiled value a Request normalizes back (surrounding whitespace) or leaves equal proves nothing.
        fc.pre(mutated?.trim() !== original && !(mutated === '' && header !== 'mcp-name'));
        const events = sink.events.length;
        const calls = upstreamCalls;
        const response = await handler.fetch(post(modernBody(target), { ...headers, [header]: mutated }));
        await expectHeaderMismatch(response);
        expect(upstreamCalls).toBe(calls);
        const recorded = sink.events.slice(events).filter((e) => e.type === 'request.rejected');
        expect(recorded).toHaveLength(1);
        expect(recorded[0]?.details?.code).toBe('HEADER_MISMATCH');
      }),
      { numRuns: 400 },
    );
  });

  it('refuses a body that names another target than the headers (body/header swap)', async () => {
    for (const target of TARGETS) {
      const body = modernBody({ ...target, value: target.other });
      const calls = upstreamCalls;
      await expectHeaderMismatch(await handler.fetch(post(body, goodHeaders(target))));
      expect(upstreamCalls).toBe(calls);
    }
  });

  it('accepts a Base64-sentinel Mcp-Name that decodes to the body value, and a non-ASCII name only that way', async () => {
    const target = { ...TARGETS[0]!, value: 'écho' };
    const encoded = { ...goodHeaders(target), 'mcp-name': `=?base64?${b64('écho')}?=` };
    const response = await handler.fetch(post(modernBody(target), encoded));
    expect(response.status).toBe(200); // reaches the server, which has no such tool
    const plain = { ...goodHeaders(target), 'mcp-name': 'écho' };
    await expectHeaderMismatch(await handler.fetch(post(modernBody(target), plain)));
  });

  it('refuses batches whatever they hold, before the upstream', async () => {
    const modern = modernBody(TARGETS[0]!);
    const legacy = { jsonrpc: '2.0', id: 1, method: 'tools/list' };
    for (const batch of [[modern], [legacy, modern], [legacy], []]) {
      const calls = upstreamCalls;
      const response = await handler.fetch(post(batch, goodHeaders(TARGETS[0]!)));
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: number } }).error.code).toBe(-32600);
      expect(upstreamCalls).toBe(calls);
    }
  });
});

describe('protocol-version downgrades', () => {
  const target = TARGETS[0]!;
  const bodyWith = (version: string) => modernBody(target, { [CLAIM]: version });
  const cases: {
    name: string;
    body: unknown;
    headers: Record<string, string | undefined>;
    status: number;
    code: number;
  }[] = [
    {
      name: 'header modern, body claims 2025',
      body: bodyWith('2025-06-18'),
      headers: goodHeaders(target),
      status: 400,
      code: -32020,
    },
    {
      name: 'body claims 2025, no version header',
      body: bodyWith('2025-06-18'),
      headers: { ...goodHeaders(target), 'mcp-protocol-version': undefined },
      status: 400,
      code: -32022,
    },
    {
      name: 'unknown future revision, consistent headers',
      body: bodyWith('2099-01-01'),
      headers: { ...goodHeaders(target), 'mcp-protocol-version': '2099-01-01' },
      status: 400,
      code: -32022,
    },
    {
      name: 'modern header, no envelope',
      body: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo' } },
      headers: goodHeaders(target),
      status: 400,
      code: -32602,
    },
    {
      name: 'envelope without capabilities',
      body: {
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'echo', _meta: { [CLAIM]: '2026-07-28' } },
      },
      headers: goodHeaders(target),
      status: 400,
      code: -32602,
    },
    {
      name: 'initialize under a modern header',
      body: { jsonrpc: '2.0', id: 1, method: 'initialize', params: {} },
      headers: goodHeaders(target),
      status: 400,
      code: -32020,
    },
    {
      name: 'no envelope, mismatching Mcp-Name (legacy with headers)',
      body: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'admin_stats' } },
      headers: { authorization: AUTH, 'mcp-method': 'tools/call', 'mcp-name': 'echo' },
      status: 400,
      code: -32020,
    },
  ];
  for (const c of cases) {
    it(`refuses: ${c.name}`, async () => {
      const calls = upstreamCalls;
      const events = sink.events.length;
      const response = await handler.fetch(post(c.body, c.headers));
      expect(response.status).toBe(c.status);
      expect(((await response.json()) as { error: { code: number } }).error.code).toBe(c.code);
      expect(upstreamCalls).toBe(calls);
      expect(sink.events.slice(events).some((e) => e.type === 'request.rejected')).toBe(true);
    });
  }

  it('authenticates and runs the pipeline on every path that is served, in either era', async () => {
    const legacyCall = {
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: { name: 'admin_stats', arguments: {} },
    };
    const paths: { name: string; request: (auth?: string) => Request }[] = [
      {
        name: 'modern',
        request: (a) =>
          post(modernBody({ ...target, value: 'admin_stats' }), {
            ...goodHeaders({ ...target, value: 'admin_stats' }),
            authorization: a,
          }),
      },
      {
        name: 'legacy stateless',
        request: (a) => post(legacyCall, { authorization: a, 'mcp-protocol-version': '2025-06-18' }),
      },
      { name: 'legacy, no version header', request: (a) => post(legacyCall, { authorization: a }) },
    ];
    for (const path of paths) {
      const anonymous = await handler.fetch(path.request(undefined));
      expect(anonymous.status, path.name).toBe(401);
      expect(anonymous.headers.get('www-authenticate'), path.name).toMatch(/^Bearer .*resource_metadata=/);
      const calls = upstreamCalls;
      const denied = await handler.fetch(path.request(AUTH));
      const body = (await denied.json()) as { error?: { code: number } };
      expect(body.error?.code, path.name).toBe(-32003);
      expect(upstreamCalls, path.name).toBe(calls);
    }
    for (const method of ['GET', 'DELETE']) {
      const response = await handler.fetch(new Request(URL_, { method }));
      expect(response.status, method).toBe(401);
    }
  });
});
