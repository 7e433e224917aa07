// The DKLs23 DKG under attack, the slow tier (`npm run test:slow`, CI): attacks whose refusal
// path `npm test` covers elsewhere, each a DKG run paying for its OT setups. A bad proof of the key
// share in round 4 (the same DLog proof check refuses a bad coefficient proof in round 2,
// dkg-adversarial.test.ts); an equivocated round-1 broadcast among three parties (the echo check
// of agreement.ts refuses it in signing, sign-attack-cases.ts; here, in the DKG, three parties pay
// for their round-2 OT requests first).
import { describe, test, expect } from '@jest/globals';
import { createDklsDkg } from '../../../protocols/dkls23/dkg.ts';
import type { DklsCurveName } from '../../../protocols/dkls23/curve.ts';
import { simulate, type Relay } from '../../support/simulator.ts';
import { flipByte, from, payload } from '../../support/adversaries.ts';
import { CONTEXT, dkgSessions, expectBlame, expectNoOutput } from './session-fixtures.ts';
import { seededRng, sid } from './fixtures.ts';

const CURVE: DklsCurveName = 'secp256k1';
const run = (label: string, relay: Relay, t = 2, n = 2) => simulate(dkgSessions(CURVE, t, n, `dkg-adv/${label}`), { relay });
const EVIL = 2,
  HONEST = [1];

describe('DKLs23 DKG under attack (secp256k1), slow tier', () => {
  test('a bad proof of the key share in round 4', () => {
    expectBlame(
      run(
        'r4-proof',
        payload(from(EVIL, 4, 0), (p) => flipByte(p, p.length - 1)),
      ),
      HONEST,
      'invalid-proof',
      [EVIL],
    );
  });

  test('equivocated round-1 broadcast (n = 3): caught by the echo, naming the equivocator', () => {
    const alt = createDklsDkg({
      curve: CURVE,
      sessionId: sid('dkg-adv/equivocate'),
      self: 3,
      n: 3,
      t: 2,
      context: CONTEXT,
      rng: seededRng('another party 3'),
    }).start();
    if (alt.kind !== 'send') throw new Error('no round-1 message');
    const sim = run(
      'equivocate',
      payload(from(3, 1), (p, to) => (to === 2 ? alt.messages[0]!.payload : p)),
      2,
      3,
    );
    expect(sim.results.get(2)).toMatchObject({ kind: 'abort', error: { kind: 'equivocation', culprits: [3] } });
    expect(sim.results.get(1)).toMatchObject({ kind: 'abort', error: { kind: 'equivocation', culprits: [2, 3] } });
    expectNoOutput(sim, [1, 2]);
  });
});
