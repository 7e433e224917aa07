// Step 1 of the DKLs23 building blocks: unambiguous hashing, hash commitments, Schnorr DLog proofs,
// Feldman commitments and Lagrange coefficients, strict codecs. Known answers plus negative tests.
import { describe, test, expect } from '@jest/globals';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { ProtocolError } from '../../../protocols/core/errors.ts';
import { concatBytes, utf8ToBytes } from '../../../protocols/core/bytes.ts';
import { LABELS } from '../../../protocols/core/labels.ts';
import { hashToScalars, tagged } from '../../../protocols/dkls23/hash.ts';
import { commit, openCommitment } from '../../../protocols/dkls23/commit.ts';
import { proveDlog, verifyDlog, type DlogContext } from '../../../protocols/dkls23/dlog.ts';
import { decodePoint, decodeScalar, encodePoint, fromHex, Reader } from '../../../protocols/dkls23/codec.ts';
import {
  checkCommitmentLength,
  commitPolynomial,
  evalCommitment,
  evalPolynomial,
  lagrangeAtZero,
  randomPolynomial,
  sumCommitments,
  verifyFeldmanShare,
} from '../../../protocols/dkls23/feldman.ts';
import { randomScalar } from '../../../protocols/dkls23/random.ts';
import { CURVES, flip, hex, seededRng, sid } from './fixtures.ts';
import { checkKat } from './kat.ts';

const be32 = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
};

describe('tagged hash', () => {
  test('is SHA-256 over u32-length-prefixed label and parts (independent re-encoding)', () => {
    const label = 'test/label';
    const a = utf8ToBytes('ab'),
      b = utf8ToBytes('c');
    const manual = concatBytes(be32(label.length), utf8ToBytes(label), be32(2), a, be32(1), b);
    expect(hex(tagged(label, a, b))).toBe(hex(sha256(manual)));
  });

  test('different splits of the same bytes hash differently', () => {
    const l = 'test/label';
    expect(hex(tagged(l, utf8ToBytes('ab'), utf8ToBytes('c')))).not.toBe(hex(tagged(l, utf8ToBytes('a'), utf8ToBytes('bc'))));
    expect(hex(tagged(l, utf8ToBytes('abc')))).not.toBe(hex(tagged(l, utf8ToBytes('ab'), utf8ToBytes('c'))));
    expect(hex(tagged('test/a', utf8ToBytes('b')))).not.toBe(hex(tagged('test/ab')));
  });

  test('every label is distinct', () => {
    const values = Object.values(LABELS);
    expect(new Set(values).size).toBe(values.length);
  });

  test.each(CURVES)('hashToScalars on %s: wide reduction of SHA-256(seed ‖ 2k) ‖ SHA-256(seed ‖ 2k+1)', (_, curve) => {
    const [s0, s1] = hashToScalars(curve, 2, 'test/h2s', utf8ToBytes('x'));
    const seed = tagged('test/h2s', utf8ToBytes('x'));
    const wide = (k: number) => bytesToNumberBE(concatBytes(sha256(concatBytes(seed, be32(2 * k))), sha256(concatBytes(seed, be32(2 * k + 1)))));
    expect(s0).toBe(wide(0) % curve.Fn.ORDER);
    expect(s1).toBe(wide(1) % curve.Fn.ORDER);
  });
});

