// Adaptive cheaters against the three consistency checks (external review,
// docs/reviews/dkls23-review.md). The other tests flip bits; these adversaries know the formulas
// and recompute every Fiat–Shamir value after cheating, so they pass whenever the check is weaker
// than designed. Each one can only win the selective-failure bet that the papers allow, and is
// caught (with a ban) otherwise:
//   - random VOLE: an Alice with one inconsistent row passes iff she guessed Bob's β_i (1 bit);
//   - SoftSpokenOT: a receiver with another β' in one block passes for exactly one of the 16
//     guesses of Δ_j (the check binds all k = 4 bits of the block);
//   - all-but-one OT: a holder who corrupts one correction word and recomputes T and S passes
//     exactly for the α whose path goes through the chosen node (and then has merely picked other
//     leaves, which it knows).
import { describe, test, expect } from '@jest/globals';
import { sha256 } from '@noble/hashes/sha2.js';
import { LABELS } from '../../../protocols/core/labels.ts';
import { equalBytes } from '../../../protocols/core/bytes.ts';
import { isBanError } from '../../../protocols/dkls23/errors.ts';
import { getBit } from '../../../protocols/dkls23/bits.ts';
import { chacha20 } from '../../../protocols/dkls23/chacha20.ts';
import { readUintBE, writeScalarBE } from '../../../protocols/dkls23/codec.ts';
import { GF128_BYTES, GfMultiplier, gfFromBytes } from '../../../protocols/dkls23/gf128.ts';
import { expandSeed, hashToScalars, tagged } from '../../../protocols/dkls23/hash.ts';
import { PPRF_BLOCK_BYTES, pprfChoices, pprfReceive, pprfSend } from '../../../protocols/dkls23/pprf.ts';
import { prgInto, prgNonce } from '../../../protocols/dkls23/prg.ts';
import { gadget, voleReceive, voleReceiveFinish } from '../../../protocols/dkls23/rvole.ts';
import { OTE_CHOICE_BYTES, OTE_MESSAGE_BYTES, oteSend } from '../../../protocols/dkls23/softspoken.ts';
import { KAPPA, OTE_BLOCKS, OTE_CHECK_CHUNKS, OTE_ROW_BYTES, SEED_BYTES, SOFTSPOKEN_K, SOFTSPOKEN_Q, XI } from '../../../protocols/dkls23/params.ts';
import type { DklsCurve } from '../../../protocols/dkls23/curve.ts';
import { CURVES, seededRng, sid } from './fixtures.ts';
import { dealBaseOt, dealOteSeeds } from './ot-fixtures.ts';

const ALICE = 1,
  BOB = 2;

/** Runs f; returns 'pass', or 'ban' after checking that the ban names `culprit`; rethrows anything else. */
function outcome(f: () => unknown, culprit: number): 'pass' | 'ban' {
  try {
    f();
    return 'pass';
  } catch (e) {
    if (!isBanError(e)) throw e;
    expect(e.culprits).toEqual([culprit]);
    return 'ban';
  }
}

// ---------------------------------------------------------------------------------------------
// Random VOLE: a malicious Alice, written from the formulas of rvole.ts / SPEC.md.

/** γ^b_i as rvole.ts computes it: ChaCha20(SHA-256(P ‖ u16 i ‖ row)), 48 bytes per scalar, mod q. */
function rowPads(curve: DklsCurve, s: Uint8Array, i: number, row: Uint8Array, width: number): bigint[] {
  const input = new Uint8Array(50);
  input.set(tagged(LABELS.dkls23OteRowHash, s).subarray(0, 16), 0);
  input[16] = i >>> 8;
  input[17] = i & 0xff;
  input.set(row, 18);
  const stream = new Uint8Array(48 * width);
  chacha20(sha256(input), 0, new Uint8Array(12), 0, stream, 0, stream.length);
  return Array.from({ length: width }, (_, k) => readUintBE(stream, 48 * k, 48) % curve.Fn.ORDER);
}

