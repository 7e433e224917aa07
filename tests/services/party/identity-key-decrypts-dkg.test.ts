// trust-review H1 / dkls23-review F2, as an attack that must now fail: the hub records every frame
// of real DKGs (FROST Ed25519 and DKLs23 secp256k1, 2-of-3) and of a DKLs23 signature; later the
// attacker obtains one party's whole data folder except its master key (identity.json, peers.json,
// shares.db). Before the fix, identity.json alone (in clear) opened every sealed frame to and from
// that party and rebuilt its share. Now identity.json is sealed under the master key, and even the
// identity secret keys (say, from an old clear backup) open no frame: the seals need the session's
// ephemeral keys, which existed only in the parties' memory during the session.
//
// Three real Party objects (real SQLite stores and identity files in temporary folders, master keys
// given as TUTTI_MASTER_KEY so that no master.key sits in the folders) relayed by the real
// SessionRunner (TappedSessionRunner, services/coordinator/fault-injection.ts), whose tap records (and, for one test, alters) every frame.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { createDecipheriv, createPublicKey, hkdfSync, randomBytes, verify } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { x25519 } from '@noble/curves/ed25519.js';
import { defaultSigningPolicy } from '../../../policies/default-policy.ts';
import { lengthPrefixed, splitLengthPrefixed, utf8ToBytes } from '../../../protocols/core/bytes.ts';
import { LABELS } from '../../../protocols/core/labels.ts';
import { openDatabase, type Database } from '../../../services/storage/db.ts';
import { SessionStore } from '../../../services/storage/session-store.ts';
import { masterKeyFromBytes } from '../../../services/storage/master-key.ts';
import { ShareStore } from '../../../services/storage/share-store.ts';
import { ConsumedStore } from '../../../services/storage/consumed-store.ts';
import { PolicyStore } from '../../../services/storage/policy-store.ts';
import { BanStore } from '../../../services/storage/ban-store.ts';
import { readIdentityFile, readPublicIdentityFile } from '../../../services/storage/identity-file.ts';
import { PolicyGate } from '../../../services/party/policy-gate.ts';
import { Party } from '../../../services/party/party.ts';
import { SessionFailed } from '../../../services/coordinator/session-runner.ts';
import { TappedSessionRunner } from '../../../services/coordinator/fault-injection.ts';
import { initParty } from '../../../services/main/cluster.ts';
import { paths } from '../../../services/main/config.ts';
import { FRAME_SIGNED, FRAME_SIGNED_WITH_KEY, FRAME_VERSION, open } from '../../../services/transport/secure-envelope.ts';
import { SessionKeys } from '../../../services/transport/session-keys.ts';
import { TransportError } from '../../../services/transport/errors.ts';
import type { Identity, PublicIdentity } from '../../../services/transport/identity.ts';
import type { CoordinatorToParty, DkgResult, EnvelopeMessage, OpenMessage, SignResult } from '../../../services/control/messages.ts';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { SPKI_PREFIX } from '../../support/ecdsa.ts';

jest.setTimeout(120_000);

const IDS = ['party-1', 'party-2', 'party-3'];
const members = new Map(IDS.map((p, i) => [i + 1, p]));
const dir = mkdtempSync(join(tmpdir(), 'tutti-recorded-dkg-'));
const dbs: Database[] = [];
const parties = new Map<string, Party>();
const identities = new Map<string, Identity>();
let allowlist: PublicIdentity[];
/** Every frame the hub relayed, per session id, as relayed. */
const recorded = new Map<string, EnvelopeMessage[]>();
let tamper: ((msg: EnvelopeMessage) => EnvelopeMessage) | undefined;

const hub = {
  isConnected: () => true,
  send: (partyId: string, msg: CoordinatorToParty) => {
    setImmediate(() => parties.get(partyId)!.handle(msg));
    return true;
  },
};
const tap = (msg: EnvelopeMessage): EnvelopeMessage => {
  const copy = { ...msg, data: Uint8Array.from(msg.data) };
  const list = recorded.get(msg.session) ?? [];
  list.push(copy);
  recorded.set(msg.session, list);
  return tamper ? tamper(msg) : msg;
};
const runner = new TappedSessionRunner(hub, { roundTimeoutMs: 60_000 }, tap);
// For the tampering cases: an altered frame is dropped (inauthentic, TOB-SILA-14), so the DKG
// ends at its round deadline; a short one keeps the test fast (whichever round's deadline passes
// first, the failure is a timeout and no key is stored; a FROST DKG round takes milliseconds).
const shortRunner = new TappedSessionRunner(hub, { roundTimeoutMs: 300 }, tap);

