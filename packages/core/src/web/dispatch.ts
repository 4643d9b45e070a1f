/**
 * One JSON-RPC request through the pipeline to the upstream and back: `before` decides on the parsed body, that
 * very object is what the upstream receives (bytes and `parsedBody`), and the answer (one JSON message or an SSE
 * stream, message by message) goes through `after` before the client sees it.
 */
import { CORE_ERROR_CODES, JSON_RPC_ERROR_CODES, WardenError } from '../errors.js';
import type { SecurityEventBus } from '../events.js';
import type { JsonRpcRequest } from '../mcp/classify.js';
import type { Pipeline, PreparedRequest, RequestOrigin } from '../pipeline.js';
import type { EdgeRequest } from '../plugin.js';
import { toSdkAuthInfo } from '../principal.js';
import { isMultiRoundTripRetry, privateCacheHeaders } from './cache-hints.js';
import { Interruption, type OpenRequests } from './interruption.js';
import { isPlainObject } from './jsonrpc-shape.js';
import { narrowListenRequest } from './listen-request.js';
import type { ResolvedFetchOptions, UpstreamRequestOptions } from './options.js';
import {
  openRequestState,
  type RequestStateBinding,
  type RequestStateSealer,
  requestStateBinding,
} from './request-state.js';
import { type MessageDuty, type ResponseDuties, responseDuties } from './response-duties.js';
import { errorMessage, jsonResponse, type RequestId, refusal } from './responses.js';
import { transformSseStream } from './sse.js';
import { withSseInterruption } from './sse-interruption.js';

export interface DispatchDeps {
  pipeline: Pipeline;
  events: SecurityEventBus;
  options: ResolvedFetchOptions;
  /** Seals the `requestState` of modern results and opens it on the retry. */
  sealer: RequestStateSealer;
  /** The warden's `requestTimeoutMs`: an upstream that has not answered by then is cancelled. */
  requestTimeoutMs: number;
  /** The requests waiting for their upstream's answer, for `warden.drain()`. */
  openRequests: OpenRequests;
}

/**
 * The client's request, re-made around the body Warden checked (never a second read of the original). A
 * 2026-07-28 request loses any `Mcp-Session-Id`: the revision has no sessions and says to ignore the header, and
 * an upstream that still knows 2025 sessions must not act on one Warden did not check.
 */
function forwardedRequest(
  request: Request,
  bodyText: string | undefined,
  signal: AbortSignal,
  modern = false,
): Request {
  return new Request(request.url, {
    method: request.method,
    headers: forwardedHeaders(request, modern),
    body: bodyText,
    signal,
  });
}

function forwardedHeaders(request: Request, modern: boolean): Headers {
  const headers = new Headers(request.headers);
  headers.delete('content-length');
  if (modern) headers.delete('mcp-session-id');
  return headers;
}

/** Calls the upstream with the checked body: re-made into a `Request`, or in the options (`takesCheckedBody`). */
export function callUpstream(
  options: ResolvedFetchOptions,
  request: Request,
  forward: {
    bodyText: string | undefined;
    signal: AbortSignal;
    modern: boolean;
    authInfo: UpstreamRequestOptions['authInfo'];
    parsedBody: unknown;
  },
): Promise<Response> {
  const { bodyText, signal, modern, authInfo, parsedBody } = forward;
  const extra: UpstreamRequestOptions = {
    authInfo,
    signal,
    ...(parsedBody === undefined ? {} : { parsedBody }),
    ...(bodyText === undefined ? {} : { bodyText }),
  };
  if (options.takesCheckedBody)
    return options.callUpstream(request, { ...extra, headers: forwardedHeaders(request, modern) });
  return options.callUpstream(forwardedRequest(request, bodyText, signal, modern), extra);
}

function isMediaType(response: Response, type: string): boolean {
  const value = response.headers.get('content-type') ?? '';
  return value.split(';')[0]!.trim().toLowerCase() === type;
}

/** Headers of a rewritten body: length and encoding no longer describe it, and no shared cache may keep it. */
function rewrittenHeaders(response: Response): Headers {
  const headers = privateCacheHeaders(response.headers);
  headers.delete('content-length');
  headers.delete('content-encoding');
  return headers;
}

