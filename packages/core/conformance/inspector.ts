/**
 * A permissive but real MCP Warden plugin for the conformance run: it looks at every request, every result and
 * every list entry the pipeline hands it, counts them, checks the result shapes the MCP schema prescribes, and
 * never refuses or changes anything. The wrapped run proves that going through these hooks is transparent.
 */
import type { ListItem, RequestContext, ResponseContext, SecurityEvent, WardenPlugin } from '../src/index.js';

export interface InspectorSummary {
  /** `beforeRequest` calls per JSON-RPC method. */
  requests: Record<string, number>;
  /** `beforeRequest` calls per era (`modern` for 2026-07-28, `legacy` for 2025). */
  eras: Record<string, number>;
  /** `afterResponse` calls per JSON-RPC method. */
  responses: Record<string, number>;
  /** `filterListItem` calls per item type. */
  listItems: Record<string, number>;
  /** Security events per type (e.g. `request.rejected` for the DNS-rebinding probe). */
  events: Record<string, number>;
  /** Shape problems found in requests or results (should stay empty). */
  anomalies: string[];
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const INPUT_REQUIRED_METHODS: ReadonlySet<string> = new Set(['tools/call', 'prompts/get', 'resources/read']);

/** Checks a result against the shape its method's MCP result type requires; returns a problem or undefined. */
export function checkResultShape(
  method: string,
  result: Readonly<Record<string, unknown>>,
): string | undefined {
  const arrayOf = (key: string, itemCheck: (item: unknown) => boolean): string | undefined => {
    const items = result[key];
    if (!Array.isArray(items)) return `${method}: "${key}" is not an array`;
    const bad = items.findIndex((item) => !itemCheck(item));
    return bad === -1 ? undefined : `${method}: ${key}[${bad}] is malformed`;
  };
  // 2026-07-28: tools/call, prompts/get and resources/read may instead ask the client for input (SEP-2322).
  if (result.resultType === 'input_required' && INPUT_REQUIRED_METHODS.has(method)) {
    const requests = result.inputRequests;
    const state = result.requestState;
    if (requests === undefined && state === undefined)
      return `${method}: input_required without inputRequests or requestState`;
    if (requests !== undefined && !isObject(requests)) return `${method}: inputRequests is not an object`;
    return state === undefined || typeof state === 'string'
      ? undefined
      : `${method}: requestState is not a string`;
  }
  switch (method) {
    case 'initialize': {
      const info = result.serverInfo;
      if (typeof result.protocolVersion !== 'string') return 'initialize: no protocolVersion';
      if (!isObject(result.capabilities)) return 'initialize: no capabilities';
      return isObject(info) && typeof info.name === 'string' ? undefined : 'initialize: no serverInfo.name';
    }
    case 'tools/list':
      return arrayOf('tools', (t) => isObject(t) && typeof t.name === 'string' && isObject(t.inputSchema));
    case 'tools/call':
      return arrayOf('content', (c) => isObject(c) && typeof c.type === 'string');
    case 'prompts/list':
      return arrayOf('prompts', (p) => isObject(p) && typeof p.name === 'string');
    case 'prompts/get':
      return arrayOf(
        'messages',
        (m) => isObject(m) && (m.role === 'user' || m.role === 'assistant') && isObject(m.content),
      );
    case 'resources/list':
      return arrayOf(
        'resources',
        (r) => isObject(r) && typeof r.uri === 'string' && typeof r.name === 'string',
      );
    case 'resources/templates/list':
      return arrayOf('resourceTemplates', (r) => isObject(r) && typeof r.uriTemplate === 'string');
    case 'resources/read':
      return arrayOf(
        'contents',
        (c) =>
          isObject(c) &&
          typeof c.uri === 'string' &&
          (typeof c.text === 'string' || typeof c.blob === 'string'),
      );
    case 'completion/complete': {
      const completion = result.completion;
      return isObject(completion) && Array.isArray(completion.values)
        ? undefined
        : 'completion/complete: no completion.values array';
    }
    default:
      return undefined; // ping, logging/setLevel, resources/(un)subscribe: an (empty) object, already checked
  }
}

function checkRequest(ctx: RequestContext): string | undefined {
  if (ctx.action !== ctx.method.replaceAll('/', ':'))
    return `${ctx.method}: action "${ctx.action}" does not match`;
  if (ctx.method === 'tools/call' && (ctx.target?.type !== 'tool' || ctx.target.name !== ctx.params.name))
    return 'tools/call: wrong target';
  if (ctx.method === 'prompts/get' && (ctx.target?.type !== 'prompt' || ctx.target.name !== ctx.params.name))
    return 'prompts/get: wrong target';
  if (
    ctx.method === 'resources/read' &&
    (ctx.target?.type !== 'resource' || ctx.target.uri !== ctx.params.uri)
  )
    return 'resources/read: wrong target';
  return undefined;
}

/** Creates the inspector plugin and a way to read what it saw. */
export function createInspector(): { plugin: WardenPlugin; summary(): InspectorSummary } {
  const seen: InspectorSummary = {
    requests: {},
    eras: {},
    responses: {},
    listItems: {},
    events: {},
    anomalies: [],
  };
  const bump = (table: Record<string, number>, key: string) => {
    table[key] = (table[key] ?? 0) + 1;
  };
  const note = (problem: string | undefined) => {
    if (problem && seen.anomalies.length < 100) seen.anomalies.push(problem);
  };
  const plugin = {
    specVersion: 1,
    name: 'conformance-inspector',
    stage: 'default',
    beforeRequest(ctx: RequestContext) {
      bump(seen.requests, ctx.method);
      bump(seen.eras, ctx.era);
      note(checkRequest(ctx));
    },
    afterResponse(ctx: ResponseContext) {
      bump(seen.responses, ctx.method);
      if (!isObject(ctx.result)) note(`${ctx.method}: result is not an object`);
      else note(checkResultShape(ctx.method, ctx.result));
    },
    filterListItem(item: ListItem) {
      bump(seen.listItems, item.type);
      return true;
    },
    onEvent(event: SecurityEvent) {
      bump(seen.events, event.type);
    },
  } satisfies WardenPlugin;
  return { plugin, summary: () => structuredClone(seen) };
}
