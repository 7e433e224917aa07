// The offline splitter (protocols/import/split.ts, bundle.ts): the manifest is checked without
// reconstructing anything (Lagrange in the exponent over verification shares = the public key),
// the public key is the original key's as an independent library computes it, each bundle opens
// only with its party's identity key, and a tampered manifest or share is refused.
import { randomBytes } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { p256 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ed448 } from '@noble/curves/ed448.js';
import { bytesToHex, hexToBytes } from '../../../protocols/core/bytes.ts';
import {
  checkManifest,
  checkShare,
  importGroup,
  lagrangeAtZero,
  manifestHash as rehash,
  splitKey,
  type ImportManifest,
} from '../../../protocols/import/split.ts';
import { openBundle, sealBundle } from '../../../protocols/import/bundle.ts';
import { generateIdentity, publicIdentity } from '../../../services/transport/identity.ts';

const rng = (n: number) => new Uint8Array(randomBytes(n));
const ids = ['p1', 'p2', 'p3'].map((p) => generateIdentity(p));
const parties = ids.map(publicIdentity);

const CASES = [
  {
    spec: 'ECC_SECG_P256K1',
    secret: hexToBytes('ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'),
    pub: (s: Uint8Array) => secp256k1.getPublicKey(s, true),
  },
  { spec: 'ECC_NIST_P256', secret: p256.utils.randomSecretKey(), pub: (s: Uint8Array) => p256.getPublicKey(s, true) },
  { spec: 'ECC_NIST_EDWARDS25519', secret: ed25519.utils.randomSecretKey(), pub: (s: Uint8Array) => ed25519.getPublicKey(s) },
  { spec: 'ECC_NIST_EDWARDS448', secret: ed448.utils.randomSecretKey(), pub: (s: Uint8Array) => ed448.getPublicKey(s) },
];

describe.each(CASES)('import-split $spec', ({ spec, secret, pub }) => {
  const { manifest, shares } = splitKey({ keySpec: spec, secret, threshold: 2, parties, rng });

  test('the manifest public key is the original key; verification shares interpolate to it in the exponent', () => {
    expect(manifest.publicKey).toBe(bytesToHex(pub(secret)));
    const c = checkManifest(manifest);
    const g = importGroup(spec);
    for (const set of [
      [1, 2],
      [1, 3],
      [2, 3],
    ]) {
      const sum = set.map((j) => c.verificationShares.get(j)!.multiply(lagrangeAtZero(g.order, set, j))).reduce((a, b) => a.add(b));
      expect(sum.equals(c.publicKey)).toBe(true);
    }
  });

  test('each bundle opens only with its own party identity and checks against the manifest', () => {
    const c = checkManifest(manifest);
    for (let i = 1; i <= 3; i++) {
      const b = sealBundle(manifest, i, shares.get(i)!, rng);
      const me = ids[i - 1]!;
      const s = openBundle(manifest, b, { partyId: me.partyId, index: i, kexSecret: me.kexSecret, kexPublic: bytesToHex(me.kexPublic) });
      expect(() => checkShare(c, i, s)).not.toThrow();
      // Another party's key does not open it, even claiming the right index.
      const other = ids[i % 3]!;
      expect(() => openBundle(manifest, b, { partyId: b.partyId, index: i, kexSecret: other.kexSecret, kexPublic: bytesToHex(me.kexPublic) })).toThrow(
        /does not open/,
      );
      // A flipped bit in the box does not open.
      const flipped = { ...b, sealed: (b.sealed[0] === '0' ? '1' : '0') + b.sealed.slice(1) };
      expect(() => openBundle(manifest, flipped, { partyId: me.partyId, index: i, kexSecret: me.kexSecret, kexPublic: bytesToHex(me.kexPublic) })).toThrow(
        /does not open/,
      );
    }
  });

  test('a share that does not match its verification share is refused, naming the splitter', () => {
    const c = checkManifest(manifest);
    const wrong = shares.get(2)!;
    expect(() => checkShare(c, 1, wrong)).toThrow(/splitter made a bad share/);
  });

  test('a tampered manifest is refused', () => {
    const swapped: ImportManifest = { ...manifest, verificationShares: { ...manifest.verificationShares, '1': manifest.verificationShares['2']! } };
    expect(() => checkManifest(swapped)).toThrow(/hash does not match/);
    // Re-hashed by the tamperer: the commitments catch it.
    const { hash: _h, ...body } = swapped;
    void _h;
    expect(() => checkManifest({ ...swapped, hash: rehash(body) })).toThrow(/verification share 1 does not match/);
  });
});

test('an Ed25519 import splits the RFC 8032 secret scalar, not the seed', () => {
  const seed = ed25519.utils.randomSecretKey();
  const g = importGroup('ECC_NIST_EDWARDS25519');
  const s = g.scalarOf(seed);
  expect(bytesToHex(ed25519.Point.BASE.multiply(s).toBytes())).toBe(bytesToHex(ed25519.getPublicKey(seed)));
});

test('bad parameters are refused', () => {
  const secret = secp256k1.utils.randomSecretKey();
  expect(() => splitKey({ keySpec: 'RSA_2048', secret, threshold: 2, parties, rng })).toThrow(/cannot be imported/);
  expect(() => splitKey({ keySpec: 'ECC_SECG_P256K1', secret, threshold: 4, parties, rng })).toThrow(/t <= n/);
  expect(() => splitKey({ keySpec: 'ECC_SECG_P256K1', secret: new Uint8Array(32), threshold: 2, parties, rng })).toThrow(/0 < d < n/);
});