/** An upstream SSE stream the warden ended (fail closed): one event, never the stream's content. */
export function recordSseFailure(
  deps: Pick<DispatchDeps, 'events'>,
  reason: string,
  about: { requestId?: RequestId; principalId?: string; remoteAddress?: string | undefined },
): void {
  deps.events.emit({
    type: 'plugin.error',
    outcome: 'denied',
    severity: 'error',
    reason: `upstream SSE stream ended: ${reason}`.slice(0, 500),
    ...about,
  });
}

function upstreamFailure(
  deps: DispatchDeps,
  edge: EdgeRequest,
  prepared: PreparedRequest,
  interruption: Interruption,
  reason: string,
): Response {
  const id = prepared.request.id;
  endUnanswered(prepared, interruption, { outcome: 'error', errorCode: CORE_ERROR_CODES.PLUGIN_FAILED });
  deps.events.emit({
    type: 'plugin.error',
    outcome: 'denied',
    severity: 'error',
    reason: `upstream answer refused: ${reason}`.slice(0, 500),
    requestId: id,
    remoteAddress: edge.remoteAddress,
  });
  const error = new WardenError({
    code: CORE_ERROR_CODES.PLUGIN_FAILED,
    message: 'Internal error.',
    httpStatus: 502,
    jsonRpcCode: JSON_RPC_ERROR_CODES.INTERNAL_ERROR,
  });
  return jsonResponse(502, errorMessage(id, error));
}

/** Runs the upstream's answer to a prepared request through `after`: JSON re-serialized, SSE kept streaming. */
async function transformAnswer(
  deps: DispatchDeps,
  edge: EdgeRequest,
  prepared: PreparedRequest,
  duty: MessageDuty,
  response: Response,
  interruption: Interruption,
): Promise<Response> {
  const id = prepared.request.id;
  if (isMediaType(response, 'text/event-stream') && response.body) {
    let answered = false;
    const watched: MessageDuty = async (message) => {
      const out = await duty(message);
      if (isPlainObject(message) && message.id === id && ('result' in message || 'error' in message)) {
        answered = true;
        interruption.settle();
      }
      return out;
    };
    const transformed = transformSseStream(response.body, watched, {
      errorId: id,
      onFailure: (reason) =>
        recordSseFailure(deps, reason, { requestId: id, remoteAddress: edge.remoteAddress }),
    });
    const body = withSseInterruption(transformed, {
      interrupted: interruption.fired,
      answered: () => answered,
      errorEvent: (error) => `event: message\ndata: ${JSON.stringify(errorMessage(id, error))}\n\n`,
      // A stream that ended without the answer: the request is over all the same.
      onEnd: () => endUnanswered(prepared, interruption, { outcome: 'error', errorCode: 'no_answer' }),
    });
    return new Response(body, { status: response.status, headers: rewrittenHeaders(response) });
  }
  if (isMediaType(response, 'application/json')) {
    // A body that stalls after its headers is interrupted like an answer that never started.
    const text = await Promise.race([response.text(), interruption.fired.then(() => undefined)]);
    if (text === undefined) {
      void response.body?.cancel().catch(() => undefined);
      return jsonResponse(200, errorMessage(id, interruption.error));
    }
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return upstreamFailure(deps, edge, prepared, interruption, 'JSON response that does not parse');
    }
    const answered = await duty(message);
    if (answered === undefined)
      return upstreamFailure(
        deps,
        edge,
        prepared,
        interruption,
        'JSON response dropped by the response duties',
      );
    interruption.settle();
    return new Response(JSON.stringify(answered), {
      status: response.status,
      headers: rewrittenHeaders(response),
    });
  }
  // Neither JSON nor SSE (an HTTP error page, a refusal of the upstream's own): passed on, and not an answer.
  endUnanswered(prepared, interruption, { outcome: 'error', errorCode: `http_${response.status}` });
  return new Response(response.body, {
    status: response.status,
    headers: privateCacheHeaders(response.headers),
  });
}

