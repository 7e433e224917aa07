// The WebAssembly kernel of the random VOLE (protocols/dkls23/kernel/) computes what the TypeScript
// loops of rvole.ts and softspoken.ts (its OT extension) compute: the same messages, the same shares, the same refusals with
// the same reasons, on both curves and for every width the protocols use and the largest allowed.
// rvole.test.ts pins the kernel's bytes to the known answers (it runs with the kernel, the
// default where WebAssembly exists); this file runs each case twice, kernel on and off.
import { afterAll, describe, expect, test } from '@jest/globals';
import { isBanError } from '../../../protocols/dkls23/errors.ts';
import { oteKernel, useVoleKernel, voleKernel } from '../../../protocols/dkls23/kernel/vole-kernel.ts';
import { voleReceive, voleReceiveFinish, voleSend } from '../../../protocols/dkls23/rvole.ts';
import { OTE_CHOICE_BYTES, oteReceive, oteSend } from '../../../protocols/dkls23/softspoken.ts';
import { randomScalar } from '../../../protocols/dkls23/random.ts';
import { XI } from '../../../protocols/dkls23/params.ts';
import { CURVES, flip, seededRng, sid } from './fixtures.ts';
import { dealOteSeeds } from './ot-fixtures.ts';

const seeds = dealOteSeeds('vole-kernel', sid('vole-kernel-setup'));
const ALICE = 1,
  BOB = 2;

/** f with the kernel on and off: [kernel, TypeScript]. */
function both<T>(f: () => T): [T, T] {
  try {
    useVoleKernel(true);
    const a = f();
    useVoleKernel(false);
    const b = f();
    return [a, b];
  } finally {
    useVoleKernel(true);
  }
}

/** What f threw ({ ban, culprits, message }), or 'returned'. */
function outcome(f: () => unknown): unknown {
  try {
    f();
    return 'returned';
  } catch (e) {
    return { ban: isBanError(e), culprits: (e as { culprits?: number[] }).culprits, message: (e as Error).message };
  }
}

afterAll(() => useVoleKernel(true));

