// Pre-made FROST commitments in the party (services/party/sign.ts, nonce-pool.ts) and the
// coordinator's stock (services/coordinator/premade-stock.ts): three real Party objects (real
// SQLite stores in temporary folders, Ed25519 2-of-3) relayed by the real SessionRunner over an
// in-process "network"; the test plays the coordinator's part with the real PremadeStock and
// aggregates with protocols/frost/premade.ts. Every signature is checked by node:crypto.
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSigningPolicy } from '../../../policies/default-policy.ts';
import { openDatabase, type Database } from '../../../services/storage/db.ts';
import { SessionStore } from '../../../services/storage/session-store.ts';
import { masterKeyFromBytes } from '../../../services/storage/master-key.ts';
import { ShareStore } from '../../../services/storage/share-store.ts';
import { ConsumedStore } from '../../../services/storage/consumed-store.ts';
import { PolicyStore } from '../../../services/storage/policy-store.ts';
import { BanStore } from '../../../services/storage/ban-store.ts';
import { PolicyGate } from '../../../services/party/policy-gate.ts';
import { Party } from '../../../services/party/party.ts';
import { NoncePool } from '../../../services/party/nonce-pool.ts';
import { PremadeStock } from '../../../services/coordinator/premade-stock.ts';
import { SessionFailed, SessionRunner } from '../../../services/coordinator/session-runner.ts';
import { generateIdentity, publicIdentity } from '../../../services/transport/identity.ts';
import { aggregatePremadeShares } from '../../../protocols/frost/premade.ts';
import { subgroupCheckCount } from '../../../protocols/frost/codec.ts';
import type { CoordinatorToParty, DkgResult, PartyToCoordinator, PremadeSignResult } from '../../../services/control/messages.ts';

const KEY = '1f0e0d0c-0b0a-4908-8706-050403020100';
const IDS = ['party-1', 'party-2', 'party-3'];
const turn = () => new Promise<void>((r) => setImmediate(r));
const until = async (ok: () => boolean) => {
  for (let i = 0; i < 500 && !ok(); i++) await turn();
  expect(ok()).toBe(true);
};