/**
 * Alice's message with input a, but with a_0 + δ in row `row` only, and μ_row adjusted for the
 * guess "β_row = guess". θ, η and μ are all recomputed over the cheating ã (she is adaptive).
 */
function cheatingAlice(
  curve: DklsCurve,
  s: Uint8Array,
  bobMessage: Uint8Array,
  a: bigint[],
  delta: bigint,
  row: number,
  guess: 0 | 1,
): { message: Uint8Array; shares: bigint[] } {
  const { Fn } = curve;
  const q = Fn.ORDER;
  const ell = a.length,
    width = ell + 1;
  const seeds = dealOteSeeds('rvole', sid('rvole-setup'));
  const { rows, delta: D } = oteSend(s, seeds.sender, bobMessage, BOB);
  const alpha = [...a, 987654321n];
  const aTilde = new Uint8Array(XI * width * 32);
  const zA: bigint[][] = [];
  for (let i = 0; i < XI; i++) {
    const qi = rows.subarray(32 * i, 32 * i + 32);
    const g0 = rowPads(curve, s, i, qi, width);
    const g1 = rowPads(
      curve,
      s,
      i,
      qi.map((b, k) => b ^ D[k]!),
      width,
    );
    zA.push(g0.map((x) => Fn.neg(x)));
    for (let k = 0; k < width; k++) {
      const planted = i === row && k === 0 ? delta : 0n;
      writeScalarBE(Fn.create(g0[k]! - g1[k]! + alpha[k]! + planted), aTilde, (i * width + k) * 32);
    }
  }
  const theta = hashToScalars(curve, ell, LABELS.dkls23VoleTheta, s, aTilde);
  let eta = alpha[ell]!;
  for (let k = 0; k < ell; k++) eta = Fn.add(eta, Fn.mul(theta[k]!, alpha[k]!));
  const mu = new Uint8Array(XI * 32);
  for (let i = 0; i < XI; i++) {
    let m = zA[i]![ell]!;
    for (let k = 0; k < ell; k++) m = Fn.add(m, Fn.mul(theta[k]!, zA[i]![k]!));
    // Bob's μ'_row = μ_row − β_row·θ_0·δ: she bets on β_row.
    if (i === row && guess) m = Fn.sub(m, Fn.mul(theta[0]!, delta));
    writeScalarBE(m % q, mu, 32 * i);
  }
  const g = gadget(curve);
  const shares = Array.from({ length: ell }, (_, k) => {
    let c = 0n;
    for (let i = 0; i < XI; i++) c += g[i]! * zA[i]![k]!;
    return c % q;
  });
  const message = new Uint8Array(aTilde.length + 64);
  message.set(aTilde, 0);
  message.set(Fn.toBytes(eta), aTilde.length);
  message.set(tagged(LABELS.dkls23VoleMu, s, mu), aTilde.length + 32);
  return { message, shares };
}

describe.each(CURVES)('random VOLE on %s against an adaptive Alice', (name, curve) => {
  const { Fn } = curve;
  const seeds = dealOteSeeds('rvole', sid('rvole-setup'));
  const a = [1111n, 2222n];

  test('the re-implemented honest Alice passes (the adversary below uses the real formulas)', () => {
    const s = sid(`adaptive-rvole/${name}/honest`);
    const bob = voleReceive(curve, s, seeds.receiverSeeds, seededRng(`adaptive-bob/${name}/honest`));
    const alice = cheatingAlice(curve, s, bob.message, a, 0n, 0, 0);
    const d = voleReceiveFinish(curve, s, bob.state, alice.message, 2, ALICE);
    a.forEach((ak, k) => expect(Fn.add(alice.shares[k]!, d[k]!)).toBe(Fn.mul(ak, bob.chi)));
  });

  test('one inconsistent row: she passes iff she guessed β_i (one bit of selective failure), else a ban', () => {
    for (const row of [0, 137, XI - 1]) {
      const s = sid(`adaptive-rvole/${name}/row-${row}`);
      const bob = voleReceive(curve, s, seeds.receiverSeeds, seededRng(`adaptive-bob/${name}/${row}`));
      const beta = getBit(bob.state.choices, row);
      const results = ([0, 1] as const).map((guess) => {
        const alice = cheatingAlice(curve, s, bob.message, a, 5n, row, guess);
        let d: bigint[] = [];
        const o = outcome(() => {
          d = voleReceiveFinish(curve, s, bob.state, alice.message, 2, ALICE);
        }, ALICE);
        if (o === 'pass') {
          // What she bought: the output is off by β_i·g_i·δ, which she knows since she knows β_i.
          const g = gadget(curve);
          expect(Fn.add(alice.shares[0]!, d[0]!)).toBe(Fn.add(Fn.mul(a[0]!, bob.chi), Fn.mul(BigInt(beta), Fn.mul(g[row]!, 5n))));
        }
        return o;
      });
      expect(results[beta]).toBe('pass');
      expect(results[1 - beta]).toBe('ban');
    }
  });
});

