// The gateway's state on PostgreSQL (TUTTI_DATABASE_URL): the GatewayStore contract of
// ../gateway-store.ts, for any number of gateway replicas sharing one database.
//
// How races between replicas are decided (never by an in-process lock):
//   - creating the same key id or alias twice: the primary key; the loser's INSERT fails with
//     unique_violation (23505) and becomes KeyRepositoryError 'exists' (AlreadyExistsException);
//   - a read-decide-write of one key (mutate, purge, replaceParties): one transaction that reads
//     the row FOR UPDATE, so a second replica's transaction on the same key waits for the first to
//     commit and then decides on what it wrote (deleting a key twice: the second finds
//     PendingDeletion, or no row at all);
//   - a key removed while an alias is created for it: the foreign key (23503) → 'not-found'.
// READ COMMITTED (PostgreSQL's default) is enough with those row locks.
import pg from 'pg';
import type { AckStore, EvidenceStore, GatewayStore, KeyStore } from '../gateway-store.ts';
import {
  COLUMNS,
  KeyRepositoryError,
  aliasFromRow,
  checkLimit,
  definedOnly,
  fromRow,
  toRow,
  validate,
  type AliasRow,
  type Row,
  type StoredKey,
} from '../key-repository.ts';
import { migratePostgres } from './schema.ts';

const COLS = COLUMNS.split(',').map((c) => c.trim());
const INSERT = `INSERT INTO keys (${COLS.join(', ')}) VALUES (${COLS.map((_, i) => `$${i + 1}`).join(', ')})`;
const REPLACE = `UPDATE keys SET ${COLS.slice(1)
  .map((c, i) => `${c} = $${i + 2}`)
  .join(', ')} WHERE key_id = $1`;
const rowValues = (r: Row): unknown[] => COLS.map((c) => r[c as keyof Row]);

/** BIGINT (oid 20) as a JS number: every stored value is ms since the epoch or a small count. */
const types = {
  getTypeParser: ((oid: number, format?: string): unknown =>
    oid === 20 ? (v: string) => Number(v) : (pg.types.getTypeParser(oid, format as 'text') as unknown)) as never,
};

type Q = Pick<pg.PoolClient, 'query'>;

const sqlState = (e: unknown) => (e as { code?: string }).code;