describe('pre-made FROST commitments between parties', () => {
  let dir: string;
  let dbs: Database[];
  let parties: Map<string, Party>;
  let policyStores: Map<string, PolicyStore>;
  let consumedStores: Map<string, ConsumedStore>;
  let runner: SessionRunner;
  let stock: PremadeStock;
  /** Every message a party sent, in order. */
  let sent: { party: string; msg: PartyToCoordinator }[];
  let publicKey: Buffer;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tutti-premade-'));
    dbs = [];
    sent = [];
    parties = new Map();
    policyStores = new Map();
    consumedStores = new Map();
    stock = new PremadeStock();
    const ids = IDS.map((p) => generateIdentity(p));
    const allowlist = ids.map(publicIdentity);
    runner = new SessionRunner(
      {
        isConnected: () => true,
        send: (partyId: string, msg: CoordinatorToParty) => {
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
      const policyStore = new PolicyStore(db, masterKey);
      policyStores.set(identity.partyId, policyStore);
      const consumed = new ConsumedStore(db);
      consumedStores.set(identity.partyId, consumed);
      const id = identity.partyId;
      parties.set(
        id,
        new Party({
          identity,
          allowlist,
          shares: new ShareStore(db, masterKey),
          consumed,
          policies: new PolicyGate({ store: policyStore }),
          bans: new BanStore(db),
          sessionIds: new SessionStore(db),
          send: (msg) => {
            sent.push({ party: id, msg });
            // What the gateway does with 'premade' (coordinator.ts onPremade), minus the forwarding, which tests do themselves.
            if (msg.type === 'premade') stock.add(msg.keyId, id, msg.commitments);
            else setImmediate(() => runner.onMessage(id, msg));
          },
        }),
      );
    }
    const policy = defaultSigningPolicy('ECC_NIST_EDWARDS25519', ['ED25519_SHA_512']);
    const out = await runner.run('frost-ed25519/dkg', new Map(IDS.map((p, i) => [i + 1, p])), (session) => ({
      type: 'open',
      kind: 'dkg',
      session,
      keyId: KEY,
      keySpec: 'ECC_NIST_EDWARDS25519',
      protocol: 'frost-ed25519',
      threshold: 2,
      parties: IDS,
      policy,
    }));
    publicKey = Buffer.from((out.get(1) as DkgResult).publicKey, 'hex');
  });
  afterEach(() => {
    for (const db of dbs) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const signers = new Map([
    [1, 'party-1'],
    [2, 'party-2'],
  ]);
  const request = (text: string) => ({
    message: Buffer.from(text).toString('base64'),
    messageType: 'RAW' as const,
    signingAlgorithm: 'ED25519_SHA_512',
    caller: { accessKeyId: 'AKIA', principal: 'p' },
  });
  const verifies = (signature: Uint8Array, text: string) =>
    verify(
      null,
      Buffer.from(text),
      createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), publicKey]), format: 'der', type: 'spki' }),
      signature,
    );

  /** A two-round signature that asks each signer for `premake` pairs; resolves once both published them. */
  async function twoRound(text: string, premake: number): Promise<void> {
    const before = stock.count(KEY, 'party-1') + stock.count(KEY, 'party-2');
    const out = await runner.run('frost-ed25519/sign', signers, (session) => ({
      type: 'open',
      kind: 'sign',
      session,
      keyId: KEY,
      signers: [1, 2],
      request: request(text),
      premake,
    }));
    expect(verifies(Buffer.from((out.get(1) as { signature: string }).signature, 'base64'), text)).toBe(true);
    await until(() => stock.count(KEY, 'party-1') + stock.count(KEY, 'party-2') === before + 2 * premake);
  }

  /** A one-round signature over `list` (one commitment per signer); the test aggregates like the coordinator. */
  async function oneRound(text: string, list: string[]): Promise<Uint8Array> {
    const out = await runner.run('frost-ed25519/sign-premade', signers, (session) => ({
      type: 'open',
      kind: 'sign',
      session,
      keyId: KEY,
      signers: [1, 2],
      request: request(text),
      premade: list,
    }));
    const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
    return aggregatePremadeShares(
      'ed25519',
      [...out].map(([index, o]) => {
        const r = o as PremadeSignResult;
        return { index, z: hex(r.signatureShare), R: hex(r.groupCommitment), request: hex(r.request) };
      }),
    );
  }

  const signDecisions = (party: string) =>
    policyStores
      .get(party)!
      .auditLog()
      .filter((a) => a.event === 'sign').length;

  test('pairs made after a signature sign the next one in one round: no envelope, the nonce id durable before the share leaves', async () => {
    await twoRound('first', 2);
    expect([parties.get('party-1')!.noncePool.size, parties.get('party-2')!.noncePool.size, parties.get('party-3')!.noncePool.size]).toEqual([2, 2, 0]);
    const list = stock.take(KEY, ['party-1', 'party-2'])!;
    sent = [];
    const signature = await oneRound('second', list);
    expect(verifies(signature, 'second')).toBe(true);
    for (const party of ['party-1', 'party-2']) {
      // One message per signer, its share; no protocol envelope at all.
      expect(sent.filter((s) => s.party === party).map((s) => s.msg.type)).toEqual(['done']);
      expect(parties.get(party)!.noncePool.size).toBe(1);
    }
    // Both decisions are in the audit log; a second pre-made signature uses the remaining pairs.
    expect([signDecisions('party-1'), signDecisions('party-2')]).toEqual([2, 2]);
    expect(verifies(await oneRound('third', stock.take(KEY, ['party-1', 'party-2'])!), 'third')).toBe(true);
    expect(stock.take(KEY, ['party-1', 'party-2'])).toBeUndefined();
  });

  test('a commitment used once is refused the second time, before the policy decides', async () => {
    await twoRound('first', 1);
    const list = stock.take(KEY, ['party-1', 'party-2'])!;
    await oneRound('second', list);
    const decided = [signDecisions('party-1'), signDecisions('party-2')];
    const again = await oneRound('replayed', list).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(SessionFailed);
    expect((again as SessionFailed).failure.kind).toBe('premade-unknown');
    // Neither party charged a decision for the refused request.
    expect([signDecisions('party-1'), signDecisions('party-2')]).toEqual(decided);
  });

  test('a party that lost its pool (a restart) refuses; a list with a bad peer commitment is refused and spends the pair', async () => {
    await twoRound('first', 2);
    const list = stock.take(KEY, ['party-1', 'party-2'])!;
    // party-2 forgets its pairs, as a restarted process would.
    (parties.get('party-2')! as unknown as { noncePool: NoncePool }).noncePool.dropKey(KEY);
    await expect(oneRound('after restart', list)).rejects.toMatchObject({ failure: { kind: 'premade-unknown' } });
    // A hostile coordinator gives party-1 a list whose party-2 entry is not a valid point.
    const next = stock.take(KEY, ['party-1', 'party-2'])!;
    const bad = [next[0]!, '01'.padEnd(128, '0')];
    const err = await oneRound('bad list', bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SessionFailed);
    expect(parties.get('party-1')!.noncePool.size).toBe(0);
    // The signers still sign in two rounds.
    await twoRound('two rounds again', 0);
  });

  test('commitments sent ahead are validated when they arrive, not when a request names them', async () => {
    await twoRound('first', 2);
    const list = stock.take(KEY, ['party-1', 'party-2'])!;
    const before = subgroupCheckCount();
    parties.get('party-1')!.handle({ type: 'peer-commitments', keyId: KEY, commitments: [list[1]!] });
    await until(() => subgroupCheckCount() === before + 2);
    // party-1 needs no subgroup check for party-2's commitment now; party-2 still checks party-1's (2).
    expect(verifies(await oneRound('second', list), 'second')).toBe(true);
    expect(subgroupCheckCount()).toBe(before + 4);
    // Commitments for a key the party does not hold, or malformed, are ignored.
    parties.get('party-1')!.handle({ type: 'peer-commitments', keyId: '2f0e0d0c-0b0a-4908-8706-050403020100', commitments: [list[1]!] });
    parties.get('party-1')!.handle({ type: 'peer-commitments', keyId: KEY, commitments: ['zz'] } as never);
    await turn();
    expect(subgroupCheckCount()).toBe(before + 4);
  });

  test('premake and premade are refused when malformed', async () => {
    for (const extra of [{ premake: 9 }, { premake: -1 }, { premade: ['ab'] }, { premade: 'x' }]) {
      const err = await runner
        .run(
          'frost-ed25519/sign',
          signers,
          (session) => ({ type: 'open', kind: 'sign', session, keyId: KEY, signers: [1, 2], request: request('x'), ...extra }) as never,
        )
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SessionFailed);
    }
  });
});

