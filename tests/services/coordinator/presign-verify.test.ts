// The gateway's one verification of a presigned ECDSA signature (services/coordinator/sign.ts,
// key-specs.ts verifyIssued): the signature combined from the signers' online shares is returned
// only if it verifies — OpenSSL for a RAW message under ECDSA_SHA_256, noble over the digest for a
// DIGEST — and a tampered share is never returned: the signer is named and the request is signed
// again with the full protocol. The presignature is made here from a known key (the gateway sees
// only its public record and the online shares, protocols/dkls23/presign.ts), so the test needs no
// DKG; the session runner is scripted per protocol.
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { p256 } from '@noble/curves/nist.js';
import { bytesToHex } from '@noble/curves/utils.js';
import { openDatabase, type Database } from '../../../services/storage/db.ts';
import { KeyRepository, type StoredKey } from '../../../services/storage/key-repository.ts';
import { sqliteKeyStore } from '../../../services/storage/gateway-store.ts';
import { Coordinator } from '../../../services/coordinator/coordinator.ts';
import { signerSetKey } from '../../../services/coordinator/presign-stock.ts';
import { KEY_SPECS, spkiDer, verifyIssued } from '../../../services/coordinator/key-specs.ts';
import type { SessionRunner } from '../../../services/coordinator/session-runner.ts';
import type { OpenSign } from '../../../services/control/messages.ts';
import type { Caller } from '../../../services/kms-api/key-service.ts';
import { presignatureRecord, presignatureShare, type DklsPresignature } from '../../../protocols/dkls23/presign.ts';
import type { DklsKeyShare } from '../../../protocols/dkls23/keyshare.ts';
import type { DklsCurveName } from '../../../protocols/dkls23/curve.ts';
import { storedKey } from '../../support/stored-key.ts';

const KEY = '11111111-2222-4333-8444-555555555555';
const PARTIES = ['party-1', 'party-2', 'party-3'];
const caller: Caller = { accessKeyId: 'AKIDEXAMPLE', principal: 'arn:aws:iam::111122223333:user/alice' };
const message = new TextEncoder().encode('pay 5 to bob');
const CURVES = { secp256k1: { noble: secp256k1, keySpec: 'ECC_SECG_P256K1' }, p256: { noble: p256, keySpec: 'ECC_NIST_P256' } } as const;

let dir: string;
let db: Database;
let logs: string[];
let opened: string[];
let refillsDuringRound: number;

function stored(keySpec: string, curve: DklsCurveName, publicKey: Uint8Array): StoredKey {
  return storedKey(KEY, { keySpec, protocol: `dkls23-${curve}`, parties: PARTIES, publicKey: bytesToHex(publicKey) });
}

/**
 * A 2-of-2 presignature of signers 1 and 2 for secret key sk, made directly: Σφ_i = φ,
 * Σu_i = k·φ, Σv_i = sk·φ, R = k·G (protocols/dkls23/presign.ts's invariants), as each signer holds it.
 */
function makePresignature(curve: DklsCurveName, sk: bigint): DklsPresignature[] {
  const { Point } = CURVES[curve].noble;
  const Fn = Point.Fn;
  const rand = () => Fn.create(BigInt('0x' + bytesToHex(CURVES[curve].noble.utils.randomSecretKey())));
  const k = rand();
  const phi1 = rand(),
    phi2 = rand();
  const phi = Fn.add(phi1, phi2);
  const u1 = rand(),
    v1 = rand();
  const u2 = Fn.sub(Fn.mul(k, phi), u1),
    v2 = Fn.sub(Fn.mul(sk, phi), v1);
  const hex = (x: bigint) => bytesToHex(Fn.toBytes(x));
  const pt = (x: bigint) => bytesToHex(Point.BASE.multiply(x).toBytes(true));
  const id = 'cd'.repeat(32);
  const publicKey = bytesToHex(Point.BASE.multiply(sk).toBytes(true));
  return [
    [1, phi1, u1, v1],
    [2, phi2, u2, v2],
  ].map(([self, ph, u, v]) => ({
    v: 1,
    curve,
    id,
    publicKey,
    dkgSessionId: 'ef'.repeat(32),
    signers: [1, 2],
    self: Number(self),
    R: pt(k),
    consumeId: `consume-${self}`,
    secret: { phi: hex(ph as bigint), u: hex(u as bigint), v: hex(v as bigint) },
    public: { index: Number(self), Phi: pt(ph as bigint), U: pt(u as bigint), V: pt(v as bigint) },
  }));
}

