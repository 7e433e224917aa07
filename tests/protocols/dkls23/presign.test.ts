// DKLs23 presignatures (protocols/dkls23/presign.ts): R1–R3 of signing run ahead without a
// message, then one online round. Every signature is checked by @noble and node:crypto; what a
// hostile coordinator or signer can do to the online round is refused or attributed.
import { describe, expect, test } from '@jest/globals';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ProtocolError } from '../../../protocols/core/errors.ts';
import {
  combinePresignedShares,
  createDklsPresign,
  presignatureRecord,
  presignatureRecordPart,
  presignatureShare,
  type DklsPresignature,
} from '../../../protocols/dkls23/presign.ts';
import type { DklsKeyShare } from '../../../protocols/dkls23/keyshare.ts';
import type { DklsCurveName } from '../../../protocols/dkls23/curve.ts';
import { outputsOf, simulate } from '../../support/simulator.ts';
import { testKey, type TestKeyName } from '../../support/dkls23-test-keys.ts';
import { hex, seededRng, sid } from './fixtures.ts';
import { expectValidSignature } from './session-fixtures.ts';

const NOBLE = { secp256k1, p256 } as const;
const enc = (s: string) => new TextEncoder().encode(s);

function presign(curve: DklsCurveName, shares: Map<number, DklsKeyShare>, signers: number[], label: string) {
  const sim = simulate(
    signers.map((p) => createDklsPresign({ curve, sessionId: sid(label), self: p, signers, share: shares.get(p)!, rng: seededRng(`${label}/${p}`) })),
  );
  const outputs = outputsOf(sim);
  expect(outputs.size).toBe(signers.length);
  return { sim, outputs };
}

function record(curve: DklsCurveName, publicKey: Uint8Array, outputs: Map<number, DklsPresignature>) {
  return presignatureRecord(curve, hex(publicKey), [...outputs.values()].map(presignatureRecordPart));
}

function online(
  outputs: Map<number, DklsPresignature>,
  shares: Map<number, DklsKeyShare>,
  signers: number[],
  digestOf: (p: number) => Uint8Array,
  opts: { context?: (p: number) => Uint8Array; tweak?: Uint8Array } = {},
) {
  return signers.map((p) =>
    presignatureShare({
      presignature: outputs.get(p)!,
      share: shares.get(p)!,
      sessionId: sid('online'),
      signers,
      digest: digestOf(p),
      ...(opts.context ? { context: opts.context(p) } : {}),
      ...(opts.tweak ? { tweak: opts.tweak } : {}),
    }),
  );
}

const CASES: [TestKeyName, number[]][] = [
  ['secp256k1-2of3', [1, 3]],
  ['p256-2of3', [2, 3]],
  ['secp256k1-3of5', [1, 2, 5]],
];

describe.each(CASES)('presignatures, key %s, signers %j', (name, signers) => {
  const key = testKey(name);
  const { curve } = key;

  test('presign, then one online round: the signature verifies (@noble, node:crypto, recovery id)', () => {
    const { sim, outputs } = presign(curve, key.shares, signers, `presign/${name}`);
    // The presign session consumes its nonce before R3 leaves, exactly like a signing session.
    expect(sim.durables.length).toBe(signers.length);
    const rec = record(curve, key.publicKey, outputs);
    const message = enc(`presigned ${name}`);
    const answers = online(outputs, key.shares, signers, () => sha256(message));
    const out = combinePresignedShares({ record: rec, digest: sha256(message), answers });
    expectValidSignature(curve, message, out, key.publicKey);
    // Re-randomized (Groth–Shoup): the signature's r is not x(R) of the presignature.
    expect(hex(out.signature.subarray(0, 32))).not.toBe(rec.R.slice(2));
    // Every secret part is spent; the outcome kept by the session holds none.
    for (const p of outputs.values()) expect(p.secret).toBeNull();
  });
});