describe.each(CURVES)('codec on %s', (_, curve) => {
  const P = curve.Point;
  const good = P.BASE.multiply(5n).toBytes(true);

  test('accepts a compressed point, rejects everything else naming the sender', () => {
    expect(decodePoint(curve, good, 'p').equals(P.BASE.multiply(5n))).toBe(true);
    const cases: Uint8Array[] = [
      P.BASE.multiply(5n).toBytes(false), // uncompressed
      good.subarray(0, 32), // truncated
      concatBytes(good, Uint8Array.of(0)), // oversized
      Uint8Array.of(4, ...good.subarray(1)), // wrong prefix
      Uint8Array.of(2, ...new Uint8Array(32).fill(0xff)), // x ≥ p
      new Uint8Array(33), // the "zero" encoding
    ];
    // An x with no y on the curve.
    for (let x = 1; ; x++) {
      const b = new Uint8Array(33);
      b[0] = 2;
      b[32] = x;
      try {
        P.fromBytes(b);
      } catch {
        cases.push(b);
        break;
      }
    }
    for (const c of cases) {
      expect(() => decodePoint(curve, c, 'p', [3])).toThrow(ProtocolError);
      try {
        decodePoint(curve, c, 'p', [3]);
      } catch (e) {
        expect((e as ProtocolError).culprits).toEqual([3]);
        expect((e as ProtocolError).kind).toBe('malformed');
      }
    }
  });

  test('scalars must be 32 bytes and below q', () => {
    const q = curve.Fn.ORDER;
    expect(decodeScalar(curve, curve.Fn.toBytes(q - 1n), 's')).toBe(q - 1n);
    const qBytes = new Uint8Array(32);
    for (let k = 0; k < 32; k++) qBytes[k] = Number((q >> BigInt(8 * (31 - k))) & 0xffn);
    expect(() => decodeScalar(curve, qBytes, 's', [2])).toThrow(/below the group order/);
    expect(() => decodeScalar(curve, new Uint8Array(31), 's', [2])).toThrow(/expected 32/);
  });

  test('fromHex takes lowercase even-length hex only', () => {
    expect(hex(fromHex('00ff10a9'))).toBe('00ff10a9');
    for (const bad of ['0G', 'AB', 'abc', 'zz', '0\u0100', ' 0']) expect(() => fromHex(bad)).toThrow(/not lowercase hex/);
  });

  test('Reader refuses truncated and oversized payloads', () => {
    const r = new Reader(curve, concatBytes(good, Uint8Array.of(1)), 'msg', [4]);
    r.point('a');
    expect(() => r.end()).toThrow(/oversized/);
    expect(() => new Reader(curve, good.subarray(0, 10), 'msg', [4]).point('a')).toThrow(/truncated/);
  });
});