type Setup = {
  coordinator: Coordinator;
  spki: Uint8Array;
  fullSignature: () => Uint8Array;
  digestOf: (req: { messageType: string; message: Uint8Array }) => Uint8Array;
};

function setup(curve: DklsCurveName, tamper: boolean, messageType: 'RAW' | 'DIGEST'): Setup {
  const { noble, keySpec } = CURVES[curve];
  const secret = noble.utils.randomSecretKey();
  const sk = BigInt('0x' + bytesToHex(secret));
  const publicKey = noble.getPublicKey(secret, true);
  const keys = new KeyRepository(db);
  keys.insert(stored(keySpec, curve, publicKey));
  const presignatures = makePresignature(curve, sk);
  const digestOf = (req: { messageType: string; message: Uint8Array }) =>
    req.messageType === 'DIGEST' ? req.message : new Uint8Array(createHash('sha256').update(req.message).digest());
  const fullSignature = () => noble.sign(digestOf({ messageType, message: signed(messageType) }), secret, { prehash: false, lowS: true });
  const runner = {
    run: async (protocol: string, members: Map<number, string>, open: (session: string, index: number) => OpenSign) => {
      opened.push(protocol);
      if (protocol.endsWith('/presign')) throw new Error('no refills in this test');
      const indices = [...members.keys()];
      const opens = indices.map((i) => open('ab'.repeat(32), i));
      const req = opens[0]!.request;
      const digest = digestOf({ messageType: req.messageType, message: new Uint8Array(Buffer.from(req.message, 'base64')) });
      if (protocol.endsWith('/sign-presigned')) {
        // The one round takes a while; a refill must not start meanwhile (sign.ts).
        await new Promise((r) => setTimeout(r, 20));
        refillsDuringRound = opened.filter((p) => p.endsWith('/presign')).length;
        return new Map(
          indices.map((i) => {
            const p = presignatures.find((x) => x.self === i)!;
            const share = { curve, publicKey: p.publicKey, index: i } as unknown as DklsKeyShare;
            const out = presignatureShare({ presignature: p, share, sessionId: new Uint8Array(32), signers: [1, 2], digest });
            if (tamper && i === 2) out.w[31] = out.w[31]! ^ 1;
            return [i, { w: bytesToHex(out.w), u: bytesToHex(out.u), request: bytesToHex(out.request) }];
          }),
        );
      }
      // The full protocol's answer: a signature made with the key itself.
      return new Map(indices.map((i) => [i, { signature: Buffer.from(fullSignature()).toString('base64') }]));
    },
  } as unknown as SessionRunner;
  const coordinator = new Coordinator({
    keys: sqliteKeyStore(keys),
    runner,
    parties: PARTIES,
    isConnected: () => true,
    region: 'eu-west-1',
    accountId: '111122223333',
    presignStock: 16,
    log: (line) => logs.push(line),
  });
  const parts = presignatures.map((p) => ({ id: p.id, R: p.R, signers: p.signers, part: p.public }));
  coordinator.presigns.add(
    KEY,
    signerSetKey(
      new Map([
        [1, 'party-1'],
        [2, 'party-2'],
      ]),
    ),
    presignatureRecord(curve, bytesToHex(publicKey), parts),
  );
  return { coordinator, spki: spkiDer(KEY_SPECS[keySpec]!, publicKey), fullSignature, digestOf };
}

const signed = (messageType: 'RAW' | 'DIGEST') => (messageType === 'DIGEST' ? new Uint8Array(createHash('sha256').update(message).digest()) : message);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tutti-presign-verify-'));
  db = openDatabase(join(dir, 'keys.db'));
  logs = [];
  opened = [];
  refillsDuringRound = -1;
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** node:crypto over the message (both message types sign SHA-256(message) here). */
function verifiesWithNode(spki: Uint8Array, signature: Uint8Array): boolean {
  return nodeVerify('sha256', message, { key: createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }), dsaEncoding: 'der' }, signature);
}

