// Random vector OLE from OT extension: DKLs23 Protocol 5.2 (Functionality 3.5), non-interactive
// check as in DKLs23 §5.1. Two messages, receiver first:
//
//   Bob (receiver)  picks β ∈ {0,1}^ξ, so his VOLE input is χ = ⟨g, β⟩ for the public gadget g;
//                   runs the SoftSpokenOT receiver with choice bits β (message 1).
//   Alice (sender)  has inputs a ∈ Z_q^ℓ and one random check column â. Per row i the extension
//                   gives her pads γ⁰_i = H(i, q_i), γ¹_i = H(i, q_i ⊕ Δ) ∈ Z_q^(ℓ+1), and Bob
//                   γ^{β_i}_i = H(i, t_i). She sends ã_i = γ⁰_i − γ¹_i + (a, â) and keeps z^A_i = −γ⁰_i;
//                   Bob sets z^B_i = γ^{β_i}_i + β_i·ã_i, so that z^A_i + z^B_i = β_i·(a, â).
//                   Fiat–Shamir θ = H(ã) ∈ Z_q^ℓ; she sends η = â + ⟨θ, a⟩ and
//                   μ = H(μ_1 … μ_ξ) with μ_i = z^A_{i,â} + ⟨θ, z^A_{i,a}⟩ (message 2).
//   Bob             checks μ against μ'_i = β_i·η − (z^B_{i,â} + ⟨θ, z^B_{i,a}⟩); a mismatch means
//                   Alice used different inputs in different rows, and she is banned (selective
//                   failure on β would otherwise leak χ).
//   Outputs         c = Σ_i g_i·z^A_i (Alice), d = Σ_i g_i·z^B_i (Bob), so c + d = a·χ.
//
// ξ = κ + 2s = 512 rows: with β uniform, χ is within 2^-128 of uniform even after a cheating
// Alice has learnt up to s bits of β by provoking aborts (leftover hash lemma, DKLs19 §3).
// The gadget is fully hash-derived (research notes §1.4 "hash-derived gadget vector g").
import { LABELS } from '../core/labels.ts';
import { ProtocolError } from '../core/errors.ts';
import { equalBytes } from '../core/bytes.ts';
import type { Rng } from '../core/session.ts';
import type { DklsCurve } from './curve.ts';
import { hashToScalars, tagged } from './hash.ts';
import { gadget } from './gadget.ts';
import { voleKernel } from './kernel/vole-kernel.ts';
import { sha256Short } from './sha256-block.ts';
import { chacha20 } from './chacha20.ts';
import { banError } from './errors.ts';
import { getBit } from './bits.ts';
import { randomBytes, randomScalar } from './random.ts';
import { OTE_CHOICE_BYTES, OTE_MESSAGE_BYTES, oteReceive, oteSend, type OteSenderSeeds } from './softspoken.ts';
import { OTE_COLUMN_BYTES, XI } from './params.ts';

const SCALAR = 32;

/** Alice's message: ã (ξ × (ℓ+1) scalars) ‖ η ‖ μ. */
export function voleSenderMessageBytes(ell: number): number {
  return XI * (ell + 1) * SCALAR + SCALAR + 32;
}
export const VOLE_RECEIVER_MESSAGE_BYTES = OTE_MESSAGE_BYTES;
export { gadget };

/** P: the first 16 bytes of H(label, sid), the session's prefix of every row-hash input. */
function rowPrefix(sid: Uint8Array): Uint8Array {
  return tagged(LABELS.dkls23OteRowHash, sid).subarray(0, 16);
}

/**
 * The random-OT pads of row i: a correlation-robust hash of (session, i, row) stretched to ℓ+1
 * scalars. key_i = SHA-256(P ‖ u16 i ‖ row) with P = the first 16 bytes of H(label, sid) (fixed
 * lengths: 50 bytes, one compression), then ChaCha20(key_i) gives 48 bytes per scalar, reduced
 * mod q (bias below 2^-128).
 */
