import { isLegacyRequest } from '@modelcontextprotocol/server';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyEra } from './era.js';

const CLAIM = 'io.modelcontextprotocol/protocolVersion';
const CAPS = 'io.modelcontextprotocol/clientCapabilities';
const INFO = 'io.modelcontextprotocol/clientInfo';
const LEVEL = 'io.modelcontextprotocol/logLevel';

/** Leaves an object member out when the generator says so. */
const ABSENT = Symbol('absent');
type Maybe<T> = T | typeof ABSENT;
const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<Maybe<T>> => fc.oneof(fc.constant(ABSENT), arb);
function object(entries: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== ABSENT));
}

const versions = fc.constantFrom(
  '2026-07-28',
  '2025-11-25',
  '2025-06-18',
  '2024-11-05',
  '2099-01-01',
  '3',
  '',
  'x',
);
const capabilities = fc.oneof(
  fc.constantFrom<unknown>(
    {},
    null,
    [],
    'x',
    { roots: { listChanged: true } },
    { roots: { listChanged: 'yes' } },
  ),
  fc.constantFrom<unknown>(
    { elicitation: {} },
    { elicitation: { form: { applyDefaults: 1 } } },
    { elicitation: [] },
  ),
  fc.constantFrom<unknown>(
    { sampling: { context: {} } },
    { sampling: { tools: 2 } },
    { experimental: { a: {} } },
  ),
  fc.constantFrom<unknown>(
    { experimental: { a: [] } },
    { extensions: { e: {} } },
    { extensions: { e: 'no' } },
    { tasks: 5 },
  ),
);
const clientInfo = fc.constantFrom<unknown>(
  { name: 'c', version: '1' },
  { name: 'c' },
  'c',
  null,
  { name: 'c', version: '1', icons: [{ src: 'i' }] },
  { name: 'c', version: '1', icons: [{ src: 1 }] },
  { name: 'c', version: '1', icons: [{ src: 'i', theme: 'blue' }] },
  { name: 'c', version: '1', title: 7 },
);
const meta = fc.oneof(
  fc.constantFrom<unknown>(null, [], 'm', {}),
  versions.map((v) => ({ [CLAIM]: v, [CAPS]: {}, [INFO]: { name: 'c', version: '1' } })),
  fc
    .record({
      claim: maybe(fc.oneof(versions, fc.constantFrom<unknown>(5, null, {}))),
      caps: maybe(capabilities),
      info: maybe(clientInfo),
      level: maybe(fc.constantFrom<unknown>('info', 'loud', 3)),
      progress: maybe(fc.constantFrom<unknown>(1, 'p', 1.5, null, 2 ** 60)),
      related: maybe(fc.constantFrom<unknown>({ taskId: 't' }, { taskId: 1 }, 'r')),
      traceparent: maybe(fc.constant('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')),
    })
    .map((m) =>
      object({
        [CLAIM]: m.claim,
        [CAPS]: m.caps,
        [INFO]: m.info,
        [LEVEL]: m.level,
        progressToken: m.progress,
        'io.modelcontextprotocol/related-task': m.related,
        traceparent: m.traceparent,
      }),
    ),
);
const methods = fc.constantFrom(
  'initialize',
  'tools/call',
  'tools/list',
  'server/discover',
  'ping',
  'notifications/initialized',
  'resources/read',
  'constructor',
  '',
);
const params = fc.oneof(
  fc.constant<unknown>(ABSENT),
  fc.constantFrom<unknown>(null, [], 3),
  fc
    .record({ _meta: maybe(meta), name: maybe(fc.constantFrom('t', 1)), protocolVersion: maybe(versions) })
    .map(object),
);
const message = fc
  .record({
    jsonrpc: maybe(fc.constantFrom<unknown>('2.0', '2.0', '2.0', '1.0', 2)),
    id: maybe(fc.constantFrom<unknown>(1, 'a', 0, 1.5, null, 2 ** 60, -3)),
    method: maybe(fc.oneof(methods, fc.constantFrom<unknown>(1, null))),
    params,
    result: maybe(fc.constantFrom<unknown>({}, { _meta: {} }, { _meta: null }, [], 'r')),
    error: maybe(
      fc.constantFrom<unknown>({ code: 1, message: 'm' }, { code: 1.5, message: 'm' }, { message: 'm' }),
    ),
    extra: maybe(fc.constant<unknown>(true)),
  })
  .map(object);
/** Well-formed requests and notifications (so envelopes, not shapes, decide), each with one possible defect. */
const wellFormed = fc
  .record({
    id: fc.constantFrom<unknown>(1, 'a', ABSENT),
    method: methods,
    params,
    defect: fc.constantFrom<Record<string, unknown>>(
      {},
      {},
      {},
      { jsonrpc: '1.0' },
      { extra: 1 },
      { id: 1.5 },
    ),
  })
  .map((m) => ({ ...object({ jsonrpc: '2.0', id: m.id, method: m.method, params: m.params }), ...m.defect }));
