// Group commit of the durable consume (services/party/consume-batcher.ts, session-driver.ts onStep): the
// consumes that become due in one event-loop turn share one SQLite transaction, and nothing of a
// session leaves the party before its consume is committed. Three real Party objects (real SQLite
// stores in temporary folders, FROST Ed25519, inline sessions) relayed by the real SessionRunner
// over an in-process "network" that delivers every message in a later event-loop turn.
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSigningPolicy } from '../../../policies/default-policy.ts';
import { openDatabase, type Database } from '../../../services/storage/db.ts';
import { SessionStore } from '../../../services/storage/session-store.ts';
import { masterKeyFromBytes } from '../../../services/storage/master-key.ts';
import { ShareStore } from '../../../services/storage/share-store.ts';
import { ConsumedError, ConsumedStore } from '../../../services/storage/consumed-store.ts';
import { PolicyStore } from '../../../services/storage/policy-store.ts';
import { BanStore } from '../../../services/storage/ban-store.ts';
import { PolicyGate } from '../../../services/party/policy-gate.ts';
import { Party } from '../../../services/party/party.ts';
import { ConsumeBatcher } from '../../../services/party/consume-batcher.ts';
import { SessionFailed, SessionRunner } from '../../../services/coordinator/session-runner.ts';
import { generateIdentity, publicIdentity } from '../../../services/transport/identity.ts';
import type { CoordinatorToParty, PartyToCoordinator } from '../../../services/control/messages.ts';

const KEY = '0f0e0d0c-0b0a-4908-8706-050403020100';
const turn = () => new Promise<void>((r) => setImmediate(r));

