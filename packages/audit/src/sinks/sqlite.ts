import { chmodSync, existsSync } from 'node:fs';
import {
  type CompiledPattern,
  ConfigError,
  checkLegacyPattern,
  compilePattern,
  parseOptions,
} from '@mcp-warden/core';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { AUDIT_ERROR_CODES } from '../errors.js';
import type { AuditOutcome, AuditRecord } from '../record.js';
import type { AuditSink } from '../sink.js';

export interface SqliteAuditStoreOptions {
  /** Database file (`:memory:` for a throw-away one). */
  path: string;
  /** Records older than this are deleted (ms); 0 keeps them. @default 2592000000 (30 days) */
  maxAgeMs?: number;
  /** Only the newest this many records are kept; 0 for no limit. @default 1000000 */
  maxRows?: number;
  /** How often retention runs (ms); it also runs at open. @default 60000 */
  pruneIntervalMs?: number;
  /** Buffered records are written at least this often (ms), in one transaction. @default 200 */
  flushIntervalMs?: number;
  /** …and as soon as this many are buffered. @default 256 */
  maxBuffered?: number;
  /** Open read-only (for the CLI): no writes, no retention. @default false */
  readonly?: boolean;
}

/** Filters of {@link SqliteAuditStore.query}; all given ones must match. */
export interface AuditQuery {
  /** Exact principal id. */
  principal?: string;
  /**
   * Exact target, or a pattern of core's pattern language (`file:///public/**`, `read_*`). A `prefix*` that could
   * reach past a `/` (the old prefix query) is refused with the spelling that keeps its meaning.
   */
  target?: string;
  /** Exact method. */
  method?: string;
  outcome?: AuditOutcome;
  traceId?: string;
  /** Epoch ms (inclusive). */
  since?: number;
  /** Epoch ms (exclusive). */
  until?: number;
  /** Only records stored after this row id (for `tail --follow`). */
  afterId?: number;
  /** At most this many, newest first (oldest first with `afterId`). @default 100, at most 100000 */
  limit?: number;
}

export interface StoredAuditRecord extends AuditRecord {
  /** Row id: increases with each stored record. */
  id: number;
}

