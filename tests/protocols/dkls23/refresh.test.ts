// DKLs23 key refresh (issue 4; research notes §1.7): new shares, new base OTs, new OT-extension
// seeds and zero-sharing seeds, the same public key. Honest run on the cached 2-of-2 secp256k1 key
// (every party restored from a snapshot before every delivery); signatures with the new shares
// checked by noble and node:crypto; old and new shares do not mix. Adversarial: a wrong constant
// term is named, the threshold cannot change, DKG messages replayed into a refresh are refused (on
// the cached 2-of-2 key where a third party adds nothing to the check).
// In refresh.slow.test.ts (the slow tier, same code paths, seconds of OT setup each): the honest
// 2-of-3 and 3-of-5 secp256k1 and 2-of-3 P-256 refreshes, and two parties shifting their constants
// by ±d. The 2-of-3 refresh is a variant of the 2-of-2 one here: the same code per party and per
// pair, three pairwise OT setups where 2-of-2 has one. With n > t, the honest parties of the
// threshold-change case below (2-of-3) still deal their all-n constants here, and the e2e tier's
// refreshes (refresh-without, refresh-kill) refresh 2-of-3 keys to the end.
import { describe, test, expect, beforeAll } from '@jest/globals';
import { ProtocolError } from '../../../protocols/core/errors.ts';
import { createDklsRefresh, restoreDklsRefresh, refreshProtocolName } from '../../../protocols/dkls23/refresh.ts';
import { createDklsDkg, restoreDklsDkg } from '../../../protocols/dkls23/dkg.ts';
import { DKLS_CURVES, type DklsCurveName } from '../../../protocols/dkls23/curve.ts';
import type { DklsKeyShare } from '../../../protocols/dkls23/keyshare.ts';
import { type Relay } from '../../support/simulator.ts';
import { chain, rewrite } from '../../support/adversaries.ts';
import type { Envelope } from '../../../protocols/core/envelope.ts';
import { CONTEXT, expectBlame, expectNoOutput } from './session-fixtures.ts';
import { testKey } from '../../support/dkls23-test-keys.ts';
import { seededRng, sid } from './fixtures.ts';
import { cheatingSession, honestRefreshCases, refreshSessions, runRefresh, type Refresh } from './refresh-cases.ts';

// The honest case on the cached 2-of-2 secp256k1 key; the 2-of-3, 3-of-5 and P-256 refreshes are
// in refresh.slow.test.ts (refresh-cases.ts).
honestRefreshCases([['secp256k1', 2, 2]]);

