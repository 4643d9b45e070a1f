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
  encode(owner: string, name: string, body: string): Promise<string>;
  decode(owner: string, name: string, stored: string): Promise<string>;
}

const PLAIN: NoteCodec = { encode: async (_o, _n, body) => body, decode: async (_o, _n, stored) => stored };

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
    this.#db.exec(
      'CREATE TABLE IF NOT EXISTS notes (owner TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (owner, name))',
    );
    this.#codec = codec;
    this.#put = this.#db.prepare(
      'INSERT INTO notes (owner, name, body, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(owner, name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at',
    );
    this.#get = this.#db.prepare('SELECT body, updated_at FROM notes WHERE owner = ? AND name = ?');
    this.#list = this.#db.prepare('SELECT name, updated_at FROM notes WHERE owner = ? ORDER BY name');
    this.#count = this.#db.prepare('SELECT count(*) AS n FROM notes');
  }

  async write(owner: string, name: string, body: string): Promise<Note> {
    const updatedAt = new Date().toISOString();
    this.#put.run(owner, name, await this.#codec.encode(owner, name, body), updatedAt);
    return { name, body, updatedAt };
  }

  async read(owner: string, name: string): Promise<Note | undefined> {
    const row = this.#get.get(owner, name);
    return row
      ? { name, body: await this.#codec.decode(owner, name, row.body), updatedAt: row.updated_at }
      : undefined;
  }

  list(owner: string): Array<Omit<Note, 'body'>> {
    return this.#list.all(owner).map((r) => ({ name: r.name, updatedAt: r.updated_at }));
  }

  count(): number {
    return this.#count.get()!.n;
  }

  /**
   * Re-seals every body with `reseal` (key rotation). Each row is updated only if it did not change meanwhile, so
   * an interrupted run leaves every note readable and can simply run again.
   */
  async resealAll(
    reseal: (owner: string, name: string, stored: string) => Promise<string | undefined>,
  ): Promise<number> {
    const rows = this.#db.prepare('SELECT owner, name, body FROM notes').all() as Array<{
      owner: string;
      name: string;
      body: string;
    }>;
    const update = this.#db.prepare('UPDATE notes SET body = ? WHERE owner = ? AND name = ? AND body = ?');
    let changed = 0;
    for (const row of rows) {
      const next = await reseal(row.owner, row.name, row.body);
      if (next !== undefined && next !== row.body)
        changed += update.run(next, row.owner, row.name, row.body).changes;
    }
    return changed;
  }

  close(): void {
    this.#db.close();
  }
}
