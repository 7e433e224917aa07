// The random-VOLE row loop in WebAssembly (vole.as.ts, compiled into vole-wasm.ts by
// scripts/build-wasm.mjs): the same values as the TypeScript loop of rvole.ts, which stays the
// reference and the fallback (issue 17: the VOLE is a signer's CPU; docs/benchmarks.md "The VOLE
// rows in WebAssembly"). Pure: `WebAssembly` is a global in Node and in browsers, no host import.
// One instance per curve, compiled on first use; where WebAssembly is missing or refuses the
// module (a browser's main thread limits synchronous compilation), `voleKernel` returns null and
// rvole.ts runs its own loop.
//
// Memory: the instance's first 64 KiB hold the kernel's static scratch; the buffers below are the
// caller's, at fixed offsets above it. Every call that leaves secrets there (pads, rows, Δ, α)
// is followed by `wipe`.
import type { DklsCurve, DklsCurveName } from '../curve.ts';
import { gadget } from '../gadget.ts';
import { KAPPA, OTE_BLOCKS, OTE_ROW_BYTES, SEED_BYTES, SOFTSPOKEN_Q, XI } from '../params.ts';

import { getLE, instantiate, kernelModule, kernelEnabled, putLE, setKernelEnabled, setModulus, type Exports } from './module.ts';

/** Widths up to ℓ + 1 = 9 (rvole.ts checkEll). */
const MAX_WIDTH = 9;
const S = 32;
const BASE = 65536;
const Q_AT = BASE;
const R2_AT = Q_AT + S; // 2^512 mod q, written there by module.ts setModulus
const PREFIX_AT = R2_AT + S;
const DELTA_AT = PREFIX_AT + S;
const ETA_AT = DELTA_AT + S;
const ALPHA_AT = ETA_AT + S;
const THETA_AT = ALPHA_AT + MAX_WIDTH * S;
const ACC_AT = THETA_AT + MAX_WIDTH * S;
const CHOICES_AT = ACC_AT + MAX_WIDTH * S;
const GADGET_AT = CHOICES_AT + XI / 8;
const ROWS_AT = GADGET_AT + XI * S;
const ATILDE_AT = ROWS_AT + XI * S;
const G0_AT = ATILDE_AT + XI * MAX_WIDTH * S;
const MU_AT = G0_AT + XI * MAX_WIDTH * S;
const END = MU_AT + XI * S;

const R = 1n << 256n;

// SoftSpokenOT's buffers (a separate instance: the OT extension knows no curve).
const OTE_NONCE_AT = BASE;
const OTE_BETA_AT = OTE_NONCE_AT + 16;
const OTE_DELTA_AT = OTE_BETA_AT + OTE_ROW_BYTES;
const OTE_SEEDS_AT = OTE_DELTA_AT + OTE_BLOCKS;
const OTE_SEEDS_BYTES = OTE_BLOCKS * SOFTSPOKEN_Q * SEED_BYTES;
const OTE_CORRECTIONS_AT = OTE_SEEDS_AT + OTE_SEEDS_BYTES;
const OTE_CORRECTIONS_BYTES = OTE_BLOCKS * OTE_ROW_BYTES;
const OTE_COLUMNS_AT = OTE_CORRECTIONS_AT + OTE_CORRECTIONS_BYTES;
const OTE_COLUMNS_BYTES = KAPPA * OTE_ROW_BYTES;
const OTE_END = OTE_COLUMNS_AT + OTE_COLUMNS_BYTES;

const kernels = new Map<DklsCurveName, VoleKernel>();
let ote: OteKernel | undefined;

/** Turns the kernel off (rvole.ts then runs its TypeScript loop) or back on; for tests and benchmarks. */
export function useVoleKernel(on: boolean): void {
  setKernelEnabled(on);
}

