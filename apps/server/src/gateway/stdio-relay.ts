import { JSON_RPC_ERROR_CODES, type McpServerLike } from '@mcp-warden/core';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { UpstreamFaultSink } from './faults.js';
import { type JsonRpcMessage, StdioChild, type StdioChildOptions } from './stdio-child.js';

/**
 * A stdio upstream behind one client session. The warden's HTTP edge connects each session's (wrapped) transport to
 * a relay, as it would to an `McpServer`, so every request has passed the pipeline before it gets here and every
 * answer passes it on the way back.
 *
 * Why one process per session: a stdio server is written for one client. Its roots, log level, subscriptions,
 * pending sampling requests and any state it keeps are that client's; one process shared by several principals
 * would mix them. Message ids pass through unchanged, which keeps cancellation and progress exact.
 *
 * The relay supervises its process: when it exits, the requests in flight are answered with an error, and a new
 * process starts after a backoff; the session's `initialize` is replayed to it before anything else is sent, so
 * the client's next call simply works.
 */
export interface StdioRelayOptions extends Omit<StdioChildOptions, 'onFault'> {
  onFault: UpstreamFaultSink;
  /** A restart happened (for the `upstream.restarted` event). */
  onRestart?: (attempt: number) => void;
  /** First restart delay; doubles up to `maxBackoffMs`, and starts over once a process ran for a minute. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

type Id = string | number;
const REPLAY_ID_PREFIX = 'mcp-warden-replay-';
/** Messages held while the process restarts; past this, requests are answered with an error at once. */
const MAX_QUEUED = 256;
const STABLE_MS = 60_000;

function isRequest(m: JsonRpcMessage): boolean {
  return typeof m.method === 'string' && (typeof m.id === 'string' || typeof m.id === 'number');
}

export class StdioRelay implements McpServerLike {
  readonly #options: StdioRelayOptions;
  #transport: Transport | undefined;
  #child: StdioChild | undefined;
  /** Client requests sent to the process and not answered yet, with their progress tokens. */
  readonly #inFlight = new Map<Id, { progressToken?: unknown }>();
  #initialize: JsonRpcMessage | undefined;
  /** False while a fresh process is started or re-initialized: client messages wait in `#queue`. */
  #ready = false;
  #queue: JsonRpcMessage[] = [];
  #replays = 0;
  #attempt = 0;
  #startedAt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(options: StdioRelayOptions) {
    this.#options = options;
  }

  async connect(transport: Transport): Promise<void> {
    this.#transport = transport;
    transport.onmessage = (message) => this.#fromClient(message as JsonRpcMessage);
    transport.onclose = () => void this.close();
    await transport.start();
    this.#spawn();
    this.#ready = true;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#failInFlight('The session ended.');
    await this.#child?.stop();
  }

  #spawn(): void {
    const child = new StdioChild({ ...this.#options, onFault: this.#options.onFault });
    this.#child = child;
    this.#startedAt = Date.now();
    child.onmessage = (message) => this.#fromUpstream(message);
    child.onexit = (reason) => this.#exited(child, reason);
    child.start();
  }

  #fromClient(message: JsonRpcMessage): void {
    if (this.#closed) return;
    if (isRequest(message)) {
      const params = message.params as { _meta?: { progressToken?: unknown } } | undefined;
      if (message.method === 'initialize') this.#initialize = message;
      this.#inFlight.set(message.id as Id, { progressToken: params?._meta?.progressToken });
    } else if (message.method === 'notifications/cancelled') {
      this.#inFlight.delete((message.params as { requestId?: Id } | undefined)?.requestId as Id);
    }
    if (this.#ready && this.#child?.send(message)) return;
    if (this.#queue.length >= MAX_QUEUED) {
      if (isRequest(message)) this.#answerError(message.id as Id, 'The upstream is restarting; retry.');
      return;
    }
    this.#queue.push(message);
  }

  #fromUpstream(message: JsonRpcMessage): void {
    const id = message.id;
    const isResponse =
      typeof message.method !== 'string' && (typeof id === 'string' || typeof id === 'number');
    if (isResponse && typeof id === 'string' && id.startsWith(REPLAY_ID_PREFIX)) {
      this.#replayed(message);
      return;
    }
    if (isResponse) {
      this.#inFlight.delete(id as Id);
      this.#send(message, id as Id);
      return;
    }
    this.#send(message, this.#relatedRequest(message));
  }

  /** Which client request a server message belongs to, so it travels on that request's stream. */
  #relatedRequest(message: JsonRpcMessage): Id | undefined {
    if (message.method === 'notifications/progress') {
      const token = (message.params as { progressToken?: unknown } | undefined)?.progressToken;
      for (const [id, entry] of this.#inFlight) if (entry.progressToken === token) return id;
    }
    // Sampling, elicitation, roots and logging during a call: with one call in flight, it is that call's.
    if (this.#inFlight.size === 1) return this.#inFlight.keys().next().value;
    return undefined;
  }

  #send(message: JsonRpcMessage, relatedRequestId: Id | undefined): void {
    const transport = this.#transport;
    if (!transport || this.#closed) return;
    transport
      .send(message as never, relatedRequestId === undefined ? undefined : { relatedRequestId })
      .catch(() => undefined); // the client's stream is gone: nothing left to tell it
  }

  #answerError(id: Id, message: string): void {
    this.#inFlight.delete(id);
    this.#send(
      { jsonrpc: '2.0', id, error: { code: JSON_RPC_ERROR_CODES.UPSTREAM_UNAVAILABLE, message } },
      id,
    );
  }

  #failInFlight(message: string): void {
    for (const id of [...this.#inFlight.keys()]) this.#answerError(id, message);
    for (const queued of this.#queue) if (isRequest(queued)) this.#answerError(queued.id as Id, message);
    this.#queue = [];
  }

  #exited(child: StdioChild, reason: string): void {
    if (child !== this.#child) return;
    this.#ready = false;
    if (this.#closed) return;
    this.#options.onFault({ upstream: this.#options.name, kind: 'exited', detail: reason });
    const name = this.#options.name;
    this.#failInFlight(`The upstream MCP server "${name}" is unavailable; it is being restarted, retry.`);
    if (Date.now() - this.#startedAt >= STABLE_MS) this.#attempt = 0;
    const base = this.#options.backoffMs ?? 250;
    const delay = Math.min(base * 2 ** this.#attempt, this.#options.maxBackoffMs ?? 30_000);
    this.#attempt += 1;
    this.#timer = setTimeout(() => this.#restart(), delay);
    this.#timer.unref();
  }

  #restart(): void {
    if (this.#closed) return;
    this.#spawn();
    this.#options.onRestart?.(this.#attempt);
    if (this.#initialize === undefined) {
      this.#flush();
      return;
    }
    // The new process knows nothing of the session: give it the client's handshake first.
    this.#child!.send({ ...this.#initialize, id: `${REPLAY_ID_PREFIX}${++this.#replays}` });
  }

  #replayed(response: JsonRpcMessage): void {
    if (response.error !== undefined) {
      void this.#child?.stop('stopped: it refused the replayed initialize');
      return;
    }
    this.#child!.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    this.#flush();
  }

  #flush(): void {
    this.#ready = true;
    const queued = this.#queue;
    this.#queue = [];
    for (const message of queued) this.#fromClient(message);
  }
}
