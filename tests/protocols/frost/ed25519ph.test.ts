// FROST computing Ed25519ph (ED25519_PH_SHA_512): an Ed25519 key's shares sign with the challenge
// H2 prefixed by dom2(1, "") over PH(M) = SHA-512(M) (protocols/frost/suite.ts 'ed25519ph'), in
// two rounds and with pre-made commitments. Each signature is checked by noble's ed25519ph and by
// an RFC 8032 reference written for the test (tests/support/ed25519ph-reference.ts); it is not a
// pure Ed25519 signature of M (node:crypto refuses it), and pure and ph signers never combine.
import { describe, expect, test } from '@jest/globals';
import { ed25519ph } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { createFrostSign } from '../../../protocols/frost/sign.ts';
import { aggregatePremadeShares, premadeSignatureShare, premakeFrostNonces } from '../../../protocols/frost/premade.ts';
import { dom2, frostSuite } from '../../../protocols/frost/suite.ts';
import { outputsOf, seededRng, simulate } from '../../support/simulator.ts';
import { referenceEd25519phVerify } from '../../support/ed25519ph-reference.ts';
import { dealByDkg, nodeVerify, sid } from './fixtures.ts';

// AWS's ED25519_PH_SHA_512 takes a 64-byte DIGEST and hashes it again (docs/kms-compatibility.md "Key specs and algorithms"): M is that digest.
const M = sha512(new TextEncoder().encode('a message the caller hashed itself'));
const PH = sha512(M);
const shares = dealByDkg('ed25519', 2, 3, 'ed25519ph/dkg');
const pub = Buffer.from(shares.get(1)!.groupPublicKey, 'hex');

describe('FROST Ed25519ph', () => {
  test('dom2(1, "") is RFC 8032\'s prefix', () => {
    expect(Buffer.from(dom2(1)).toString('hex')).toBe(`${Buffer.from('SigEd25519 no Ed25519 collisions').toString('hex')}0100`);
  });

  test.each([[[1, 2]], [[2, 3]], [[1, 2, 3]]])(
    'two rounds with signers %j: noble ed25519ph and the RFC 8032 reference accept; it is no pure Ed25519 signature',
    (signers) => {
      const sessions = signers.map((p) =>
        createFrostSign({
          suite: 'ed25519ph',
          sessionId: sid(`ph/${signers}`),
          self: p,
          signers,
          share: shares.get(p)!,
          message: PH,
          rng: seededRng(`ph/${signers}/${p}`),
        }),
      );
      const outputs = [...outputsOf(simulate(sessions)).values()];
      expect(outputs).toHaveLength(signers.length);
      const sig = outputs[0]!.signature;
      for (const o of outputs) expect(o.signature).toEqual(sig);
      expect(ed25519ph.verify(sig, M, pub)).toBe(true);
      expect(referenceEd25519phVerify(sig, M, pub)).toBe(true);
      expect(ed25519ph.verify(sig, PH, pub)).toBe(false);
      expect(nodeVerify('ed25519', sig, M, pub)).toBe(false);
      expect(nodeVerify('ed25519', sig, PH, pub)).toBe(false);
      expect(frostSuite('ed25519ph').verify(sig, PH, pub)).toBe(true);
      const bad = Uint8Array.from(sig);
      bad[40]! ^= 1;
      expect(ed25519ph.verify(bad, M, pub)).toBe(false);
      expect(referenceEd25519phVerify(bad, M, pub)).toBe(false);
      expect(frostSuite('ed25519ph').verify(bad, PH, pub)).toBe(false);
    },
  );

  test('pre-made round one: a one-round Ed25519ph signature both verifiers accept', () => {
    const signers = [1, 3];
    const made = new Map(signers.map((p) => [p, premakeFrostNonces({ share: shares.get(p)!, count: 1, rng: seededRng(`ph/premade/${p}`) })[0]!]));
    const list = signers.map((p) => made.get(p)!.commitment);
    const answers = signers.map((p) => ({
      index: p,
      ...premadeSignatureShare({
        share: shares.get(p)!,
        sessionId: sid('ph/premade'),
        signers,
        message: PH,
        own: made.get(p)!,
        commitments: list,
        suite: 'ed25519ph',
      }),
    }));
    const sig = aggregatePremadeShares('ed25519', answers);
    expect(ed25519ph.verify(sig, M, pub)).toBe(true);
    expect(referenceEd25519phVerify(sig, M, pub)).toBe(true);
    // The nonce ids are the key suite's: a pre-made pair is spent once, for pure or for ph signing.
    const pure = premadeSignatureShare({ share: shares.get(1)!, sessionId: sid('ph/premade'), signers, message: PH, own: made.get(1)!, commitments: list });
    expect(pure.nonceId).toBe(answers[0]!.nonceId);
    // A pure signer and a ph signer of the same request bind different protocols: their answers do not combine.
    expect(pure.request).not.toEqual(answers[0]!.request);
    expect(() => aggregatePremadeShares('ed25519', [{ index: 1, ...pure }, answers[1]!])).toThrow(/different requests/);
  });

  test("signers asked for pure Ed25519 and for Ed25519ph never produce a share: each drops the other protocol's messages", () => {
    const signers = [1, 2];
    const sessions = [
      createFrostSign({ suite: 'ed25519ph', sessionId: sid('mixed'), self: 1, signers, share: shares.get(1)!, message: PH, rng: seededRng('mixed/1') }),
      createFrostSign({ suite: 'ed25519', sessionId: sid('mixed'), self: 2, signers, share: shares.get(2)!, message: PH, rng: seededRng('mixed/2') }),
    ];
    const sim = simulate(sessions);
    // Another protocol's message proves nothing about this session, so it is dropped, not blamed
    // (protocols/core/round-machine.ts, TOB-SILA-14): neither session gets past round 1.
    expect(() => outputsOf(sim)).toThrow(/party 1: timeout.*\n.*party 2: timeout/);
    expect(sim.sent.filter((m) => m.round === 2)).toHaveLength(0);
  });

  test('an Ed448 share cannot sign Ed25519ph', () => {
    const ed448 = dealByDkg('ed448', 2, 2, 'ph/ed448');
    expect(() =>
      createFrostSign({ suite: 'ed25519ph', sessionId: sid('x'), self: 1, signers: [1, 2], share: ed448.get(1)!, message: PH, rng: seededRng('x') }),
    ).toThrow(/share is for ed448/);
  });
});