class RowPads {
  private readonly input = new Uint8Array(50);
  private readonly key = new Uint8Array(32);
  private readonly stream: Uint8Array;
  private readonly stream32: Uint32Array;
  private readonly view: DataView;
  private static readonly NONCE = new Uint8Array(12);

  constructor(
    private readonly curve: DklsCurve,
    sid: Uint8Array,
    private readonly width: number,
  ) {
    this.input.set(rowPrefix(sid), 0);
    this.stream = new Uint8Array(48 * width);
    this.stream32 = new Uint32Array(this.stream.buffer);
    this.view = new DataView(this.stream.buffer);
  }

  pads(i: number, rows: Uint8Array, rowOffset: number, xorMask: Uint8Array | null, out: bigint[], outOffset = 0): void {
    const { input, key, view } = this;
    input[16] = i >>> 8;
    input[17] = i & 0xff;
    for (let k = 0; k < OTE_COLUMN_BYTES; k++) input[18 + k] = rows[rowOffset + k]! ^ (xorMask ? xorMask[k]! : 0);
    // SHA-256 of the 50-byte input in one compression, without a call into node:crypto.
    sha256Short(input, key);
    chacha20(key, 0, RowPads.NONCE, 0, this.stream, 0, this.stream.length, this.stream32);
    const q = this.curve.Fn.ORDER;
    for (let k = 0, o = 0; k < this.width; k++, o += 48) {
      // The 48 bytes at o, big-endian, as three 128-bit halves (fewer intermediate bigints than readUintBE).
      const hi = (view.getBigUint64(o) << 64n) | view.getBigUint64(o + 8);
      const mid = (view.getBigUint64(o + 16) << 64n) | view.getBigUint64(o + 24);
      const lo = (view.getBigUint64(o + 32) << 64n) | view.getBigUint64(o + 40);
      out[outOffset + k] = ((hi << 256n) | (mid << 128n) | lo) % q;
    }
  }
}

const MASK64 = 0xffffffffffffffffn;
/** s < 2^256 as 32 big-endian bytes at `offset` of the view (as codec.ts writeScalarBE, on one view). */
function putScalar(view: DataView, offset: number, s: bigint): void {
  view.setBigUint64(offset + 24, s & MASK64);
  view.setBigUint64(offset + 16, (s >> 64n) & MASK64);
  view.setBigUint64(offset + 8, (s >> 128n) & MASK64);
  view.setBigUint64(offset, s >> 192n);
}

/**
 * A multiple of q above every row sum z_{i,â} + ⟨θ, z_{i,a}⟩ whose terms are below 2q (θ_k < q):
 * (bias − sum) is then non-negative and one `% q` gives −sum mod q.
 */
function sumBias(q: bigint, ell: number): bigint {
  return q * q * BigInt(2 * (ell + 1));
}

function checkEll(ell: number): void {
  if (!Number.isInteger(ell) || ell < 1 || ell > 8) throw new RangeError(`VOLE width ${ell}`);
}

export type VoleReceiverState = {
  /** β: ξ bits. */
  choices: Uint8Array;
  /** t_i for i < ξ. */
  rows: Uint8Array;
};

/** Bob, message 1. Returns χ = ⟨g, β⟩, his input to the VOLE. */
export function voleReceive(curve: DklsCurve, sid: Uint8Array, seeds: Uint8Array, rng: Rng): { message: Uint8Array; state: VoleReceiverState; chi: bigint } {
  const { Fn } = curve;
  const choices = randomBytes(rng, OTE_CHOICE_BYTES);
  const g = gadget(curve);
  // Σ g_i·β_i summed unreduced (a product with the bit, not a branch on it), reduced once.
  let sum = 0n;
  for (let i = 0; i < XI; i++) sum += g[i]! * BigInt(getBit(choices, i));
  const chi = Fn.create(sum);
  const { message, rows } = oteReceive(sid, seeds, choices, rng);
  return { message, state: { choices, rows }, chi };
}

