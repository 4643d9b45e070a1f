import type Database from 'better-sqlite3';
import type { ToolFingerprint } from './canonical.js';
import { unifiedDiff } from './diff.js';
import { PinStoreError, TOOL_PINNING_ERROR_CODES } from './errors.js';
import { type OpenOptions, openPinDatabase } from './store-schema.js';

/** A tool of another upstream that a description names. */
export interface ShadowedTool {
  readonly upstream: string;
  readonly tool: string;
}

/** Why a definition waits for an operator: a tool not pinned before, or a pinned tool whose definition changed. */
export type PendingReason = 'new' | 'changed';

export interface PendingDefinition {
  readonly hash: string;
  readonly reason: PendingReason;
  /** ISO time the definition was first seen. */
  readonly since: string;
  /** Tools of other upstreams its description names (non-empty: flagged as shadowing). */
  readonly shadows: readonly ShadowedTool[];
}

/** What the store knows of one (upstream, tool). */
export interface PinRecord {
  readonly upstream: string;
  readonly tool: string;
  /** Hash of the approved definition; `null` while the tool was never approved. */
  readonly approvedHash: string | null;
  readonly approvedAt: string | null;
  readonly approvedBy: 'trust-on-first-use' | 'operator' | null;
  /** Hash of the definition the server served last. */
  readonly currentHash: string | null;
  readonly pending: PendingDefinition | null;
  /** A definition the operator rejected: it stays held and is not offered for approval again. */
  readonly rejectedHash: string | null;
  readonly firstSeenAt: string;
  readonly lastSeenAt: string;
}

/** A pin record with a definition waiting for approval. */
export interface PendingPin extends PinRecord {
  readonly pending: PendingDefinition;
}

/** The verdict on one definition the server served. */
export interface Observation {
  readonly tool: string;
  readonly hash: string;
  readonly status: 'approved' | 'held';
  /** Why a held tool is held. */
  readonly reason?: PendingReason | 'rejected';
  readonly approvedHash: string | null;
  /** True when this definition became pending just now (record an event once, not on every list). */
  readonly newlyPending: boolean;
  /** True when this definition was pinned as approved just now, by trust on first use. */
  readonly pinnedOnFirstUse: boolean;
  readonly shadows: readonly ShadowedTool[];
}

/** One definition of a list, fingerprinted, with the other upstreams' tools it names. */
export interface ObservedDefinition {
  readonly tool: string;
  readonly fingerprint: ToolFingerprint;
  readonly shadows: readonly ShadowedTool[];
}

interface Row {
  upstream: string;
  tool: string;
  approved_hash: string | null;
  approved_definition: string | null;
  approved_at: string | null;
  approved_by: string | null;
  current_hash: string | null;
  pending_hash: string | null;
  pending_definition: string | null;
  pending_reason: string | null;
  pending_since: string | null;
  pending_shadows: string;
  rejected_hash: string | null;
  first_seen_at: string;
  last_seen_at: string;
}

function toRecord(row: Row): PinRecord {
  return {
    upstream: row.upstream,
    tool: row.tool,
    approvedHash: row.approved_hash,
    approvedAt: row.approved_at,
    approvedBy: row.approved_by as PinRecord['approvedBy'],
    currentHash: row.current_hash,
    pending:
      row.pending_hash === null
        ? null
        : {
            hash: row.pending_hash,
            reason: row.pending_reason as PendingReason,
            since: row.pending_since ?? row.last_seen_at,
            shadows: JSON.parse(row.pending_shadows) as ShadowedTool[],
          },
    rejectedHash: row.rejected_hash,
    firstSeenAt: row.first_seen_at,
    lastSeenAt: row.last_seen_at,
  };
}

/** True when a tool may be used: it has an approved definition and that is the one the server serves. */
export function isCallable(record: PinRecord | undefined): boolean {
  return record !== undefined && record.approvedHash !== null && record.currentHash === record.approvedHash;
}

/** Shortest hash prefix `approve` accepts. */
export const MIN_HASH_PREFIX = 12;

export interface PinStoreOptions extends OpenOptions {
  /** SQLite file path (`:memory:` for a throw-away store). */
  path: string;
  /** The clock, for tests. @default () => new Date() */
  now?: () => Date;
}

/**
 * The pins of tool definitions, in SQLite, keyed by (upstream, tool name), with the full canonical definition of
 * the approved version and of the version waiting for approval. Several processes may share the file (the server
 * checks it on every list and call, so an operator's `approve` from another process applies at once).
 * @example
 * const store = new PinStore({ path: './data/tool-pins.db' });
 * for (const p of store.pending()) console.log(store.diff(p.upstream, p.tool));
 * store.approve('github', 'create_issue', pending.hash);
 */
export class PinStore {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #now: () => Date;
  readonly #get: Database.Statement<[string, string], Row>;

