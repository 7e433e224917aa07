// FROST signing with pre-made round-one commitments (protocols/frost/premade.ts; RFC 9591 §5.1
// commit() run ahead, FROST's preprocessing stage): honest runs for several (t, n) on both
// suites, every signature verified by node:crypto (4-of-7 in premade.slow.test.ts); then what a
// hostile coordinator or signer can try with a list the coordinator assembles.
import { describe, test, expect } from '@jest/globals';
import { aggregatePremadeShares, premadeSignatureShare, premakeFrostNonces, type Commitment, type PremadeNonces } from '../../../protocols/frost/premade.ts';
import { frostSuite, type FrostSuiteName } from '../../../protocols/frost/suite.ts';
import { ProtocolError } from '../../../protocols/core/errors.ts';
import { seededRng } from '../../support/simulator.ts';
import { SUITES, badPoints, dealByDkg, nodeVerify, sid } from './fixtures.ts';
import { MESSAGE, honestPremadeCases, premake, publicKey, run } from './premade-cases.ts';

describe.each(SUITES)('pre-made FROST signing, %s', (suite: FrostSuiteName) => {
  // 4-of-7 (the same code with seven parties and t = 4) is in premade.slow.test.ts.
  honestPremadeCases(suite, [
    [2, 3, [1, 3]],
    [3, 5, [2, 4, 5]],
    [2, 2, [1, 2]],
  ]);

  const shares = dealByDkg(suite, 2, 3, `${suite}/premade-attacks`);
  const SIGNERS = [1, 2, 3];

  test('fewer shares than the signers: no valid signature', () => {
    const { answers } = run(shares, SIGNERS, `${suite}/premade/missing`);
    const partial = [...answers].slice(0, 2).map(([index, a]) => ({ index, ...a }));
    expect(nodeVerify(suite, aggregatePremadeShares(suite, partial), MESSAGE, publicKey(shares))).toBe(false);
  });

  test('a coordinator showing signers different commitment lists: the answers disagree, no signature', () => {
    const label = `${suite}/premade/equivocate`;
    const made = premake(shares, SIGNERS, label);
    const other = premakeFrostNonces({ share: shares.get(3)!, count: 1, rng: seededRng(`${label}/other`) })[0]!;
    // Party 1 is shown another commitment for party 3 than parties 2 and 3 are.
    const { sign } = run(shares, SIGNERS, label, { made, listFor: (p) => SIGNERS.map((q) => (p === 1 && q === 3 ? other : made.get(q)!).commitment) });
    expect(sign).toThrow(/signed different requests or commitment lists/);
  });

  test('signers shown different messages: the answers disagree, no signature', () => {
    const { sign } = run(shares, SIGNERS, `${suite}/premade/messages`, { message: (p) => (p === 2 ? new TextEncoder().encode('other') : MESSAGE) });
    expect(sign).toThrow(/different requests/);
  });

  test('signers that enforce different policy revisions (contexts): the answers disagree, no signature', () => {
    const { sign } = run(shares, SIGNERS, `${suite}/premade/contexts`, { context: (p) => new TextEncoder().encode(`revision ${p === 2 ? 2 : 1}`) });
    expect(sign).toThrow(/different signing-policy revisions/);
    const same = run(shares, SIGNERS, `${suite}/premade/contexts-same`, { context: () => new TextEncoder().encode('revision 2') });
    expect(nodeVerify(suite, same.sign(), MESSAGE, publicKey(shares))).toBe(true);
  });

  test("a cheating signer's share yields a signature that does not verify (the service then signs in two rounds, which names it)", () => {
    const { answers } = run(shares, SIGNERS, `${suite}/premade/bad-z`);
    const bad = [...answers].map(([index, a]) => ({ index, ...a, z: index === 3 ? Uint8Array.from(a.z, (b, i) => (i === 0 ? b ^ 1 : b)) : a.z }));
    expect(nodeVerify(suite, aggregatePremadeShares(suite, bad), MESSAGE, publicKey(shares))).toBe(false);
    // A share that is not a canonical scalar is refused, naming its signer.
    const huge = [...answers].map(([index, a]) => ({ index, ...a, z: index === 2 ? new Uint8Array(a.z.length).fill(0xff) : a.z }));
    expect(() => aggregatePremadeShares(suite, huge)).toThrow(expect.objectContaining({ kind: 'malformed', culprits: [2] }));
  });

  test.each(['identity', 'smallOrder', 'mixedOrder', 'nonCanonical'] as const)(
    'a %s point in the list is refused before any share exists, nobody blamed',
    (kind) => {
      const label = `${suite}/premade/bad-${kind}`;
      const made = premake(shares, [1, 2], label);
      const bad = badPoints(suite)[kind];
      for (const list of [
        [made.get(1)!.commitment, { hiding: made.get(2)!.commitment.hiding, binding: bad }],
        [made.get(1)!.commitment, { hiding: bad, binding: made.get(2)!.commitment.binding }],
      ]) {
        let err: unknown;
        try {
          premadeSignatureShare({ share: shares.get(1)!, sessionId: sid(label), signers: [1, 2], message: MESSAGE, own: made.get(1)!, commitments: list });
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(ProtocolError);
        expect((err as ProtocolError).kind).toBe('malformed');
        expect((err as ProtocolError).culprits).toEqual([]);
      }
    },
  );

  test('a list without our commitment, with another one for us, or giving ours to a peer is refused', () => {
    const label = `${suite}/premade/not-ours`;
    const made = premake(shares, [1, 2], label);
    const stranger = premakeFrostNonces({ share: shares.get(1)!, count: 1, rng: seededRng(`${label}/stranger`) })[0]!;
    const answer = (commitments: Commitment[], signers = [1, 2]) =>
      premadeSignatureShare({ share: shares.get(1)!, sessionId: sid(label), signers, message: MESSAGE, own: made.get(1)!, commitments });
    expect(() => answer([stranger.commitment, made.get(2)!.commitment])).toThrow(/not ours/);
    expect(() => answer([made.get(1)!.commitment, made.get(1)!.commitment])).toThrow(/our own nonce commitment/);
    expect(() => answer([made.get(1)!.commitment])).toThrow(/one per signer/);
    expect(() => answer([made.get(2)!.commitment, made.get(1)!.commitment], [2, 3])).toThrow(ProtocolError);
    expect(() => answer([made.get(1)!.commitment, { hiding: made.get(2)!.commitment.hiding, binding: made.get(2)!.commitment.binding.slice(1) }])).toThrow(
      /must be/,
    );
    // The honest list still works with the same pair (nothing was consumed by the refusals: the
    // service takes the pair out of its pool when a request names it, whatever happens next).
    expect(answer([made.get(1)!.commitment, made.get(2)!.commitment]).z).toHaveLength(shares.get(1)!.suite === 'ed25519' ? 32 : 57);
  });

  test("the nonce id is the pair's, as sign.ts computes it for the two-round session", () => {
    const label = `${suite}/premade/nonce-id`;
    const { answers } = run(shares, [1, 2], label);
    const again = run(shares, [1, 2], label);
    // Same pairs (same seeds), same ids; a different pair, a different id.
    expect([...again.answers.values()].map((a) => a.nonceId)).toEqual([...answers.values()].map((a) => a.nonceId));
    const other = run(shares, [1, 2], `${label}/other`);
    expect(other.answers.get(1)!.nonceId).not.toBe(answers.get(1)!.nonceId);
  });

  test('premakeFrostNonces: distinct pairs whose commitments match the nonces, bounded count', () => {
    const made = premakeFrostNonces({ share: shares.get(1)!, count: 8, rng: seededRng('many') });
    expect(new Set(made.map((m: PremadeNonces) => Buffer.from(m.commitment.hiding).toString('hex'))).size).toBe(8);
    const { Point, Fn } = frostSuite(suite);
    for (const m of made) {
      expect(Point.BASE.multiply(Fn.fromBytes(m.nonces.hiding)).toBytes()).toEqual(m.commitment.hiding);
      expect(Point.BASE.multiply(Fn.fromBytes(m.nonces.binding)).toBytes()).toEqual(m.commitment.binding);
    }
    expect(() => premakeFrostNonces({ share: shares.get(1)!, count: 0, rng: seededRng('x') })).toThrow(ProtocolError);
    expect(() => premakeFrostNonces({ share: shares.get(1)!, count: 65, rng: seededRng('x') })).toThrow(ProtocolError);
  });
});
