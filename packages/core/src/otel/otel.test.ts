import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { demoServer } from '../__fixtures__/demo-server.js';
import { denyTools, tokenAuth } from '../__fixtures__/plugins.js';
import type { RequestObserver } from '../observe/observer.js';
import { formatTraceparent } from '../observe/trace-context.js';
import { connectHttpClient, connectTestClient, startTestHttpServer } from '../testing/kit.js';
import { MCP_SPAN_ATTRIBUTES as A, openTelemetry } from './index.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

function sdk() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  return { exporter, provider, contextManager };
}

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe('openTelemetry observer with a real SDK', () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it('makes a span per request, child spans per plugin hook, with the parent from _meta.traceparent', async () => {
    const { exporter, provider, contextManager } = sdk();
    const traceIds: string[] = [];
    const witness: RequestObserver = {
      name: 'witness',
      start: (request) => ({ end: () => traceIds.push(request.trace.traceId) }),
    };
    const { client, close } = await connectTestClient({
      plugins: [denyTools(['admin_stats'])],
      wardenOptions: { observers: [openTelemetry({ tracerProvider: provider }), witness] },
      createServer: demoServer,
    });
    cleanup = async () => {
      await close();
      contextManager.disable();
    };
    await client.callTool({
      name: 'echo',
      arguments: { text: 'hi' },
      _meta: { traceparent: formatTraceparent(TRACE, SPAN, true) },
    });
    await expect(client.callTool({ name: 'admin_stats' })).rejects.toThrow();
    const spans = exporter.getFinishedSpans();
    const requests = spans.filter((s) => s.name === 'mcp tools/call');
    expect(requests).toHaveLength(2);
    const [echo, denied] = requests as [ReadableSpan, ReadableSpan];
    expect(echo.spanContext().traceId).toBe(TRACE);
    expect(parentOf(echo)).toBe(SPAN);
    expect(echo.attributes).toMatchObject({
      [A.method]: 'tools/call',
      [A.target]: 'echo',
      [A.tool]: 'echo',
      [A.principal]: 'test-user',
      [A.outcome]: 'ok',
    });
    const children = spans.filter((s) => parentOf(s) === echo.spanContext().spanId);
    expect(children.map((s) => s.name).sort()).toEqual([
      'deny-tools afterResponse',
      'deny-tools beforeRequest',
    ]);
    expect(denied.attributes).toMatchObject({
      [A.outcome]: 'refused',
      [A.errorType]: 'ACCESS_DENIED',
      [A.plugin]: 'deny-tools',
    });
    expect(denied.status.code).toBe(2); // ERROR
    // Without a traceparent the span starts a trace, and every observer reports that trace id.
    expect(denied.spanContext().traceId).not.toBe(TRACE);
    expect(traceIds.filter((id) => id === denied.spanContext().traceId).length).toBeGreaterThan(0);
    expect(traceIds).toContain(TRACE);
  });

  it('takes the parent from the HTTP traceparent header', async () => {
    const { exporter, provider, contextManager } = sdk();
    const server = await startTestHttpServer({
      plugins: [tokenAuth()],
      wardenOptions: { observers: [openTelemetry({ tracerProvider: provider, stages: 'events' })] },
      createServer: demoServer,
    });
    const client = await connectHttpClient(server.url, {
      headers: { authorization: 'Bearer good:alice', traceparent: formatTraceparent(TRACE, SPAN, true) },
    });
    cleanup = async () => {
      await client.close();
      await server.close();
      contextManager.disable();
    };
    await client.callTool({ name: 'whoami' });
    const span = exporter.getFinishedSpans().find((s) => s.name === 'mcp tools/call')!;
    expect(span.spanContext().traceId).toBe(TRACE);
    expect(parentOf(span)).toBe(SPAN);
    expect(span.attributes[A.principal]).toBe('alice');
    expect(span.attributes[A.transport]).toBe('http');
  });

  it('without an SDK, costs nothing and keeps the generated trace id', async () => {
    const ids: string[] = [];
    const { client, close } = await connectTestClient({
      wardenOptions: {
        observers: [
          openTelemetry(),
          { name: 'w', start: (r) => ({ end: () => ids.push(`${r.trace.source}:${r.trace.traceId}`) }) },
        ],
      },
      createServer: demoServer,
    });
    cleanup = close;
    await client.callTool({ name: 'echo', arguments: { text: 'x' } });
    expect(ids.at(-1)).toMatch(/^generated:[0-9a-f]{32}$/);
  });
});