  constructor(options: PinStoreOptions) {
    this.path = options.path;
    this.#db = openPinDatabase(options.path, options);
    this.#now = options.now ?? (() => new Date());
    this.#get = this.#db.prepare('SELECT * FROM tool_pins WHERE upstream = ? AND tool = ?');
  }

  get(upstream: string, tool: string): PinRecord | undefined {
    const row = this.#get.get(upstream, tool);
    return row ? toRecord(row) : undefined;
  }

  /** Every record, or an upstream's, sorted by upstream then tool. */
  list(upstream?: string): PinRecord[] {
    const rows =
      upstream === undefined
        ? (this.#db.prepare('SELECT * FROM tool_pins ORDER BY upstream, tool').all() as Row[])
        : (this.#db
            .prepare('SELECT * FROM tool_pins WHERE upstream = ? ORDER BY tool')
            .all(upstream) as Row[]);
    return rows.map(toRecord);
  }

  /** Upstreams the store has records for. */
  upstreams(): string[] {
    const rows = this.#db.prepare('SELECT DISTINCT upstream FROM tool_pins ORDER BY upstream').all() as {
      upstream: string;
    }[];
    return rows.map((r) => r.upstream);
  }

  /** True when the store has any record (approved or not) for the upstream. */
  hasPins(upstream?: string): boolean {
    const row =
      upstream === undefined
        ? this.#db.prepare('SELECT 1 AS x FROM tool_pins LIMIT 1').get()
        : this.#db.prepare('SELECT 1 AS x FROM tool_pins WHERE upstream = ? LIMIT 1').get(upstream);
    return row !== undefined;
  }

  /** Tool names the store has for an upstream. */
  toolNames(upstream: string): string[] {
    const rows = this.#db
      .prepare('SELECT tool FROM tool_pins WHERE upstream = ? ORDER BY tool')
      .all(upstream) as {
      tool: string;
    }[];
    return rows.map((r) => r.tool);
  }

  /** Tool names of every upstream but `upstream` (for shadowing checks). */
  otherTools(upstream: string): ShadowedTool[] {
    return this.#db
      .prepare('SELECT upstream, tool FROM tool_pins WHERE upstream != ? ORDER BY upstream, tool')
      .all(upstream) as ShadowedTool[];
  }

  /**
   * Records the definitions one list served, in one transaction. With `trust` (trust on first use, decided by the
   * caller) a definition not pinned before is pinned as approved unless it shadows another upstream's tool.
   */
  observe(upstream: string, definitions: readonly ObservedDefinition[], trust: boolean): Observation[] {
    const run = this.#db.transaction(() =>
      definitions.map((definition) => this.#observeOne(upstream, definition, trust)),
    );
    return run.immediate();
  }

