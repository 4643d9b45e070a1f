import { type ChildProcess, spawn } from 'node:child_process';
import type { UpstreamFaultSink } from './faults.js';

/**
 * One stdio MCP server process: newline-delimited JSON-RPC on its stdin/stdout, its stderr to the operator's log.
 * The SDK's stdio client transport reads lines of any length and has no notion of a flood, so this frames the
 * stream itself, with bounds: a line over `maxMessageBytes`, more than `maxMessagesPerSecond` messages, or more
 * than a few lines that are not JSON-RPC stop the process (the supervisor starts a fresh one).
 */
export interface StdioChildOptions {
  /** The upstream's name, for the log and events. */
  name: string;
  command: string;
  args: readonly string[];
  cwd?: string | undefined;
  /** The whole environment of the process (nothing else of the gateway's is passed). */
  env: Readonly<Record<string, string>>;
  maxMessageBytes: number;
  maxMessagesPerSecond: number;
  onFault: UpstreamFaultSink;
  /** Where the process's stderr goes, line by line (never stdout: under stdio that is the JSON-RPC stream). */
  log: (line: string) => void;
}

export type JsonRpcMessage = Record<string, unknown> & { jsonrpc: '2.0' };

/** Lines that are not JSON-RPC tolerated before the process counts as broken (a stray print is not fatal). */
const MAX_GARBAGE_LINES = 10;
/** stderr lines logged per second; beyond that they are counted and dropped. */
const MAX_LOG_LINES_PER_SECOND = 100;
const MAX_LOG_LINE_CHARS = 2000;
/** How long a process gets to exit after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 2000;

export class StdioChild {
  onmessage?: (message: JsonRpcMessage) => void;
  /** Called once when the process is gone, whatever the reason. */
  onexit?: (reason: string) => void;
  readonly #options: StdioChildOptions;
  #process: ChildProcess | undefined;
  #exited = false;
  #chunks: Buffer[] = [];
  #lineBytes = 0;
  #garbage = 0;
  #windowStart = 0;
  #windowMessages = 0;
  #stopReason: string | undefined;

  constructor(options: StdioChildOptions) {
    this.#options = options;
  }

  get running(): boolean {
    return this.#process !== undefined && !this.#exited;
  }

  start(): void {
    const o = this.#options;
    const child = spawn(o.command, [...o.args], {
      cwd: o.cwd,
      env: { ...o.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      shell: false,
      windowsHide: true,
    });
    this.#process = child;
    child.stdout!.on('data', (chunk: Buffer) => this.#read(chunk));
    child.stdin!.on('error', () => undefined); // EPIPE after an exit: the exit handler reports it
    forwardStderr(child, o);
    child.once('error', (error) => this.#gone(`could not run ${o.command}: ${(error as Error).message}`));
    child.once('exit', (code, signal) =>
      this.#gone(this.#stopReason ?? `exited with ${signal ? `signal ${signal}` : `code ${code}`}`),
    );
  }

  /** Writes one message; false when the process is not running. */
  send(message: unknown): boolean {
    if (!this.running) return false;
    this.#process!.stdin!.write(`${JSON.stringify(message)}\n`);
    return true;
  }

  /** Ends the process: SIGTERM, then SIGKILL after a grace period. Resolves once it is gone. */
  stop(reason = 'stopped by the gateway'): Promise<void> {
    const child = this.#process;
    if (!child || this.#exited) return Promise.resolve();
    this.#stopReason ??= reason;
    return new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
      child.stdin?.end();
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      kill.unref();
      child.once('exit', () => clearTimeout(kill));
    });
  }

  #gone(reason: string): void {
    if (this.#exited) return;
    this.#exited = true;
    this.#chunks = [];
    this.onexit?.(reason);
  }

  #misbehaved(kind: 'too-large' | 'flood' | 'bad-answer', detail: string): void {
    if (this.#stopReason !== undefined) return;
    this.#options.onFault({ upstream: this.#options.name, kind, detail });
    void this.stop(`stopped: ${detail}`);
  }

  #read(chunk: Buffer): void {
    let start = 0;
    while (this.#stopReason === undefined) {
      const newline = chunk.indexOf(0x0a, start);
      const part = chunk.subarray(start, newline === -1 ? chunk.length : newline);
      this.#lineBytes += part.length;
      if (this.#lineBytes > this.#options.maxMessageBytes) {
        this.#chunks = [];
        this.#misbehaved('too-large', `a message over ${this.#options.maxMessageBytes} bytes`);
        return;
      }
      if (newline === -1) {
        if (part.length > 0) this.#chunks.push(part);
        return;
      }
      const line =
        this.#chunks.length === 0
          ? part.toString('utf8')
          : Buffer.concat([...this.#chunks, part]).toString('utf8');
      this.#chunks = [];
      this.#lineBytes = 0;
      start = newline + 1;
      this.#line(line);
    }
  }

  #line(raw: string): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      message = undefined;
    }
    if (
      typeof message !== 'object' ||
      message === null ||
      Array.isArray(message) ||
      (message as { jsonrpc?: unknown }).jsonrpc !== '2.0'
    ) {
      this.#garbage += 1;
      this.#options.log(`[upstream ${this.#options.name}] dropped a stdout line that is not JSON-RPC`);
      if (this.#garbage > MAX_GARBAGE_LINES)
        this.#misbehaved('bad-answer', `more than ${MAX_GARBAGE_LINES} stdout lines that are not JSON-RPC`);
      return;
    }
    const now = Date.now();
    if (now - this.#windowStart >= 1000) {
      this.#windowStart = now;
      this.#windowMessages = 0;
    }
    if (++this.#windowMessages > this.#options.maxMessagesPerSecond) {
      this.#misbehaved('flood', `more than ${this.#options.maxMessagesPerSecond} messages in one second`);
      return;
    }
    this.onmessage?.(message as JsonRpcMessage);
  }
}

/** The process's stderr, line by line, to the log: truncated lines, at most so many per second. */
function forwardStderr(child: ChildProcess, options: StdioChildOptions): void {
  let pending = '';
  let windowStart = 0;
  let logged = 0;
  let dropped = 0;
  const emit = (line: string) => {
    const now = Date.now();
    if (now - windowStart >= 1000) {
      if (dropped > 0) options.log(`[upstream ${options.name}] (${dropped} stderr lines dropped)`);
      windowStart = now;
      logged = 0;
      dropped = 0;
    }
    if (++logged > MAX_LOG_LINES_PER_SECOND) {
      dropped += 1;
      return;
    }
    options.log(`[upstream ${options.name}] ${line.slice(0, MAX_LOG_LINE_CHARS)}`);
  };
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => {
    pending += text;
    const lines = pending.split('\n');
    pending = (lines.pop() ?? '').slice(-MAX_LOG_LINE_CHARS);
    for (const line of lines) if (line.trim() !== '') emit(line.replace(/\r$/, ''));
  });
}
