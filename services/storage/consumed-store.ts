// Single-use material (FROST nonces, DKLs23 pre-signatures) is marked consumed here, durably,
// before any output that depends on it leaves the party (docs/security.md "Nonce consumption"). The primary
// key makes a second use fail in SQLite itself, whatever the caller checked before.
import type { Database, Migration } from './db.ts';

export const CONSUMED_V1: Migration = {
  store: 'consumed-store',
  sql: `
    CREATE TABLE consumed (
      id          TEXT    NOT NULL PRIMARY KEY,
      note        TEXT,
      consumed_at INTEGER NOT NULL  -- ms since the epoch, for operators
    ) STRICT;
  `,
};

/** The id was already consumed: the nonce or pre-signature must not be used again. */
export class ConsumedError extends Error {
  readonly id: string;
  constructor(id: string) {
    super(`${id} is already consumed`);
    this.name = 'ConsumedError';
    this.id = id;
  }
}

export class ConsumedStore {
  readonly #insert;
  readonly #exists;
  readonly #consumeAll;
  readonly #batch;

  constructor(db: Database) {
    this.#insert = db.prepare<[string, string | null, number]>(`INSERT INTO consumed (id, note, consumed_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`);
    this.#exists = db.prepare<[string], { one: number }>(`SELECT 1 AS one FROM consumed WHERE id = ?`);
    this.#consumeAll = db.transaction((ids: readonly string[], note: string | null) => {
      const now = Date.now();
      for (const id of ids) {
        if (this.#insert.run(id, note, now).changes === 0) throw new ConsumedError(id);
      }
    });
    // Called inside #batch's transaction, #consumeAll runs as a savepoint: a ConsumedError rolls
    // back that group only.
    this.#batch = db.transaction((groups: readonly { ids: readonly string[]; note?: string }[]) =>
      groups.map((g) => {
        try {
          this.#consumeAll(g.ids, g.note ?? null);
          return undefined;
        } catch (e) {
          if (e instanceof ConsumedError) return e;
          throw e;
        }
      }),
    );
  }

  /**
   * Durably records `id` as consumed (committed when this returns).
   * @throws ConsumedError if it was consumed before.
   */
  consume(id: string, note?: string): void {
    this.consumeAll([id], note);
  }

  /**
   * Records every id in one transaction: all of them, or, if any was consumed before (or appears
   * twice in `ids`), none.
   * @throws ConsumedError naming the first id found already consumed.
   */
  consumeAll(ids: readonly string[], note?: string): void {
    this.#consumeAll.immediate(ids, note ?? null);
  }

  /**
   * Group commit: every group in ONE transaction (one fsync). Each group is all-or-nothing on its
   * own (a savepoint): a group with an id consumed before gets its ConsumedError in the result and
   * leaves nothing behind, the others are recorded. Any other failure (I/O, a full disk, a bad
   * value) rolls back the whole transaction and throws: then no group of the batch is recorded.
   * Everything recorded is committed when this returns.
   * @returns per group, undefined (recorded) or the ConsumedError that refused it.
   */
  consumeBatch(groups: readonly { ids: readonly string[]; note?: string }[]): (ConsumedError | undefined)[] {
    return this.#batch.immediate(groups);
  }

  isConsumed(id: string): boolean {
    return this.#exists.get(id) !== undefined;
  }
}
