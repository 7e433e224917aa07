// The refresh split (issue 11 item 4: a relay withholds one round-5 confirmation of a DKLs23
// refresh, so one member is done and the other times out) against the two-phase activation of a
// refreshed share (docs/protocols.md "Refresh activation"): the party side (services/party/
// activation.ts) with the coordinator side (services/coordinator/refresh-activation.ts), without the
// refresh protocol. Two members of a 2-of-2 key each hold an active share v1 and a pending v2. The
// split (one member confirmed, the other missed a confirmation and gave up) now rolls back;
// confirmations a crashed gateway never relayed still complete; and neither a forged certificate
// nor a forged abandon statement moves a member.
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { openDatabase, type Database } from '../../../services/storage/db.ts';
import { masterKeyFromBytes } from '../../../services/storage/master-key.ts';
import { ShareStore } from '../../../services/storage/share-store.ts';
import { BanStore } from '../../../services/storage/ban-store.ts';
import { RefreshStore } from '../../../services/storage/refresh-store.ts';
import { RefreshActivation } from '../../../services/party/activation.ts';
import { abandonBytes } from '../../../services/control/refresh-proofs.ts';
import { bansAfterRefresh } from '../../../services/party/refresh.ts';
import { RefreshActivations } from '../../../services/coordinator/refresh-activation.ts';
import { generateIdentity, publicIdentity, type Identity } from '../../../services/transport/identity.ts';
import type {
  CoordinatorToParty,
  PartyToCoordinator,
  RefreshCertificate,
  RefreshControlMessage,
  RefreshStateMessage,
} from '../../../services/control/messages.ts';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex } from '../../../protocols/core/bytes.ts';

const KEY = '11111111-2222-4333-8444-555555555555';
const SESSION = 'ab'.repeat(32);
const PUBLIC_KEY = '02' + 'cd'.repeat(32);

type Member = {
  id: string;
  identity: Identity;
  db: Database;
  shares: ShareStore;
  refreshes: RefreshStore;
  activation: RefreshActivation;
  sent: PartyToCoordinator[];
};

let members: Member[];
let gateway: RefreshActivations;
let connected: Set<string>;

function member(id: string, identity: Identity, all: Identity[]): Member {
  const db = openDatabase(':memory:');
  const shares = new ShareStore(db, masterKeyFromBytes(new Uint8Array(randomBytes(32))));
  const refreshes = new RefreshStore(db);
  const parties = all.map(publicIdentity);
  const meta = (transcriptHash: string) => ({
    keySpec: 'ECC_SECG_P256K1',
    protocol: 'dkls23-secp256k1',
    suite: 'secp256k1',
    threshold: 2,
    n: 2,
    parties,
    publicKey: PUBLIC_KEY,
    transcriptHash,
    policyHash: null,
    self: all.indexOf(identity) + 1,
  });
  shares.putPending({ keyId: KEY, protocol: 'dkls23-secp256k1', version: 1, share: { old: id }, meta: meta('11'.repeat(32)) });
  shares.activate(KEY, 1);
  const m: Member = { id, identity, db, shares, refreshes, sent: [], activation: undefined as unknown as RefreshActivation };
  m.activation = new RefreshActivation({
    identity,
    shares,
    refreshes,
    bans: new BanStore(db),
    bansAfter: bansAfterRefresh,
    endSession: () => {},
    send: (msg) => {
      m.sent.push(msg);
      if (connected.has(id)) queueMicrotask(() => gateway.onState(id, msg as RefreshStateMessage));
    },
  });
  m.activation.hold({
    keyId: KEY,
    session: SESSION,
    protocol: 'dkls23-secp256k1',
    version: 2,
    share: { new: id },
    meta: meta('22'.repeat(32)),
    after: { oldIndex: [1, 2], liftBans: false, excluded: [], previousVersion: 1 },
  });
  return m;
}

function newGateway(): RefreshActivations {
  return new RefreshActivations({
    send: (to, msg: CoordinatorToParty) => {
      if (!connected.has(to)) return false;
      queueMicrotask(() => members.find((m) => m.id === to)!.activation.handle(msg as RefreshControlMessage));
      return true;
    },
  });
}

const settle = () => new Promise((r) => setTimeout(r, 20));
const versions = (m: Member) => m.db.prepare(`SELECT version, state FROM shares WHERE key_id = ? ORDER BY version`).all(KEY);

beforeEach(() => {
  const ids = [generateIdentity('party-1'), generateIdentity('party-2')];
  connected = new Set();
  members = ids.map((identity) => member(identity.partyId, identity, ids));
  gateway = newGateway();
});

afterEach(() => {
  for (const m of members) m.db.close();
});