/** The kernel for this curve, or null where WebAssembly is unavailable (or turned off). */
export function voleKernel(curve: DklsCurve): VoleKernel | null {
  if (!kernelEnabled()) return null;
  let k = kernels.get(curve.name);
  if (k) return k;
  const module = kernelModule();
  if (!module) return null;
  k = new VoleKernel(module, curve);
  kernels.set(curve.name, k);
  return k;
}

/** The OT-extension kernel, or null where WebAssembly is unavailable (or turned off). */
export function oteKernel(): OteKernel | null {
  if (!kernelEnabled()) return null;
  if (ote) return ote;
  const module = kernelModule();
  if (!module) return null;
  ote = new OteKernel(module);
  return ote;
}

export class VoleKernel {
  private readonly x: Exports;
  private readonly q: bigint;

  constructor(module: object, curve: DklsCurve) {
    this.x = instantiate(module, END);
    this.q = curve.Fn.ORDER;
    setModulus(this.x, Q_AT, this.q);
    // The gadget in Montgomery form, g_i·2^256 mod q: a Montgomery product with it is a plain g_i·z.
    const g = gadget(curve);
    for (let i = 0; i < XI; i++) this.putLE(GADGET_AT + i * S, (g[i]! * R) % this.q);
  }

  private bytes(at: number, length: number): Uint8Array {
    return new Uint8Array(this.x.memory.buffer, at, length);
  }
  private putLE(at: number, s: bigint): void {
    putLE(this.x, at, s);
  }
  private getLE(at: number): bigint {
    return getLE(this.x, at);
  }
  private putRows(prefix: Uint8Array, rows: Uint8Array): void {
    this.bytes(PREFIX_AT, 16).set(prefix.subarray(0, 16));
    this.bytes(ROWS_AT, XI * S).set(rows.subarray(0, XI * S));
  }

  /**
   * Alice's rows: writes ã (XI·width scalars, BE) into `out`, keeps γ⁰ in the instance for
   * `senderMu`, and returns Σ_i g_i·γ⁰_{i,k} mod q for k < width − 1.
   */
  senderRows(prefix: Uint8Array, rows: Uint8Array, delta: Uint8Array, alpha: readonly bigint[], out: Uint8Array): bigint[] {
    const width = alpha.length;
    this.putRows(prefix, rows);
    this.bytes(DELTA_AT, S).set(delta);
    alpha.forEach((a, k) => this.putLE(ALPHA_AT + k * S, a));
    this.x.senderRows(PREFIX_AT, ROWS_AT, XI, DELTA_AT, ALPHA_AT, GADGET_AT, width, ATILDE_AT, G0_AT, ACC_AT);
    out.set(this.bytes(ATILDE_AT, XI * width * S));
    return Array.from({ length: width - 1 }, (_, k) => this.getLE(ACC_AT + k * S));
  }

  /** Alice's μ_i (XI scalars, BE) from the γ⁰ of `senderRows`; then wipes the instance. */
  senderMu(theta: readonly bigint[], width: number): Uint8Array {
    theta.forEach((t, k) => this.putLE(THETA_AT + k * S, (t * R) % this.q));
    this.x.senderMu(THETA_AT, G0_AT, XI, width, MU_AT);
    const mu = this.bytes(MU_AT, XI * S).slice();
    this.wipe(width);
    return mu;
  }