describe.each(CURVES)('commitments, DLog proofs and Feldman VSS on %s', (name, curve) => {
  const ctx: DlogContext = { label: LABELS.dkls23DkgCoefficientProof, sid: sid('dlog'), party: 2, index: 1 };

  test('known answers', () => {
    const rng = seededRng(`dkls23-kat/primitives/${name}`);
    const x = randomScalar(curve, rng);
    const proof = proveDlog(curve, ctx, x, rng);
    const r = rng(32);
    const c = commit(LABELS.dkls23DkgCommitment, sid('commit'), 3, [utf8ToBytes('message')], r);
    const poly = randomPolynomial(curve, 3, rng);
    const F = commitPolynomial(curve, poly);
    // The relations the answers must satisfy, checked independently of the stored file.
    expect(verifyDlog(curve, ctx, curve.Point.BASE.multiply(x), proof)).toBe(true);
    const L = LABELS.dkls23DkgCommitment;
    const lp = (b: Uint8Array) => concatBytes(be32(b.length), b);
    expect(hex(c)).toBe(hex(sha256(concatBytes(lp(utf8ToBytes(L)), lp(sid('commit')), lp(Uint8Array.of(3)), lp(utf8ToBytes('message')), lp(r)))));
    for (const i of [1, 2, 3, 4]) expect(verifyFeldmanShare(curve, F, BigInt(i), evalPolynomial(curve, poly, BigInt(i)))).toBe(true);
    checkKat(`primitives-${name}`, {
      rngSeed: `dkls23-kat/primitives/${name}`,
      dlog: { label: ctx.label, sid: hex(ctx.sid), party: ctx.party, index: ctx.index, x: hex(curve.Fn.toBytes(x)), proof: hex(proof) },
      commitment: { label: LABELS.dkls23DkgCommitment, sid: hex(sid('commit')), party: 3, message: 'message', randomness: hex(r), commitment: hex(c) },
      feldman: {
        coefficients: poly.map((a) => hex(curve.Fn.toBytes(a))),
        commitment: F.map((p) => hex(encodePoint(p))),
        shares: [1, 2, 3, 4].map((i) => hex(curve.Fn.toBytes(evalPolynomial(curve, poly, BigInt(i))))),
      },
      lagrange: { set: [1, 3, 4], coefficients: [1, 3, 4].map((i) => hex(curve.Fn.toBytes(lagrangeAtZero(curve, [1, 3, 4], i)))) },
    });
  });

  test('commitment opens only with the same session, party, message and randomness', () => {
    const r = new Uint8Array(32).fill(7);
    const L = LABELS.dkls23SignCommitment;
    const c = commit(L, sid('c'), 1, [utf8ToBytes('m')], r);
    expect(openCommitment(L, sid('c'), 1, [utf8ToBytes('m')], r, c)).toBe(true);
    expect(openCommitment(L, sid('c'), 1, [utf8ToBytes('m')], flip(r, 0), c)).toBe(false);
    expect(openCommitment(L, sid('c'), 1, [utf8ToBytes('n')], r, c)).toBe(false);
    expect(openCommitment(L, sid('c'), 2, [utf8ToBytes('m')], r, c)).toBe(false);
    expect(openCommitment(L, sid('d'), 1, [utf8ToBytes('m')], r, c)).toBe(false);
    expect(openCommitment(LABELS.dkls23DkgCommitment, sid('c'), 1, [utf8ToBytes('m')], r, c)).toBe(false);
    expect(openCommitment(L, sid('c'), 1, [utf8ToBytes('m')], r.subarray(0, 31), c)).toBe(false);
    expect(() => commit(L, sid('c'), 1, [], new Uint8Array(16))).toThrow();
  });

  test('DLog proof verifies, and only for its statement and context', () => {
    const rng = seededRng('dlog');
    const x = randomScalar(curve, rng);
    const X = curve.Point.BASE.multiply(x);
    const proof = proveDlog(curve, ctx, x, rng);
    expect(verifyDlog(curve, ctx, X, proof)).toBe(true);
    expect(verifyDlog(curve, ctx, X.add(curve.Point.BASE), proof)).toBe(false);
    expect(verifyDlog(curve, { ...ctx, party: 3 }, X, proof)).toBe(false);
    expect(verifyDlog(curve, { ...ctx, index: 2 }, X, proof)).toBe(false);
    expect(verifyDlog(curve, { ...ctx, sid: sid('other') }, X, proof)).toBe(false);
    expect(verifyDlog(curve, { ...ctx, label: LABELS.dkls23DkgShareProof }, X, proof)).toBe(false);
    expect(verifyDlog(curve, ctx, X, flip(proof, 64))).toBe(false);
    expect(verifyDlog(curve, ctx, X, flip(proof, 5))).toBe(false);
    expect(verifyDlog(curve, ctx, X, proof.subarray(0, 64))).toBe(false);
    expect(verifyDlog(curve, ctx, X, new Uint8Array(65))).toBe(false);
  });

  test('Feldman: shares verify, a wrong share or wrong-length commitment does not pass', () => {
    const rng = seededRng('feldman');
    const t = 3;
    const poly = randomPolynomial(curve, t, rng);
    const F = commitPolynomial(curve, poly);
    for (const i of [1, 2, 5]) expect(verifyFeldmanShare(curve, F, BigInt(i), evalPolynomial(curve, poly, BigInt(i)))).toBe(true);
    expect(verifyFeldmanShare(curve, F, 1n, curve.Fn.add(evalPolynomial(curve, poly, 1n), 1n))).toBe(false);
    expect(evalCommitment(curve, F, 0n).equals(curve.Point.BASE.multiply(poly[0]!))).toBe(true);
    // Threshold raising (ToB, Feb 2024; TOB-SILA-1): a t+1 vector is refused, as is t−1.
    expect(() => checkCommitmentLength([...F, F[0]], t, 4)).toThrow(expect.objectContaining({ kind: 'invalid-commitment', culprits: [4] }));
    expect(() => checkCommitmentLength(F.slice(1), t, 4)).toThrow(/expected 3/);
    // TOB-SILA-3: an empty polynomial is an error, not a crash or a pass.
    expect(() => evalCommitment(curve, [], 1n)).toThrow(ProtocolError);
    expect(() => sumCommitments(curve, [F, F.slice(1)])).toThrow(ProtocolError);
    // Fixed constant term (refresh, zero-constant polynomials).
    expect(randomPolynomial(curve, 2, rng, 0n)[0]).toBe(0n);
  });

  test('Lagrange coefficients interpolate f(0) from any t shares', () => {
    const rng = seededRng('lagrange');
    const poly = randomPolynomial(curve, 3, rng);
    for (const set of [
      [1, 2, 3],
      [2, 4, 5],
      [1, 3, 5, 7],
    ]) {
      const f0 = set.reduce((acc, i) => curve.Fn.add(acc, curve.Fn.mul(lagrangeAtZero(curve, set, i), evalPolynomial(curve, poly, BigInt(i)))), 0n);
      expect(f0).toBe(poly[0]);
    }
    expect(() => lagrangeAtZero(curve, [1, 1, 2], 1)).toThrow();
    expect(() => lagrangeAtZero(curve, [1, 2], 3)).toThrow();
  });
});