describe.each([
  ['secp256k1', 'RAW', 'OpenSSL'],
  ['secp256k1', 'DIGEST', 'noble'],
  ['p256', 'RAW', 'OpenSSL'],
  ['p256', 'DIGEST', 'noble'],
] as const)('a presigned %s Sign, %s message (%s verifies)', (curve, messageType, _verifier) => {
  const sign = (s: Setup) => s.coordinator.sign({ keyId: KEY, message: signed(messageType), messageType, signingAlgorithm: 'ECDSA_SHA_256' }, caller);

  test('honest shares: one round, and the combined signature verifies with node:crypto', async () => {
    const s = setup(curve, false, messageType);
    const out = await sign(s);
    expect(opened.filter((p) => !p.endsWith('/presign'))).toEqual([`dkls23-${curve}/sign-presigned`]);
    expect(verifiesWithNode(s.spki, out.signature)).toBe(true);
    // The refill of the presignature just used starts once the round is over, not beside it.
    expect(refillsDuringRound).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(opened.filter((p) => p.endsWith('/presign')).length).toBeGreaterThan(0);
  });

  test('a tampered online share: the combined signature is not returned, the signer is named, the full protocol signs', async () => {
    const s = setup(curve, true, messageType);
    const out = await sign(s);
    expect(opened.filter((p) => !p.endsWith('/presign'))).toEqual([`dkls23-${curve}/sign-presigned`, `dkls23-${curve}/sign`]);
    expect(logs.some((l) => /the presigned shares do not verify \(the shares of 2 do not match/.test(l))).toBe(true);
    // What was returned is the full protocol's signature, and it verifies.
    const expected = CURVES[curve].noble.Signature.fromBytes(s.fullSignature(), 'compact').toBytes('der');
    expect(Buffer.from(out.signature).equals(Buffer.from(expected))).toBe(true);
    expect(verifiesWithNode(s.spki, out.signature)).toBe(true);
  });
});

describe('verifyIssued', () => {
  test.each(['secp256k1', 'p256'] as const)('%s: refuses a wrong, a high-S or a malformed signature on both paths', (curve) => {
    const { noble, keySpec } = CURVES[curve];
    const info = KEY_SPECS[keySpec]!;
    const secret = noble.utils.randomSecretKey();
    const spki = spkiDer(info, noble.getPublicKey(secret, true));
    const digest = new Uint8Array(createHash('sha256').update(message).digest());
    const sig = noble.Signature.fromBytes(noble.sign(digest, secret, { prehash: false, lowS: true }), 'compact');
    const der = sig.toBytes('der');
    const high = new noble.Signature(sig.r, noble.Point.Fn.ORDER - sig.s).toBytes('der');
    const other = noble.Signature.fromBytes(
      noble.sign(
        digest.map((b, i) => (i ? b : b ^ 1)),
        secret,
        { prehash: false },
      ),
      'compact',
    ).toBytes('der');
    for (const req of [
      { signingAlgorithm: 'ECDSA_SHA_256', messageType: 'RAW', message },
      { signingAlgorithm: 'ECDSA_SHA_256', messageType: 'DIGEST', message: digest },
    ]) {
      expect(verifyIssued(info, spki, req, der)).toBe(true);
      expect(verifyIssued(info, spki, req, high)).toBe(false);
      expect(verifyIssued(info, spki, req, other)).toBe(false);
      expect(verifyIssued(info, spki, req, der.subarray(1))).toBe(false);
    }
    // By now the key's point has precomputed tables (its second noble verification): same answers.
    const digestReq = { signingAlgorithm: 'ECDSA_SHA_256', messageType: 'DIGEST', message: digest };
    for (let i = 0; i < 2; i++) {
      expect(verifyIssued(info, spki, digestReq, der)).toBe(true);
      expect(verifyIssued(info, spki, digestReq, other)).toBe(false);
    }
  });
});