// The attacks whose check does not need a third party run on the cached 2-of-2 key: two parties
// are two pairwise OT setups where three are six (each a refresh's main cost).
describe('DKLs23 refresh under attack (secp256k1, 2-of-2 and 2-of-3)', () => {
  const curve: DklsCurveName = 'secp256k1';
  /** The 2-of-3 key. */
  let old: Map<number, DklsKeyShare>;
  /** The 2-of-2 key. */
  let pair: Map<number, DklsKeyShare>;
  let dkgSent: Envelope[];
  /** The 2-of-2 key's DKG session label: the replay tests run their refresh under the DKG's session id. */
  let dkgLabel: string;

  beforeAll(() => {
    old = testKey('secp256k1-2of3').shares;
    const key = testKey('secp256k1-2of2');
    pair = key.shares;
    dkgSent = key.sent;
    dkgLabel = key.label;
  });

  const withEvil = (shares: Map<number, DklsKeyShare>, label: string, evil: number, s: Refresh) =>
    refreshSessions(curve, shares, label).map((x) => (x.self === evil ? s : x));

  test('a party dealing a constant other than its additive share is caught and named (public key mismatch)', () => {
    const label = 'refresh-adv/constant';
    const evil = cheatingSession(curve, pair.get(2)!, label, { constant: (c) => DKLS_CURVES[curve].Fn.add(c, 1n) });
    const { sim } = runRefresh(curve, pair, label, {}, withEvil(pair, label, 2, evil));
    expectBlame(sim, [1], 'invalid-commitment', [2]);
    const r = sim.results.get(1)!;
    expect(r.kind === 'abort' && r.error.message).toMatch(/public key mismatch/);
  });

  test('threshold change refused: a share with another t does not parse; a party dealing t+1 coefficients is named', () => {
    const share = old.get(1)!;
    expect(() => createDklsRefresh({ curve, sessionId: sid('x'), self: 1, share: { ...share, t: 3 }, context: CONTEXT, rng: seededRng('x') })).toThrow(
      ProtocolError,
    );
    const label = 'refresh-adv/threshold';
    const evil = cheatingSession(curve, old.get(2)!, label, { constant: (c) => c, t: 3 });
    const { sim } = runRefresh(curve, old, label, {}, withEvil(old, label, 2, evil));
    expectNoOutput(sim, [1, 3]);
    for (const p of [1, 3]) {
      const r = sim.results.get(p)!;
      expect(r.kind === 'abort' && { kind: r.error.kind, culprits: r.error.culprits }).toEqual({ kind: 'invalid-commitment', culprits: [2] });
    }
  });

  test('inputs are checked: wrong party, wrong curve', () => {
    const share = old.get(1)!;
    expect(() => createDklsRefresh({ curve, sessionId: sid('x'), self: 2, share, context: CONTEXT, rng: seededRng('x') })).toThrow(ProtocolError);
    expect(() => createDklsRefresh({ curve: 'p256', sessionId: sid('x'), self: 1, share, context: CONTEXT, rng: seededRng('x') })).toThrow(ProtocolError);
  });

  /** Replaces party 2's refresh messages of `rounds` by its DKG messages of the same round and addressee. */
  const replay = (rounds: number[], asRefresh: boolean): Relay =>
    rewrite(
      (e) => e.from === 2 && rounds.includes(e.round),
      (e) => {
        const d = dkgSent.find((x) => x.from === 2 && x.round === e.round && x.to === e.to)!;
        return asRefresh ? { ...d, protocol: e.protocol } : d;
      },
    );

  test('replayed DKG messages (same session id, another protocol name) are dropped: the refresh waits until its deadline', () => {
    // Nobody can be blamed for a message of another protocol (TOB-SILA-14): dropped, and without
    // party 2's real round 1 nobody finishes.
    const sessions = refreshSessions(curve, pair, 'refresh-adv/replay', dkgLabel);
    const { sim } = runRefresh(curve, pair, '', { relay: chain(replay([1], false)) }, sessions);
    expectNoOutput(sim, [1]);
    for (const p of [1]) {
      const r = sim.results.get(p)!;
      expect(r.kind === 'abort' && r.error.kind).toBe('timeout');
    }
  });

  test('replayed DKG messages relabelled as refresh messages are refused (old commitment, other final session id)', () => {
    const sessions = refreshSessions(curve, pair, 'refresh-adv/replay2', dkgLabel);
    const { sim } = runRefresh(curve, pair, '', { relay: replay([1, 2], true) }, sessions);
    expectNoOutput(sim, [1]);
    for (const p of [1]) {
      const r = sim.results.get(p)!;
      expect(r.kind === 'abort' && r.error.culprits).toContain(2);
    }
  });

  test('a DKG snapshot is not restored as a refresh, nor the reverse', () => {
    const r = refreshSessions(curve, old, 'refresh-adv/snap')[0]!;
    expect(() => restoreDklsDkg(r.toJSON(), () => new Uint8Array())).toThrow(ProtocolError);
    const json = r.toJSON() as Record<string, unknown>;
    expect(() => restoreDklsRefresh({ ...json, refresh: undefined }, () => new Uint8Array())).toThrow(ProtocolError);
    expect(restoreDklsRefresh(json, () => new Uint8Array()).protocol).toBe(refreshProtocolName(curve));
    const dkg = createDklsDkg({ curve, sessionId: sid('refresh-adv/snap'), self: 1, n: 3, t: 2, context: CONTEXT, rng: seededRng('snap') });
    const dkgJson = dkg.toJSON() as Record<string, unknown>;
    expect(restoreDklsDkg(dkgJson, () => new Uint8Array()).protocol).toBe('dkls23-secp256k1/dkg');
    expect(() => restoreDklsDkg({ ...dkgJson, refresh: json.refresh }, () => new Uint8Array())).toThrow(ProtocolError);
    expect(() => restoreDklsRefresh({ ...dkgJson, refresh: json.refresh }, () => new Uint8Array())).toThrow(ProtocolError);
  });
});