interface Row {
  id: number;
  time: string;
  principal_id: string;
  authenticator: string;
  method: string;
  target: string | null;
  args_digest: string;
  arguments: string | null;
  outcome: AuditOutcome;
  error_code: string | null;
  latency_ms: number;
  trace_id: string;
  session_id: string | null;
  transport: string;
  request_id: string;
  remote_address: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time_ms INTEGER NOT NULL,
  time TEXT NOT NULL,
  principal_id TEXT NOT NULL,
  authenticator TEXT NOT NULL,
  method TEXT NOT NULL,
  target TEXT,
  args_digest TEXT NOT NULL,
  arguments TEXT,
  outcome TEXT NOT NULL,
  error_code TEXT,
  latency_ms REAL NOT NULL,
  trace_id TEXT NOT NULL,
  session_id TEXT,
  transport TEXT NOT NULL,
  request_id TEXT NOT NULL,
  remote_address TEXT
);
CREATE INDEX IF NOT EXISTS audit_log_time ON audit_log (time_ms);
CREATE INDEX IF NOT EXISTS audit_log_principal ON audit_log (principal_id, time_ms);
CREATE INDEX IF NOT EXISTS audit_log_target ON audit_log (target, time_ms);
CREATE INDEX IF NOT EXISTS audit_log_trace ON audit_log (trace_id);
`;

function fromRow(row: Row): StoredAuditRecord {
  const record: StoredAuditRecord = {
    id: row.id,
    time: row.time,
    principalId: row.principal_id,
    authenticator: row.authenticator,
    method: row.method,
    target: row.target,
    argsDigest: row.args_digest,
    outcome: row.outcome,
    errorCode: row.error_code,
    latencyMs: row.latency_ms,
    traceId: row.trace_id,
    sessionId: row.session_id,
    transport: row.transport,
    requestId: row.request_id,
    remoteAddress: row.remote_address,
  };
  if (row.arguments !== null) record.arguments = JSON.parse(row.arguments) as unknown;
  return record;
}

const wholeMs = z.number().int().min(0).optional();

/** `SqliteAuditStore`'s options, checked by core's `parseOptions` when the store is constructed. */
export const sqliteAuditStoreOptionsSchema = z
  .object({
    path: z.string().min(1),
    maxAgeMs: wholeMs.default(30 * 86_400_000),
    maxRows: wholeMs.default(1_000_000),
    pruneIntervalMs: wholeMs.default(60_000),
    flushIntervalMs: wholeMs.default(200),
    maxBuffered: wholeMs.default(256),
    readonly: z.boolean().optional().default(false),
  })
  .strict();

/**
 * The audit trail in SQLite: batched inserts (one transaction per flush), retention by age and by row count,
 * and queries by principal, target, method, outcome, trace and time. The file is created with mode 0600.
 */
export class SqliteAuditStore implements AuditSink {
  readonly db: Database.Database;
  readonly maxAgeMs: number;
  readonly maxRows: number;
  readonly #readonly: boolean;
  readonly #flushIntervalMs: number;
  readonly #maxBuffered: number;
  #buffer: AuditRecord[] = [];
  #flushTimer: NodeJS.Timeout | undefined;
  #pruneTimer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #insert: Database.Statement;

  constructor(options: SqliteAuditStoreOptions) {
    const o = parseOptions(sqliteAuditStoreOptionsSchema, options, { plugin: 'SqliteAuditStore' });
    this.maxAgeMs = o.maxAgeMs;
    this.maxRows = o.maxRows;
    const pruneIntervalMs = o.pruneIntervalMs;
    this.#flushIntervalMs = o.flushIntervalMs;
    this.#maxBuffered = Math.max(1, o.maxBuffered);
    this.#readonly = o.readonly;
    if (this.#readonly && options.path !== ':memory:' && !existsSync(options.path))
      throw new ConfigError(`No audit database at ${options.path}: has the server recorded anything yet?`, {
        code: AUDIT_ERROR_CODES.STORE_MISSING,
      });
    this.db = new Database(options.path, { readonly: this.#readonly, fileMustExist: this.#readonly });
    if (!this.#readonly) {
      if (options.path !== ':memory:') chmodSync(options.path, 0o600);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.exec(SCHEMA);
    }
    this.#insert = this.#readonly
      ? this.db.prepare('SELECT 1')
      : this.db.prepare(
          `INSERT INTO audit_log (time_ms, time, principal_id, authenticator, method, target, args_digest, arguments,
             outcome, error_code, latency_ms, trace_id, session_id, transport, request_id, remote_address)
           VALUES (@timeMs, @time, @principalId, @authenticator, @method, @target, @argsDigest, @arguments,
             @outcome, @errorCode, @latencyMs, @traceId, @sessionId, @transport, @requestId, @remoteAddress)`,
        );
    if (!this.#readonly) {
      this.prune();
      if (pruneIntervalMs > 0) {
        this.#pruneTimer = setInterval(() => this.prune(), pruneIntervalMs);
        this.#pruneTimer.unref();
      }
    }
  }

  write(record: AuditRecord): void {
    if (this.#closed || this.#readonly) return;
    this.#buffer.push(record);
    if (this.#buffer.length >= this.#maxBuffered) this.flush();
    else if (!this.#flushTimer) {
      this.#flushTimer = setTimeout(() => this.flush(), this.#flushIntervalMs);
      this.#flushTimer.unref();
    }
  }

  /** Writes every buffered record in one transaction. */
  flush(): void {
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    if (this.#buffer.length === 0 || this.#closed) return;
    const batch = this.#buffer;
    this.#buffer = [];
    const insert = this.#insert;
    this.db.transaction(() => {
      for (const r of batch) {
        insert.run({
          timeMs: Date.parse(r.time),
          time: r.time,
          principalId: r.principalId,
          authenticator: r.authenticator,
          method: r.method,
          target: r.target,
          argsDigest: r.argsDigest,
          arguments: r.arguments === undefined ? null : JSON.stringify(r.arguments),
          outcome: r.outcome,
          errorCode: r.errorCode,
          latencyMs: r.latencyMs,
          traceId: r.traceId,
          sessionId: r.sessionId,
          transport: r.transport,
          requestId: r.requestId,
          remoteAddress: r.remoteAddress,
        });
      }
    })();
  }

  /** Applies retention now: deletes records older than `maxAgeMs` and all but the newest `maxRows`. */
  prune(now = Date.now()): { deleted: number } {
    if (this.#readonly || this.#closed) return { deleted: 0 };
    let deleted = 0;
    if (this.maxAgeMs > 0)
      deleted += this.db.prepare('DELETE FROM audit_log WHERE time_ms < ?').run(now - this.maxAgeMs).changes;
    if (this.maxRows > 0) {
      const cutoff = this.db
        .prepare('SELECT id FROM audit_log ORDER BY id DESC LIMIT 1 OFFSET ?')
        .get(this.maxRows) as { id: number } | undefined;
      if (cutoff) deleted += this.db.prepare('DELETE FROM audit_log WHERE id <= ?').run(cutoff.id).changes;
    }
    return { deleted };
  }

  /** Records matching every given filter (buffered records are written first). */
  query(filter: AuditQuery = {}): StoredAuditRecord[] {
    this.flush();
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.principal !== undefined) {
      where.push('principal_id = ?');
      args.push(filter.principal);
    }
    const pattern = filter.target === undefined ? undefined : targetPattern(filter.target);
    if (pattern) {
      const [sql, values] = targetWhere(pattern);
      where.push(sql);
      args.push(...values);
    }
    for (const [column, value] of [
      ['method', filter.method],
      ['outcome', filter.outcome],
      ['trace_id', filter.traceId],
    ] as const) {
      if (value !== undefined) {
        where.push(`${column} = ?`);
        args.push(value);
      }
    }
    if (filter.since !== undefined) {
      where.push('time_ms >= ?');
      args.push(filter.since);
    }
    if (filter.until !== undefined) {
      where.push('time_ms < ?');
      args.push(filter.until);
    }
    if (filter.afterId !== undefined) {
      where.push('id > ?');
      args.push(filter.afterId);
    }
    const limit = Math.min(Math.max(1, Math.trunc(filter.limit ?? 100)), 100_000);
    const order = filter.afterId !== undefined ? 'ASC' : 'DESC';
    const base = `SELECT * FROM audit_log${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id ${order}`;
    if (!pattern || pattern.literal)
      return (this.db.prepare(`${base} LIMIT ${limit}`).all(...args) as Row[]).map(fromRow);
    // SQL narrows by the literal start of each alternative; the pattern decides, and the limit counts matches.
    const out: StoredAuditRecord[] = [];
    for (const row of this.db.prepare(base).iterate(...args) as IterableIterator<Row>) {
      if (row.target === null || !pattern.test(row.target)) continue;
      out.push(fromRow(row));
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Number of stored records. */
  count(): number {
    this.flush();
    return (this.db.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n;
  }

  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    if (this.#pruneTimer) clearInterval(this.#pruneTimer);
    this.db.close();
  }
}

/** A query's target in core's pattern language; the old trailing-`*` prefix query is refused where it changed. */
function targetPattern(target: string): CompiledPattern {
  const context = { plugin: 'audit', path: 'target' };
  checkLegacyPattern(target, { legacy: 'prefix', targets: 'paths' }, context);
  return compilePattern(target, context);
}

/** A `WHERE` condition that every target the pattern matches satisfies (exact names, or literal starts). */
function targetWhere(pattern: CompiledPattern): [string, unknown[]] {
  if (pattern.literal)
    return [`target IN (${pattern.alternatives.map(() => '?').join(', ')})`, [...pattern.alternatives]];
  const starts = pattern.alternatives.map(literalStart);
  if (starts.some((start) => start === '')) return ['target IS NOT NULL', []];
  return [
    `(${starts.map(() => 'substr(target, 1, ?) = ?').join(' OR ')})`,
    starts.flatMap((start) => [start.length, start]),
  ];
}

/** The text every match of a brace-free alternative starts with: up to its first `*`, less a `/` before `**`. */
function literalStart(alternative: string): string {
  const star = alternative.indexOf('*');
  if (star === -1) return alternative;
  const start = alternative.slice(0, star);
  // `a/**` also matches `a`: a whole-segment `**` may take the `/` before it along with zero segments.
  const globstar = alternative.startsWith('**', star) && (alternative[star + 2] ?? '/') === '/';
  return globstar && start.endsWith('/') ? start.slice(0, -1) : start;
}