describe('refresh activation', () => {
  test('the review split (party-1 confirmed, party-2 missed a confirmation and gave up): rolled back, both keep v1 only', async () => {
    members[0]!.activation.confirm(KEY, SESSION);
    members[1]!.activation.ended(KEY, SESSION, 'timeout: messages missing');
    connected = new Set(['party-1', 'party-2']);
    gateway.settle(KEY, SESSION, ['party-1', 'party-2']);
    await settle();
    for (const m of members) expect(versions(m)).toEqual([{ version: 1, state: 'active' }]);
    expect(members.map((m) => m.refreshes.get(KEY, SESSION)!.state)).toEqual(['rolled-back', 'abandoned']);
    expect(gateway.unsettled).toBe(0);
  });

  test('both confirmed, the gateway died before relaying: a new gateway gathers the confirmations on connect and both activate v2', async () => {
    for (const m of members) m.activation.confirm(KEY, SESSION);
    // Restart of each party: a confirmed refresh keeps its pending share.
    for (const m of members) {
      expect(m.activation.recoverAtStart()).toEqual({ abandoned: [], waiting: [KEY] });
      expect(m.shares.discardAllPending(m.activation.keptPending())).toEqual([]);
    }
    for (const id of ['party-1', 'party-2']) {
      connected.add(id);
      gateway.onConnect(id);
    }
    await settle();
    for (const m of members) expect(versions(m)).toEqual([{ version: 2, state: 'active' }]);
    expect(gateway.unsettled).toBe(0);
  });

  test('settled after a gateway restart, the key record learns the members and threshold of the new version (a reshare changes t) from what the members report', async () => {
    for (const m of members) m.activation.confirm(KEY, SESSION);
    const certified: [string, string[], number | undefined][] = [];
    gateway = new RefreshActivations({
      send: (to, msg: CoordinatorToParty) => {
        if (!connected.has(to)) return false;
        queueMicrotask(() => members.find((m) => m.id === to)!.activation.handle(msg as RefreshControlMessage));
        return true;
      },
      onCertified: (keyId, m, threshold) => certified.push([keyId, m, threshold]),
    });
    for (const id of ['party-1', 'party-2']) {
      connected.add(id);
      gateway.onConnect(id);
    }
    await settle();
    // (Called again when a member reports the activation; the gateway's handler is idempotent.)
    expect(certified.length).toBeGreaterThan(0);
    for (const c of certified) expect(c).toEqual([KEY, ['party-1', 'party-2'], 2]);
    for (const m of members) expect(versions(m)).toEqual([{ version: 2, state: 'active' }]);
  });

  test('both activated, the gateway crashed before recording the new holders (a reshare cut at "recorded"): a new gateway learns them from the activations reported on connect', async () => {
    for (const m of members) m.activation.confirm(KEY, SESSION);
    connected = new Set(['party-1', 'party-2']);
    gateway.settle(KEY, SESSION, ['party-1', 'party-2']);
    await settle();
    for (const m of members) expect(versions(m)).toEqual([{ version: 2, state: 'active' }]);
    expect(gateway.unsettled).toBe(0);
    // The gateway dies here (its key record never followed); nothing is unsettled at the members.
    const certified: [string, string[], number | undefined][] = [];
    gateway = new RefreshActivations({
      send: (to, msg: CoordinatorToParty) => {
        if (!connected.has(to)) return false;
        queueMicrotask(() => members.find((m) => m.id === to)!.activation.handle(msg as RefreshControlMessage));
        return true;
      },
      onCertified: (keyId, m, threshold) => certified.push([keyId, m, threshold]),
    });
    for (const id of ['party-1', 'party-2']) gateway.onConnect(id);
    await settle();
    expect(certified.length).toBeGreaterThan(0);
    for (const c of certified) expect(c).toEqual([KEY, ['party-1', 'party-2'], 2]);
    expect(gateway.unsettled).toBe(0);
    // Once a later version is active, the old activation is no longer reported (it would move the record back).
    const m = members[0]!;
    m.shares.putPending({ keyId: KEY, protocol: 'dkls23-secp256k1', version: 3, share: { later: true }, meta: m.shares.getActive(KEY)!.meta });
    m.shares.activate(KEY, 3);
    m.sent.length = 0;
    m.activation.handle({ type: 'refresh-query' });
    expect(m.sent).toEqual([]);
  });

  test('party-1 activated, party-2 (confirmed) was down: on its return the certificate party-1 stored completes it', async () => {
    for (const m of members) m.activation.confirm(KEY, SESSION);
    connected.add('party-1');
    gateway.settle(KEY, SESSION, ['party-1', 'party-2']);
    await settle();
    // party-2 is unreachable: nothing is decided yet, both keep what they hold.
    expect(versions(members[0]!)).toEqual([
      { version: 1, state: 'active' },
      { version: 2, state: 'pending' },
    ]);
    // Hand party-1 a certificate (as a first gateway would have) and forget everything at the gateway.
    const cert: RefreshCertificate = {
      keyId: KEY,
      session: SESSION,
      publicKey: PUBLIC_KEY,
      transcriptHash: '22'.repeat(32),
      members: ['party-1', 'party-2'],
      confirmations: members.map((m) => m.refreshes.get(KEY, SESSION)!.confirmation!),
    };
    members[0]!.activation.handle({ type: 'refresh-certificate', certificate: cert });
    expect(versions(members[0]!)).toEqual([{ version: 2, state: 'active' }]);
    gateway = newGateway();
    connected = new Set(['party-1', 'party-2']);
    gateway.onConnect('party-2');
    await settle();
    expect(versions(members[1]!)).toEqual([{ version: 2, state: 'active' }]);
  });

  test('a certificate with a forged or missing confirmation, and a rollback without a valid member statement, change nothing', async () => {
    for (const m of members) m.activation.confirm(KEY, SESSION);
    const [p1, p2] = members as [Member, Member];
    const good = [p1, p2].map((m) => m.refreshes.get(KEY, SESSION)!.confirmation!);
    const base = { keyId: KEY, session: SESSION, publicKey: PUBLIC_KEY, transcriptHash: '22'.repeat(32), members: ['party-1', 'party-2'] };
    const outsider = generateIdentity('party-2');
    const forged = bytesToHex(ed25519.sign(new Uint8Array(8), outsider.signSecret));
    for (const certificate of [
      { ...base, confirmations: [good[0]!, forged] },
      { ...base, confirmations: [good[0]!] },
      { ...base, confirmations: [good[0]!, good[0]!] },
      { ...base, transcriptHash: '33'.repeat(32), confirmations: good },
      { ...base, publicKey: '03' + 'cd'.repeat(32), confirmations: good },
    ])
      p1.activation.handle({ type: 'refresh-certificate', certificate });
    const statement = { keyId: KEY, session: SESSION, partyId: 'party-2', signature: '' };
    statement.signature = bytesToHex(ed25519.sign(abandonBytes(statement), outsider.signSecret)); // not party-2's pinned key
    p1.activation.handle({ type: 'refresh-rollback', statement });
    // A member that confirmed refuses to abandon: it reports its confirmation instead.
    p1.activation.handle({ type: 'refresh-abandon', keyId: KEY, session: SESSION });
    expect(versions(p1)).toEqual([
      { version: 1, state: 'active' },
      { version: 2, state: 'pending' },
    ]);
    expect(p1.refreshes.get(KEY, SESSION)!.state).toBe('confirmed');
    expect(p1.sent.at(-1)).toMatchObject({ type: 'refresh-state', state: 'confirmed', confirmation: good[0] });
    // The genuine certificate activates.
    p1.activation.handle({ type: 'refresh-certificate', certificate: { ...base, confirmations: good } });
    expect(versions(p1)).toEqual([{ version: 2, state: 'active' }]);
  });

  test('the gateway carries no forged certificate and changes no key record on one (a party reporting a shrunk member list)', () => {
    const certified: string[][] = [];
    const pins = new Map(members.map((m) => [m.id, publicIdentity(m.identity)]));
    const gw = new RefreshActivations({ send: () => true, pinned: (id) => pins.get(id), onCertified: (_k, m) => certified.push(m) });
    const forged = {
      keyId: KEY,
      session: SESSION,
      publicKey: PUBLIC_KEY,
      transcriptHash: '22'.repeat(32),
      members: ['party-1'],
      confirmations: ['00'.repeat(64)],
    };
    gw.onState('party-1', { type: 'refresh-state', keyId: KEY, session: SESSION, state: 'activated', members: ['party-1'], certificate: forged });
    expect(certified).toEqual([]);
    // A genuine one is taken.
    for (const m of members) m.activation.confirm(KEY, SESSION);
    const genuine = { ...forged, members: ['party-1', 'party-2'], confirmations: members.map((m) => m.refreshes.get(KEY, SESSION)!.confirmation!) };
    gw.onState('party-2', { type: 'refresh-state', keyId: KEY, session: SESSION, state: 'activated', members: ['party-1', 'party-2'], certificate: genuine });
    expect(certified).toEqual([['party-1', 'party-2']]);
  });

  test('a party restarting with an unconfirmed refresh abandons it; the session id is refused from then on', () => {
    const p1 = members[0]!;
    expect(p1.activation.recoverAtStart()).toEqual({ abandoned: [KEY], waiting: [] });
    expect(versions(p1)).toEqual([{ version: 1, state: 'active' }]);
    expect(() => p1.activation.confirm(KEY, SESSION)).toThrow();
    expect(p1.refreshes.get(KEY, SESSION)!.state).toBe('abandoned');
  });
});
