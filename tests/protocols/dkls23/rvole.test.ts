// Random VOLE (DKLs23 Protocol 5.2): c + d = a·χ for every input, known answers, and the μ check
// failing — with a ban of the sender — when ã, η or μ is tampered with.
import { describe, test, expect } from '@jest/globals';
import { sha256 } from '@noble/hashes/sha2.js';
import { isBanError } from '../../../protocols/dkls23/errors.ts';
import { gadget, voleReceive, voleReceiveFinish, voleSend, voleSenderMessageBytes } from '../../../protocols/dkls23/rvole.ts';
import { getBit } from '../../../protocols/dkls23/bits.ts';
import { randomScalar } from '../../../protocols/dkls23/random.ts';
import { XI } from '../../../protocols/dkls23/params.ts';
import { CURVES, flip, hex, seededRng, sid } from './fixtures.ts';
import { dealOteSeeds } from './ot-fixtures.ts';
import { checkKat } from './kat.ts';

const seeds = dealOteSeeds('rvole', sid('rvole-setup'));
const ALICE = 1,
  BOB = 2;

function expectBan(f: () => unknown, culprit: number) {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(isBanError(err)).toBe(true);
  expect((err as { culprits: number[] }).culprits).toEqual([culprit]);
}

describe.each(CURVES)('random VOLE on %s', (name, curve) => {
  const { Fn } = curve;
  const run = (label: string, inputs: bigint[]) => {
    const s = sid(`rvole/${name}/${label}`);
    const bob = voleReceive(curve, s, seeds.receiverSeeds, seededRng(`bob/${name}/${label}`));
    const alice = voleSend(curve, s, seeds.sender, bob.message, inputs, seededRng(`alice/${name}/${label}`), BOB);
    return { s, bob, alice };
  };

  test('c + d = a·χ for each input, χ = ⟨g, β⟩; known answers; timing printed', () => {
    const rng = seededRng(`dkls23-kat/rvole/${name}`);
    const inputs = [randomScalar(curve, rng), randomScalar(curve, rng)];
    const t0 = performance.now();
    const { s, bob, alice } = run('kat', inputs);
    const t1 = performance.now();
    const d = voleReceiveFinish(curve, s, bob.state, alice.message, 2, ALICE);
    const t2 = performance.now();
    console.log(`[dkls23 timing] random VOLE (ℓ = 2) on ${name}: receiver msg + sender ${(t1 - t0).toFixed(1)} ms, receiver finish ${(t2 - t1).toFixed(1)} ms`);
    expect(alice.message.length).toBe(voleSenderMessageBytes(2));
    for (let k = 0; k < 2; k++) expect(Fn.add(alice.shares[k]!, d[k]!)).toBe(Fn.mul(inputs[k]!, bob.chi));
    const g = gadget(curve);
    let chi = 0n;
    for (let i = 0; i < XI; i++) if (getBit(bob.state.choices, i)) chi = Fn.add(chi, g[i]!);
    expect(chi).toBe(bob.chi);
    checkKat(`rvole-${name}`, {
      seeds: 'tests/protocols/dkls23/ot-fixtures.ts dealOteSeeds("rvole", sid("rvole-setup"))',
      sessionId: hex(s),
      gadgetFirst: hex(Fn.toBytes(g[0]!)),
      gadgetLast: hex(Fn.toBytes(g[XI - 1]!)),
      inputs: inputs.map((a) => hex(Fn.toBytes(a))),
      chi: hex(Fn.toBytes(bob.chi)),
      receiverMessageSha256: hex(sha256(bob.message)),
      senderMessageSha256: hex(sha256(alice.message)),
      etaAndMu: hex(alice.message.subarray(alice.message.length - 64)),
      senderShares: alice.shares.map((c) => hex(Fn.toBytes(c))),
      receiverShares: d.map((x) => hex(Fn.toBytes(x))),
    });
  });

  test('works for other widths (ℓ = 1, 3)', () => {
    for (const inputs of [[5n], [1n, 2n, 3n]]) {
      const { s, bob, alice } = run(`w${inputs.length}`, inputs);
      const d = voleReceiveFinish(curve, s, bob.state, alice.message, inputs.length, ALICE);
      inputs.forEach((a, k) => expect(Fn.add(alice.shares[k]!, d[k]!)).toBe(Fn.mul(a, bob.chi)));
    }
  });

  test('tampering with ã, η or μ fails the check naming the sender; length and encoding are checked', () => {
    const { s, bob, alice } = run('tamper', [7n, 11n]);
    const m = alice.message;
    const L = m.length;
    // ã: one bit of one scalar (kept below q by flipping a low bit), in the first and last row.
    expectBan(() => voleReceiveFinish(curve, s, bob.state, flip(m, 31), 2, ALICE), ALICE);
    expectBan(() => voleReceiveFinish(curve, s, bob.state, flip(m, L - 65 - 32), 2, ALICE), ALICE);
    // η, μ.
    expectBan(() => voleReceiveFinish(curve, s, bob.state, flip(m, L - 33), 2, ALICE), ALICE);
    expectBan(() => voleReceiveFinish(curve, s, bob.state, flip(m, L - 1), 2, ALICE), ALICE);
    // A message for another session.
    expectBan(() => voleReceiveFinish(curve, sid('elsewhere'), bob.state, m, 2, ALICE), ALICE);
    expect(() => voleReceiveFinish(curve, s, bob.state, m.subarray(1), 2, ALICE)).toThrow(expect.objectContaining({ kind: 'malformed', culprits: [ALICE] }));
    const big = m.slice();
    big.fill(0xff, 0, 32);
    expect(() => voleReceiveFinish(curve, s, bob.state, big, 2, ALICE)).toThrow(/not below the group order/);
  });

  test("Alice sees the receiver's tampering of the OT extension and bans Bob", () => {
    const s = sid(`rvole/${name}/bob-cheats`);
    const bob = voleReceive(curve, s, seeds.receiverSeeds, seededRng('b'));
    expectBan(() => voleSend(curve, s, seeds.sender, flip(bob.message, 100), [1n, 2n], seededRng('a'), BOB), BOB);
  });
});