describe('presignatures: misuse', () => {
  const key = testKey('secp256k1-2of3');
  const { curve } = key;
  const signers = [1, 2];
  const digest = sha256(enc('the message'));

  test('signers given different digests, or enforcing different policy agreements, abort at aggregation', () => {
    const a = presign(curve, key.shares, signers, 'mismatch-digest');
    const answersA = online(a.outputs, key.shares, signers, (p) => (p === 1 ? digest : sha256(enc('another'))));
    expect(() => combinePresignedShares({ record: record(curve, key.publicKey, a.outputs), digest, answers: answersA })).toThrow(
      expect.objectContaining({ kind: 'bad-parameters' }),
    );
    const b = presign(curve, key.shares, signers, 'mismatch-context');
    const answersB = online(b.outputs, key.shares, signers, () => digest, { context: (p) => enc(`revision ${p}`) });
    expect(() => combinePresignedShares({ record: record(curve, key.publicKey, b.outputs), digest, answers: answersB })).toThrow(
      expect.objectContaining({ kind: 'bad-parameters' }),
    );
  });

  test('a presignature yields one online share: the second request is refused (nonce-reuse)', () => {
    const { outputs } = presign(curve, key.shares, signers, 'reuse');
    online(outputs, key.shares, signers, () => digest);
    expect(() => online(outputs, key.shares, signers, () => sha256(enc('second')))).toThrow(expect.objectContaining({ kind: 'nonce-reuse' }));
    // A failed request spends it too: the secret part is emptied before anything is checked.
    const again = presign(curve, key.shares, signers, 'reuse-after-bad');
    expect(() => online(again.outputs, key.shares, [1, 3], () => digest)).toThrow(expect.objectContaining({ kind: 'bad-parameters' }));
    expect(() => online(again.outputs, key.shares, signers, () => digest)).toThrow(expect.objectContaining({ kind: 'nonce-reuse' }));
  });

  test('a presignature signs only for its key and signer set', () => {
    const { outputs } = presign(curve, key.shares, signers, 'other-key');
    const other = testKey('secp256k1-2of4');
    expect(() => presignatureShare({ presignature: outputs.get(1)!, share: other.shares.get(1)!, sessionId: sid('x'), signers, digest })).toThrow(
      expect.objectContaining({ kind: 'bad-parameters' }),
    );
  });

  test('a tampered online share names its sender', () => {
    for (const [victim, field] of [
      [2, 'w'],
      [1, 'u'],
    ] as const) {
      const { outputs } = presign(curve, key.shares, signers, `tamper-${victim}-${field}`);
      const answers = online(outputs, key.shares, signers, () => digest);
      const a = answers.find((x) => x.index === victim)!;
      const tampered = Uint8Array.from(a[field]);
      tampered[31]! ^= 1;
      a[field] = tampered;
      let err: unknown;
      try {
        combinePresignedShares({ record: record(curve, key.publicKey, outputs), digest, answers });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ProtocolError);
      expect({ kind: (err as ProtocolError).kind, culprits: (err as ProtocolError).culprits }).toEqual({ kind: 'invalid-signature', culprits: [victim] });
    }
  });

  test('signers reporting different presignatures are caught before any online round', () => {
    const a = presign(curve, key.shares, signers, 'report-a');
    const b = presign(curve, key.shares, signers, 'report-b');
    expect(() => presignatureRecord(curve, hex(key.publicKey), [presignatureRecordPart(a.outputs.get(1)!), presignatureRecordPart(b.outputs.get(2)!)])).toThrow(
      expect.objectContaining({ kind: 'bad-parameters', culprits: [2] }),
    );
  });

  test('an additive tweak (HD child key) is bound into δ: the signature verifies under pk + t·G only', () => {
    const { outputs } = presign(curve, key.shares, signers, 'tweak');
    const t = sha256(enc('child 7'));
    t[0] = 0; // below q
    const answers = online(outputs, key.shares, signers, () => digest, { tweak: t });
    const out = combinePresignedShares({ record: record(curve, key.publicKey, outputs), digest, answers, tweak: t });
    const noble = NOBLE[curve];
    const child = noble.Point.fromBytes(key.publicKey)
      .add(noble.Point.BASE.multiply(BigInt('0x' + hex(t))))
      .toBytes(true);
    expect(noble.verify(out.signature, digest, child, { prehash: false, lowS: true })).toBe(true);
    expect(noble.verify(out.signature, digest, key.publicKey, { prehash: false, lowS: true })).toBe(false);
  });

  test('a presign session is not a signing session: sessions of the two kinds do not talk', () => {
    // Different protocol names: every final session id, VOLE id and consumed id differs.
    const { outputs } = presign(curve, key.shares, signers, 'domain');
    expect(outputs.get(1)!.id).toMatch(/^[0-9a-f]{64}$/);
    expect(outputs.get(1)!.consumeId).not.toBe(outputs.get(2)!.consumeId);
  });
});