/** Ends a request that got no JSON-RPC answer (cancel, upstream failure): its observation, and its interruption. */
function endUnanswered(
  prepared: PreparedRequest,
  interruption: Interruption,
  end: { outcome: 'cancelled' | 'timeout' | 'error'; errorCode?: string | number },
): void {
  interruption.settle();
  endObserved(prepared, end);
}

/** Ends a delivered request's observation without an answer message (once: a later end is ignored). */
function endObserved(
  prepared: PreparedRequest,
  end: { outcome: 'cancelled' | 'timeout' | 'error'; errorCode?: string | number },
): void {
  prepared.observation?.end({ ...end, delivered: true, params: prepared.request.params ?? {} });
}

/** The pipeline's refusal of a request: step-up and rate limits keep their HTTP status, the rest is a 200 error. */
function pipelineRefusal(deps: DispatchDeps, edge: EdgeRequest, id: RequestId, error: unknown): Response {
  const refused = WardenError.isInstance(error)
    ? error
    : new WardenError({
        code: CORE_ERROR_CODES.PLUGIN_FAILED,
        message: 'Internal error.',
        httpStatus: 500,
        jsonRpcCode: JSON_RPC_ERROR_CODES.INTERNAL_ERROR,
      });
  if (
    refused.httpStatus === 401 ||
    refused.httpStatus === 429 ||
    refused.code === CORE_ERROR_CODES.INSUFFICIENT_SCOPE
  )
    return refusal(deps, refused, { edge, id }, false);
  return jsonResponse(200, errorMessage(id, refused));
}

/**
 * Dispatches one JSON-RPC request: `before`, the upstream (with `authInfo` and the checked body), `after`.
 * `bodyText` is the exact text the request was parsed from; it is forwarded as is unless a plugin replaced the
 * arguments, and then the object the pipeline returned is serialized.
 */
export async function dispatchRequest(
  deps: DispatchDeps,
  edge: EdgeRequest,
  request: Request,
  received: JsonRpcRequest,
  bodyText: string,
  origin: RequestOrigin,
  signal: AbortSignal,
): Promise<Response> {
  // Modern requests: a requestState the client echoes is opened (and so verified) before anyone decides on it.
  let message = received;
  let sealing: ResponseDuties['sealing'];
  if (origin.era === 'modern') {
    // The binding (a SHA-256 over the canonical request) only when a state is opened or sealed: most requests
    // carry none, and hashing each one cost ~60 us on the hot path.
    let binding: Promise<RequestStateBinding> | undefined;
    const bindingOnce = () =>
      (binding ??= requestStateBinding(
        origin.principal,
        received.method,
        received.params,
        origin.remoteAddress,
      ));
    sealing = { sealer: deps.sealer, binding: bindingOnce };
    if (isPlainObject(received.params) && Object.hasOwn(received.params, 'requestState')) {
      try {
        const params = await openRequestState(received.params, await bindingOnce(), deps.sealer);
        if (params !== received.params) message = { ...received, params } as JsonRpcRequest;
      } catch (error) {
        return refusalOf(deps, edge, received, origin, error);
      }
    }
  }
  let prepared: PreparedRequest;
  try {
    prepared = await deps.pipeline.before(message, origin);
    // A listen request may only subscribe to what the principal may read (see listen-request.ts).
    if (received.method === 'subscriptions/listen')
      prepared = await narrowListenRequest(deps.pipeline, prepared);
  } catch (error) {
    return pipelineRefusal(deps, edge, message.id, error);
  }
  const delivered = prepared.request;
  const text = delivered === received ? bodyText : JSON.stringify(delivered);
  // The request's controller (its deadline, `ctx.signal` of the plugins) also ends with the request.
  const { controller } = prepared;
  const interruption = interruptionOf(deps, edge, prepared);
  const follow = () => {
    controller.abort(signal.reason);
    // The client went away before its answer: for the observers the request was cancelled.
    endUnanswered(prepared, interruption, { outcome: 'cancelled' });
  };
  if (signal.aborted) follow();
  else signal.addEventListener('abort', follow, { once: true });
  let response: Response | undefined;
  try {
    response = await untilInterrupted(interruption, () =>
      callUpstream(deps.options, request, {
        bodyText: text,
        signal: controller.signal,
        modern: origin.era === 'modern',
        authInfo: toSdkAuthInfo(origin.principal),
        parsedBody: delivered,
      }),
    );
  } catch (error) {
    endUnanswered(prepared, interruption, { outcome: 'error', errorCode: CORE_ERROR_CODES.PLUGIN_FAILED });
    throw error;
  }
  if (response === undefined) return jsonResponse(200, errorMessage(delivered.id, interruption.error));
  const duty = responseDuties({
    pipeline: deps.pipeline,
    prepared,
    method: received.method,
    retried: isMultiRoundTripRetry(received.params),
    sealing,
  });
  return transformAnswer(deps, edge, prepared, duty, response, interruption);
}