// ---------------------------------------------------------------------------------------------
// SoftSpokenOT: a malicious receiver (the party that holds all 16 seeds of every block).

function chunkHash(chi: GfMultiplier[], column: Uint8Array, offset: number): Uint32Array {
  const acc = gfFromBytes(column, offset + OTE_CHECK_CHUNKS * GF128_BYTES);
  for (let m = 0; m < OTE_CHECK_CHUNKS; m++) chi[m]!.mulAddBytes(column, offset + m * GF128_BYTES, acc);
  return acc;
}

function putWords(w: Uint32Array, out: Uint8Array, offset: number): void {
  for (let k = 0; k < 4; k++) for (let b = 0; b < 4; b++) out[offset + 4 * k + b] = (w[k]! >>> (8 * b)) & 0xff;
}

/**
 * The receiver's message with β' in block `block` replaced by β' ⊕ e_row, and the check values of
 * that block's four columns set for the guess Δ_block = `guess` (null: no cheating at all).
 */
function cheatingReceiver(
  s: Uint8Array,
  seeds: Uint8Array,
  choices: Uint8Array,
  block: number,
  row: number,
  guess: number | null,
): { message: Uint8Array; columns: Uint8Array; betaPrime: Uint8Array } {
  const betaPrime = new Uint8Array(OTE_ROW_BYTES);
  betaPrime.set(choices, 0);
  betaPrime.set(seededRng('adaptive-ote-mask')(OTE_ROW_BYTES - OTE_CHOICE_BYTES), OTE_CHOICE_BYTES);
  const betaJ = betaPrime.slice();
  if (guess !== null) betaJ[row >>> 3]! ^= 1 << (row & 7);
  const message = new Uint8Array(OTE_MESSAGE_BYTES);
  const columns = new Uint8Array(KAPPA * OTE_ROW_BYTES);
  const nonce = prgNonce(s);
  const r = new Uint8Array(OTE_ROW_BYTES);
  for (let j = 0; j < OTE_BLOCKS; j++) {
    const mine = j === block ? betaJ : betaPrime;
    for (let k = 0; k < OTE_ROW_BYTES; k++) message[j * OTE_ROW_BYTES + k] = mine[k]!;
    for (let x = 0; x < SOFTSPOKEN_Q; x++) {
      prgInto(nonce, seeds, (SOFTSPOKEN_Q * j + x) * SEED_BYTES, r, 0, OTE_ROW_BYTES);
      for (let k = 0; k < OTE_ROW_BYTES; k++) message[j * OTE_ROW_BYTES + k]! ^= r[k]!;
      for (let b = 0; b < SOFTSPOKEN_K; b++)
        if ((x >>> b) & 1) for (let k = 0; k < OTE_ROW_BYTES; k++) columns[(SOFTSPOKEN_K * j + b) * OTE_ROW_BYTES + k]! ^= r[k]!;
    }
  }
  const corrections = message.subarray(0, OTE_BLOCKS * OTE_ROW_BYTES);
  const bytes = expandSeed(tagged(LABELS.dkls23OteChallenge, s, corrections), OTE_CHECK_CHUNKS * GF128_BYTES);
  const chi = Array.from({ length: OTE_CHECK_CHUNKS }, (_, m) => new GfMultiplier(gfFromBytes(bytes, m * GF128_BYTES)));
  const xOff = corrections.length;
  const x = chunkHash(chi, betaPrime, 0);
  putWords(x, message, xOff);
  const xJ = chunkHash(chi, betaJ, 0);
  for (let c = 0; c < KAPPA; c++) {
    const t = chunkHash(chi, columns, c * OTE_ROW_BYTES);
    // Block `block` sees Δ_c·H(β'_J) where the sender expects Δ_c·x: pre-pay the difference for
    // the columns where the guess says Δ_c = 1.
    if (guess !== null && c >>> 2 === block && (guess >>> (c & 3)) & 1) for (let k = 0; k < 4; k++) t[k] = (t[k]! ^ x[k]! ^ xJ[k]!) >>> 0;
    putWords(t, message, xOff + GF128_BYTES * (c + 1));
  }
  return { message, columns, betaPrime };
}

