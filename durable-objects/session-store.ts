import type { AnomalyState } from "./anomaly/session-anomaly";

/** State that a SessionGuard stores for one session id. */
export interface StoredSession {
  /** Admission times inside the session window, epoch ms, oldest first. */
  log: number[];
  anomaly?: AnomalyState;
}

const TABLE_EXISTS = `SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sessions'`;

const CREATE_TABLE = `
  CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS sessions_by_expiry ON sessions (expires_at);
`;

/**
 * The sessions of one SessionGuard object in its SQLite database, one row per
 * session id with the time its state stops mattering. The table is created by
 * the first write, so an object that only ever saw rejected requests of new
 * sessions writes nothing.
 */
export class SessionStore {
  readonly #sql: SqlStorage;
  #hasTable: boolean | undefined;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  #tableExists(): boolean {
    this.#hasTable ??= this.#sql.exec(TABLE_EXISTS).toArray().length > 0;
    return this.#hasTable;
  }

  load(sessionId: string): StoredSession | undefined {
    if (!this.#tableExists()) return undefined;
    const rows = this.#sql
      .exec<{ state: string }>(
        "SELECT state FROM sessions WHERE id = ?",
        sessionId,
      )
      .toArray();
    const row = rows[0];
    return row ? (JSON.parse(row.state) as StoredSession) : undefined;
  }

  has(sessionId: string): boolean {
    if (!this.#tableExists()) return false;
    return (
      this.#sql.exec("SELECT 1 FROM sessions WHERE id = ?", sessionId).toArray()
        .length > 0
    );
  }

  save(sessionId: string, session: StoredSession, expiresAtMs: number): void {
    if (!this.#tableExists()) {
      this.#sql.exec(CREATE_TABLE);
      this.#hasTable = true;
    }
    this.#sql.exec(
      `INSERT INTO sessions (id, state, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET state = excluded.state, expires_at = excluded.expires_at`,
      sessionId,
      JSON.stringify(session),
      expiresAtMs,
    );
  }

  remove(sessionId: string): void {
    if (!this.#tableExists()) return;
    this.#sql.exec("DELETE FROM sessions WHERE id = ?", sessionId);
  }

  /**
   * Deletes every session whose state expired at or before `nowMs` and
   * returns their ids.
   */
  removeExpired(nowMs: number): string[] {
    if (!this.#tableExists()) return [];
    return this.#sql
      .exec<{ id: string }>(
        "DELETE FROM sessions WHERE expires_at <= ? RETURNING id",
        nowMs,
      )
      .toArray()
      .map((row) => row.id);
  }

  /** Expiry of the next stored session, epoch ms, or undefined if none. */
  nextExpiry(): number | undefined {
    if (!this.#tableExists()) return undefined;
    const row = this.#sql
      .exec<{
        next: number | null;
      }>("SELECT MIN(expires_at) AS next FROM sessions")
      .one();
    return row.next ?? undefined;
  }

  count(): number {
    if (!this.#tableExists()) return 0;
    return this.#sql
      .exec<{ count: number }>("SELECT COUNT(*) AS count FROM sessions")
      .one().count;
  }

  /** Call after the object's storage was wiped with `deleteAll()`. */
  forgetTable(): void {
    this.#hasTable = false;
  }
}