/** A refused `requestState`: recorded with the request's principal and trace, answered as its error says. */
function refusalOf(
  deps: DispatchDeps,
  edge: EdgeRequest,
  message: JsonRpcRequest,
  origin: RequestOrigin,
  error: unknown,
): Response {
  if (!WardenError.isInstance(error)) return pipelineRefusal(deps, edge, message.id, error);
  return refusal(deps, error, {
    edge,
    id: message.id,
    principalId: origin.principal.id,
    method: message.method,
    traceparent: edge.traceparent,
  });
}

/**
 * A prepared request's interruption: its deadline (none for a listen stream, which has no answer to wait for, nor
 * with `requestTimeoutMs` 0), and the drain, which counts it until its answer passes.
 */
function interruptionOf(deps: DispatchDeps, edge: EdgeRequest, prepared: PreparedRequest): Interruption {
  const listen = prepared.request.method === 'subscriptions/listen';
  const interruption = listen ? new Interruption(() => undefined) : deps.openRequests.open();
  if (!listen) interruption.deadline(deps.requestTimeoutMs, () => timeoutError(deps));
  void interruption.fired.then((error) => {
    if (error.code === CORE_ERROR_CODES.REQUEST_TIMEOUT) return expireRequest(deps, edge, prepared);
    // The warden's shutdown: the upstream is told (its call aborted), the observers see the error.
    endObserved(prepared, { outcome: 'error', errorCode: error.code });
    prepared.controller.abort(new Error('shutdown'));
  });
  return interruption;
}

/** A request past its deadline: the upstream call is aborted (which cancels it there) and the timeout recorded. */
function expireRequest(deps: DispatchDeps, edge: EdgeRequest, prepared: PreparedRequest): void {
  endObserved(prepared, { outcome: 'timeout', errorCode: CORE_ERROR_CODES.REQUEST_TIMEOUT });
  prepared.controller.abort(new Error('request timeout'));
  deps.events.emit({
    type: 'request.timeout',
    outcome: 'denied',
    reason: `no answer within ${deps.requestTimeoutMs} ms`,
    principalId: prepared.base.principal.id,
    requestId: prepared.request.id,
    method: prepared.request.method,
    remoteAddress: edge.remoteAddress,
    traceparent: edge.traceparent,
  });
}

function timeoutError(deps: DispatchDeps): WardenError {
  return new WardenError({
    code: CORE_ERROR_CODES.REQUEST_TIMEOUT,
    message: `Request timed out after ${deps.requestTimeoutMs} ms.`,
    jsonRpcCode: JSON_RPC_ERROR_CODES.REQUEST_TIMEOUT,
    httpStatus: 200,
  });
}

/**
 * Calls the upstream until the request is interrupted: then resolves `undefined` (the interruption's error is the
 * client's answer), whatever the aborted call does afterwards.
 */
async function untilInterrupted(
  interruption: Interruption,
  call: () => Promise<Response>,
): Promise<Response | undefined> {
  const answer = await Promise.race([
    call().catch((error: unknown) => {
      if (interruption.error) return undefined; // rejected because it was aborted
      throw error;
    }),
    interruption.fired.then(() => undefined),
  ]);
  if (interruption.error) {
    void answer?.body?.cancel().catch(() => undefined);
    return undefined;
  }
  return answer;
}
