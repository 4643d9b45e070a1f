import type { AuditRecord } from './record.js';

/** Where audit records go. `write` must not throw or block: buffer, and write out in `flush`. */
export interface AuditSink {
  write(record: AuditRecord): void;
  /** Writes out what is buffered. */
  flush?(): void | Promise<void>;
  /** Flushes and releases files and timers. */
  close?(): void | Promise<void>;
}
