/**
 * OpenTelemetry tracing for MCP Warden: a span per MCP request and a child span per plugin hook, through
 * `@opentelemetry/api` (an optional peer dependency: install it, and an SDK, to use this entry point).
 *
 * @example
 * import { openTelemetry } from '@mcp-warden/core/otel';
 * const warden = await createWarden({ plugins, observers: [openTelemetry()] });
 */
import {
  type Attributes,
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import type { RequestObserver } from '../observe/observer.js';
import { authenticatorOf } from '../principal.js';

export interface OpenTelemetryOptions {
  /** The tracer to use. @default the global tracer provider's `@mcp-warden/core` tracer */
  tracer?: Tracer;
  /** A tracer provider to get the tracer from (ignored with `tracer`). @default the global one */
  tracerProvider?: TracerProvider;
  /** A child span per plugin hook (`spans`), a span event per hook (`events`), or neither. @default 'spans' */
  stages?: 'spans' | 'events' | 'none';
}

/** Attribute names, after the OpenTelemetry MCP semantic conventions where they exist. */
export const MCP_SPAN_ATTRIBUTES = {
  method: 'mcp.method.name',
  target: 'mcp.target',
  tool: 'gen_ai.tool.name',
  prompt: 'gen_ai.prompt.name',
  resource: 'mcp.resource.uri',
  principal: 'mcp_warden.principal.id',
  authenticator: 'mcp_warden.principal.authenticator',
  outcome: 'mcp_warden.outcome',
  errorType: 'error.type',
  requestId: 'jsonrpc.request.id',
  sessionId: 'mcp.session.id',
  transport: 'network.transport',
  plugin: 'mcp_warden.plugin',
  stage: 'mcp_warden.stage',
  hook: 'mcp_warden.hook',
} as const;

const A = MCP_SPAN_ATTRIBUTES;

/** The parent of a request's span: `_meta.traceparent`, else the active span (HTTP instrumentation), else the header. */
function parentContext(t: {
  source: string;
  traceId: string;
  parentSpanId: string | undefined;
  sampled: boolean;
}): Context {
  const active = context.active();
  const remote = () =>
    trace.setSpanContext(active, {
      traceId: t.traceId,
      spanId: t.parentSpanId!,
      traceFlags: t.sampled ? 1 : 0,
      isRemote: true,
    });
  if (t.source === 'meta') return remote();
  if (t.source === 'header') {
    const current = trace.getSpanContext(active);
    // An HTTP server span already continues the header's trace: it is the nearer parent.
    return current && current.traceId === t.traceId ? active : remote();
  }
  return active;
}

/** A request observer that traces every MCP request (see {@link OpenTelemetryOptions}). */
export function openTelemetry(options: OpenTelemetryOptions = {}): RequestObserver {
  const tracer = options.tracer ?? (options.tracerProvider ?? trace).getTracer('@mcp-warden/core');
  const stages = options.stages ?? 'spans';
  return {
    name: 'opentelemetry',
    start(request) {
      const parent = parentContext(request.trace);
      const attributes: Attributes = {
        [A.method]: request.method,
        [A.principal]: request.principal.id,
        [A.authenticator]: authenticatorOf(request.principal),
        [A.requestId]: String(request.requestId),
        [A.transport]: request.transport,
      };
      if (request.targetName !== undefined) attributes[A.target] = request.targetName;
      if (request.target?.type === 'tool') attributes[A.tool] = request.target.name;
      else if (request.target?.type === 'prompt') attributes[A.prompt] = request.target.name;
      else if (request.target?.type === 'resource') attributes[A.resource] = request.target.uri;
      if (request.sessionId !== undefined) attributes[A.sessionId] = request.sessionId;
      const span: Span = tracer.startSpan(
        `mcp ${request.method}`,
        { kind: SpanKind.SERVER, startTime: request.startTime, attributes },
        parent,
      );
      const sc = span.spanContext();
      if (trace.isSpanContextValid(sc)) {
        // One trace id for every observer of this request (the audit trail records this one).
        request.trace.traceId = sc.traceId;
        request.trace.spanId = sc.spanId;
        request.trace.source = 'span';
      }
      const spanContext = trace.setSpan(parent, span);
      return {
        stage(s) {
          if (stages === 'none') return;
          const stageAttributes: Attributes = {
            [A.plugin]: s.plugin,
            [A.stage]: s.stage,
            [A.hook]: s.hook,
            [A.outcome]: s.outcome,
          };
          if (s.code !== undefined) stageAttributes[A.errorType] = s.code;
          if (stages === 'events') {
            span.addEvent(`${s.plugin} ${s.hook}`, stageAttributes, s.endTime);
            return;
          }
          const child = tracer.startSpan(
            `${s.plugin} ${s.hook}`,
            { kind: SpanKind.INTERNAL, startTime: s.startTime, attributes: stageAttributes },
            spanContext,
          );
          if (s.outcome === 'refused' || s.outcome === 'failed')
            child.setStatus({ code: SpanStatusCode.ERROR, message: s.code });
          child.end(s.endTime);
        },
        end(e) {
          span.setAttribute(A.outcome, e.outcome);
          if (e.errorCode !== undefined) span.setAttribute(A.errorType, String(e.errorCode));
          if (e.plugin !== undefined) span.setAttribute(A.plugin, e.plugin);
          if (e.outcome !== 'ok')
            span.setStatus({ code: SpanStatusCode.ERROR, message: String(e.errorCode ?? e.outcome) });
          span.end(e.endTime);
        },
      };
    },
  };
}
