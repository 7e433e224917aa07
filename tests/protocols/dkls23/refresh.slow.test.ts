// DKLs23 key refresh, the slow tier (`npm run test:slow`, CI): the honest cases of refresh.test.ts
// (same public key, every share, OT seed and zero seed new; the new shares sign; old and new do
// not mix) on the cached 2-of-3 secp256k1 key (restored before every delivery, as the 2-of-2 one
// of `npm test`; three pairwise OT setups), the cached 3-of-5 secp256k1 key (20) and 2-of-3 P-256
// key, and two parties shifting their constants by +d and −d. `npm test` keeps the 2-of-2
// secp256k1 refresh and the other attacks (refresh.test.ts); a refresh on P-256 runs there only
// here, its curve arithmetic is in p256.test.ts's DKG and signing.
import { describe, test, expect, beforeAll } from '@jest/globals';
import { DKLS_CURVES, type DklsCurveName } from '../../../protocols/dkls23/curve.ts';
import type { DklsKeyShare } from '../../../protocols/dkls23/keyshare.ts';
import { expectNoOutput } from './session-fixtures.ts';
import { testKey } from '../../support/dkls23-test-keys.ts';
import { cheatingSession, honestRefreshCases, refreshSessions, runRefresh } from './refresh-cases.ts';

honestRefreshCases([
  ['secp256k1', 2, 3],
  ['secp256k1', 3, 5],
  ['p256', 2, 3],
]);

describe('DKLs23 refresh under attack (secp256k1, 2-of-3), slow tier', () => {
  const curve: DklsCurveName = 'secp256k1';
  let old: Map<number, DklsKeyShare>;

  beforeAll(() => {
    old = testKey('secp256k1-2of3').shares;
  });

  test('two parties shifting their constants by +d and −d (same joint key) are still caught', () => {
    const label = 'refresh-adv/shift';
    const { Fn } = DKLS_CURVES[curve];
    const sessions = refreshSessions(curve, old, label).map((x) =>
      x.self === 1 ? x : cheatingSession(curve, old.get(x.self)!, label, { constant: (c) => (x.self === 2 ? Fn.add(c, 7n) : Fn.sub(c, 7n)) }),
    );
    const { sim } = runRefresh(curve, old, label, {}, sessions);
    const r = sim.results.get(1)!;
    expect(r.kind === 'abort' && { kind: r.error.kind, culprits: r.error.culprits }).toEqual({ kind: 'invalid-commitment', culprits: [2] });
    expectNoOutput(sim, [1, 2, 3]);
  });
});