const body = fc.oneof(
  { weight: 6, arbitrary: wellFormed.map((m) => JSON.stringify(m)) },
  { weight: 3, arbitrary: message.map((m) => JSON.stringify(m)) },
  {
    weight: 2,
    arbitrary: fc.array(fc.oneof(wellFormed, message), { maxLength: 3 }).map((b) => JSON.stringify(b)),
  },
  { weight: 1, arbitrary: fc.constantFrom('', '{', 'null', '3', '"s"', ' ', '\ufeff{}', '[[]]') },
);
const header = (values: fc.Arbitrary<string>) =>
  maybe(
    fc.oneof(
      values,
      values.map((v) => ` ${v}\t`),
    ),
  );
const request = fc.record({
  httpMethod: fc.constantFrom('POST', 'POST', 'POST', 'POST', 'GET', 'DELETE', 'PUT'),
  version: header(versions),
  mcpMethod: header(fc.oneof(methods, fc.constantFrom('TOOLS/CALL', 'tools/call, tools/call'))),
  body,
});

type Generated = typeof request extends fc.Arbitrary<infer T> ? T : never;

function toRequest(g: Generated): Request {
  const headers = new Headers({ 'content-type': 'application/json' });
  if (g.version !== ABSENT) headers.set('mcp-protocol-version', g.version);
  if (g.mcpMethod !== ABSENT) headers.set('mcp-method', g.mcpMethod);
  const hasBody = g.httpMethod !== 'GET';
  return new Request('http://localhost/mcp', {
    method: g.httpMethod,
    headers,
    body: hasBody ? g.body : undefined,
  });
}

/** What the fetch handler feeds the classifier: the body read once and parsed, `undefined` when not JSON. */
async function ours(request: Request): Promise<boolean> {
  let parsed: unknown;
  if (request.method === 'POST') {
    const text = await request.text();
    try {
      parsed = text.length === 0 ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  const outcome = classifyEra({
    httpMethod: request.method,
    protocolVersionHeader: request.headers.get('mcp-protocol-version') ?? undefined,
    mcpMethodHeader: request.headers.get('mcp-method') ?? undefined,
    body: parsed,
  });
  return outcome.kind === 'legacy';
}

describe('era classification', () => {
  it('agrees with SDK v2 isLegacyRequest on generated requests', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (g) => {
        const theirs = await isLegacyRequest(toRequest(g));
        expect(await ours(toRequest(g))).toBe(theirs);
      }),
      { numRuns: 3000 },
    );
  });

  it('covers both answers and the rejections (the generator is not one-sided)', async () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(request, (g) => {
        let parsed: unknown;
        try {
          parsed = g.body === '' ? undefined : JSON.parse(g.body);
        } catch {
          parsed = undefined;
        }
        const outcome = classifyEra({
          httpMethod: g.httpMethod,
          protocolVersionHeader: g.version === ABSENT ? undefined : g.version,
          mcpMethodHeader: g.mcpMethod === ABSENT ? undefined : g.mcpMethod,
          body: parsed,
        });
        seen.add(outcome.kind === 'reject' ? outcome.cell : outcome.kind);
      }),
      { numRuns: 3000 },
    );
    for (const kind of [
      'legacy',
      'modern',
      'envelope-invalid',
      'header-body-version-mismatch',
      'modern-header-without-claim',
    ])
      expect(seen).toContain(kind);
  });

  it('classifies the spec examples', () => {
    const modern = {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'get_weather', _meta: { [CLAIM]: '2026-07-28', [CAPS]: {} } },
    };
    expect(
      classifyEra({
        httpMethod: 'POST',
        protocolVersionHeader: '2026-07-28',
        mcpMethodHeader: 'tools/call',
        body: modern,
      }),
    ).toMatchObject({ kind: 'modern', revision: '2026-07-28' });
    const legacy = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18' } };
    expect(classifyEra({ httpMethod: 'POST', body: legacy })).toMatchObject({
      kind: 'legacy',
      reason: 'initialize',
    });
    // A 2025 claim inside the envelope is modern-routed (and then refused as unsupported), not legacy.
    const downgrade = {
      ...modern,
      params: { ...modern.params, _meta: { [CLAIM]: '2025-06-18', [CAPS]: {} } },
    };
    expect(classifyEra({ httpMethod: 'POST', body: downgrade })).toMatchObject({
      kind: 'modern',
      revision: '2025-06-18',
    });
  });
});
