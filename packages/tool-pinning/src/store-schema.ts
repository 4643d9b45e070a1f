import { closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { PinStoreError, TOOL_PINNING_ERROR_CODES } from './errors.js';

export const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tool_pins_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tool_pins (
  upstream TEXT NOT NULL,
  tool TEXT NOT NULL,
  approved_hash TEXT,
  approved_definition TEXT,
  approved_at TEXT,
  approved_by TEXT,
  current_hash TEXT,
  pending_hash TEXT,
  pending_definition TEXT,
  pending_reason TEXT,
  pending_since TEXT,
  pending_shadows TEXT NOT NULL DEFAULT '[]',
  rejected_hash TEXT,
  first_seen_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  PRIMARY KEY (upstream, tool)
);
`;

export interface OpenOptions {
  /** Refuse to create the file when it does not exist (operator tools reading a server's store). */
  mustExist?: boolean;
}

/**
 * Opens (creating when allowed) a pin store file: owner-only permissions on a new file and directory (SQLite
 * gives its `-wal`/`-shm` files the database file's mode), WAL journal, a busy timeout so an operator's command
 * and the server can write the same file, and a schema version check.
 */
export function openPinDatabase(path: string, options: OpenOptions = {}): Database.Database {
  if (path !== ':memory:') {
    // SQLite would take an empty file for a new store, and trust on first use would then approve every tool
    // again: an existing empty file is a store that lost its content.
    if (existsSync(path) && statSync(path).size === 0) {
      throw new PinStoreError(
        TOOL_PINNING_ERROR_CODES.STORE_INVALID,
        `${path} is empty: restore the pin store from a backup, or delete the file to start over (every tool is then trusted on first use again)`,
      );
    }
    if (!existsSync(path)) {
      if (options.mustExist) {
        throw new PinStoreError(TOOL_PINNING_ERROR_CODES.STORE_MISSING, `no pin store at ${path}`);
      }
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      // An empty file is a valid, empty SQLite database; creating it here fixes its mode.
      try {
        closeSync(openSync(path, 'wx', 0o600));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { fileMustExist: path !== ':memory:' });
    db.pragma('busy_timeout = 5000');
    if (path !== ':memory:') db.pragma('journal_mode = WAL');
    migrate(db);
  } catch (error) {
    db?.close();
    if (error instanceof PinStoreError) throw error;
    throw new PinStoreError(
      TOOL_PINNING_ERROR_CODES.STORE_INVALID,
      `${path} is not a usable pin store (${(error as Error).message})`,
    );
  }
  return db;
}

/** Creates the tables, or checks that an existing store is of a schema this version understands. */
export function migrate(db: Database.Database): void {
  db.exec(SCHEMA);
  const row = db.prepare("SELECT value FROM tool_pins_meta WHERE key = 'schema_version'").get() as
    | { value: string }
    | undefined;
  if (!row) {
    db.prepare("INSERT INTO tool_pins_meta (key, value) VALUES ('schema_version', ?)").run(
      String(SCHEMA_VERSION),
    );
    return;
  }
  if (Number(row.value) !== SCHEMA_VERSION) {
    throw new PinStoreError(
      TOOL_PINNING_ERROR_CODES.STORE_INVALID,
      `pin store schema version ${row.value} is not supported (this version reads ${SCHEMA_VERSION})`,
    );
  }
}
