// The helpers of premade.test.ts and premade.slow.test.ts (pre-made FROST signing,
// protocols/frost/premade.ts), and the honest runs per (t, n). Not a test file.
import { expect, test } from '@jest/globals';
import {
  aggregatePremadeShares,
  premadeSignatureShare,
  premakeFrostNonces,
  type Commitment,
  type PremadeNonces,
  type PremadeShare,
} from '../../../protocols/frost/premade.ts';
import type { FrostKeyShare } from '../../../protocols/frost/share.ts';
import type { FrostSuiteName } from '../../../protocols/frost/suite.ts';
import { seededRng } from '../../support/simulator.ts';
import { dealByDkg, nodeVerify, sid } from './fixtures.ts';

export const MESSAGE = new TextEncoder().encode('pay 3 coins to node operator 7');

/** Each signer's pre-made pair (what its party's pool holds). */
export function premake(shares: Map<number, FrostKeyShare>, signers: readonly number[], label: string): Map<number, PremadeNonces> {
  return new Map(signers.map((p) => [p, premakeFrostNonces({ share: shares.get(p)!, count: 1, rng: seededRng(`${label}/premake/${p}`) })[0]!]));
}

/** One request: each signer answers over the list the coordinator shows it; the coordinator aggregates. */
export function run(
  shares: Map<number, FrostKeyShare>,
  signers: readonly number[],
  label: string,
  o: {
    made?: Map<number, PremadeNonces>;
    listFor?: (p: number) => Commitment[];
    message?: (p: number) => Uint8Array;
    context?: (p: number) => Uint8Array;
  } = {},
): { answers: Map<number, PremadeShare>; sign: () => Uint8Array } {
  const made = o.made ?? premake(shares, signers, label);
  const list = (p: number) => o.listFor?.(p) ?? signers.map((q) => made.get(q)!.commitment);
  const answers = new Map(
    signers.map((p) => [
      p,
      premadeSignatureShare({
        share: shares.get(p)!,
        sessionId: sid(label),
        signers: [...signers],
        message: o.message?.(p) ?? MESSAGE,
        own: made.get(p)!,
        commitments: list(p),
        ...(o.context ? { context: o.context(p) } : {}),
      }),
    ]),
  );
  const suite = shares.get(signers[0]!)!.suite;
  return {
    answers,
    sign: () =>
      aggregatePremadeShares(
        suite,
        [...answers].map(([index, a]) => ({ index, ...a })),
      ),
  };
}

export const publicKey = (shares: Map<number, FrostKeyShare>) => Buffer.from([...shares.values()][0]!.groupPublicKey, 'hex');

/** The honest one-round runs for each (t, n, signers): a signature node:crypto accepts, one nonce id per signer. */
export function honestPremadeCases(suite: FrostSuiteName, cases: readonly (readonly [number, number, readonly number[]])[]): void {
  test.each(cases)('%i-of-%i with signers %j: one round, a signature node:crypto accepts', (t, n, signers) => {
    const shares = dealByDkg(suite, t, n, `${suite}/premade/${t}-${n}`);
    const { answers, sign } = run(shares, signers, `${suite}/premade/${t}-${n}/sign`);
    expect(nodeVerify(suite, sign(), MESSAGE, publicKey(shares))).toBe(true);
    // Every signer consumes its own pair's id, and they are all different.
    expect(new Set([...answers.values()].map((a) => a.nonceId)).size).toBe(t);
  });
}
