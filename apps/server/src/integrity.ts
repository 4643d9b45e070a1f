import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR_FILES } from '@mcp-warden/crypto';
import Database from 'better-sqlite3';
import { DataDirIntegrityError } from './errors.js';

export { DataDirIntegrityError };

/** One SQLite store of the data directory: its file, the tables it must hold, and what losing it costs. */
export interface SqliteStoreSpec {
  file: string;
  tables: readonly string[];
  /** What moving the file away (to start the store afresh) loses, for the fix hint. */
  lose: string;
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\u0000', 'latin1');

/**
 * Checks every SQLite store of a data directory before anything opens it: an existing file must be a SQLite
 * database (not empty, header intact), pass `PRAGMA quick_check`, and hold its tables. SQLite itself would
 * silently start an empty database in a zero-byte file (every client then gets 401 with no new bootstrap key),
 * or fail later, mid-request, on a damaged page. The error names the file and how to fix it.
 */
export function checkSqliteStores(dataDir: string, stores: readonly SqliteStoreSpec[]): void {
  for (const store of stores) {
    const path = join(dataDir, store.file);
    if (!existsSync(path)) continue;
    const problem = sqliteProblem(path, store.tables);
    if (problem === undefined) continue;
    throw new DataDirIntegrityError(
      `${path} is damaged (${problem}); refusing to start. Restore it from a backup, or move it away to start ` +
        `that store afresh (this loses ${store.lose}). Nothing was changed.`,
    );
  }
}

function sqliteProblem(path: string, tables: readonly string[]): string | undefined {
  const size = statSync(path).size;
  if (size === 0) return 'the file is empty';
  // The 100-byte database header (https://www.sqlite.org/fileformat.html#the_database_header).
  const header = Buffer.alloc(100);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (!header.subarray(0, SQLITE_HEADER.length).equals(SQLITE_HEADER))
    return 'not a SQLite database: the header is wrong';
  if (size < 100) return 'the file is truncated';
  // The in-header size (offset 28, in pages) is valid when the change counters at 24 and 92 agree; a file shorter
  // than that lost pages at its end, which quick_check does not always notice.
  const pageSize = header.readUInt16BE(16) === 1 ? 65536 : header.readUInt16BE(16);
  const pages = header.readUInt32BE(28);
  if (header.readUInt32BE(24) === header.readUInt32BE(92) && size < pages * pageSize)
    return 'the file is truncated';
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const rows = db.pragma('quick_check') as Array<Record<string, unknown>>;
    const verdict = rows.map((row) => String(Object.values(row)[0])).join('; ');
    if (verdict !== 'ok') return `integrity check failed: ${verdict.slice(0, 200)}`;
    const present = new Set(
      (
        db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>
      ).map((row) => row.name),
    );
    const missing = tables.filter((table) => !present.has(table));
    if (missing.length > 0) return `missing table${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`;
    return undefined;
  } catch (error) {
    return `SQLite cannot read it: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    db?.close();
  }
}

/** The stores of the reference server's data directory. */
export function referenceStores(files: {
  keys: string;
  notes: string;
  audit: string;
  toolPins: string;
}): SqliteStoreSpec[] {
  return [
    {
      file: files.toolPins,
      tables: ['tool_pins', 'tool_pins_meta'],
      lose: 'every tool approval: the next list is trusted on first use again',
    },
    { file: files.audit, tables: ['audit_log'], lose: 'the audit trail' },
    { file: files.keys, tables: ['mcp_warden_api_keys'], lose: 'every API key: issue new ones' },
    { file: files.notes, tables: ['notes'], lose: 'every note' },
    {
      file: DATA_DIR_FILES.store,
      tables: ['warden_kv', 'warden_kv_meta'],
      lose: 'the API-key pepper, so every API key must be issued again',
    },
  ];
}
