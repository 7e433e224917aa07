// Verifiable resharing of DKLs23 keys (protocols/dkls23/reshare.ts), the fast cases: 2-of-3 →
// 2-of-2 onto one old holder and one new party (signs under @noble and node:crypto under the SAME
// public key), every session restored from a snapshot along the way; the same run without
// restores and the five-party runs (2-of-3 → 3-of-5, 3-of-5 → 2-of-3, P-256) are in
// reshare.slow.test.ts (each five-party run ~20 OT setups: tens of seconds on a loaded machine).
// Under attack: a dealer dealing another constant, a tampered sub-share, an equivocating dealer,
// a replayed message of another session and truncated messages are refused, naming the sender; a
// new holder is refused a package inconsistent with the public key, and a share of another key
// version cannot deal.
import { describe, test, expect } from '@jest/globals';
import { createDklsReshare, dklsPublicPackageOf, type ReshareMember } from '../../../protocols/dkls23/reshare.ts';
import { isBanError } from '../../../protocols/dkls23/errors.ts';
import { simulate, type Relay } from '../../support/simulator.ts';
import { flipByte, from, payload } from '../../support/adversaries.ts';
import { testKey } from '../../support/dkls23-test-keys.ts';
import { CONTEXT, expectBlame } from './session-fixtures.ts';
import { seededRng, sid } from './fixtures.ts';
import { HONEST, honestTest, run, sessions } from './reshare-fixtures.ts';

describe('DKLs23 reshare: honest runs keep the public key and sign', () => {
  // One run for the honest checks and the restored session (they were two runs of the same
  // shape: an old holder staying, one leaving as a dealer only, one new party); the same case
  // without restores is in reshare.slow.test.ts, and runs unrestored between real parties in
  // tests/services/party/reshare-dkls.test.ts and tests/protocols/backup/dkls23-restore.test.ts.
  const name = '2-of-3 → 2-of-2 (one old holder leaves, one new party)';
  honestTest(name, HONEST[name]!, { restoring: true });
});