describe('SoftSpokenOT against an adaptive receiver', () => {
  const seeds = dealOteSeeds('ote', sid('ote-setup'));
  const choices = seededRng('adaptive-ote-choices')(OTE_CHOICE_BYTES);

  test('the re-implemented honest receiver passes', () => {
    const s = sid('adaptive-ote/honest');
    const { message } = cheatingReceiver(s, seeds.receiverSeeds, choices, 0, 0, null);
    expect(outcome(() => oteSend(s, seeds.sender, message, BOB), BOB)).toBe('pass');
  });

  test.each([
    ['a data row', 17, 5],
    ['a mask row', 42, 600],
  ])("another β' in one block (%s): exactly the true Δ_j of 16 guesses passes, and only its 4 bits leak", (_what, block, row) => {
    const s = sid(`adaptive-ote/${block}/${row}`);
    const passed: number[] = [];
    for (let guess = 0; guess < SOFTSPOKEN_Q; guess++) {
      const { message, columns, betaPrime } = cheatingReceiver(s, seeds.receiverSeeds, choices, block, row, guess);
      let out: { rows: Uint8Array; delta: Uint8Array } | null = null;
      if (
        outcome(() => {
          out = oteSend(s, seeds.sender, message, BOB);
        }, BOB) !== 'pass'
      )
        continue;
      passed.push(guess);
      // What the receiver bought: in the cheated row, q ⊕ t = β·Δ except in the block it cheated
      // in, whose 4 bits of Δ it had to guess right; every other row is an honest correlated OT.
      const { rows, delta } = out!;
      for (const i of [0, row, 511]) {
        if (i >= XI) continue;
        for (let c = 0; c < KAPPA; c++) {
          const t = (columns[c * OTE_ROW_BYTES + (i >>> 3)]! >>> (i & 7)) & 1;
          const q = getBit(rows.subarray(32 * i, 32 * i + 32), c);
          const beta = getBit(betaPrime, i) ^ (i === row && c >>> 2 === block ? 1 : 0);
          expect(q ^ t).toBe(beta & getBit(delta, c));
        }
      }
    }
    expect(passed).toEqual([seeds.sender.delta[block]]);
  });
});

// ---------------------------------------------------------------------------------------------
// All-but-one OT: a malicious PPRF holder.

const B1 = (n: number) => Uint8Array.of(n);
const ggm = (s: Uint8Array, j: number, l: number, node: Uint8Array, side: number) => tagged(LABELS.dkls23PprfGgm, s, B1(j), B1(l), B1(side), node);
const xor = (a: Uint8Array, b: Uint8Array) => a.map((v, i) => v ^ b[i]!);