beforeAll(() => {
  const pubs: PublicIdentity[] = [];
  const masterKeys = new Map<string, string>();
  for (const id of IDS) {
    // The party's folder as `party init` makes it; the master key comes from the environment.
    const mk = randomBytes(32).toString('hex');
    masterKeys.set(id, mk);
    pubs.push(initParty(join(dir, id), id, { TUTTI_MASTER_KEY: mk }));
  }
  allowlist = pubs;
  for (const id of IDS) {
    const partyDir = join(dir, id);
    const masterKey = masterKeyFromBytes(Buffer.from(masterKeys.get(id)!, 'hex'));
    const { identity } = readIdentityFile(paths.identity(partyDir), masterKey);
    identities.set(id, identity);
    const db = openDatabase(paths.sharesDb(partyDir));
    dbs.push(db);
    parties.set(
      id,
      new Party({
        identity,
        allowlist,
        shares: new ShareStore(db, masterKey),
        consumed: new ConsumedStore(db),
        policies: new PolicyGate({ store: new PolicyStore(db, masterKey) }),
        bans: new BanStore(db),
        sessionIds: new SessionStore(db),
        send: (msg) => {
          if (msg.type !== 'premade' && msg.type !== 'key-deleted')
            setImmediate(() => {
              runner.onMessage(id, msg);
              shortRunner.onMessage(id, msg);
            });
        },
      }),
    );
  }
});

