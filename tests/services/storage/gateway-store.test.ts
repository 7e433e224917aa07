// One contract, two implementations: every case runs against the embedded SQLite store and against
// a real PostgreSQL server (tests/support/postgres.ts; skipped with a message when none is
// installed). The race cases use two independent stores (two connection pools, as two gateway
// replicas have) and check that the database, not the process, picks exactly one winner.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../../services/storage/db.ts';
import { sqliteGatewayStore, type GatewayStore } from '../../../services/storage/gateway-store.ts';
import { openPostgresGatewayStore } from '../../../services/storage/postgres/postgres-gateway-store.ts';
import { KeyRepositoryError, type StoredKey } from '../../../services/storage/key-repository.ts';
import { findPostgres, NO_POSTGRES_MESSAGE, TestPostgres } from '../../support/postgres.ts';

function key(creationDate: number, keyId: string = randomUUID()): StoredKey {
  return {
    keyId,
    arn: `arn:aws:kms:eu-west-1:111122223333:key/${keyId}`,
    accountId: '111122223333',
    region: 'eu-west-1',
    creationDate,
    description: 'reward key',
    keyUsage: 'SIGN_VERIFY',
    keySpec: 'ECC_NIST_EDWARDS25519',
    keyState: 'Enabled',
    protocol: 'frost-ed25519',
    threshold: 2,
    parties: ['party-a', 'party-b', 'party-c'],
    publicKey: 'cd'.repeat(32),
    policyHash: 'ab'.repeat(32),
    tags: [{ TagKey: 'team', TagValue: 'nodes' }],
    deletionDate: null,
    pendingWindowInDays: null,
    policy: null,
  };
}

const code = (e: unknown) => (e instanceof KeyRepositoryError ? e.code : String(e));

type Backend = {
  name: string;
  /** A store, and a second one on the same data through its own connection(s) (another replica). */
  open: () => Promise<[GatewayStore, GatewayStore]>;
  setup: () => Promise<boolean>;
  teardown: () => Promise<void>;
};

const sqlite = (): Backend => {
  let dir = '';
  return {
    name: 'SQLite',
    setup: async () => {
      dir = mkdtempSync(join(tmpdir(), 'tutti-gw-store-'));
      return true;
    },
    // Two connections to one file: SQLite serializes writers itself (one gateway per file in
    // production, but the contract holds all the same).
    open: async () => {
      const file = join(dir, `${randomUUID()}.db`);
      return [sqliteGatewayStore(openDatabase(file), { closeDb: true }), sqliteGatewayStore(openDatabase(file), { closeDb: true })];
    },
    teardown: async () => rmSync(dir, { recursive: true, force: true }),
  };
};

const postgres = (): Backend => {
  let server: TestPostgres | undefined;
  let n = 0;
  return {
    name: 'PostgreSQL',
    setup: async () => {
      const bin = findPostgres();
      if (!bin) {
        console.warn(NO_POSTGRES_MESSAGE);
        return false;
      }
      server = await new TestPostgres(bin).start();
      return true;
    },
    open: async () => {
      const url = await server!.createDatabase(`contract_${++n}`);
      const a = await openPostgresGatewayStore(url);
      return [a, await openPostgresGatewayStore(url)];
    },
    teardown: async () => server?.stop(),
  };
};