describe('all-but-one OT against an adaptive holder', () => {
  const pairSid = sid('adaptive-pprf');
  const base = dealBaseOt('adaptive-pprf');
  const J = 11;
  const key = (keys: Uint8Array, i: number) => keys.subarray(32 * i, 32 * i + 32);

  /**
   * Block J's part of the message for a tree in which node `node` of level L (L ≥ 2: level 1 has no
   * correction word) is replaced by node ⊕ δ and its subtree re-expanded; every correction word
   * from level L down, T and S are those of that tree. Returns the part and the tree's leaves.
   */
  function swapSubtree(L: number, node: number): { part: Uint8Array; leaves: Uint8Array[] } {
    const levels: Uint8Array[][] = [[key(base.keys0, 4 * J), key(base.keys1, 4 * J)]];
    for (let l = 2; l <= 4; l++) {
      const prev = levels[levels.length - 1]!;
      const cur = prev.flatMap((n) => [ggm(pairSid, J, l, n, 0), ggm(pairSid, J, l, n, 1)]);
      if (l === L) cur[node] = xor(cur[node]!, new Uint8Array(32).fill(0x5a));
      levels.push(cur);
    }
    const part = new Uint8Array(PPRF_BLOCK_BYTES);
    for (let l = 2; l <= 4; l++) {
      for (const side of [0, 1]) {
        const K = levels[l - 1]!.filter((_, y) => (y & 1) === side).reduce((acc, n) => xor(acc, n), new Uint8Array(32));
        part.set(xor(K, key(side ? base.keys1 : base.keys0, 4 * J + l - 1)), (l - 2) * 64 + 32 * side);
      }
    }
    const leaves = levels[3]!;
    const checks = leaves.map((leaf, x) => tagged(LABELS.dkls23PprfLeafCheck, pairSid, B1(J), B1(x), leaf));
    part.set(
      checks.reduce((acc, c) => xor(acc, c), new Uint8Array(32)),
      192,
    );
    part.set(tagged(LABELS.dkls23PprfProof, pairSid, B1(J), ...checks), 224);
    return { part, leaves };
  }

  test('the re-implemented holder, without a swap, sends the honest block', () => {
    const { message } = pprfSend(pairSid, base.keys0, base.keys1);
    const levelsOnlyHonest = swapSubtree(5, 0).part; // L = 5: no level is touched
    expect(equalBytes(levelsOnlyHonest, message.subarray(J * PPRF_BLOCK_BYTES, (J + 1) * PPRF_BLOCK_BYTES))).toBe(true);
  });

  test.each([
    [2, 0b10],
    [3, 0b011],
    [4, 0b1101],
  ])('a subtree swapped at level %i (node %i) passes exactly for the α under its parent, who then hold the swapped leaves', (L, node) => {
    const { message } = pprfSend(pairSid, base.keys0, base.keys1);
    const { part, leaves } = swapSubtree(L, node);
    const bad = message.slice();
    bad.set(part, J * PPRF_BLOCK_BYTES);
    const passed: number[] = [];
    for (let alpha = 0; alpha < SOFTSPOKEN_Q; alpha++) {
      const delta = base.delta.slice();
      delta[J] = alpha;
      const choices = pprfChoices(delta);
      const received = new Uint8Array(32 * KAPPA);
      for (let i = 0; i < KAPPA; i++) received.set(key(choices[i] ? base.keys1 : base.keys0, i), 32 * i);
      let seeds: Uint8Array = new Uint8Array(0);
      if (
        outcome(() => {
          seeds = pprfReceive(pairSid, delta, received, bad, 7);
        }, 7) === 'pass'
      ) {
        passed.push(alpha);
        // What the holder bought: a consistent tree of its choice, all of whose leaves it knows.
        for (let x = 0; x < SOFTSPOKEN_Q; x++) {
          if (x === alpha) continue;
          const expected = tagged(LABELS.dkls23PprfLeafSeed, pairSid, B1(J), B1(x), leaves[x]!);
          expect(equalBytes(seeds.subarray((SOFTSPOKEN_Q * J + x) * 32, (SOFTSPOKEN_Q * J + x + 1) * 32), expected)).toBe(true);
        }
      }
    }
    // The receivers who cannot tell the swap: those whose path runs through the swapped node's
    // parent (they know neither the node nor, for the swapped node's own subtree, its value).
    const parent = node >>> 1;
    const underParent = Array.from({ length: SOFTSPOKEN_Q }, (_, a) => a).filter((a) => a >>> (5 - L) === parent);
    expect(passed).toEqual(underParent);
  });
});
