// All-but-one OT from a puncturable PRF (SoftSpokenOT, Roy eprint 2022/192, Fig. 13 with the
// consistency proof of Fig. 14), as the SoftSpokenOT setup of the DKLs23 DKG (research notes §1.4
// "All-but-one OT"; one pairwise session id per ordered pair, TOB-SILA-5).
//
// For each of the κ/k = 64 blocks, k = 4 random base OTs (indices 4j .. 4j+3, one per tree level)
// turn into 2^k = 16 leaf seeds: the PPRF holder (the base-OT sender) knows all 16, the other party
// (the base-OT receiver) knows all but the one at its secret point α_j ∈ [0, 16), which becomes the
// j-th 4-bit digit of its OT-extension correlation Δ.
//
// GGM tree, level ℓ = 1..4 branching on bit (4 − ℓ) of the leaf index (most significant first):
//   level 1: the two nodes are the base-OT keys of OT 4j (no correction needed);
//   level ℓ ≥ 2: every node s expands to G_ℓ(s) = (left, right); K^ℓ_b is the XOR of all children
//   on side b; the holder sends e^ℓ_b = K^ℓ_b ⊕ k^ℓ_b for both b. The receiver, whose base-OT
//   choice at level ℓ is the complement of α's bit, recovers K^ℓ_{¬α_ℓ} and from it the one
//   missing node on that side (the sibling of α's path).
// Leaves: seed_x = H_seed(leaf_x), check_x = H_check(leaf_x). Proof (Fig. 14): T = ⊕_x check_x and
// S = H(check_0 ‖ … ‖ check_15). The receiver completes check_α = T ⊕ ⊕_{x≠α} check_x and checks
// S. By collision resistance every α that passes sees the same 16 check values, hence the same
// leaves: a holder cannot make the receiver's seeds depend on α except by making the check fail,
// which is then blamed on it (selective-failure attempts end in a ban, research notes §1.2).
import { LABELS } from '../core/labels.ts';
import { equalBytes } from '../core/bytes.ts';
import { ProtocolError } from '../core/errors.ts';
import { tagged } from './hash.ts';
import { banError } from './errors.ts';
import { OTE_BLOCKS, SEED_BYTES, SOFTSPOKEN_K, SOFTSPOKEN_Q, KAPPA } from './params.ts';

/** Per block: corrections e^ℓ_0, e^ℓ_1 for ℓ = 2..k, then T and S. */
export const PPRF_BLOCK_BYTES = 2 * (SOFTSPOKEN_K - 1) * SEED_BYTES + 2 * SEED_BYTES;
export const PPRF_MESSAGE_BYTES = OTE_BLOCKS * PPRF_BLOCK_BYTES;
/** Seeds of all blocks: OTE_BLOCKS × 16 × 32 bytes, seed (j, x) at (16j + x)·32. */
export const PPRF_SEEDS_BYTES = OTE_BLOCKS * SOFTSPOKEN_Q * SEED_BYTES;

const B = (n: number) => Uint8Array.of(n);

function expand(sid: Uint8Array, block: number, level: number, node: Uint8Array, side: 0 | 1): Uint8Array {
  return tagged(LABELS.dkls23PprfGgm, sid, B(block), B(level), B(side), node);
}

function leafSeed(sid: Uint8Array, block: number, x: number, leaf: Uint8Array): Uint8Array {
  return tagged(LABELS.dkls23PprfLeafSeed, sid, B(block), B(x), leaf);
}

function leafCheck(sid: Uint8Array, block: number, x: number, leaf: Uint8Array): Uint8Array {
  return tagged(LABELS.dkls23PprfLeafCheck, sid, B(block), B(x), leaf);
}

function proofHash(sid: Uint8Array, block: number, checks: Uint8Array[]): Uint8Array {
  return tagged(LABELS.dkls23PprfProof, sid, B(block), ...checks);
}

const key = (keys: Uint8Array, i: number) => keys.subarray(SEED_BYTES * i, SEED_BYTES * (i + 1));

