// The gateway's schema on PostgreSQL: the same tables as the SQLite stores (key-repository.ts,
// attestation-store.ts, revision-acks.ts), with BIGINT milliseconds. Like db.ts's MIGRATIONS the
// list is append-only; tutti_schema holds how many steps ran. Steps run in one transaction under a
// transaction-scoped advisory lock, so two gateways starting at once against one database cannot
// both migrate it (the second waits, then finds nothing to do).
import type pg from 'pg';

export const PG_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE keys (
    key_id              TEXT    COLLATE "C" NOT NULL PRIMARY KEY,
    arn                 TEXT    NOT NULL UNIQUE,
    account_id          TEXT    NOT NULL,
    region              TEXT    NOT NULL,
    creation_date       BIGINT  NOT NULL,
    description         TEXT    NOT NULL,
    key_usage           TEXT    NOT NULL,
    key_spec            TEXT    NOT NULL,
    key_state           TEXT    NOT NULL CHECK (key_state IN ('Creating', 'Enabled', 'Disabled', 'PendingDeletion')),
    protocol            TEXT    NOT NULL,
    threshold           INTEGER NOT NULL CHECK (threshold >= 1),
    parties             TEXT    NOT NULL,
    public_key          TEXT,
    policy_hash         TEXT,
    tags                TEXT    NOT NULL,
    deletion_date       BIGINT,
    pending_window_days INTEGER,
    policy              TEXT,
    signing_policy      TEXT,
    policy_revision     INTEGER
  );
  CREATE INDEX keys_by_creation ON keys (creation_date, key_id);
  CREATE INDEX keys_by_deletion ON keys (key_state, deletion_date);
  CREATE TABLE aliases (
    alias_name        TEXT   COLLATE "C" NOT NULL PRIMARY KEY,
    key_id            TEXT   NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
    creation_date     BIGINT NOT NULL,
    last_updated_date BIGINT NOT NULL
  );
  CREATE INDEX aliases_by_key ON aliases (key_id, alias_name);
  CREATE TABLE share_deletions (
    key_id       TEXT   NOT NULL,
    party_id     TEXT   NOT NULL,
    requested_at BIGINT NOT NULL,
    PRIMARY KEY (key_id, party_id)
  );
  CREATE TABLE policy_revision_acks (
    key_id      TEXT    NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
    party_id    TEXT    NOT NULL,
    revision    INTEGER NOT NULL CHECK (revision >= 1),
    policy_hash TEXT    NOT NULL,
    signature   TEXT    NOT NULL,
    PRIMARY KEY (key_id, party_id)
  );
  CREATE TABLE key_attestations (
    key_id   TEXT NOT NULL,
    party_id TEXT NOT NULL,
    receipt  TEXT NOT NULL,
    PRIMARY KEY (key_id, party_id)
  );
  CREATE TABLE deletion_records (
    key_id TEXT NOT NULL PRIMARY KEY,
    record TEXT NOT NULL
  );
  CREATE TABLE deleted_key_ids (
    key_id     TEXT   NOT NULL PRIMARY KEY,
    deleted_at BIGINT NOT NULL
  );
  `,
];

/** Any constant: the key of the advisory lock serializing migrations of one database. */
const MIGRATION_LOCK = 7_411_207_001;

export async function migratePostgres(pool: pg.Pool): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await c.query('CREATE TABLE IF NOT EXISTS tutti_schema (version INTEGER NOT NULL)');
    const r = await c.query<{ version: number }>('SELECT version FROM tutti_schema');
    const current = r.rows[0]?.version ?? 0;
    if (current > PG_MIGRATIONS.length) throw new Error(`schema version ${current} is newer than this build knows (${PG_MIGRATIONS.length})`);
    for (let i = current; i < PG_MIGRATIONS.length; i++) await c.query(PG_MIGRATIONS[i]!);
    if (r.rows.length === 0) await c.query('INSERT INTO tutti_schema (version) VALUES ($1)', [PG_MIGRATIONS.length]);
    else await c.query('UPDATE tutti_schema SET version = $1', [PG_MIGRATIONS.length]);
    await c.query('COMMIT');
  } catch (e) {
    await c.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    c.release();
  }
}
