// RFC 9380 hash_to_curve for many messages at once, for the two suites the base OT uses
// (secp256k1_XMD:SHA-256_SSWU_RO_, §8.7, and P256_XMD:SHA-256_SSWU_RO_, §8.2) with our own DSTs.
// The output equals noble's `hashToCurve` point for point (tests check it on both curves); what
// differs is the cost: every field inversion of the N hashes (the x/tv4 of each simplified SWU
// map, the two denominators of secp256k1's 3-isogeny, the final Q0 + Q1) is shared through
// Montgomery's simultaneous inversion, and sqrt_ratio's exponentiation uses a short addition
// chain for (p+1)/4 instead of a generic power. The base-OT sender hashes 512 points per peer, so
// this halves the largest remaining cost of the DKG after the multiplications.
//
// Steps (RFC 9380 §3, §5, §6.6.2 with Appendix F.2 and F.2.1.2, §6.6.3 with Appendix E.1):
//   (u0, u1) = hash_to_field(msg, 2)  (expand_message_xmd, SHA-256, L = 48; the SHA-256 of
//              hash.ts, which a host may replace with its own)
//   Q_i = map_to_curve_simple_swu(u_i)  [secp256k1: on E' then through the 3-isogeny]
//   P = Q0 + Q1  (h = 1: clear_cofactor is the identity)
import { hash_to_field } from '@noble/curves/abstract/hash-to-curve.js';
import type { DklsCurve, Point } from './curve.ts';
import { fieldKernel } from './kernel/ec-kernel.ts';
import { sha256Chash } from './hash.ts';

type Suite = {
  p: bigint;
  A: bigint;
  B: bigint;
  Z: bigint;
  /** sqrt(−Z). */
  c2: bigint;
  /** x^((p+1)/4) by an addition chain. */
  powQuarter: (x: bigint) => bigint;
  /** secp256k1 3-isogeny E' → E: [xNum, xDen, yNum, yDen] coefficients, ascending degree. */
  iso?: [bigint[], bigint[], bigint[], bigint[]];
};

function sq(x: bigint, n: number, p: bigint): bigint {
  for (let i = 0; i < n; i++) x = (x * x) % p;
  return x;
}

/** secp256k1: (p+1)/4 = 2^254 − 2^30 − 244 (the chain of libsecp256k1 / noble's sqrtMod). */
function powQuarterK1(x: bigint, p: bigint): bigint {
  const b2 = (x * x * x) % p;
  const b3 = (b2 * b2 * x) % p;
  const b6 = (sq(b3, 3, p) * b3) % p;
  const b9 = (sq(b6, 3, p) * b3) % p;
  const b11 = (sq(b9, 2, p) * b2) % p;
  const b22 = (sq(b11, 11, p) * b11) % p;
  const b44 = (sq(b22, 22, p) * b22) % p;
  const b88 = (sq(b44, 44, p) * b44) % p;
  const b176 = (sq(b88, 88, p) * b88) % p;
  const b220 = (sq(b176, 44, p) * b44) % p;
  const b223 = (sq(b220, 3, p) * b3) % p;
  const t1 = (sq(b223, 23, p) * b22) % p;
  const t2 = (sq(t1, 6, p) * b2) % p;
  return sq(t2, 2, p);
}

/** P-256: (p+1)/4 = ((((2^32 − 1)·2^32 + 1)·2^96 + 1)·2^94. */
function powQuarterP256(x: bigint, p: bigint): bigint {
  const x2 = (sq(x, 1, p) * x) % p; // 2^2 − 1
  const x4 = (sq(x2, 2, p) * x2) % p; // 2^4 − 1
  const x8 = (sq(x4, 4, p) * x4) % p; // 2^8 − 1
  const x16 = (sq(x8, 8, p) * x8) % p; // 2^16 − 1
  const x32 = (sq(x16, 16, p) * x16) % p; // 2^32 − 1
  const b = (sq(x32, 32, p) * x) % p;
  const c = (sq(b, 96, p) * x) % p;
  return sq(c, 94, p);
}

const suites = new Map<string, Suite>();