  #observeOne(upstream: string, definition: ObservedDefinition, trust: boolean): Observation {
    const { tool, fingerprint, shadows } = definition;
    const { hash, canonical } = fingerprint;
    const now = this.#now().toISOString();
    const row = this.#get.get(upstream, tool);
    const base = { tool, hash, shadows, pinnedOnFirstUse: false };
    if (!row) {
      if (trust && shadows.length === 0) {
        this.#db
          .prepare(
            `INSERT INTO tool_pins (upstream, tool, approved_hash, approved_definition, approved_at, approved_by,
               current_hash, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?, 'trust-on-first-use', ?, ?, ?)`,
          )
          .run(upstream, tool, hash, canonical, now, hash, now, now);
        return {
          ...base,
          status: 'approved',
          approvedHash: hash,
          newlyPending: false,
          pinnedOnFirstUse: true,
        };
      }
      this.#db
        .prepare(
          `INSERT INTO tool_pins (upstream, tool, current_hash, pending_hash, pending_definition, pending_reason,
             pending_since, pending_shadows, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?, 'new', ?, ?, ?, ?)`,
        )
        .run(upstream, tool, hash, hash, canonical, now, JSON.stringify(shadows), now, now);
      return { ...base, status: 'held', reason: 'new', approvedHash: null, newlyPending: true };
    }
    this.#db
      .prepare('UPDATE tool_pins SET current_hash = ?, last_seen_at = ? WHERE upstream = ? AND tool = ?')
      .run(hash, now, upstream, tool);
    const approvedHash = row.approved_hash;
    if (approvedHash === hash) return { ...base, status: 'approved', approvedHash, newlyPending: false };
    if (row.rejected_hash === hash) {
      return { ...base, status: 'held', reason: 'rejected', approvedHash, newlyPending: false };
    }
    const reason: PendingReason = approvedHash === null ? 'new' : 'changed';
    if (row.pending_hash === hash) {
      return { ...base, status: 'held', reason, approvedHash, newlyPending: false };
    }
    this.#db
      .prepare(
        `UPDATE tool_pins SET pending_hash = ?, pending_definition = ?, pending_reason = ?, pending_since = ?,
           pending_shadows = ? WHERE upstream = ? AND tool = ?`,
      )
      .run(hash, canonical, reason, now, JSON.stringify(shadows), upstream, tool);
    return { ...base, status: 'held', reason, approvedHash, newlyPending: true };
  }

  /** Every definition waiting for approval, sorted by upstream then tool. */
  pending(upstream?: string): PendingPin[] {
    return this.list(upstream).filter((r): r is PendingPin => r.pending !== null);
  }

  /**
   * A unified-style diff of the approved definition (pretty canonical JSON) and the one waiting; for a new tool,
   * the whole definition as additions. Characters a terminal would hide are shown as `\u{…}`.
   */
  diff(upstream: string, tool: string): string {
    const row = this.#requireRow(upstream, tool);
    if (row.pending_hash === null || row.pending_definition === null) {
      throw new PinStoreError(
        TOOL_PINNING_ERROR_CODES.NOT_PENDING,
        `tool "${tool}" of upstream "${upstream}" has no definition waiting for approval`,
      );
    }
    const label = `${upstream}/${tool}`;
    return unifiedDiff(row.approved_definition ?? undefined, row.pending_definition, {
      before:
        row.approved_hash === null
          ? `${label} (not pinned before)`
          : `${label} approved ${row.approved_hash}`,
      after: `${label} pending ${row.pending_hash}`,
    });
  }

  /**
   * Approves the definition waiting. Give `hash` (the full hash or a prefix of at least 12 hex digits, as `diff`
   * and `pending` show it) so that a definition that changed again after your review is not approved by accident.
   */
  approve(upstream: string, tool: string, hash?: string): PinRecord {
    const run = this.#db.transaction(() => {
      const row = this.#requirePending(upstream, tool);
      if (hash !== undefined && !hashMatches(row.pending_hash!, hash)) {
        throw new PinStoreError(
          TOOL_PINNING_ERROR_CODES.HASH_MISMATCH,
          `the definition of "${tool}" waiting for approval has hash ${row.pending_hash}, not ${hash}: it changed since it was reviewed; review the diff again`,
        );
      }
      this.#db
        .prepare(
          `UPDATE tool_pins SET approved_hash = pending_hash, approved_definition = pending_definition,
             approved_at = ?, approved_by = 'operator', rejected_hash = NULL, pending_hash = NULL,
             pending_definition = NULL, pending_reason = NULL, pending_since = NULL, pending_shadows = '[]'
           WHERE upstream = ? AND tool = ?`,
        )
        .run(this.#now().toISOString(), upstream, tool);
    });
    run.immediate();
    return this.get(upstream, tool)!;
  }

  /** Rejects the definition waiting: the tool stays held while the server serves it, and it is not offered again. */
  reject(upstream: string, tool: string): PinRecord {
    const run = this.#db.transaction(() => {
      this.#requirePending(upstream, tool);
      this.#db
        .prepare(
          `UPDATE tool_pins SET rejected_hash = pending_hash, pending_hash = NULL, pending_definition = NULL,
             pending_reason = NULL, pending_since = NULL, pending_shadows = '[]' WHERE upstream = ? AND tool = ?`,
        )
        .run(upstream, tool);
    });
    run.immediate();
    return this.get(upstream, tool)!;
  }

  /**
   * Deletes a tool's record, or every record of an upstream. The next definition seen is new (held), except that
   * an upstream left with no record at all is on first use again when trust on first use is on.
   */
  forget(upstream: string, tool?: string): number {
    if (tool === undefined) {
      return this.#db.prepare('DELETE FROM tool_pins WHERE upstream = ?').run(upstream).changes;
    }
    this.#requireRow(upstream, tool);
    return this.#db.prepare('DELETE FROM tool_pins WHERE upstream = ? AND tool = ?').run(upstream, tool)
      .changes;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  #requireRow(upstream: string, tool: string): Row {
    const row = this.#get.get(upstream, tool);
    if (!row) {
      throw new PinStoreError(
        TOOL_PINNING_ERROR_CODES.UNKNOWN_TOOL,
        `the pin store has no tool "${tool}" of upstream "${upstream}"`,
      );
    }
    return row;
  }

  #requirePending(upstream: string, tool: string): Row {
    const row = this.#requireRow(upstream, tool);
    if (row.pending_hash === null) {
      throw new PinStoreError(
        TOOL_PINNING_ERROR_CODES.NOT_PENDING,
        `tool "${tool}" of upstream "${upstream}" has no definition waiting for approval`,
      );
    }
    return row;
  }
}

function hashMatches(full: string, given: string): boolean {
  const wanted = given.trim().toLowerCase();
  if (!/^[0-9a-f]+$/.test(wanted) || wanted.length < MIN_HASH_PREFIX || wanted.length > full.length) {
    return false;
  }
  return full.startsWith(wanted);
}
