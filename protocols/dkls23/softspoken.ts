// SoftSpokenOT (Roy, eprint 2022/192) with k = 4: OT extension from the 64 all-but-one OTs of the
// DKG (pprf.ts), with the KOS-style consistency check in GF(2^128) (KOS15 eprint 2015/546, the
// corrected protocol of its Fig. 10; the form SoftSpokenOT proves), made non-interactive by
// Fiat–Shamir as DKLs23 §5.1 suggests. Research notes §1.4 "OT extension" give the sizes we match:
// u 64 × 80 B, x 16 B, t 256 × 16 B.
//
// Roles: the extension *receiver* (VOLE receiver, "Bob") holds all 16 seeds of every block and
// picks its choice bits; the extension *sender* (VOLE sender, "Alice") holds all seeds but the
// one at Δ_j in each block and ends with the correlation Δ ∈ {0,1}^256.
//
// Small-field VOLE per block j (Roy §4): with r_x = PRG(seed_x) ∈ {0,1}^640,
//   receiver   u_j = ⊕_x r_x,   v_j^(b) = ⊕_{x : bit b of x = 1} r_x      (b = 0..3)
//   sender     w_j^(b) = ⊕_{x : bit b of (x ⊕ Δ_j) = 1} r_x = Δ_{j,b}·u_j ⊕ v_j^(b)   (x = Δ_j drops out)
// The receiver sends c_j = u_j ⊕ β' (β' = its 512 choice bits ‖ 128 random mask bits); the sender
// sets q^(b)_j = w^(b)_j ⊕ Δ_{j,b}·c_j = v^(b)_j ⊕ Δ_{j,b}·β'. Column 4j+b of the 640×256 matrices is
// then T (receiver) and Q = T ⊕ β'·Δ (sender), i.e. row by row q_i = t_i ⊕ β'_i·Δ: 640 correlated OTs.
//
// Consistency check (a receiver using a different β' in different blocks would otherwise learn
// bits of Δ): challenges χ_0..χ_3 ∈ GF(2^128) = H(sid, c_0 … c_63). With column c split into five
// 128-bit chunks (four of data rows, one of mask rows), the receiver sends
//   x = Σ_m χ_m·β'[m] ⊕ β'[4]     and for every column c   t_c = Σ_m χ_m·T_c[m] ⊕ T_c[4];
// the sender accepts iff Σ_m χ_m·Q_c[m] ⊕ Q_c[4] = t_c ⊕ Δ_c·x for all 256 columns. A failure is
// blamed on the receiver, who must be banned (TOB-SILA-12). The mask chunk makes x and t
// independent of the 512 choice bits.
import { LABELS } from '../core/labels.ts';
import { ProtocolError } from '../core/errors.ts';
import type { Rng } from '../core/session.ts';
import { tagged, expandSeed } from './hash.ts';
import { banError } from './errors.ts';
import { GF128_BYTES, GfMultiplier, gfFromBytes } from './gf128.ts';
import { transposeColumnsToRows } from './bits.ts';
import { prgInto, prgNonce } from './prg.ts';
import { randomBytes } from './random.ts';
import { oteKernel } from './kernel/vole-kernel.ts';
import { KAPPA, OTE_BLOCKS, OTE_CHECK_CHUNKS, OTE_COLUMN_BYTES, OTE_ROW_BYTES, SEED_BYTES, SOFTSPOKEN_K, SOFTSPOKEN_Q, XI } from './params.ts';

const CORRECTIONS_BYTES = OTE_BLOCKS * OTE_ROW_BYTES;
/** u (corrections) ‖ x ‖ t: 5,120 + 16 + 4,096 bytes. */
export const OTE_MESSAGE_BYTES = CORRECTIONS_BYTES + GF128_BYTES + KAPPA * GF128_BYTES;
/** Choice bits the receiver brings: ξ = 512 bits. */
export const OTE_CHOICE_BYTES = XI / 8;

export type OteSenderSeeds = {
  /** Δ_j ∈ [0, 16) for each block. */
  delta: Uint8Array;
  /** 64 × 16 × 32 bytes; the seed at (j, Δ_j) is unknown (zeros). */
  seeds: Uint8Array;
};