/** η = â + ⟨θ, a⟩: Alice's inputs α = (a, â) folded by the challenges. */
function foldEta(curve: DklsCurve, alpha: readonly bigint[], theta: readonly bigint[]): bigint {
  const { Fn } = curve;
  const ell = alpha.length - 1;
  let e = alpha[ell]!;
  for (let k = 0; k < ell; k++) e = Fn.add(e, Fn.mul(theta[k]!, alpha[k]!));
  return e;
}

/**
 * Alice, message 2: checks Bob's OT-extension message (ban of `receiver` on failure), and
 * returns her message and her shares c (c_k + d_k = a_k·χ).
 */
export function voleSend(
  curve: DklsCurve,
  sid: Uint8Array,
  own: OteSenderSeeds,
  receiverMessage: Uint8Array,
  inputs: readonly bigint[],
  rng: Rng,
  receiver: number,
): { message: Uint8Array; shares: bigint[] } {
  const { Fn } = curve;
  const ell = inputs.length;
  checkEll(ell);
  const width = ell + 1;
  const { rows, delta } = oteSend(sid, own, receiverMessage, receiver);
  const alpha = [...inputs.map((a) => Fn.create(a)), randomScalar(curve, rng)];
  const message = new Uint8Array(voleSenderMessageBytes(ell));
  const aTildeEnd = XI * width * SCALAR;
  const q = Fn.ORDER;
  const kernel = voleKernel(curve);
  if (kernel) {
    // The same rows in WebAssembly (kernel/vole-kernel.ts): ã into the message, Σ g_i·γ⁰_{i,k} back.
    const sums = kernel.senderRows(rowPrefix(sid), rows, delta, alpha, message);
    const theta = hashToScalars(curve, ell, LABELS.dkls23VoleTheta, sid, message.subarray(0, aTildeEnd));
    message.set(Fn.toBytes(foldEta(curve, alpha, theta)), aTildeEnd);
    message.set(tagged(LABELS.dkls23VoleMu, sid, kernel.senderMu(theta, width)), aTildeEnd + SCALAR);
    return { message, shares: sums.map((c) => (q - c) % q) };
  }
  const messageView = new DataView(message.buffer);
  // γ⁰_i is kept as it is and z^A_i = −γ⁰_i enters μ and c by subtraction below: the same
  // values mod q without a negation (a reduction) per pad.
  const g0: bigint[] = new Array<bigint>(XI * width);
  const hasher = new RowPads(curve, sid, width);
  const g1: bigint[] = new Array<bigint>(width);
  for (let i = 0; i < XI; i++) {
    hasher.pads(i, rows, OTE_COLUMN_BYTES * i, null, g0, i * width);
    hasher.pads(i, rows, OTE_COLUMN_BYTES * i, delta, g1);
    for (let k = 0; k < width; k++) putScalar(messageView, (i * width + k) * SCALAR, (g0[i * width + k]! - g1[k]! + alpha[k]! + q) % q);
  }
  const theta = hashToScalars(curve, ell, LABELS.dkls23VoleTheta, sid, message.subarray(0, aTildeEnd));
  message.set(Fn.toBytes(foldEta(curve, alpha, theta)), aTildeEnd);
  const mu = new Uint8Array(XI * SCALAR);
  const muView = new DataView(mu.buffer);
  const bias = sumBias(q, ell);
  for (let i = 0; i < XI; i++) {
    // μ_i = z^A_{i,â} + ⟨θ, z^A_{i,a}⟩ = −(γ⁰_{i,â} + ⟨θ, γ⁰_{i,a}⟩), one non-negative reduction.
    let m = g0[i * width + ell]!;
    for (let k = 0; k < ell; k++) m += theta[k]! * g0[i * width + k]!;
    putScalar(muView, i * SCALAR, (bias - m) % q);
  }
  message.set(tagged(LABELS.dkls23VoleMu, sid, mu), aTildeEnd + SCALAR);
  const g = gadget(curve);
  const shares: bigint[] = [];
  for (let k = 0; k < ell; k++) {
    // Sum the products unreduced and reduce once: BigInt has no overflow.
    let c = 0n;
    for (let i = 0; i < XI; i++) c += g[i]! * g0[i * width + k]!;
    shares.push((q - (c % q)) % q); // c_k = Σ g_i·z^A_i,k = −Σ g_i·γ⁰_{i,k}
  }
  return { message, shares };
}

