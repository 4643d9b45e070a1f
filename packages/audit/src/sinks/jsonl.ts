import { closeSync, fchmodSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AuditRecord } from '../record.js';
import type { AuditSink } from '../sink.js';

export interface JsonLinesSinkOptions {
  /** Buffered records are written at least this often (ms). @default 200 */
  flushIntervalMs?: number;
  /** …and as soon as this many bytes are buffered. @default 65536 */
  maxBufferBytes?: number;
}

/** Writes buffered lines to a file descriptor; the timer never keeps the process alive. */
class LineWriter {
  #buffer: string[] = [];
  #bytes = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #write: (text: string) => void;
  readonly #interval: number;
  readonly #max: number;

  constructor(write: (text: string) => void, options: JsonLinesSinkOptions) {
    this.#write = write;
    this.#interval = options.flushIntervalMs ?? 200;
    this.#max = options.maxBufferBytes ?? 65_536;
  }

  push(record: AuditRecord): void {
    const line = `${JSON.stringify(record)}\n`;
    this.#buffer.push(line);
    this.#bytes += line.length;
    if (this.#bytes >= this.#max) this.flush();
    else if (!this.#timer) {
      this.#timer = setTimeout(() => this.flush(), this.#interval);
      this.#timer.unref();
    }
  }

  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#buffer.length === 0) return;
    const text = this.#buffer.join('');
    this.#buffer = [];
    this.#bytes = 0;
    this.#write(text);
  }
}

/** Appends one JSON line per record to a file (created with mode 0600). */
export function jsonLinesSink(path: string, options: JsonLinesSinkOptions = {}): AuditSink {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const fd = openSync(path, 'a', 0o600);
  fchmodSync(fd, 0o600);
  let closed = false;
  const writer = new LineWriter((text) => {
    writeSync(fd, text);
  }, options);
  return {
    write: (record) => {
      if (!closed) writer.push(record);
    },
    flush: () => writer.flush(),
    close: () => {
      if (closed) return;
      writer.flush();
      closed = true;
      closeSync(fd);
    },
  };
}

/**
 * One JSON line per record on stdout (for container logs). Never use it with a stdio MCP transport: stdout is
 * the protocol there. `auditTrail` refuses such records instead of corrupting the stream.
 */
export function stdoutAuditSink(options: JsonLinesSinkOptions = {}): AuditSink & { readonly stdout: true } {
  const writer = new LineWriter((text) => {
    process.stdout.write(text);
  }, options);
  return {
    stdout: true,
    write: (record) => writer.push(record),
    flush: () => writer.flush(),
    close: () => writer.flush(),
  };
}