describe('PremadeStock', () => {
  test('hands out one commitment per signer only when every signer has one, each once', () => {
    const s = new PremadeStock(4);
    s.add('k', 'a', ['a1', 'a2']);
    expect(s.take('k', ['a', 'b'])).toBeUndefined();
    expect(s.count('k', 'a')).toBe(2);
    s.add('k', 'b', ['b1']);
    expect(s.take('k', ['a', 'b'])).toEqual(['a1', 'b1']);
    expect(s.take('k', ['a', 'b'])).toBeUndefined();
    expect(s.take('k', ['a'])).toEqual(['a2']);
  });

  test('keeps the newest per key and party; a disconnect or a refresh drops them', () => {
    const s = new PremadeStock(3);
    s.add('k', 'a', ['1', '2', '3', '4', '5']);
    expect(s.count('k', 'a')).toBe(3);
    expect(s.take('k', ['a'])).toEqual(['3']);
    s.add('k', 'b', ['x']);
    s.dropParty('a');
    expect(s.count('k', 'a')).toBe(0);
    expect(s.count('k', 'b')).toBe(1);
    s.dropKey('k');
    expect(s.count('k', 'b')).toBe(0);
  });

  test('asks for what is missing — two at a time while low, then one — counting what is coming until it expires', () => {
    let now = 0;
    const s = new PremadeStock(6, 16, () => now);
    expect(s.ask('k', 'a')).toBe(2);
    expect(s.ask('k', 'a')).toBe(2);
    // 4 coming: one at a time now, up to 6.
    expect(s.ask('k', 'a')).toBe(1);
    expect(s.ask('k', 'a')).toBe(1);
    expect(s.ask('k', 'a')).toBe(0);
    s.add('k', 'a', ['1', '2', '3', '4']);
    expect(s.ask('k', 'a')).toBe(0);
    s.add('k', 'a', ['5']);
    expect(s.take('k', ['a'])).toEqual(['1']);
    // 4 in stock, 1 still coming: 1 missing.
    expect(s.ask('k', 'a')).toBe(1);
    // Asks that were never answered stop counting after a while.
    now += 10_000;
    expect(s.take('k', ['a'])).toEqual(['2']);
    expect(s.take('k', ['a'])).toEqual(['3']);
    expect(s.ask('k', 'a')).toBe(2);
  });

  test('bounded in keys: the least recently used key goes first', () => {
    const s = new PremadeStock(4, 2);
    s.add('k1', 'a', ['1']);
    s.add('k2', 'a', ['2']);
    s.add('k1', 'a', ['1b']);
    s.add('k3', 'a', ['3']);
    expect([s.count('k1', 'a'), s.count('k2', 'a'), s.count('k3', 'a')]).toEqual([2, 0, 1]);
  });
});

describe('NoncePool', () => {
  const pair = (n: number) => ({
    nonces: { hiding: new Uint8Array([n]), binding: new Uint8Array([n]) },
    commitment: { hiding: new Uint8Array([n, 1]), binding: new Uint8Array([n, 2]) },
  });

  test('a pair is handed out once, by its commitment; bounded per key and in keys', () => {
    const pool = new NoncePool(2, 2);
    const [c1, c2, c3] = pool.add('k1', [pair(1), pair(2), pair(3)]);
    // Two per key: the oldest went.
    expect(pool.take('k1', c1!)).toBeUndefined();
    expect(pool.take('k1', c2!)).toEqual(pair(2));
    expect(pool.take('k1', c2!)).toBeUndefined();
    expect(pool.take('k2', c3!)).toBeUndefined();
    pool.add('k2', [pair(4)]);
    pool.add('k3', [pair(5)]);
    // k1 was used least recently: gone with its remaining pair.
    expect(pool.take('k1', c3!)).toBeUndefined();
    expect(pool.size).toBe(2);
    pool.dropKey('k2');
    expect(pool.size).toBe(1);
  });
});
