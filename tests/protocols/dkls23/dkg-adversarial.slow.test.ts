// The DKLs23 DKG under attack, the slow tier (`npm run test:slow`, CI): attacks whose refusal
// path `npm test` covers elsewhere, each a DKG run paying for its OT setups. A bad proof of the key
// share in round 4 (the same DLog proof check refuses a bad coefficient proof in round 2,
// dkg-adversarial.test.ts); an equivocated round-1 broadcast among three parties (the echo check
// of agreement.ts refuses it in signing, sign-attack-cases.ts; here, in the DKG, three parties pay
// for their round-2 OT requests first); a tampered all-but-one OT message (the PPRF proof check
// of the pairwise OT setup, ot-setup.ts, bans the sender of a tampered OT setup response in a
// reshare, reshare.test.ts, and pprf.test.ts tests the proof itself).
import { describe, test, expect } from '@jest/globals';
import { createDklsDkg } from '../../../protocols/dkls23/dkg.ts';
import { isBanError } from '../../../protocols/dkls23/errors.ts';
import type { DklsCurveName } from '../../../protocols/dkls23/curve.ts';
import { simulate, type Relay } from '../../support/simulator.ts';
import { flipByte, from, payload } from '../../support/adversaries.ts';
import { CONTEXT, dkgSessions, expectBlame, expectNoOutput } from './session-fixtures.ts';
import { seededRng, sid } from './fixtures.ts';

const CURVE: DklsCurveName = 'secp256k1';
const run = (label: string, relay: Relay, t = 2, n = 2) => simulate(dkgSessions(CURVE, t, n, `dkg-adv/${label}`), { relay });
/** Round-3 p2p layout (n = 2): fsid ‖ echo ‖ share ‖ B ‖ PPRF message; the PPRF message starts here. */
const R3_PPRF = 97 + 32 * 2;
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

  test('a tampered all-but-one OT message: the PPRF proof fails and the sender is banned', () => {
    // Both corrections of level 2 of block 5 (the receiver uses one of them, depending on its Δ).
    const at = R3_PPRF + 5 * 256 + 10;
    const sim = run(
      'pprf',
      payload(from(EVIL, 3, 1), (p) => flipByte(flipByte(p, at), at + 32)),
    );
    const r = sim.results.get(1)!;
    expect(r.kind === 'abort' && isBanError(r.error) && r.error.culprits.join()).toBe(String(EVIL));
    expectNoOutput(sim, HONEST);
  });
});