/**
 * Bob, on Alice's message: strict decoding ('malformed' naming `sender`), the μ check (a ban of
 * `sender`), and his shares d.
 */
export function voleReceiveFinish(curve: DklsCurve, sid: Uint8Array, state: VoleReceiverState, message: Uint8Array, ell: number, sender: number): bigint[] {
  const { Fn } = curve;
  checkEll(ell);
  const width = ell + 1;
  if (message.length !== voleSenderMessageBytes(ell))
    throw new ProtocolError('malformed', `VOLE message of ${message.length} bytes, expected ${voleSenderMessageBytes(ell)}`, [sender]);
  const aTildeEnd = XI * width * SCALAR;
  const q = Fn.ORDER;
  const view = new DataView(message.buffer, message.byteOffset, message.length);
  const scalarAt = (off: number, what: () => string): bigint => {
    const s = (((view.getBigUint64(off) << 64n) | view.getBigUint64(off + 8)) << 128n) | (view.getBigUint64(off + 16) << 64n) | view.getBigUint64(off + 24);
    if (s >= q) throw new ProtocolError('malformed', `VOLE message: ${what()} not below the group order`, [sender]);
    return s;
  };
  const theta = hashToScalars(curve, ell, LABELS.dkls23VoleTheta, sid, message.subarray(0, aTildeEnd));
  const eta = scalarAt(aTildeEnd, () => 'η');
  const kernel = voleKernel(curve);
  if (kernel) {
    // The same rows in WebAssembly (kernel/vole-kernel.ts), after the same strict decoding of ã.
    const r = kernel.receiverRows(rowPrefix(sid), state.rows, state.choices, message, theta, eta, width);
    if (r.bad >= 0 || !('mu' in r)) {
      const i = Math.floor(r.bad / width);
      throw new ProtocolError('malformed', `VOLE message: ã[${i}][${r.bad - i * width}] not below the group order`, [sender]);
    }
    if (!equalBytes(tagged(LABELS.dkls23VoleMu, sid, r.mu), message.subarray(aTildeEnd + SCALAR)))
      throw banError('random VOLE consistency check (μ) failed', sender);
    return r.shares;
  }
  const zB: bigint[] = new Array<bigint>(XI * width);
  const mu = new Uint8Array(XI * SCALAR);
  const muView = new DataView(mu.buffer);
  const hasher = new RowPads(curve, sid, width);
  const pads: bigint[] = new Array<bigint>(width);
  const bias = sumBias(q, ell);
  for (let i = 0; i < XI; i++) {
    const bit = BigInt(getBit(state.choices, i));
    hasher.pads(i, state.rows, OTE_COLUMN_BYTES * i, null, pads);
    for (let k = 0; k < width; k++) {
      const at = scalarAt((i * width + k) * SCALAR, () => `ã[${i}][${k}]`);
      // β_i·ã_i as a product with the bit, not a branch on it. Left unreduced (below 2q): μ'
      // and d are reduced once per sum.
      zB[i * width + k] = pads[k]! + at * bit;
    }
    let m = zB[i * width + ell]!;
    for (let k = 0; k < ell; k++) m += theta[k]! * zB[i * width + k]!;
    putScalar(muView, i * SCALAR, (eta * bit + bias - m) % q);
  }
  if (!equalBytes(tagged(LABELS.dkls23VoleMu, sid, mu), message.subarray(aTildeEnd + SCALAR)))
    throw banError('random VOLE consistency check (μ) failed', sender);
  const g = gadget(curve);
  const shares: bigint[] = [];
  for (let k = 0; k < ell; k++) {
    let d = 0n;
    for (let i = 0; i < XI; i++) d += g[i]! * zB[i * width + k]!;
    shares.push(d % q);
  }
  return shares;
}