describe.each(CURVES)('the VOLE row kernel on %s', (name, curve) => {
  const { Fn } = curve;
  const session = (label: string, ell: number) => {
    const rng = seededRng(`inputs/${name}/${label}`);
    const inputs = Array.from({ length: ell }, () => randomScalar(curve, rng));
    const s = sid(`vole-kernel/${name}/${label}`);
    const bob = voleReceive(curve, s, seeds.receiverSeeds, seededRng(`bob/${name}/${label}`));
    return { s, bob, inputs };
  };

  test('is available here (Node has WebAssembly)', () => {
    expect(voleKernel(curve)).not.toBeNull();
  });

  test.each([1, 2, 3, 8])('ℓ = %i: the same message and shares as the TypeScript loop, and c + d = a·χ', (ell) => {
    const { s, bob, inputs } = session(`w${ell}`, ell);
    const [k, ts] = both(() => {
      const alice = voleSend(curve, s, seeds.sender, bob.message, inputs, seededRng(`alice/${name}/${ell}`), BOB);
      const d = voleReceiveFinish(curve, s, bob.state, alice.message, ell, ALICE);
      return { alice, d };
    });
    expect(Buffer.from(k.alice.message).equals(Buffer.from(ts.alice.message))).toBe(true);
    expect(k.alice.shares).toEqual(ts.alice.shares);
    expect(k.d).toEqual(ts.d);
    inputs.forEach((a, i) => expect(Fn.add(k.alice.shares[i]!, k.d[i]!)).toBe(Fn.mul(a, bob.chi)));
  });

  test('inputs at the edges (0, 1, q − 1) give the same bytes', () => {
    const { s, bob } = session('edges', 3);
    const inputs = [0n, 1n, Fn.ORDER - 1n];
    const [k, ts] = both(() => voleSend(curve, s, seeds.sender, bob.message, inputs, seededRng(`alice/${name}/edges`), BOB));
    expect(Buffer.from(k.message).equals(Buffer.from(ts.message))).toBe(true);
    expect(k.shares).toEqual(ts.shares);
  });

  test('the same refusals, naming the same culprit for the same reason', () => {
    const { s, bob, inputs } = session('tamper', 2);
    const m = voleSend(curve, s, seeds.sender, bob.message, inputs, seededRng(`alice/${name}/tamper`), BOB).message;
    const L = m.length;
    const nonCanonical = (row: number, k: number) => {
      const bad = m.slice();
      bad.fill(0xff, (row * 3 + k) * 32, (row * 3 + k + 1) * 32);
      return bad;
    };
    const cases: [string, Uint8Array][] = [
      ['ã, first row', flip(m, 31)],
      ['ã, last row', flip(m, L - 65 - 32)],
      ['η', flip(m, L - 33)],
      ['μ', flip(m, L - 1)],
      ['ã[0][0] not below q', nonCanonical(0, 0)],
      ['ã[7][2] not below q', nonCanonical(7, 2)],
      [`ã[${XI - 1}][1] not below q`, nonCanonical(XI - 1, 1)],
      ['truncated', m.subarray(1)],
    ];
    for (const [what, message] of cases) {
      const [k, ts] = both(() => outcome(() => voleReceiveFinish(curve, s, bob.state, message, 2, ALICE)));
      expect({ what, k }).toEqual({ what, k: ts });
      expect(k).not.toBe('returned');
    }
    const [k, ts] = both(() => outcome(() => voleReceiveFinish(curve, sid('elsewhere'), bob.state, m, 2, ALICE)));
    expect(k).toEqual(ts);
    expect(k).toEqual(expect.objectContaining({ ban: true, culprits: [ALICE] }));
  });

  test("the receiver's tampering of the OT extension bans Bob on both paths", () => {
    const { s, bob, inputs } = session('bob-cheats', 2);
    const [k, ts] = both(() => outcome(() => voleSend(curve, s, seeds.sender, flip(bob.message, 100), inputs, seededRng('a'), BOB)));
    expect(k).toEqual(ts);
    expect(k).toEqual(expect.objectContaining({ ban: true, culprits: [BOB] }));
  });
});

describe('the OT-extension kernel (SoftSpokenOT columns)', () => {
  const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');

  test('is available here', () => {
    expect(oteKernel()).not.toBeNull();
  });

  test('the same receiver message and rows, the same sender rows and Δ, for several sessions', () => {
    for (const label of ['a', 'b', 'c']) {
      const s = sid(`ote-kernel/${label}`);
      const choices = seededRng(`ote-kernel/choices/${label}`)(OTE_CHOICE_BYTES);
      const [k, ts] = both(() => {
        const r = oteReceive(s, seeds.receiverSeeds, choices, seededRng(`ote-kernel/rng/${label}`));
        const q = oteSend(s, seeds.sender, r.message, BOB);
        return { message: hexOf(r.message), t: hexOf(r.rows), q: hexOf(q.rows), delta: hexOf(q.delta) };
      });
      expect(k).toEqual(ts);
    }
  });

  test("the sender's check refuses the same tampered messages, banning the receiver on both paths", () => {
    const s = sid('ote-kernel/tamper');
    const r = oteReceive(s, seeds.receiverSeeds, seededRng('ote-kernel/choices')(OTE_CHOICE_BYTES), seededRng('ote-kernel/rng'));
    for (const at of [0, 79, 2560, 5119, 5120, 5135, 5136, r.message.length - 1]) {
      const [k, ts] = both(() => outcome(() => oteSend(s, seeds.sender, flip(r.message, at), BOB)));
      expect({ at, k }).toEqual({ at, k: ts });
      expect(k).toEqual(expect.objectContaining({ ban: true, culprits: [BOB] }));
    }
    const [k, ts] = both(() => outcome(() => oteSend(s, seeds.sender, r.message.subarray(1), BOB)));
    expect(k).toEqual(ts);
    expect(k).toEqual(expect.objectContaining({ ban: false, culprits: [BOB] }));
  });
});