describe('ConsumeBatcher', () => {
  test('consumes due in one turn share one transaction; no promise settles before it returned', async () => {
    const calls: number[] = [];
    let committed = false;
    const b = new ConsumeBatcher({
      consumeBatch: (groups) => {
        calls.push(groups.length);
        committed = true;
        return groups.map(() => undefined);
      },
    });
    const settled: number[] = [];
    const all = [0, 1, 2].map((i) =>
      b.consume([`n${i}`], 'x').then(() => {
        expect(committed).toBe(true);
        settled.push(i);
      }),
    );
    await Promise.resolve();
    expect(settled).toEqual([]);
    await Promise.all(all);
    expect(calls).toEqual([3]);
    await b.consume(['n3'], 'x');
    expect(calls).toEqual([3, 1]);
  });

  test('an id consumed before refuses its own group only; a failed transaction rejects the whole batch', async () => {
    const db = openDatabase(':memory:');
    const store = new ConsumedStore(db);
    store.consume('used');
    const b = new ConsumeBatcher(store);
    const r = await Promise.allSettled([b.consume(['a'], 'x'), b.consume(['b', 'used'], 'x'), b.consume(['c'], 'x')]);
    expect(r.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((r[1] as PromiseRejectedResult).reason).toBeInstanceOf(ConsumedError);
    expect([store.isConsumed('a'), store.isConsumed('b'), store.isConsumed('c')]).toEqual([true, false, true]);
    // A failure inside the transaction after the first group was written (a BLOB in the TEXT id column):
    // everything is rolled back and every session of the batch hears of it.
    const bad = Buffer.from('not text') as unknown as string;
    const r2 = await Promise.allSettled([b.consume(['d'], 'x'), b.consume([bad], 'x'), b.consume(['e'], 'x')]);
    expect(r2.map((x) => x.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect([store.isConsumed('d'), store.isConsumed('e')]).toEqual([false, false]);
    db.close();
  });
});

type Commit = { t: 'commit' | 'failed' | 'policy-commit' | 'policy-failed'; party: string; notes: string[] };
type Event = Commit | { t: 'send'; party: string; msg: PartyToCoordinator };

describe('a party with group commit', () => {
  let dir: string;
  let dbs: Database[];
  let events: Event[];
  let parties: Map<string, Party>;
  let runner: SessionRunner;
  /** Make the next commit of this party fail (after writing its first group). */
  let failNext: Set<string>;
  /** Make the next policy-decision commit of this party fail (after every decision of it was written). */
  let failPolicyNext: Set<string>;
  let policyStores: Map<string, PolicyStore>;
  let holdParty1 = false;
  let held: CoordinatorToParty[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tutti-group-commit-'));
    dbs = [];
    events = [];
    failNext = new Set();
    failPolicyNext = new Set();
    holdParty1 = false;
    held = [];
    policyStores = new Map();
    const ids = ['party-1', 'party-2', 'party-3'].map((p) => generateIdentity(p));
    const allowlist = ids.map(publicIdentity);
    parties = new Map();
    runner = new SessionRunner(
      {
        isConnected: () => true,
        send: (partyId: string, msg: CoordinatorToParty) => {
          if (partyId === 'party-1' && holdParty1) {
            // Coalescing: party-1's open waits until the peer's first envelope for it is here, then both
            // arrive in the same event-loop turn (as two frames in one TCP read would).
            held.push(msg);
            if (msg.type === 'envelope') {
              const all = held.splice(0);
              setImmediate(() => {
                for (const m of all) parties.get(partyId)!.handle(m);
              });
            }
            return true;
          }
          setImmediate(() => parties.get(partyId)!.handle(msg));
          return true;
        },
      },
      { roundTimeoutMs: 10_000 },
    );
    for (const identity of ids) {
      const db = openDatabase(join(dir, identity.partyId, 'shares.db'));
      dbs.push(db);
      const masterKey = masterKeyFromBytes(randomBytes(32));
      const real = new ConsumedStore(db);
      const id = identity.partyId;
      // The real store, recording each commit after it returned (and failing on request).
      const consumed = Object.assign(Object.create(real) as ConsumedStore, {
        consumeBatch(groups: readonly { ids: readonly string[]; note?: string }[]) {
          const fail = failNext.delete(id);
          const g = fail ? groups.map((x, i) => (i === groups.length - 1 ? { ...x, ids: [Buffer.from('x') as unknown as string] } : x)) : groups;
          let out;
          try {
            out = real.consumeBatch(g);
          } catch (e) {
            events.push({ t: 'failed', party: id, notes: groups.map((x) => x.note ?? '') });
            throw e;
          }
          events.push({ t: 'commit', party: id, notes: groups.map((x) => x.note ?? '') });
          return out;
        },
      });
      // The real policy gate, recording which sessions each batch decided, after its commit returned.
      const policyStore = new PolicyStore(db, masterKey);
      policyStores.set(id, policyStore);
      const policies = new PolicyGate({ store: policyStore });
      let deciding: string[] = [];
      const decideSign = policies.decideSign.bind(policies);
      policies.decideSign = (facts, session, req, signers) => {
        deciding.push(session);
        return decideSign(facts, session, req, signers);
      };
      const batch = policies.batch.bind(policies);
      policies.batch = <T>(fn: () => T): T => {
        deciding = [];
        const fail = failPolicyNext.delete(id);
        try {
          const out = batch(() => {
            const r = fn();
            if (fail) throw new Error('disk I/O error (injected)');
            return r;
          });
          events.push({ t: 'policy-commit', party: id, notes: deciding });
          return out;
        } catch (e) {
          events.push({ t: 'policy-failed', party: id, notes: deciding });
          throw e;
        }
      };
      parties.set(
        id,
        new Party({
          identity,
          allowlist,
          shares: new ShareStore(db, masterKey),
          consumed,
          policies,
          bans: new BanStore(db),
          sessionIds: new SessionStore(db),
          send: (msg) => {
            events.push({ t: 'send', party: id, msg });
            setImmediate(() => runner.onMessage(id, msg));
          },
        }),
      );
    }
  });
  afterEach(() => {
    for (const db of dbs) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const members = new Map([
    [1, 'party-1'],
    [2, 'party-2'],
    [3, 'party-3'],
  ]);
  async function createKey(): Promise<void> {
    const policy = defaultSigningPolicy('ECC_NIST_EDWARDS25519', ['ED25519_SHA_512']);
    await runner.run('frost-ed25519/dkg', members, (session) => ({
      type: 'open',
      kind: 'dkg',
      session,
      keyId: KEY,
      keySpec: 'ECC_NIST_EDWARDS25519',
      protocol: 'frost-ed25519',
      threshold: 2,
      parties: ['party-1', 'party-2', 'party-3'],
      policy,
    }));
  }
  const sign = (i: number) =>
    runner.run(
      'frost-ed25519/sign',
      new Map([
        [1, 'party-1'],
        [2, 'party-2'],
      ]),
      (session) => ({
        type: 'open',
        kind: 'sign',
        session,
        keyId: KEY,
        signers: [1, 2],
        request: {
          message: Buffer.from(`message ${i}`).toString('base64'),
          messageType: 'RAW',
          signingAlgorithm: 'ED25519_SHA_512',
          caller: { accessKeyId: 'AKIA', principal: 'p' },
        },
      }),
    );

  /** For each party and session: the index of the commit that holds its consume. */
  function commitIndex(party: string, session: string): number {
    return events.findIndex((e) => e.t === 'commit' && e.party === party && e.notes.some((n) => session.startsWith(n.split(' session ')[1] ?? '-')));
  }

  test('concurrent signatures are committed in groups, and no share leaves before its consume is durable', async () => {
    await createKey();
    events = [];
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => sign(i)));
    expect(results).toHaveLength(12);
    const sessions = new Set(events.flatMap((e) => (e.t === 'send' && e.msg.type === 'done' ? [e.msg.session] : [])));
    expect(sessions.size).toBe(12);
    for (const party of ['party-1', 'party-2']) {
      const commits = events.filter((e) => e.t === 'commit' && e.party === party) as Commit[];
      // Fewer transactions than sessions: some consumes shared one.
      expect(commits.reduce((n, c) => n + c.notes.length, 0)).toBe(12);
      expect(commits.length).toBeLessThan(12);
      for (const session of sessions) {
        const c = commitIndex(party, session);
        expect(c).toBeGreaterThanOrEqual(0);
        const sent = events.map((e, i) => ({ e, i })).filter(({ e }) => e.t === 'send' && e.party === party && 'session' in e.msg && e.msg.session === session);
        // Round 1 (commitments) may leave before the consume; round 2 (the share) and 'done' only after it.
        expect(sent.map(({ e }) => (e as { msg: PartyToCoordinator }).msg.type)).toEqual(['envelope', 'envelope', 'done']);
        expect(sent[1]!.i).toBeGreaterThan(c);
        expect(sent[2]!.i).toBeGreaterThan(c);
      }
    }
  });

  test('a transaction that fails aborts every session of its batch, and none of them sends its share', async () => {
    await createKey();
    events = [];
    failNext.add('party-1');
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => sign(i)));
    const failed = events.filter((e) => e.t === 'failed') as Commit[];
    expect(failed).toHaveLength(1);
    const aborted = events.flatMap((e) => (e.t === 'send' && e.party === 'party-1' && e.msg.type === 'abort' ? [e.msg] : []));
    // Exactly the sessions of the failed batch abort at party-1 (first group written, then the failure: all rolled back).
    expect(aborted.length).toBe(failed[0]!.notes.length);
    expect(new Set(aborted.map((a) => a.session.slice(0, 16)))).toEqual(new Set(failed[0]!.notes.map((n: string) => n.split(' session ')[1])));
    for (const a of aborted) {
      expect(a.kind).toBe('internal');
      expect(a.message).toMatch(/durable write failed/);
      const sent = events.filter((e) => e.t === 'send' && e.party === 'party-1' && 'session' in e.msg && e.msg.session === a.session);
      expect(sent.map((e) => (e as { msg: PartyToCoordinator }).msg.type)).toEqual(['envelope', 'abort']);
    }
    const rejected = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(rejected.length).toBe(aborted.length);
    for (const r of rejected) expect(r.reason).toBeInstanceOf(SessionFailed);
    // The party keeps no session; later signatures work.
    expect(parties.get('party-1')!.activeSessions).toBe(0);
    await turn();
    await expect(sign(99)).resolves.toBeDefined();
  });

  test('the policy decisions of one turn share one transaction, and no envelope of a session leaves before its decision is committed', async () => {
    await createKey();
    events = [];
    await Promise.all(Array.from({ length: 12 }, (_, i) => sign(i)));
    for (const party of ['party-1', 'party-2']) {
      const commits = events.filter((e) => e.t === 'policy-commit' && e.party === party) as Commit[];
      const decided = commits.flatMap((c) => c.notes);
      expect(decided).toHaveLength(12);
      expect(commits.length).toBeLessThan(12);
      for (const session of decided) {
        const c = events.findIndex((e) => e.t === 'policy-commit' && e.party === party && e.notes.includes(session));
        const first = events.findIndex((e) => e.t === 'send' && e.party === party && 'session' in e.msg && e.msg.session === session);
        expect(first).toBeGreaterThan(c);
      }
      // Every decision is in the audit log, once.
      const audited = policyStores
        .get(party)!
        .auditLog()
        .filter((a) => a.event === 'sign')
        .map((a) => a.session);
      for (const session of decided) expect(audited.filter((a) => a === session)).toHaveLength(1);
    }
  });

  test('an envelope that arrives in the same turn as its open waits for the policy commit, then counts', async () => {
    await createKey();
    events = [];
    holdParty1 = true;
    const out = await sign(7);
    holdParty1 = false;
    expect(out.size).toBe(2);
    // party-1 received its open together with party-2's round-1 envelope, and still finished.
    expect(events.some((e) => e.t === 'send' && e.party === 'party-1' && e.msg.type === 'done')).toBe(true);
  });

  test('a policy commit that fails refuses every session of its batch: no envelope, no audit entry', async () => {
    await createKey();
    events = [];
    failPolicyNext.add('party-2');
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => sign(i)));
    const failed = events.filter((e) => e.t === 'policy-failed') as Commit[];
    expect(failed).toHaveLength(1);
    expect(failed[0]!.notes.length).toBeGreaterThanOrEqual(1);
    const audited = new Set(
      policyStores
        .get('party-2')!
        .auditLog()
        .map((a) => a.session),
    );
    for (const session of failed[0]!.notes) {
      const sent = events.filter((e) => e.t === 'send' && e.party === 'party-2' && 'session' in e.msg && e.msg.session === session);
      expect(sent.map((e) => (e as { msg: PartyToCoordinator }).msg)).toEqual([expect.objectContaining({ type: 'abort', kind: 'internal' })]);
      expect(audited.has(session)).toBe(false);
    }
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(failed[0]!.notes.length);
    expect(parties.get('party-2')!.activeSessions).toBe(0);
    await turn();
    await expect(sign(99)).resolves.toBeDefined();
  });
});