export async function openPostgresGatewayStore(url: string, opts: { max?: number } = {}): Promise<GatewayStore> {
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 10, types });
  // An idle connection the server dropped (restart, failover) must not crash the gateway: the
  // pool discards it and the next query opens another.
  pool.on('error', () => {});
  try {
    await migratePostgres(pool);
  } catch (e) {
    await pool.end();
    throw new Error(`TUTTI_DATABASE_URL: cannot prepare the gateway schema: ${(e as Error).message}`, { cause: e });
  }
  const tx = async <T>(fn: (c: Q) => Promise<T>): Promise<T> => {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      c.release();
    }
  };
  const q = pool;
  const getRow = async (c: Q, keyId: string, lock = false) =>
    (await c.query<Row>(`SELECT * FROM keys WHERE key_id = $1${lock ? ' FOR UPDATE' : ''}`, [keyId])).rows[0];
  const addShareDeletion = (c: Q, keyId: string, party: string, now: number) =>
    c.query('INSERT INTO share_deletions (key_id, party_id, requested_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [keyId, party, now]);
  const mutate = <T>(keyId: string, fn: (k: StoredKey) => { patch?: Partial<StoredKey>; result: T }, extra?: (c: Q) => Promise<void>): Promise<T> =>
    tx(async (c) => {
      const row = await getRow(c, keyId, true);
      if (!row) throw new KeyRepositoryError('not-found', `key ${keyId} does not exist`);
      const { patch, result } = fn(fromRow(row));
      if (patch) await c.query(REPLACE, rowValues(toRow(validate({ ...fromRow(row), ...definedOnly(patch), keyId }))));
      if (extra) await extra(c);
      return result;
    });

  const keys: KeyStore = {
    async insert(k) {
      try {
        await q.query(INSERT, rowValues(toRow(validate(k))));
      } catch (e) {
        if (sqlState(e) === '23505') throw new KeyRepositoryError('exists', `key ${k.keyId} (${k.arn}) already exists`);
        throw e;
      }
    },
    async get(keyId) {
      const row = await getRow(q, keyId);
      return row && fromRow(row);
    },
    async update(keyId, patch) {
      if (patch.keyId !== undefined && patch.keyId !== keyId) {
        throw new KeyRepositoryError('invalid', `key ${keyId}: keyId cannot be changed (to ${patch.keyId})`);
      }
      await mutate(keyId, () => ({ patch, result: undefined }));
    },
    mutate: (keyId, fn) => mutate(keyId, fn),
    async delete(keyId) {
      return ((await q.query('DELETE FROM keys WHERE key_id = $1', [keyId])).rowCount ?? 0) > 0;
    },
    async list(limit, after) {
      checkLimit(limit);
      let rows: Row[];
      const page = (c: number, id: string) =>
        q.query<Row>('SELECT * FROM keys WHERE (creation_date, key_id) > ($1, $2) ORDER BY creation_date, key_id LIMIT $3', [c, id, limit + 1]);
      if (after === undefined) rows = (await q.query<Row>('SELECT * FROM keys ORDER BY creation_date, key_id LIMIT $1', [limit + 1])).rows;
      else if (typeof after === 'object') rows = (await page(after.creationDate, after.keyId)).rows;
      else {
        const cursor = await getRow(q, after);
        if (!cursor) throw new KeyRepositoryError('invalid-cursor', `no key ${after} to continue the listing after`);
        rows = (await page(cursor.creation_date, cursor.key_id)).rows;
      }
      return { keys: rows.slice(0, limit).map(fromRow), more: rows.length > limit };
    },
    async getAlias(aliasName) {
      const row = (await q.query<AliasRow>('SELECT * FROM aliases WHERE alias_name = $1', [aliasName])).rows[0];
      return row && aliasFromRow(row);
    },
    async createAlias(aliasName, keyId, now) {
      try {
        await q.query('INSERT INTO aliases (alias_name, key_id, creation_date, last_updated_date) VALUES ($1, $2, $3, $3)', [aliasName, keyId, now]);
      } catch (e) {
        if (sqlState(e) === '23505') throw new KeyRepositoryError('exists', `alias ${aliasName} already exists`);
        if (sqlState(e) === '23503') throw new KeyRepositoryError('not-found', `key ${keyId} does not exist`);
        throw e;
      }
    },
    async retargetAlias(aliasName, keyId, now) {
      let changes: number;
      try {
        changes = (await q.query('UPDATE aliases SET key_id = $1, last_updated_date = $2 WHERE alias_name = $3', [keyId, now, aliasName])).rowCount ?? 0;
      } catch (e) {
        if (sqlState(e) === '23503') throw new KeyRepositoryError('not-found', `key ${keyId} does not exist`);
        throw e;
      }
      if (changes === 0) throw new KeyRepositoryError('not-found', `alias ${aliasName} does not exist`);
    },
    async deleteAlias(aliasName) {
      return ((await q.query('DELETE FROM aliases WHERE alias_name = $1', [aliasName])).rowCount ?? 0) > 0;
    },
    async listAliases(limit, opts = {}) {
      checkLimit(limit);
      const where: string[] = [];
      const args: unknown[] = [];
      if (opts.keyId !== undefined) where.push(`key_id = $${args.push(opts.keyId)}`);
      if (opts.afterName !== undefined) where.push(`alias_name > $${args.push(opts.afterName)}`);
      const sql = `SELECT * FROM aliases ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY alias_name LIMIT $${args.push(limit + 1)}`;
      const rows = (await q.query<AliasRow>(sql, args)).rows;
      return { aliases: rows.slice(0, limit).map(aliasFromRow), more: rows.length > limit };
    },
    async countAliases(keyId) {
      return Number((await q.query<{ n: string }>('SELECT count(*) AS n FROM aliases WHERE key_id = $1', [keyId])).rows[0]!.n);
    },
    async dueForDeletion(now) {
      const sql = `SELECT * FROM keys WHERE key_state = 'PendingDeletion' AND deletion_date <= $1 ORDER BY deletion_date, key_id`;
      return (await q.query<Row>(sql, [now])).rows.map(fromRow);
    },
    async inState(state) {
      return (await q.query<Row>('SELECT * FROM keys WHERE key_state = $1 ORDER BY creation_date, key_id', [state])).rows.map(fromRow);
    },
    purge: (keyId, accept, now) =>
      tx(async (c) => {
        const row = await getRow(c, keyId, true);
        if (!row) return undefined;
        const k = fromRow(row);
        if (!accept(k)) return undefined;
        for (const party of k.parties) await addShareDeletion(c, keyId, party, now);
        await c.query('DELETE FROM keys WHERE key_id = $1', [keyId]); // aliases and acks go with it (ON DELETE CASCADE)
        return k;
      }),
    async replaceParties(keyId, from, to, now) {
      let removed: string[] = [];
      await mutate(
        keyId,
        (k) => {
          if (JSON.stringify(k.parties) !== JSON.stringify(from)) {
            throw new KeyRepositoryError('invalid', `key ${keyId}: its parties changed meanwhile (${k.parties.join(', ')})`);
          }
          if (to.some((p) => !from.includes(p))) throw new KeyRepositoryError('invalid', `key ${keyId}: ${to.join(', ')} are not all parties of the key`);
          removed = from.filter((p) => !to.includes(p));
          return { patch: { parties: to }, result: undefined };
        },
        async (c) => {
          for (const party of removed) await addShareDeletion(c, keyId, party, now);
        },
      );
    },
    async reshare(keyId, from, to, threshold, now) {
      let removed: string[] = [];
      await mutate(
        keyId,
        (k) => {
          if (JSON.stringify(k.parties) !== JSON.stringify(from)) {
            throw new KeyRepositoryError('invalid', `key ${keyId}: its parties changed meanwhile (${k.parties.join(', ')})`);
          }
          if (!Number.isInteger(threshold) || threshold < 1 || threshold > to.length)
            throw new KeyRepositoryError('invalid', `key ${keyId}: threshold ${threshold} of ${to.length}`);
          removed = from.filter((p) => !to.includes(p));
          return { patch: { parties: to, threshold }, result: undefined };
        },
        async (c) => {
          for (const party of removed) await addShareDeletion(c, keyId, party, now);
        },
      );
    },
    async pendingShareDeletions() {
      const rows = (await q.query<{ key_id: string; party_id: string }>('SELECT key_id, party_id FROM share_deletions ORDER BY requested_at, key_id, party_id'))
        .rows;
      return rows.map((r) => ({ keyId: r.key_id, partyId: r.party_id }));
    },
    async pendingShareDeletionsOf(partyId) {
      const sql = 'SELECT key_id FROM share_deletions WHERE party_id = $1 ORDER BY requested_at, key_id';
      return (await q.query<{ key_id: string }>(sql, [partyId])).rows.map((r) => r.key_id);
    },
    async shareDeleted(keyId, partyId) {
      return ((await q.query('DELETE FROM share_deletions WHERE key_id = $1 AND party_id = $2', [keyId, partyId])).rowCount ?? 0) > 0;
    },
  };

  const evidence: EvidenceStore = {
    async putReceipts(keyId, receipts) {
      await tx(async (c) => {
        for (const r of receipts) {
          await c.query(
            'INSERT INTO key_attestations (key_id, party_id, receipt) VALUES ($1, $2, $3) ON CONFLICT (key_id, party_id) DO UPDATE SET receipt = excluded.receipt',
            [keyId, r.partyId, JSON.stringify(r.receipt)],
          );
        }
      });
    },
    async replaceReceipts(keyId, receipts) {
      await tx(async (c) => {
        await c.query('DELETE FROM key_attestations WHERE key_id = $1', [keyId]);
        for (const r of receipts) {
          await c.query('INSERT INTO key_attestations (key_id, party_id, receipt) VALUES ($1, $2, $3)', [keyId, r.partyId, JSON.stringify(r.receipt)]);
        }
      });
    },
    async receipts(keyId) {
      const rows = (await q.query<{ receipt: string }>('SELECT receipt FROM key_attestations WHERE key_id = $1 ORDER BY party_id', [keyId])).rows;
      return rows.map((r) => JSON.parse(r.receipt) as unknown);
    },
    async deletionRecord(keyId) {
      const row = (await q.query<{ record: string }>('SELECT record FROM deletion_records WHERE key_id = $1', [keyId])).rows[0];
      return row === undefined ? undefined : (JSON.parse(row.record) as unknown);
    },
    async putDeletionRecord(keyId, record) {
      await q.query('INSERT INTO deletion_records (key_id, record) VALUES ($1, $2) ON CONFLICT (key_id) DO UPDATE SET record = excluded.record', [
        keyId,
        JSON.stringify(record),
      ]);
    },
    async dropDeletionRecord(keyId) {
      await q.query('DELETE FROM deletion_records WHERE key_id = $1', [keyId]);
    },
    async tombstone(keyId, at) {
      await q.query('INSERT INTO deleted_key_ids (key_id, deleted_at) VALUES ($1, $2) ON CONFLICT (key_id) DO NOTHING', [keyId, at]);
    },
    async wasDeleted(keyId) {
      return (await q.query('SELECT 1 FROM deleted_key_ids WHERE key_id = $1', [keyId])).rows.length > 0;
    },
  };

  const acks: AckStore = {
    async put(keyId, ack) {
      // A party's acknowledgement of an older revision never replaces a newer one (a late answer).
      await q.query(
        `INSERT INTO policy_revision_acks (key_id, party_id, revision, policy_hash, signature) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (key_id, party_id) DO UPDATE SET revision = excluded.revision, policy_hash = excluded.policy_hash, signature = excluded.signature
         WHERE excluded.revision >= policy_revision_acks.revision`,
        [keyId, ack.partyId, ack.revision, ack.policyHash, ack.signature],
      );
    },
    async of(keyId) {
      const rows = (
        await q.query<{ party_id: string; revision: number; policy_hash: string; signature: string }>(
          'SELECT * FROM policy_revision_acks WHERE key_id = $1 ORDER BY party_id',
          [keyId],
        )
      ).rows;
      return rows.map((r) => ({ partyId: r.party_id, revision: r.revision, policyHash: r.policy_hash, signature: r.signature }));
    },
  };

  return { kind: 'postgres', keys, evidence, acks, close: () => pool.end() };
}