function xor32(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(SEED_BYTES);
  for (let i = 0; i < SEED_BYTES; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** The base-OT choice bits that puncture block j at delta[j]: the complement of each path bit. */
export function pprfChoices(delta: Uint8Array): Uint8Array {
  if (delta.length !== OTE_BLOCKS || delta.some((d) => d >= SOFTSPOKEN_Q)) throw new RangeError('delta must be 64 digits below 16');
  const choices = new Uint8Array(KAPPA);
  for (let j = 0; j < OTE_BLOCKS; j++) for (let l = 1; l <= SOFTSPOKEN_K; l++) choices[SOFTSPOKEN_K * j + l - 1] = 1 - ((delta[j]! >>> (SOFTSPOKEN_K - l)) & 1);
  return choices;
}

/** The PPRF holder (base-OT sender): all 16 seeds of every block and the message with the proofs. */
export function pprfSend(sid: Uint8Array, keys0: Uint8Array, keys1: Uint8Array): { message: Uint8Array; seeds: Uint8Array } {
  if (keys0.length !== KAPPA * SEED_BYTES || keys1.length !== KAPPA * SEED_BYTES) throw new RangeError('need 256 base-OT key pairs');
  const message = new Uint8Array(PPRF_MESSAGE_BYTES);
  const seeds = new Uint8Array(PPRF_SEEDS_BYTES);
  for (let j = 0; j < OTE_BLOCKS; j++) {
    let nodes: Uint8Array[] = [key(keys0, SOFTSPOKEN_K * j), key(keys1, SOFTSPOKEN_K * j)];
    let off = j * PPRF_BLOCK_BYTES;
    for (let l = 2; l <= SOFTSPOKEN_K; l++) {
      const next: Uint8Array[] = [];
      const K = [new Uint8Array(SEED_BYTES), new Uint8Array(SEED_BYTES)];
      for (const s of nodes) {
        for (const side of [0, 1] as const) {
          const child = expand(sid, j, l, s, side);
          next.push(child);
          for (let i = 0; i < SEED_BYTES; i++) K[side]![i]! ^= child[i]!;
        }
      }
      const ot = SOFTSPOKEN_K * j + l - 1;
      message.set(xor32(K[0]!, key(keys0, ot)), off);
      message.set(xor32(K[1]!, key(keys1, ot)), off + SEED_BYTES);
      off += 2 * SEED_BYTES;
      nodes = next;
    }
    const T = new Uint8Array(SEED_BYTES);
    const checks: Uint8Array[] = [];
    nodes.forEach((leaf, x) => {
      seeds.set(leafSeed(sid, j, x, leaf), (SOFTSPOKEN_Q * j + x) * SEED_BYTES);
      const c = leafCheck(sid, j, x, leaf);
      checks.push(c);
      for (let i = 0; i < SEED_BYTES; i++) T[i]! ^= c[i]!;
    });
    message.set(T, off);
    message.set(proofHash(sid, j, checks), off + SEED_BYTES);
  }
  return { message, seeds };
}

/**
 * The punctured side (base-OT receiver with choices = pprfChoices(delta)): every seed but
 * (j, delta[j]), which is left as zeros. A failed proof is a ban-worthy failure of `sender`.
 */
export function pprfReceive(sid: Uint8Array, delta: Uint8Array, keys: Uint8Array, message: Uint8Array, sender: number): Uint8Array {
  if (message.length !== PPRF_MESSAGE_BYTES)
    throw new ProtocolError('malformed', `all-but-one OT message of ${message.length} bytes, expected ${PPRF_MESSAGE_BYTES}`, [sender]);
  if (keys.length !== KAPPA * SEED_BYTES) throw new RangeError('need 256 base-OT keys');
  pprfChoices(delta); // validates delta
  const seeds = new Uint8Array(PPRF_SEEDS_BYTES);
  const zero = new Uint8Array(SEED_BYTES);
  for (let j = 0; j < OTE_BLOCKS; j++) {
    const alpha = delta[j]!;
    // nodes[y] of the current level; the node on α's path stays unknown (null).
    let nodes: (Uint8Array | null)[] = [null, null];
    const p1 = alpha >>> (SOFTSPOKEN_K - 1);
    nodes[p1 ^ 1] = key(keys, SOFTSPOKEN_K * j);
    let off = j * PPRF_BLOCK_BYTES;
    for (let l = 2; l <= SOFTSPOKEN_K; l++) {
      const path = alpha >>> (SOFTSPOKEN_K - l); // α's node at level l
      const side = (path & 1) ^ 1; // the sibling's side, = this level's choice bit
      const next: (Uint8Array | null)[] = new Array<Uint8Array | null>(2 * nodes.length).fill(null);
      nodes.forEach((s, y) => {
        if (!s) return;
        next[2 * y] = expand(sid, j, l, s, 0);
        next[2 * y + 1] = expand(sid, j, l, s, 1);
      });
      const e = message.subarray(off + side * SEED_BYTES, off + (side + 1) * SEED_BYTES);
      const sibling = xor32(e, key(keys, SOFTSPOKEN_K * j + l - 1)); // K^l_side
      for (let y = side; y < next.length; y += 2) {
        const v = next[y];
        if (v) for (let i = 0; i < SEED_BYTES; i++) sibling[i]! ^= v[i]!;
      }
      next[path ^ 1] = sibling;
      off += 2 * SEED_BYTES;
      nodes = next;
    }
    const T = message.subarray(off, off + SEED_BYTES);
    const S = message.subarray(off + SEED_BYTES, off + 2 * SEED_BYTES);
    const checks: Uint8Array[] = [];
    const missing = T.slice();
    nodes.forEach((leaf, x) => {
      if (!leaf) {
        checks.push(zero);
        return;
      }
      seeds.set(leafSeed(sid, j, x, leaf), (SOFTSPOKEN_Q * j + x) * SEED_BYTES);
      const c = leafCheck(sid, j, x, leaf);
      checks.push(c);
      for (let i = 0; i < SEED_BYTES; i++) missing[i]! ^= c[i]!;
    });
    checks[alpha] = missing;
    if (!equalBytes(proofHash(sid, j, checks), S)) throw banError(`all-but-one OT proof of block ${j} does not verify`, sender);
  }
  return seeds;
}
