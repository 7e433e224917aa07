// Base-field arithmetic of the DKLs23 curves in WebAssembly (vole.as.ts, an instance per curve
// whose modulus is the field prime p):
//   - secp256k1's variable-base products k·P (`ecMul`: Jacobian coordinates in Montgomery form,
//     signed odd 4-bit digits, every table entry read by masks), offered to native-ec.ts as the
//     default `ecdhX` and `mul` for secp256k1 where WebAssembly exists: the base OTs of the DKG
//     (each product of both sides) and the signers' k·P (scalar-mul.ts mulPoint). A host's own
//     installation (services/party/native-crypto.ts) still takes precedence per operation; noble
//     decodes every result again (on-curve check), as for any native-ec implementation;
//   - powers with a public exponent, many at once (`powMany`, both curves): hash-to-curve's
//     square roots (h2c.ts).
// For a scalar in [1, q) no step of ecMul's ladder adds two points with equal x: every prefix of
// the signed odd digits is a positive integer below q/16 before the last step (Joye–Tunstall
// recoding), so the degenerate flag is defensive; noble recomputes if it is ever set.
import type { DklsCurve } from '../curve.ts';
import { DKLS_CURVES } from '../curve.ts';
import { recodeOdd } from '../recode.ts';
import type { NativeEc } from '../native-ec.ts';
import { getLE, instantiate, kernelEnabled, kernelModule, putLE, setModulus, type Exports } from './module.ts';

const BASE = 65536;
const Q_AT = BASE;
const POINT_AT = Q_AT + 64; // after q and 2^512 mod q (module.ts setModulus)
const DIGITS_AT = POINT_AT + 64;
const OUT_AT = DIGITS_AT + 80;
const END = OUT_AT + 64;
/** powMany's buffers: the exponent, then the values in place. */
const EXP_AT = END;
const VALUES_AT = EXP_AT + 32;

class FieldKernel {
  private readonly x: Exports;
  private readonly p: bigint;

  constructor(
    module: object,
    private readonly curve: DklsCurve,
  ) {
    this.x = instantiate(module, END);
    this.p = curve.Point.Fp.ORDER;
    setModulus(this.x, Q_AT, this.p);
    this.x.fieldInit();
  }

  /** x^e mod p for every x (canonical field elements) and one public exponent e < 2^256. */
  powMany(xs: readonly bigint[], e: bigint): bigint[] {
    const need = VALUES_AT + 32 * xs.length;
    const have = this.x.memory.buffer.byteLength;
    if (need > have) this.x.memory.grow(Math.ceil((need - have) / 65536));
    putLE(this.x, EXP_AT, e);
    xs.forEach((x, i) => putLE(this.x, VALUES_AT + 32 * i, x));
    this.x.powMany(VALUES_AT, xs.length, EXP_AT, VALUES_AT);
    return xs.map((_, i) => getLE(this.x, VALUES_AT + 32 * i));
  }

  /** k·P as 65 uncompressed bytes, for a scalar k (32 bytes big-endian, 0 < k < q) and P uncompressed. */
  mul(kBytes: Uint8Array, point: Uint8Array): Uint8Array {
    const { Fn, Point } = this.curve;
    const k = Fn.fromBytes(kBytes);
    if (k === 0n || point.length !== 65 || point[0] !== 4) throw new RangeError('ec-kernel: a scalar in [1, q) and an uncompressed point');
    // recodeOdd needs k odd: for an even k use q − k (odd) and negate the result.
    const negate = (k & 1n) === 0n;
    const digits = recodeOdd(negate ? Fn.ORDER - k : k);
    const mem = new Uint8Array(this.x.memory.buffer);
    mem.set(point.subarray(1), POINT_AT);
    const d = new Int8Array(this.x.memory.buffer, DIGITS_AT, digits.length);
    for (let i = 0; i < digits.length; i++) d[i] = digits[i]!;
    const bad = this.x.ecMul(POINT_AT, DIGITS_AT, digits.length, OUT_AT);
    const out = new Uint8Array(65);
    out[0] = 4;
    out.set(mem.subarray(OUT_AT, OUT_AT + 64), 1);
    d.fill(0);
    this.x.wipe();
    // A degenerate step (≈ 2^-250 for a secret k): noble's generic product instead.
    if (bad) return Point.fromBytes(point).multiply(k).toBytes(false);
    if (negate) {
      const { Fp } = this.curve.Point;
      out.set(Fp.toBytes(Fp.neg(Fp.fromBytes(out.subarray(33)))), 33);
    }
    return out;
  }
}

const kernels = new Map<string, FieldKernel>();

/** The field kernel of this curve, or null where WebAssembly is unavailable (or turned off). */
export function fieldKernel(curve: DklsCurve): FieldKernel | null {
  if (!kernelEnabled()) return null;
  let k = kernels.get(curve.name);
  if (k) return k;
  const module = kernelModule();
  if (!module) return null;
  k = new FieldKernel(module, DKLS_CURVES[curve.name]);
  kernels.set(curve.name, k);
  return k;
}

/** The WebAssembly products for this curve (secp256k1 only: ecMul's doubling assumes a = 0), or undefined. */
export function wasmEc(curve: DklsCurve): NativeEc | undefined {
  if (curve.name !== 'secp256k1') return undefined;
  const k = fieldKernel(curve);
  if (!k) return undefined;
  return { mul: (s, point) => k.mul(s, point), ecdhX: (s, points) => points.map((p) => k.mul(s, p).subarray(1, 33)) };
}