function suiteOf(curve: DklsCurve): Suite {
  const known = suites.get(curve.name);
  if (known) return known;
  const Fp = curve.Point.Fp;
  const p = Fp.ORDER;
  let s: Suite;
  if (curve.name === 'secp256k1') {
    // RFC 9380 §8.7: E': y² = x³ + A'x + B' with A' = 0x3f87…4533, B' = 1771, Z = −11.
    const iso = [
      [
        '0x8e38e38e38e38e38e38e38e38e38e38e38e38e38e38e38e38e38e38daaaaa8c7',
        '0x7d3d4c80bc321d5b9f315cea7fd44c5d595d2fc0bf63b92dfff1044f17c6581',
        '0x534c328d23f234e6e2a413deca25caece4506144037c40314ecbd0b53d9dd262',
        '0x8e38e38e38e38e38e38e38e38e38e38e38e38e38e38e38e38e38e38daaaaa88c',
      ],
      ['0xd35771193d94918a9ca34ccbb7b640dd86cd409542f8487d9fe6b745781eb49b', '0xedadc6f64383dc1df7c4b2d51b54225406d36b641f5e41bbc52a56612a8c6d14', '0x1'],
      [
        '0x4bda12f684bda12f684bda12f684bda12f684bda12f684bda12f684b8e38e23c',
        '0xc75e0c32d5cb7c0fa9d0a54b12a0a6d5647ab046d686da6fdffc90fc201d71a3',
        '0x29a6194691f91a73715209ef6512e576722830a201be2018a765e85a9ecee931',
        '0x2f684bda12f684bda12f684bda12f684bda12f684bda12f684bda12f38e38d84',
      ],
      [
        '0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffff93b',
        '0x7a06534bb8bdb49fd5e9e6632722c2989467c1bfc8e8d978dfb425d2685c2573',
        '0x6484aa716545ca2cf3a70c3fa8fe337e0a3d21162f0d6299a7bf8192bfd2a76f',
        '0x1',
      ],
    ].map((row) => row.map((h) => BigInt(h))) as Suite['iso'];
    s = {
      p,
      A: 0x3f8731abdd661adca08a5558f0f5d272e953d363cb6f0e5d405447c01a444533n,
      B: 1771n,
      Z: p - 11n,
      c2: Fp.sqrt(11n),
      powQuarter: (x) => powQuarterK1(x, p),
      iso,
    };
  } else {
    // RFC 9380 §8.2: SSWU directly on P-256, Z = −10.
    const { a, b } = curve.Point.CURVE();
    s = { p, A: a, B: b, Z: p - 10n, c2: Fp.sqrt(10n), powQuarter: (x) => powQuarterP256(x, p) };
  }
  suites.set(curve.name, s);
  return s;
}

/** In-place batch inversion (Montgomery); zeros stay zero. */
function invertBatch(values: bigint[], p: bigint, inv: (x: bigint) => bigint): void {
  const n = values.length;
  const prefix = new Array<bigint>(n);
  let acc = 1n;
  for (let i = 0; i < n; i++) {
    prefix[i] = acc;
    if (values[i] !== 0n) acc = (acc * values[i]!) % p;
  }
  let t = inv(acc);
  for (let i = n - 1; i >= 0; i--) {
    const v = values[i]!;
    if (v === 0n) continue;
    values[i] = (t * prefix[i]!) % p;
    t = (t * v) % p;
  }
}

function horner(coeffs: bigint[], x: bigint, p: bigint): bigint {
  let acc = 0n;
  for (let i = coeffs.length - 1; i >= 0; i--) acc = (acc * x + coeffs[i]!) % p;
  return acc;
}