describe.each([sqlite(), postgres()])('GatewayStore on $name', (backend) => {
  let available = false;
  let a: GatewayStore;
  let b: GatewayStore;
  beforeAll(async () => {
    available = await backend.setup();
    if (available) [a, b] = await backend.open();
  }, 30_000);
  afterAll(async () => {
    if (available) await Promise.all([a.close(), b.close()]);
    await backend.teardown();
  });
  // Skipping is decided at run time (the server is looked for in beforeAll).
  const it = (name: string, fn: () => Promise<void>) =>
    test(name, async () => {
      if (!available) return;
      await fn();
    });

  it('keys: insert, get, update, mutate, list in creation order; what one replica writes the other reads', async () => {
    const k1 = key(1_000);
    const k2 = key(2_000);
    await a.keys.insert(k2);
    await a.keys.insert(k1);
    expect(await b.keys.get(k1.keyId)).toEqual(k1);
    expect(await b.keys.get('nope')).toBeUndefined();
    await expect(b.keys.insert(k1)).rejects.toMatchObject({ code: 'exists' });
    await b.keys.update(k1.keyId, { description: 'changed', tags: [] });
    expect(await a.keys.get(k1.keyId)).toMatchObject({ description: 'changed', tags: [] });
    const r = await a.keys.mutate(k1.keyId, (k) => ({ patch: { keyState: 'Disabled' }, result: k.keyState }));
    expect(r).toBe('Enabled');
    expect((await b.keys.get(k1.keyId))?.keyState).toBe('Disabled');
    await expect(a.keys.update('nope', { description: 'x' })).rejects.toMatchObject({ code: 'not-found' });
    await expect(a.keys.update(k1.keyId, { threshold: 9 })).rejects.toMatchObject({ code: 'invalid' });
    const page = await b.keys.list(1);
    expect(page.keys.map((k) => k.keyId)).toEqual([k1.keyId]);
    expect(page.more).toBe(true);
    const next = await b.keys.list(10, k1.keyId);
    expect(next.keys.map((k) => k.keyId)).toContain(k2.keyId);
    await expect(b.keys.list(10, 'nope')).rejects.toMatchObject({ code: 'invalid-cursor' });
    const byCursor = await b.keys.list(10, { creationDate: 1_500, keyId: '' });
    expect(byCursor.keys[0]!.keyId).toBe(k2.keyId);
  });

  it('aliases: create, retarget, list, count, delete; an alias of a missing key is not-found', async () => {
    const k = key(3_000);
    const other = key(3_001);
    await a.keys.insert(k);
    await a.keys.insert(other);
    await a.keys.createAlias('alias/one', k.keyId, 10);
    await a.keys.createAlias('alias/two', k.keyId, 11);
    expect(await b.keys.getAlias('alias/one')).toEqual({ aliasName: 'alias/one', keyId: k.keyId, creationDate: 10, lastUpdatedDate: 10 });
    expect(await b.keys.countAliases(k.keyId)).toBe(2);
    await b.keys.retargetAlias('alias/two', other.keyId, 12);
    expect((await a.keys.listAliases(10, { keyId: other.keyId })).aliases.map((x) => x.aliasName)).toEqual(['alias/two']);
    expect((await a.keys.listAliases(1, { afterName: 'alias/one' })).aliases.map((x) => x.aliasName)).toEqual(['alias/two']);
    await expect(a.keys.createAlias('alias/three', 'no-such-key', 13)).rejects.toMatchObject({ code: 'not-found' });
    await expect(a.keys.retargetAlias('alias/none', k.keyId, 13)).rejects.toMatchObject({ code: 'not-found' });
    expect(await b.keys.deleteAlias('alias/one')).toBe(true);
    expect(await a.keys.deleteAlias('alias/one')).toBe(false);
  });

  it('race: two replicas create the same alias at once: exactly one wins, the other gets exists', async () => {
    const k = key(4_000);
    await a.keys.insert(k);
    for (let round = 0; round < 10; round++) {
      const name = `alias/race-${round}`;
      const results = await Promise.allSettled([a.keys.createAlias(name, k.keyId, 1), b.keys.createAlias(name, k.keyId, 2)]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(code(lost.reason)).toBe('exists');
    }
  });

  it('race: two replicas schedule and purge the same key: one decides, the other sees the outcome', async () => {
    const k = key(5_000);
    await a.keys.insert(k);
    // ScheduleKeyDeletion on both: a read-decide-write under the row lock; the second sees PendingDeletion.
    const schedule = (s: GatewayStore) =>
      s.keys.mutate(k.keyId, (cur) => {
        if (cur.keyState === 'PendingDeletion') throw new KeyRepositoryError('invalid', 'already pending deletion');
        return { patch: { keyState: 'PendingDeletion', deletionDate: 6_000, pendingWindowInDays: 7 }, result: 'scheduled' };
      });
    const scheduled = await Promise.allSettled([schedule(a), schedule(b)]);
    expect(scheduled.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(code((scheduled.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason)).toBe('invalid');
    expect((await a.keys.dueForDeletion(6_000)).map((x) => x.keyId)).toContain(k.keyId);
    // Both sweepers purge it: exactly one removes it and records its parties' share deletions.
    const accept = (cur: StoredKey) => cur.keyState === 'PendingDeletion';
    const purged = await Promise.all([a.keys.purge(k.keyId, accept, 7_000), b.keys.purge(k.keyId, accept, 7_000)]);
    expect(purged.filter((p) => p !== undefined)).toHaveLength(1);
    expect(await b.keys.get(k.keyId)).toBeUndefined();
    const pending = (await a.keys.pendingShareDeletions()).filter((d) => d.keyId === k.keyId);
    expect(pending.map((d) => d.partyId).sort()).toEqual(['party-a', 'party-b', 'party-c']);
    expect(await b.keys.pendingShareDeletionsOf('party-a')).toContain(k.keyId);
    expect(await a.keys.shareDeleted(k.keyId, 'party-a')).toBe(true);
    expect(await b.keys.shareDeleted(k.keyId, 'party-a')).toBe(false);
  });

  it('race: two replicas insert the same key id: one wins', async () => {
    const k = key(5_500);
    const results = await Promise.allSettled([a.keys.insert(k), b.keys.insert(k)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(code((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason)).toBe('exists');
  });

  it('replaceParties records the dropped party for share deletion; inState lists by state', async () => {
    const k = key(8_000);
    await a.keys.insert({ ...k, keyState: 'Creating' });
    expect((await b.keys.inState('Creating')).map((x) => x.keyId)).toContain(k.keyId);
    await a.keys.replaceParties(k.keyId, k.parties, ['party-a', 'party-c'], 9_000);
    expect((await b.keys.get(k.keyId))?.parties).toEqual(['party-a', 'party-c']);
    expect(await b.keys.pendingShareDeletionsOf('party-b')).toContain(k.keyId);
    await expect(b.keys.replaceParties(k.keyId, k.parties, ['party-a'], 9_001)).rejects.toMatchObject({ code: 'invalid' });
  });

  it('evidence and acknowledgements', async () => {
    const k = key(10_000);
    await a.keys.insert(k);
    await a.evidence.putReceipts(k.keyId, [
      { partyId: 'party-b', receipt: { n: 2 } },
      { partyId: 'party-a', receipt: { n: 1 } },
    ]);
    expect(await b.evidence.receipts(k.keyId)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(await b.evidence.deletionRecord(k.keyId)).toBeUndefined();
    await a.evidence.putDeletionRecord(k.keyId, { r: 1 });
    await a.evidence.putDeletionRecord(k.keyId, { r: 2 });
    expect(await b.evidence.deletionRecord(k.keyId)).toEqual({ r: 2 });
    await b.evidence.dropDeletionRecord(k.keyId);
    expect(await a.evidence.deletionRecord(k.keyId)).toBeUndefined();
    expect(await a.evidence.wasDeleted(k.keyId)).toBe(false);
    await a.evidence.tombstone(k.keyId, 1);
    await b.evidence.tombstone(k.keyId, 2);
    expect(await b.evidence.wasDeleted(k.keyId)).toBe(true);
    await a.acks.put(k.keyId, { partyId: 'party-a', revision: 2, policyHash: 'h2', signature: 's2' });
    await b.acks.put(k.keyId, { partyId: 'party-a', revision: 1, policyHash: 'h1', signature: 's1' }); // late: ignored
    expect(await b.acks.of(k.keyId)).toEqual([{ partyId: 'party-a', revision: 2, policyHash: 'h2', signature: 's2' }]);
  });
});