describe('DKLs23 reshare: adversarial', () => {
  const key = testKey('secp256k1-2of3');
  const curve = key.curve;
  const MEMBERS: ReshareMember[] = [{ old: 1, new: 1 }, { old: 3, new: 2 }, { new: 3 }];
  // The two dealers staying as the only new holders: one pairwise OT setup where MEMBERS has three
  // (the OT setup is nearly all of a run's time). For the checks that are the same for every
  // receiver of a message (its parsing, its session id, the sub-share against the commitments).
  const PAIR: ReshareMember[] = [
    { old: 1, new: 1 },
    { old: 3, new: 2 },
  ];
  const PB = 33;

  test('a dealer dealing a constant other than λ·x_i is named in round 1, before anything secret moves', () => {
    // Party 2 (old holder 3) shows C_1 as its constant: a valid point, not λ·X_3.
    const relay: Relay = payload(from(2, 1), (p) => {
      const out = p.slice();
      out.set(p.slice(64 + PB, 64 + 2 * PB), 64);
      return out;
    });
    const sim = run(curve, key.shares, MEMBERS, 2, 'reshare/forged-constant', { relay });
    expectBlame(sim, [1, 3], 'invalid-commitment', [2]);
    // The honest parties sent nothing of round 2 (no sub-share, no OT request).
    expect(sim.sent.filter((e) => e.round === 2 && e.from !== 2)).toHaveLength(0);
  });

  test('a tampered sub-share is caught by its receiver, naming the dealer', () => {
    // Party 1's round-2 message to party 2 (new holder 2): fsid ‖ f_1(2) ‖ OT request ‖ zero part.
    const sim = run(curve, key.shares, PAIR, 2, 'reshare/bad-sub', { relay: payload(from(1, 2, 2), (p) => flipByte(p, 40)) });
    expect(sim.results.get(2)).toMatchObject({ kind: 'abort', error: { kind: 'invalid-share', culprits: [1] } });
    expect([...sim.results.values()].filter((r) => r.kind === 'done')).toHaveLength(0);
  });

  test('a dealer showing different commitments to different parties is named by the echo', () => {
    const relay: Relay = payload(from(1, 1), (p, to) => {
      if (to !== 3) return p;
      const out = p.slice();
      out.set(p.slice(64, 64 + PB), 64 + PB); // C_1 := C_0 for party 3 only
      return out;
    });
    const sim = run(curve, key.shares, MEMBERS, 2, 'reshare/equivocate', { relay });
    expect([...sim.results.values()].filter((r) => r.kind === 'done')).toHaveLength(0);
    expect(sim.results.get(3)).toMatchObject({ kind: 'abort', error: { kind: 'equivocation', culprits: [1] } });
  });

  test('a tampered OT setup response names its sender by session index (not its new index), as a ban', () => {
    // Session 3 is new holder 2; its round-3 response to session 2 (new holder 1) is altered.
    const members: ReshareMember[] = [{ old: 1 }, { old: 2, new: 1 }, { new: 2 }];
    const sim = run(curve, key.shares, members, 2, 'reshare/bad-ot', { relay: payload(from(3, 3, 2), (p) => flipByte(p, p.length - 1)) });
    expect(sim.results.get(2)).toMatchObject({ kind: 'abort', error: { kind: 'invalid-proof', culprits: [3] } });
    const err = sim.results.get(2)!;
    expect(err.kind === 'abort' && isBanError(err.error)).toBe(true);
    expect([...sim.results.values()].filter((r) => r.kind === 'done')).toHaveLength(0);
  });

  test('truncated messages are refused as malformed, naming the sender', () => {
    for (const round of [1, 2, 3, 4]) {
      const sim = run(curve, key.shares, PAIR, 2, `reshare/truncated/${round}`, { relay: payload(from(2, round), (p) => p.subarray(0, p.length - 1)) });
      // The sender itself may finish (a truncated confirmation is its last message); the other does not.
      expect(sim.results.get(1)!.kind).not.toBe('done');
      const named = [sim.results.get(1)!].filter((r) => r.kind === 'abort' && r.error.kind === 'malformed');
      expect({ round, named: named.length > 0 }).toEqual({ round, named: true });
      for (const r of named) expect(r.kind === 'abort' && r.error.culprits).toEqual([2]);
    }
  });

  test('a message replayed from another reshare session (another coordinator sid) is refused', () => {
    // The other session only as far as its round-2 messages: nothing of it is delivered after round 1.
    const other = run(curve, key.shares, PAIR, 2, 'reshare/replay-source', {
      relay: (e, recipients) => (e.round === 1 ? recipients.map((to) => ({ to, envelope: e })) : []),
    });
    const theirs = other.sent.filter((e) => e.from === 2 && e.round === 2 && e.to === 1);
    expect(theirs).toHaveLength(1);
    // Party 2's round-2 message to party 1 is swapped for the one of the other session.
    const relay: Relay = (envelope, recipients) =>
      recipients.map((to) => ({
        to,
        envelope: envelope.from === 2 && envelope.round === 2 && to === 1 && envelope.to === 1 ? { ...envelope, payload: theirs[0]!.payload } : envelope,
      }));
    const sim = run(curve, key.shares, PAIR, 2, 'reshare/replay-target', { relay });
    expect(sim.results.get(1)).toMatchObject({ kind: 'abort', error: { kind: 'equivocation', culprits: [2] } });
    expect([...sim.results.values()].filter((r) => r.kind === 'done')).toHaveLength(0);
  });

  test('a new party given a package inconsistent with the public key refuses it; one given another key version names the dealers', () => {
    const pkg = dklsPublicPackageOf(key.shares.get(1)!);
    // A verification share that is not F(j): refused before the session starts.
    const bad = { ...pkg, verificationShares: { ...pkg.verificationShares, '2': pkg.verificationShares['3']! } };
    expect(() =>
      createDklsReshare({ curve, sessionId: sid('x'), self: 3, oldKey: bad, members: MEMBERS, tNew: 2, context: CONTEXT, rng: seededRng('x') }),
    ).toThrow(/verification share 2 does not match/);
    // Another version of the key (another transcript): the dealers' setup digests differ from the new party's.
    const ss = sessions(curve, key.shares, MEMBERS, 2, 'reshare/other-view');
    const lied = { ...pkg, transcriptHash: '00'.repeat(32) };
    ss[2] = createDklsReshare({
      curve,
      sessionId: sid('reshare/other-view'),
      self: 3,
      oldKey: lied,
      members: MEMBERS,
      tNew: 2,
      context: CONTEXT,
      rng: seededRng('v'),
    });
    const sim = simulate(ss);
    expect(sim.results.get(3)).toMatchObject({ kind: 'abort', error: { kind: 'bad-parameters', culprits: [1] } });
    expect([...sim.results.values()].filter((r) => r.kind === 'done')).toHaveLength(0);
  });

  test('refuses too few dealers, a gap in the new indices, a share of another key version, and t_new < 2', () => {
    const oldKey = dklsPublicPackageOf(key.shares.get(1)!);
    const base = { curve, sessionId: sid('bad'), context: CONTEXT, rng: seededRng('bad'), oldKey };
    expect(() => createDklsReshare({ ...base, self: 1, share: key.shares.get(1)!, members: [{ old: 1, new: 1 }, { new: 2 }], tNew: 2 })).toThrow(
      /fewer than the old threshold/,
    );
    expect(() => createDklsReshare({ ...base, self: 3, members: [{ old: 1 }, { old: 2 }, { new: 1 }, { new: 3 }], tNew: 2 })).toThrow(/new indices/);
    expect(() => createDklsReshare({ ...base, self: 3, members: [{ old: 1 }, { old: 2 }, { new: 1 }, { new: 2 }], tNew: 1 })).toThrow(/2 <= t/);
    const other = testKey('secp256k1-2of4');
    expect(() =>
      createDklsReshare({ ...base, self: 1, share: other.shares.get(1)!, members: [{ old: 1 }, { old: 2 }, { new: 1 }, { new: 2 }], tNew: 2 }),
    ).toThrow(/not of the old key version/);
  });
});
