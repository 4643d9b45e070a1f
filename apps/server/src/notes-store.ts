import Database from 'better-sqlite3';

export interface Note {
  name: string;
  body: string;
  updatedAt: string;
}

/**
 * Transforms note bodies on their way to and from the database (the crypto plugin seals them so the database
 * file never holds plaintext). Identity by default.
 */
export interface NoteCodec {
  encode(owner: string, name: string, body: string): string;
  decode(owner: string, name: string, stored: string): string;
}

const PLAIN: NoteCodec = { encode: (_o, _n, body) => body, decode: (_o, _n, stored) => stored };

/** Notes per owner (principal id) in SQLite. */
export class NotesStore {
  readonly #db: Database.Database;
  readonly #codec: NoteCodec;
  readonly #put: Database.Statement<[string, string, string, string]>;
  readonly #get: Database.Statement<[string, string], { body: string; updated_at: string }>;
  readonly #list: Database.Statement<[string], { name: string; updated_at: string }>;
  readonly #count: Database.Statement<[], { n: number }>;

  constructor(file: string, codec: NoteCodec = PLAIN) {
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.exec('CREATE TABLE IF NOT EXISTS notes (owner TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (owner, name))');
    this.#codec = codec;
    this.#put = this.#db.prepare(
      'INSERT INTO notes (owner, name, body, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(owner, name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at',
    );
    this.#get = this.#db.prepare('SELECT body, updated_at FROM notes WHERE owner = ? AND name = ?');
    this.#list = this.#db.prepare('SELECT name, updated_at FROM notes WHERE owner = ? ORDER BY name');
    this.#count = this.#db.prepare('SELECT count(*) AS n FROM notes');
  }

  write(owner: string, name: string, body: string): Note {
    const updatedAt = new Date().toISOString();
    this.#put.run(owner, name, this.#codec.encode(owner, name, body), updatedAt);
    return { name, body, updatedAt };
  }

  read(owner: string, name: string): Note | undefined {
    const row = this.#get.get(owner, name);
    return row ? { name, body: this.#codec.decode(owner, name, row.body), updatedAt: row.updated_at } : undefined;
  }

  list(owner: string): Array<Omit<Note, 'body'>> {
    return this.#list.all(owner).map((r) => ({ name: r.name, updatedAt: r.updated_at }));
  }

  count(): number {
    return this.#count.get()!.n;
  }

  /** Every stored row, for re-encryption jobs. */
  rows(): Array<{ owner: string; name: string; body: string }> {
    return this.#db.prepare('SELECT owner, name, body FROM notes').all() as Array<{ owner: string; name: string; body: string }>;
  }

  replaceStored(owner: string, name: string, stored: string): void {
    this.#db.prepare('UPDATE notes SET body = ? WHERE owner = ? AND name = ?').run(stored, owner, name);
  }

  close(): void {
    this.#db.close();
  }
}