  /**
   * Bob's rows: the index of the first ã scalar not below q (nothing computed), or his μ'
   * (BE) and Σ_i g_i·z_{i,k} mod q for k < width − 1; wipes the instance either way.
   */
  receiverRows(
    prefix: Uint8Array,
    rows: Uint8Array,
    choices: Uint8Array,
    aTilde: Uint8Array,
    theta: readonly bigint[],
    eta: bigint,
    width: number,
  ): { bad: number } | { bad: -1; mu: Uint8Array; shares: bigint[] } {
    this.bytes(ATILDE_AT, XI * width * S).set(aTilde.subarray(0, XI * width * S));
    const bad = this.x.firstNonCanonical(ATILDE_AT, XI * width);
    if (bad >= 0) return { bad };
    this.putRows(prefix, rows);
    this.bytes(CHOICES_AT, XI / 8).set(choices.subarray(0, XI / 8));
    theta.forEach((t, k) => this.putLE(THETA_AT + k * S, (t * R) % this.q));
    this.putLE(ETA_AT, eta);
    this.x.receiverRows(PREFIX_AT, ROWS_AT, XI, CHOICES_AT, ATILDE_AT, THETA_AT, ETA_AT, GADGET_AT, width, MU_AT, ACC_AT);
    const mu = this.bytes(MU_AT, XI * S).slice();
    const shares = Array.from({ length: width - 1 }, (_, k) => this.getLE(ACC_AT + k * S));
    this.wipe(width);
    return { bad: -1, mu, shares };
  }

  /** Zeroes every buffer that held a secret, and the kernel's scratch. */
  wipe(width = MAX_WIDTH): void {
    this.x.wipe();
    this.bytes(DELTA_AT, CHOICES_AT + XI / 8 - DELTA_AT).fill(0);
    this.bytes(ROWS_AT, XI * S).fill(0);
    this.bytes(G0_AT, XI * width * S).fill(0);
  }
}

/** SoftSpokenOT's column expansion (softspoken.ts): the PRG and the XORs of both sides. */
export class OteKernel {
  private readonly x: Exports;

  constructor(module: object) {
    this.x = instantiate(module, OTE_END);
  }

  private bytes(at: number, length: number): Uint8Array {
    return new Uint8Array(this.x.memory.buffer, at, length);
  }

  /** The receiver: corrections c_j = β' ⊕ u_j into message[0…5120), the columns into `columns`. */
  receiverColumns(nonce: Uint8Array, seeds: Uint8Array, betaPrime: Uint8Array, message: Uint8Array, columns: Uint8Array): void {
    this.bytes(OTE_NONCE_AT, 12).set(nonce.subarray(0, 12));
    this.bytes(OTE_SEEDS_AT, OTE_SEEDS_BYTES).set(seeds);
    this.bytes(OTE_BETA_AT, OTE_ROW_BYTES).set(betaPrime);
    this.x.oteReceiverColumns(OTE_NONCE_AT, OTE_SEEDS_AT, OTE_BETA_AT, OTE_CORRECTIONS_AT, OTE_COLUMNS_AT);
    message.set(this.bytes(OTE_CORRECTIONS_AT, OTE_CORRECTIONS_BYTES), 0);
    columns.set(this.bytes(OTE_COLUMNS_AT, OTE_COLUMNS_BYTES));
    this.wipe();
  }

  /** The sender: the columns of Q from its seeds, its Δ digits and the receiver's corrections. */
  senderColumns(nonce: Uint8Array, seeds: Uint8Array, delta: Uint8Array, message: Uint8Array, columns: Uint8Array): void {
    this.bytes(OTE_NONCE_AT, 12).set(nonce.subarray(0, 12));
    this.bytes(OTE_SEEDS_AT, OTE_SEEDS_BYTES).set(seeds);
    this.bytes(OTE_DELTA_AT, OTE_BLOCKS).set(delta);
    this.bytes(OTE_CORRECTIONS_AT, OTE_CORRECTIONS_BYTES).set(message.subarray(0, OTE_CORRECTIONS_BYTES));
    this.x.oteSenderColumns(OTE_NONCE_AT, OTE_SEEDS_AT, OTE_DELTA_AT, OTE_CORRECTIONS_AT, OTE_COLUMNS_AT);
    columns.set(this.bytes(OTE_COLUMNS_AT, OTE_COLUMNS_BYTES));
    this.wipe();
  }

  /** Zeroes the seeds, β', Δ, the columns and the kernel's scratch. */
  private wipe(): void {
    this.x.wipe();
    this.bytes(OTE_NONCE_AT, OTE_END - OTE_NONCE_AT).fill(0);
  }
}
