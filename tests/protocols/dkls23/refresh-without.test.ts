// DKLs23 refresh WITHOUT some parties (issue 4: "bans that peer for the key until a refresh without
// it"; research notes §1.7 and §2 "Ban policy"). The remaining parties S run the refresh among
// themselves, renumbered 1..|S| in ascending old-index order, each dealing λ_o^S·s_o (Lagrange over
// S's old indices); t is unchanged, the public key is unchanged. Honest run here: 2-of-3 leaving
// out 2 (party 3 becomes party 2); the new shares sign (noble and node:crypto). The 3-of-5 key
// leaving out 1 and 4 and the 2-of-4 key leaving out 3 are in refresh-without.slow.test.ts (the
// slow tier: six pairwise OT setups each, the same code paths).
// Adversarial: a wrong constant (here the all-n constant of a full refresh; a shifted one in the
// slow tier) is named; a message from the left-out party is refused; parties that disagree on who
// is left out abort; |S| < t, indices outside 1..n, duplicates and leaving oneself out are refused.
import { describe, test, expect, beforeAll } from '@jest/globals';
import { ProtocolError } from '../../../protocols/core/errors.ts';
import type { Envelope } from '../../../protocols/core/envelope.ts';
import { createDklsRefresh, refreshMembers, restoreDklsRefresh } from '../../../protocols/dkls23/refresh.ts';
import type { DklsKeyShare } from '../../../protocols/dkls23/keyshare.ts';
import { simulate } from '../../support/simulator.ts';
import { CONTEXT, expectNoOutput } from './session-fixtures.ts';
import { testKey } from '../../support/dkls23-test-keys.ts';
import { seededRng, sid } from './fixtures.ts';
import { constantTest, curve, honestWithoutCases, sessionsWithout } from './refresh-without-cases.ts';

honestWithoutCases([[2, 3, [2]]]);

describe('DKLs23 refresh without a party, under attack (secp256k1; 2-of-4 key but for the wrong constant)', () => {
  let old: Map<number, DklsKeyShare>;

  beforeAll(() => {
    old = testKey('secp256k1-2of4').shares;
  });

  constantTest(['all-n Lagrange']);

  test('a message from the left-out party is dropped: it is no participant of the session', () => {
    // Without old party 4: old 1, 2, 3 keep their indices. Party 4 still runs a full refresh under
    // the same session id, and its round-1 broadcast reaches the others: nobody in the session can
    // be blamed for it (TOB-SILA-14), so each drops it and goes on waiting for its real peers.
    const label = 'refresh-without-adv/outsider';
    const outsider = createDklsRefresh({ curve, sessionId: sid(label), self: 4, share: old.get(4)!, context: CONTEXT, rng: seededRng('outsider') });
    const start = outsider.start();
    const intruding = (start.kind === 'send' ? start.messages : [])[0] as Envelope;
    expect(intruding.from).toBe(4);
    for (const session of sessionsWithout(old, [4], label)) {
      session.start();
      expect(session.receive(intruding)).toEqual({ kind: 'wait', dropped: expect.stringMatching(/message from 4, who is not another participant/) });
    }
  });

  test('parties that disagree on who is left out abort (the final session id binds the remaining old indices)', () => {
    // Old parties 1 and 2 leave out 3; old party 4 believes 2 is left out (it is new party 3 either way).
    const label = 'refresh-without-adv/disagree';
    const sessions = sessionsWithout(old, [3], label).map((s) =>
      s.self === 3
        ? createDklsRefresh({ curve, sessionId: sid(label), self: 3, share: old.get(4)!, context: CONTEXT, rng: seededRng('disagree'), exclude: [2] })
        : s,
    );
    const sim = simulate(sessions);
    expectNoOutput(sim, [1, 2, 3]);
    for (const p of [1, 2, 3]) {
      const r = sim.results.get(p)!;
      expect(r.kind === 'abort' && r.error.kind).toBe('equivocation');
      expect(r.kind === 'abort' && r.error.message).toMatch(/final session id differs/);
    }
  });

  test('refused inputs: fewer than t remaining, an index outside 1..n, a duplicate, leaving oneself out, the wrong new index', () => {
    const share = old.get(1)!;
    const make =
      (exclude: number[], self = 1) =>
      () =>
        createDklsRefresh({ curve, sessionId: sid('x'), self, share, context: CONTEXT, rng: seededRng('x'), exclude });
    expect(make([2, 3, 4])).toThrow(/leaves 1 parties, fewer than the threshold 2/);
    expect(make([0])).toThrow(/not an index 1\.\.4/);
    expect(make([5])).toThrow(/not an index 1\.\.4/);
    expect(make([2.5])).toThrow(/not an index/);
    expect(make([3, 3])).toThrow(/left out twice/);
    expect(make([1])).toThrow(/leaving itself out/);
    expect(() => createDklsRefresh({ curve, sessionId: sid('x'), self: 1, share: old.get(3)!, context: CONTEXT, rng: seededRng('x'), exclude: [2] })).toThrow(
      /old party 3 takes part as party 2, not 1/,
    );
    for (const f of [make([2, 3, 4]), make([1]), make([3, 3])]) {
      try {
        f();
      } catch (e) {
        expect((e as ProtocolError).kind).toBe('bad-parameters');
      }
    }
    expect(() => refreshMembers({ n: 5, t: 3, self: 2, exclude: [1, 4, 5] })).toThrow(/fewer than the threshold 3/);
    expect(refreshMembers({ n: 5, t: 3, self: 2, exclude: [4, 1] })).toEqual([2, 3, 5]);
  });

  test('a snapshot of a refresh without a party restores and keeps who takes part; a tampered member list is refused', () => {
    const s = sessionsWithout(old, [3], 'refresh-without-adv/snap')[2]!;
    const json = s.toJSON() as { refresh: { members: number[] }; n: number };
    expect(json.refresh.members).toEqual([1, 2, 4]);
    expect(json.n).toBe(3);
    expect(restoreDklsRefresh(json, () => new Uint8Array()).self).toBe(3);
    expect(() => restoreDklsRefresh({ ...json, refresh: { ...json.refresh, members: [1, 2] } }, () => new Uint8Array())).toThrow(ProtocolError);
    expect(() => restoreDklsRefresh({ ...json, refresh: { ...json.refresh, members: [2, 1, 4] } }, () => new Uint8Array())).toThrow(ProtocolError);
  });
});