/** Δ as a 256-bit string: bit 4j+b is bit b of Δ_j. */
export function deltaBits(delta: Uint8Array): Uint8Array {
  const out = new Uint8Array(OTE_COLUMN_BYTES);
  for (let j = 0; j < OTE_BLOCKS; j++)
    for (let b = 0; b < SOFTSPOKEN_K; b++) {
      const c = SOFTSPOKEN_K * j + b;
      out[c >>> 3]! |= ((delta[j]! >>> b) & 1) << (c & 7);
    }
  return out;
}

function challenges(sid: Uint8Array, corrections: Uint8Array): GfMultiplier[] {
  const bytes = expandSeed(tagged(LABELS.dkls23OteChallenge, sid, corrections), OTE_CHECK_CHUNKS * GF128_BYTES);
  return Array.from({ length: OTE_CHECK_CHUNKS }, (_, m) => new GfMultiplier(gfFromBytes(bytes, m * GF128_BYTES)));
}

/** Σ_m χ_m·col[m] ⊕ col[4] for the 80-byte column at `offset`. */
function combine(chi: GfMultiplier[], column: Uint8Array, offset: number, acc: Uint32Array): Uint32Array {
  acc.set(gfFromBytes(column, offset + OTE_CHECK_CHUNKS * GF128_BYTES));
  for (let m = 0; m < OTE_CHECK_CHUNKS; m++) chi[m]!.mulAddBytes(column, offset + m * GF128_BYTES, acc);
  return acc;
}

/** dst[dOff…+n] ^= src[sOff…+n] on 32-bit words (offsets and n in words; XOR has no byte order). */
function xorWords(dst: Uint32Array, dOff: number, src: Uint32Array, sOff: number, n: number): void {
  for (let i = 0; i < n; i++) dst[dOff + i]! ^= src[sOff + i]!;
}

/** The words of a buffer this file allocated (offset 0, length a multiple of 4). */
function words(b: Uint8Array): Uint32Array {
  return new Uint32Array(b.buffer, b.byteOffset, b.length >>> 2);
}

const ROW_WORDS = OTE_ROW_BYTES >>> 2;

function xorRange(dst: Uint8Array, dOff: number, src: Uint8Array, sOff: number, n: number): void {
  for (let i = 0; i < n; i++) dst[dOff + i]! ^= src[sOff + i]!;
}

/**
 * The receiver's message and output rows. `choices` holds the ξ = 512 choice bits (bit i of the
 * string); `rows` holds t_i for i < ξ, 32 bytes each.
 */
export function oteReceive(sid: Uint8Array, seeds: Uint8Array, choices: Uint8Array, rng: Rng): { message: Uint8Array; rows: Uint8Array } {
  if (seeds.length !== OTE_BLOCKS * SOFTSPOKEN_Q * SEED_BYTES) throw new RangeError('bad OT-extension receiver seeds');
  if (choices.length !== OTE_CHOICE_BYTES) throw new RangeError(`choices must be ${OTE_CHOICE_BYTES} bytes`);
  const betaPrime = new Uint8Array(OTE_ROW_BYTES);
  betaPrime.set(choices, 0);
  betaPrime.set(randomBytes(rng, OTE_ROW_BYTES - OTE_CHOICE_BYTES), OTE_CHOICE_BYTES);
  const message = new Uint8Array(OTE_MESSAGE_BYTES);
  const columns = new Uint8Array(KAPPA * OTE_ROW_BYTES); // column 4j+b at (4j+b)·80
  const nonce = prgNonce(sid);
  const kernel = oteKernel();
  if (kernel)
    kernel.receiverColumns(nonce, seeds, betaPrime, message, columns); // the same loop in WebAssembly
  else {
    const r = new Uint8Array(OTE_ROW_BYTES);
    const m32 = words(message),
      c32 = words(columns),
      r32 = words(r);
    for (let j = 0; j < OTE_BLOCKS; j++) {
      const uOff = j * OTE_ROW_BYTES;
      message.set(betaPrime, uOff); // c_j = u_j ⊕ β'
      for (let x = 0; x < SOFTSPOKEN_Q; x++) {
        prgInto(nonce, seeds, (SOFTSPOKEN_Q * j + x) * SEED_BYTES, r, 0, OTE_ROW_BYTES, r32);
        xorWords(m32, j * ROW_WORDS, r32, 0, ROW_WORDS);
        for (let b = 0; b < SOFTSPOKEN_K; b++) if ((x >>> b) & 1) xorWords(c32, (SOFTSPOKEN_K * j + b) * ROW_WORDS, r32, 0, ROW_WORDS);
      }
    }
  }
  const chi = challenges(sid, message.subarray(0, CORRECTIONS_BYTES));
  const acc = new Uint32Array(4);
  const xOff = CORRECTIONS_BYTES;
  writeWords(combine(chi, betaPrime, 0, acc), message, xOff);
  for (let c = 0; c < KAPPA; c++) writeWords(combine(chi, columns, c * OTE_ROW_BYTES, acc), message, xOff + GF128_BYTES * (c + 1));
  return { message, rows: transposeColumnsToRows(columns, KAPPA, OTE_ROW_BYTES, XI) };
}