/** hash_to_curve(msgs[i], DST = dsts[i]) for every i, as noble's hasher would compute it. */
export function hashToCurveMany(curve: DklsCurve, msgs: readonly Uint8Array[], dsts: readonly string[]): Point[] {
  const s = suiteOf(curve);
  const { p, A, B, Z } = s;
  const Fp = curve.Point.Fp;
  const inv = (x: bigint) => Fp.inv(x);
  const n = msgs.length;
  const u: bigint[] = [];
  for (let i = 0; i < n; i++) {
    const [[u0], [u1]] = hash_to_field(msgs[i]!, 2, { DST: dsts[i]!, p, m: 1, k: 128, expand: 'xmd', hash: sha256Chash }) as [[bigint], [bigint]];
    u.push(u0, u1);
  }
  const m = u.length;
  // Simplified SWU, RFC 9380 Appendix F.2, up to sqrt_ratio's exponentiation.
  const tv1s = new Array<bigint>(m),
    tv3s = new Array<bigint>(m),
    tv4s = new Array<bigint>(m);
  const gu = new Array<bigint>(m),
    gv = new Array<bigint>(m),
    rt = new Array<bigint>(m),
    rtInv = new Array<bigint>(m);
  for (let j = 0; j < m; j++) {
    const uj = u[j]!;
    const tv1 = (Z * ((uj * uj) % p)) % p;
    let tv2 = (tv1 * tv1 + tv1) % p;
    const tv3 = (B * (tv2 + 1n)) % p;
    const tv4 = (A * (tv2 !== 0n ? p - tv2 : Z)) % p;
    tv2 = (tv3 * tv3) % p;
    let tv6 = (tv4 * tv4) % p;
    let tv5 = (A * tv6) % p;
    tv2 = (((tv2 + tv5) % p) * tv3) % p;
    tv6 = (tv6 * tv4) % p;
    tv5 = (B * tv6) % p;
    tv2 = (tv2 + tv5) % p;
    tv1s[j] = tv1;
    tv3s[j] = tv3;
    tv4s[j] = tv4;
    // sqrt_ratio(u = tv2, v = tv6), F.2.1.2: t = v²·(u·v); y1 = t^((p−3)/4)·(u·v) = t^((p+1)/4)/t·(u·v).
    gu[j] = tv2;
    gv[j] = tv6;
    const uv = (tv2 * tv6) % p;
    const t = (((tv6 * tv6) % p) * uv) % p;
    rt[j] = t;
    rtInv[j] = t;
  }
  invertBatch(rtInv, p, inv);
  // t^((p+1)/4) of every t at once in WebAssembly where it exists (kernel/ec-kernel.ts), else by
  // the addition chain per t.
  const powered = fieldKernel(curve)?.powMany(rt, (p + 1n) / 4n);
  const xn = new Array<bigint>(m),
    xd = new Array<bigint>(m),
    ys = new Array<bigint>(m);
  for (let j = 0; j < m; j++) {
    const uv = (gu[j]! * gv[j]!) % p;
    const t = rt[j]!;
    const root = powered ? powered[j]! : s.powQuarter(t);
    const y1 = t === 0n ? 0n : (((root * rtInv[j]!) % p) * uv) % p;
    const isQR = (((y1 * y1) % p) * gv[j]!) % p === gu[j]!;
    const y2 = (y1 * s.c2) % p;
    const uj = u[j]!;
    let x = (tv1s[j]! * tv3s[j]!) % p;
    let y = (((tv1s[j]! * uj) % p) * y2) % p;
    if (isQR) {
      x = tv3s[j]!;
      y = y1;
    }
    if ((uj & 1n) !== (y & 1n)) y = (p - y) % p;
    xn[j] = x;
    xd[j] = tv4s[j]!;
    ys[j] = y;
  }
  invertBatch(xd, p, inv);
  let X = xn.map((x, j) => (x * xd[j]!) % p);
  let Y = ys;
  if (s.iso) {
    // 3-isogeny E' → E (Appendix E.1): x = xNum/xDen, y = y'·yNum/yDen.
    const [xNum, xDen, yNum, yDen] = s.iso;
    const dens: bigint[] = [];
    for (let j = 0; j < m; j++) dens.push(horner(xDen, X[j]!, p), horner(yDen, X[j]!, p));
    if (dens.some((d) => d === 0n)) return fallback(curve, msgs, dsts);
    invertBatch(dens, p, inv);
    const X2 = new Array<bigint>(m),
      Y2 = new Array<bigint>(m);
    for (let j = 0; j < m; j++) {
      X2[j] = (horner(xNum, X[j]!, p) * dens[2 * j]!) % p;
      Y2[j] = (((Y[j]! * horner(yNum, X[j]!, p)) % p) * dens[2 * j + 1]!) % p;
    }
    X = X2;
    Y = Y2;
  }
  // P = Q0 + Q1 (affine).
  const den = new Array<bigint>(n);
  for (let i = 0; i < n; i++) den[i] = (X[2 * i + 1]! - X[2 * i]! + p) % p;
  if (den.some((d) => d === 0n)) return fallback(curve, msgs, dsts);
  invertBatch(den, p, inv);
  const out: Point[] = [];
  for (let i = 0; i < n; i++) {
    const x0 = X[2 * i]!,
      y0 = Y[2 * i]!,
      x1 = X[2 * i + 1]!,
      y1 = Y[2 * i + 1]!;
    const l = (((y1 - y0 + p) % p) * den[i]!) % p;
    const x3 = (l * l + 2n * p - x0 - x1) % p;
    const y3 = (l * (x0 - x3 + p) + p - y0) % p;
    out.push(curve.Point.fromAffine({ x: x3, y: y3 }));
  }
  return out;
}

/** Exceptional inputs (probability ~2^-256): noble, one message at a time. */
function fallback(curve: DklsCurve, msgs: readonly Uint8Array[], dsts: readonly string[]): Point[] {
  return msgs.map((msg, i) => curve.hasher.hashToCurve(msg, { DST: dsts[i]! }));
}
