// FROST signing binds the share's version (its transcript hash), as DKLs23 binds its key's session
// id: during a refresh's activation window (docs/protocols.md "Refresh activation") signers that
// hold different versions of the same key stop in round 1, before any share exists, and nobody is
// blamed for an invalid signature share.
import { describe, test, expect } from '@jest/globals';
import { createFrostSign } from '../../../protocols/frost/sign.ts';
import { premakeFrostNonces, premadeSignatureShare, aggregatePremadeShares } from '../../../protocols/frost/premade.ts';
import { outputsOf, seededRng, simulate } from '../../support/simulator.ts';
import { SUITES, dealByDkg, nodeVerify, refreshSessions, sid } from './fixtures.ts';

const MESSAGE = new TextEncoder().encode('pay 5');

describe.each(SUITES)('key version in the signing request, %s', (suite) => {
  const old = dealByDkg(suite, 2, 3, `${suite}/version`);
  const refreshed = new Map([...outputsOf(simulate(refreshSessions(suite, old, `${suite}/version-refresh`)))].map(([p, o]) => [p, o.share]));

  test('signers on the same new version sign', () => {
    const sessions = [1, 2].map((p) =>
      createFrostSign({ suite, sessionId: sid('v-new'), self: p, signers: [1, 2], share: refreshed.get(p)!, message: MESSAGE, rng: seededRng(`v-new/${p}`) }),
    );
    const out = outputsOf(simulate(sessions));
    expect(nodeVerify(suite, out.get(1)!.signature, MESSAGE, Buffer.from(old.get(1)!.groupPublicKey, 'hex'))).toBe(true);
  });

  test('an old-version signer and a new-version signer stop in round 1 without an invalid share', () => {
    const sessions = [
      createFrostSign({ suite, sessionId: sid('v-mixed'), self: 1, signers: [1, 2], share: old.get(1)!, message: MESSAGE, rng: seededRng('v-mixed/1') }),
      createFrostSign({ suite, sessionId: sid('v-mixed'), self: 2, signers: [1, 2], share: refreshed.get(2)!, message: MESSAGE, rng: seededRng('v-mixed/2') }),
    ];
    const sim = simulate(sessions);
    for (const [p, other] of [
      [1, 2],
      [2, 1],
    ] as const) {
      const r = sim.results.get(p)!;
      expect(r).toMatchObject({ kind: 'abort', error: { kind: 'bad-parameters', culprits: [other] } });
      expect(r.kind === 'abort' && r.error.message).toMatch(/key version/);
    }
  });

  test('pre-made shares of different versions do not aggregate', () => {
    const shares = [old.get(1)!, refreshed.get(2)!];
    const made = shares.map((share) => premakeFrostNonces({ share, count: 1, rng: seededRng(`pm/${share.index}`) })[0]!);
    const commitments = made.map((m) => m.commitment);
    const answers = shares.map((share, k) => ({
      index: share.index,
      ...premadeSignatureShare({ share, sessionId: sid('pm'), signers: [1, 2], message: MESSAGE, own: made[k]!, commitments }),
    }));
    expect(() => aggregatePremadeShares(suite, answers)).toThrow(/different versions of the key/);
  });
});