function writeWords(w: Uint32Array, out: Uint8Array, offset: number): void {
  for (let k = 0; k < 4; k++) {
    const v = w[k]!;
    out[offset + 4 * k] = v & 0xff;
    out[offset + 4 * k + 1] = (v >>> 8) & 0xff;
    out[offset + 4 * k + 2] = (v >>> 16) & 0xff;
    out[offset + 4 * k + 3] = v >>> 24;
  }
}

/**
 * The sender's side: checks the receiver's message (length: 'malformed'; consistency: a ban of
 * `receiver`) and returns its rows q_i for i < ξ and Δ as 256 bits.
 */
export function oteSend(sid: Uint8Array, own: OteSenderSeeds, message: Uint8Array, receiver: number): { rows: Uint8Array; delta: Uint8Array } {
  if (message.length !== OTE_MESSAGE_BYTES)
    throw new ProtocolError('malformed', `OT-extension message of ${message.length} bytes, expected ${OTE_MESSAGE_BYTES}`, [receiver]);
  if (own.seeds.length !== OTE_BLOCKS * SOFTSPOKEN_Q * SEED_BYTES || own.delta.length !== OTE_BLOCKS) throw new RangeError('bad OT-extension sender seeds');
  const columns = new Uint8Array(KAPPA * OTE_ROW_BYTES);
  const nonce = prgNonce(sid);
  const kernel = oteKernel();
  // The same loop in WebAssembly, with masks where this one branches on Δ.
  if (kernel) kernel.senderColumns(nonce, own.seeds, own.delta, message, columns);
  else {
    const r = new Uint8Array(OTE_ROW_BYTES);
    const c32 = words(columns),
      r32 = words(r);
    for (let j = 0; j < OTE_BLOCKS; j++) {
      const dj = own.delta[j]!;
      for (let x = 0; x < SOFTSPOKEN_Q; x++) {
        if (x === dj) continue;
        prgInto(nonce, own.seeds, (SOFTSPOKEN_Q * j + x) * SEED_BYTES, r, 0, OTE_ROW_BYTES, r32);
        const d = x ^ dj;
        for (let b = 0; b < SOFTSPOKEN_K; b++) if ((d >>> b) & 1) xorWords(c32, (SOFTSPOKEN_K * j + b) * ROW_WORDS, r32, 0, ROW_WORDS);
      }
      for (let b = 0; b < SOFTSPOKEN_K; b++)
        if ((dj >>> b) & 1) xorRange(columns, (SOFTSPOKEN_K * j + b) * OTE_ROW_BYTES, message, j * OTE_ROW_BYTES, OTE_ROW_BYTES);
    }
  }
  const chi = challenges(sid, message.subarray(0, CORRECTIONS_BYTES));
  const xOff = CORRECTIONS_BYTES;
  const x = gfFromBytes(message, xOff);
  const acc = new Uint32Array(4);
  const t = new Uint32Array(4);
  let bad = 0;
  for (let c = 0; c < KAPPA; c++) {
    combine(chi, columns, c * OTE_ROW_BYTES, acc);
    gfFromBytes(message, xOff + GF128_BYTES * (c + 1), t);
    const m = -((own.delta[c >>> 2]! >>> (c & 3)) & 1);
    for (let k = 0; k < 4; k++) bad |= acc[k]! ^ t[k]! ^ (x[k]! & m);
  }
  if (bad !== 0) throw banError('OT-extension (SoftSpokenOT) consistency check failed', receiver);
  return { rows: transposeColumnsToRows(columns, KAPPA, OTE_ROW_BYTES, XI), delta: deltaBits(own.delta) };
}