afterAll(() => {
  for (const db of dbs) db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a session and returns its outputs and every frame the hub relayed for it. */
async function run(
  protocol: string,
  open: (session: string) => OpenMessage,
  who = members,
): Promise<{ outputs: Map<number, unknown>; frames: EnvelopeMessage[] }> {
  let sid = '';
  const outputs = await runner.run(protocol, who, (session) => {
    sid = session;
    return open(session);
  });
  return { outputs, frames: recorded.get(sid)! };
}

function dkg(keyId: string, keySpec: string, protocol: string, algorithms: string[]) {
  return (session: string): OpenMessage => ({
    type: 'open',
    kind: 'dkg',
    session,
    keyId,
    keySpec,
    protocol,
    threshold: 2,
    parties: IDS,
    policy: defaultSigningPolicy(keySpec as never, algorithms),
  });
}

const sessionKeyOf = (frame: Uint8Array): string | undefined =>
  frame[1] === FRAME_SIGNED_WITH_KEY ? Buffer.from(splitLengthPrefixed(frame.subarray(2), 3)[1]!).toString('hex') : undefined;

/**
 * Everything the attacker tries on the recorded frames with party `who`'s folder: open() as that
 * party with keys of its own (having learnt every announced session key from the recording), and
 * the review's E1 derivation from the static X25519 keys (both seal-key labels). Returns how many
 * sealed frames to or from `who` opened (0 expected) and how many it tried.
 */
function attack(frames: EnvelopeMessage[], id: Identity, who: number): { opened: number; tried: number } {
  const senders = (i: number) => allowlist[i - 1];
  const attackerKeys = new SessionKeys();
  for (const f of frames) {
    const k = sessionKeyOf(f.data);
    if (k && f.from !== who) attackerKeys.learn(f.from, Buffer.from(k, 'hex'));
  }
  let opened = 0,
    tried = 0;
  for (const f of frames) {
    if (f.to === 0 || (f.to !== who && f.from !== who)) continue;
    tried++;
    if (f.to === who) {
      try {
        open(f.data, id, senders, who, undefined, attackerKeys);
        opened++;
      } catch (e) {
        expect(e).toBeInstanceOf(TransportError);
      }
    }
    const peer = allowlist[(f.to === who ? f.from : f.to) - 1]!;
    const peerSign = Buffer.from(peer.signPublic, 'hex'),
      peerKex = Buffer.from(peer.kexPublic, 'hex');
    const [header, nonce, ct] = splitLengthPrefixed(f.data.subarray(2), 3) as [Uint8Array, Uint8Array, Uint8Array];
    const plen = header[1]!;
    const session = header.subarray(2 + plen, 2 + plen + 32);
    const shared = x25519.getSharedSecret(id.kexSecret, peerKex);
    const [sSign, rSign, sKex, rKex] = f.from === who ? [id.signPublic, peerSign, id.kexPublic, peerKex] : [peerSign, id.signPublic, peerKex, id.kexPublic];
    for (const label of ['tutti/v1/seal-key', LABELS.sealKey]) {
      const info = lengthPrefixed(utf8ToBytes(label), sSign, rSign, sKex, rKex, Uint8Array.of(f.from, f.to));
      const key = Buffer.from(hkdfSync('sha256', shared, session, info, 32));
      const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
      d.setAAD(header, { plaintextLength: ct.length - 16 });
      d.setAuthTag(ct.subarray(ct.length - 16));
      d.update(ct.subarray(0, ct.length - 16));
      try {
        d.final();
        opened++;
      } catch {
        /* does not open: as it must */
      }
    }
  }
  return { opened, tried };
}

/** The attacker's haul: every file of party `who`'s folder. None holds its identity secret keys. */
function stealFolder(partyId: string): Map<string, Buffer> {
  const partyDir = join(dir, partyId);
  const files = new Map<string, Buffer>();
  for (const name of readdirSync(partyDir)) if (statSync(join(partyDir, name)).isFile()) files.set(name, readFileSync(join(partyDir, name)));
  return files;
}

describe('recorded DKG traffic plus a party folder without its master key', () => {
  const keys: Record<string, string> = {};

  test('FROST Ed25519: the folder holds no identity secret, and no recorded sealed frame opens', async () => {
    const { outputs, frames } = await run(
      'frost-ed25519/dkg',
      dkg('10000000-0000-4000-8000-000000000001', 'ECC_NIST_EDWARDS25519', 'frost-ed25519', ['ED25519_SHA_512']),
    );
    keys.frost = (outputs.get(1) as DkgResult).publicKey;
    expect(frames.filter((f) => f.to !== 0)).toHaveLength(6);
    // Each party announced one session key, on its round-1 broadcast.
    expect(
      frames
        .filter((f) => f.data[1] === FRAME_SIGNED_WITH_KEY)
        .map((f) => f.from)
        .sort(),
    ).toEqual([1, 2, 3]);
    for (const [who, partyId] of members) {
      const folder = stealFolder(partyId);
      expect([...folder.keys()].sort()).toEqual(expect.arrayContaining(['identity.json', 'shares.db']));
      expect(folder.has('master.key')).toBe(false);
      const id = identities.get(partyId)!;
      for (const bytes of folder.values()) {
        for (const secret of [id.signSecret, id.kexSecret]) {
          expect(bytes.includes(Buffer.from(secret))).toBe(false);
          expect(bytes.includes(Buffer.from(Buffer.from(secret).toString('hex')))).toBe(false);
        }
      }
      // The public half is all identity.json gives without the master key.
      expect(readPublicIdentityFile(join(dir, partyId, 'identity.json'))).toEqual(allowlist[who - 1]);
      // Worst case, the identity secrets anyway (an old clear backup): still nothing opens.
      const { opened, tried } = attack(frames, id, who);
      expect(tried).toBe(4);
      expect(opened).toBe(0);
    }
  });

  test('DKLs23 secp256k1: key generation and a signature, recorded; nothing opens with any identity', async () => {
    const keyId = '10000000-0000-4000-8000-000000000002';
    const { outputs, frames } = await run('dkls23-secp256k1/dkg', dkg(keyId, 'ECC_SECG_P256K1', 'dkls23-secp256k1', ['ECDSA_SHA_256']));
    const publicKey = (outputs.get(1) as DkgResult).publicKey;
    const message = Buffer.from('recorded, never readable');
    const signers = new Map([
      [1, 'party-1'],
      [3, 'party-3'],
    ]);
    const signed = await run(
      'dkls23-secp256k1/sign',
      (session) => ({
        type: 'open',
        kind: 'sign',
        session,
        keyId,
        signers: [1, 3],
        request: {
          message: message.toString('base64'),
          messageType: 'RAW',
          signingAlgorithm: 'ECDSA_SHA_256',
          caller: { accessKeyId: 'AKIA', principal: 'p' },
        },
      }),
      signers,
    );
    // The signature is good (node:crypto), so signing with session keys works.
    const sig = Buffer.from((signed.outputs.get(1) as SignResult).signature, 'base64');
    const point = secp256k1.Point.fromHex(publicKey).toBytes(false);
    const spki = createPublicKey({ key: Buffer.concat([Buffer.from(SPKI_PREFIX.secp256k1, 'hex'), point]), format: 'der', type: 'spki' });
    expect(verify('sha256', message, { key: spki, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
    // DKLs23 signing seals p2p frames too: its round-1 broadcasts carry the session keys.
    expect(
      signed.frames
        .filter((f) => f.data[1] === FRAME_SIGNED_WITH_KEY)
        .map((f) => f.from)
        .sort(),
    ).toEqual([1, 3]);
    for (const [who, partyId] of members) {
      const dkgAttack = attack(frames, identities.get(partyId)!, who);
      expect(dkgAttack.tried).toBeGreaterThan(0);
      expect(dkgAttack.opened).toBe(0);
      if (who !== 2) expect(attack(signed.frames, identities.get(partyId)!, who)).toEqual({ opened: 0, tried: expect.any(Number) });
    }
  });

  test('session keys differ in every session; FROST signing announces none', async () => {
    const seen: string[] = [];
    for (const frames of recorded.values())
      for (const f of frames) {
        const k = sessionKeyOf(f.data);
        if (k) seen.push(k);
      }
    expect(seen.length).toBeGreaterThanOrEqual(3 + 3 + 2);
    expect(new Set(seen).size).toBe(seen.length);
    const signed = await run(
      'frost-ed25519/sign',
      (session) => ({
        type: 'open',
        kind: 'sign',
        session,
        keyId: '10000000-0000-4000-8000-000000000001',
        signers: [1, 2],
        request: {
          message: Buffer.from('m').toString('base64'),
          messageType: 'RAW',
          signingAlgorithm: 'ED25519_SHA_512',
          caller: { accessKeyId: 'AKIA', principal: 'p' },
        },
      }),
      new Map([
        [1, 'party-1'],
        [2, 'party-2'],
      ]),
    );
    expect(signed.frames.length).toBeGreaterThan(0);
    expect(signed.frames.every((f) => f.to === 0 && f.data[1] === FRAME_SIGNED)).toBe(true);
  });

  test.each([
    [
      'replaced by the hub',
      (frame: Uint8Array) => {
        const out = Uint8Array.from(frame);
        out.set(new SessionKeys().publicKey, out.length - 64 - 4 - 32);
        return out;
      },
    ],
    [
      'stripped by the hub (sent as a plain signed broadcast)',
      (frame: Uint8Array) => {
        const [env, , sig] = splitLengthPrefixed(frame.subarray(2), 3);
        return Uint8Array.from([FRAME_VERSION, FRAME_SIGNED, ...lengthPrefixed(env!, sig!)]);
      },
    ],
  ])('a session key %s is refused: the altered frame is dropped, the DKG ends at its deadline, and no key exists', async (_, alter) => {
    const keyId = '10000000-0000-4000-8000-000000000003';
    tamper = (msg) => (msg.from === 2 && msg.data[1] === FRAME_SIGNED_WITH_KEY ? { ...msg, data: alter(msg.data) } : msg);
    try {
      const err = await shortRunner.run('frost-ed25519/dkg', members, dkg(keyId, 'ECC_NIST_EDWARDS25519', 'frost-ed25519', ['ED25519_SHA_512'])).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SessionFailed);
      // Nobody can be blamed for bytes that do not verify under the claimed sender's key: the
      // relay could have made them (docs/security.md "On every envelope").
      expect((err as SessionFailed).failure.kind).toBe('timeout');
    } finally {
      tamper = undefined;
    }
    for (const db of dbs) expect(new ShareStoreProbe(db).has(keyId)).toBe(false);
  });
});

/** Whether any row of a key exists in a party's database (no master key needed). */
class ShareStoreProbe {
  constructor(private readonly db: Database) {}
  has(keyId: string): boolean {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM shares WHERE key_id = ?').get(keyId) as { n: number }).n > 0;
  }
}
