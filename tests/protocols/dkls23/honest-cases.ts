// The honest DKG + signing cases, shared by one test file per curve so that jest runs the two
// curves in parallel (not a test file).
import { describe, test, expect } from '@jest/globals';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '../../../protocols/core/bytes.ts';
import type { DklsCurveName } from '../../../protocols/dkls23/curve.ts';
import { DKLS_CURVES } from '../../../protocols/dkls23/curve.ts';
import { parseKeyShare, type DklsKeyShare } from '../../../protocols/dkls23/keyshare.ts';
import { lagrangeAtZero } from '../../../protocols/dkls23/feldman.ts';
import { restoreDklsSign } from '../../../protocols/dkls23/sign.ts';
import { restoreDklsDkg } from '../../../protocols/dkls23/dkg.ts';
import { checkKat } from './kat.ts';
import { hex } from './fixtures.ts';
import { outputsOf } from '../../support/simulator.ts';
import { expectValidSignature, runDkg, runSign, sharesOf } from './session-fixtures.ts';
import { testKey, type TestKeyName } from '../../support/dkls23-test-keys.ts';

/** The sets of t shares interpolated to the key when the key comes from the cache. */
const INTERPOLATION_SETS: Record<string, number[][]> = {
  '2,3': [
    [1, 2],
    [1, 3],
    [2, 3],
  ],
  '3,5': [
    [3, 4, 5],
    [1, 2, 3],
    [1, 3, 5],
  ],
};

/** Signer sets per (t, n): every pair for 2-of-3, a few subsets (and a larger-than-t set) for 3-of-5. */
const SIGNER_SETS: Record<string, number[][]> = {
  '2,2': [[1, 2]],
  '2,3': [
    [1, 2],
    [1, 3],
    [2, 3],
    [1, 2, 3],
  ],
  '3,5': [
    [1, 2, 3],
    [2, 4, 5],
    [1, 3, 5],
  ],
};

/**
 * Runs the honest cases; `onKey` receives the 2-of-3 key shares once its DKG has run (or its
 * cached key is loaded). `cached`: the (t, n) whose key comes from the cache of keys made by the
 * real DKG instead of a DKG run here (3-of-5 always).
 */
export function honestCases(curve: DklsCurveName, onKey?: (t: number, n: number, shares: Map<number, DklsKeyShare>) => void, cached: string[] = ['3,5']): void {
  describe.each([
    [2, 2],
    [2, 3],
    [3, 5],
  ])(`DKLs23 on ${curve}, %i-of-%i`, (t, n) => {
    let shares: Map<number, DklsKeyShare>;
    let publicKey: Uint8Array;

    // The 3-of-5 and 2-of-3 keys (both curves' test files pass both) come from the cache of keys
    // made by the real DKG (tests/support/dkls23-test-keys.ts): a 3-of-5 DKG costs 20 pairwise OT
    // setups and a 2-of-3 DKG three, where the 2-of-2 DKG below (with its known answers and a
    // restore before every delivery) costs one and runs the same code per pair; what the larger
    // keys would show beyond it (more parties, a degree-2 polynomial) is checked on their output
    // here and signed with below; the cached-key check (tests/protocols/dkls23/test-keys.test.ts)
    // checks them too. The cache runs those DKGs again whenever the protocol code changes, and a
    // 2-of-3 DKG between real parties runs in tests/services/party/identity-key-decrypts-dkg.test.ts.
    if (cached.includes(`${t},${n}`)) {
      test('key from the real DKG (cached): every share parses, agrees on the key, the DKG session and the transcript; shares interpolate to the key (test-only check)', () => {
        const key = testKey(`${curve}-${t}of${n}` as TestKeyName);
        expect(key.shares.size).toBe(n);
        shares = key.shares;
        publicKey = key.publicKey;
        onKey?.(t, n, shares);
        const first = shares.get(1)!;
        expect(shares.size).toBe(n);
        for (const [p, share] of shares) {
          expect(share).toMatchObject({
            curve,
            index: p,
            n,
            t,
            publicKey: first.publicKey,
            dkgSessionId: first.dkgSessionId,
            transcriptHash: first.transcriptHash,
          });
          expect(() => parseKeyShare(share)).not.toThrow();
        }
        const { Fn, Point } = DKLS_CURVES[curve];
        for (const set of INTERPOLATION_SETS[`${t},${n}`]!) {
          const sk = set.reduce((acc, i) => Fn.add(acc, Fn.mul(lagrangeAtZero(DKLS_CURVES[curve], set, i), parseKeyShare(shares.get(i)!).secretShare)), 0n);
          expect(Point.BASE.multiply(sk).toBytes(true)).toEqual(publicKey);
        }
        // t − 1 shares are not enough: they interpolate to another point.
        const two = Array.from({ length: t - 1 }, (_, k) => k + 1);
        const sk2 = two.reduce((acc, i) => Fn.add(acc, Fn.mul(lagrangeAtZero(DKLS_CURVES[curve], two, i), parseKeyShare(shares.get(i)!).secretShare)), 0n);
        expect(Point.BASE.multiply(sk2).toBytes(true)).not.toEqual(publicKey);
      });
    } else
      test(`DKG: everyone agrees on the key and the transcript; shares interpolate to the key (test-only check)${n === 2 ? '; every party restored from a snapshot before every delivery; known answers' : ''}`, () => {
        const t0 = performance.now();
        // The 2-of-2 run also snapshots and restores every session before every delivery: later
        // randomness comes from the snapshot's seed, so the run is the same as without restores.
        const opts =
          n === 2
            ? {
                intercept: ((_p: number, session: { toJSON(): unknown }) =>
                  restoreDklsDkg(JSON.parse(JSON.stringify(session.toJSON())), () => new Uint8Array())) as never,
              }
            : {};
        const { sim, outputs } = runDkg(curve, t, n, `honest/${curve}/${t}-${n}`, opts);
        const ms = performance.now() - t0;
        const bytes = new Map<string, number>();
        for (const e of sim.sent) bytes.set(`R${e.round} ${e.to ? 'p2p' : 'bc'}`, e.payload.length);
        console.log(
          `[dkls23 timing] DKG ${t}-of-${n} on ${curve}: ${ms.toFixed(0)} ms for all ${n} parties in one thread (${(ms / n).toFixed(0)} ms per party); payload bytes per message: ${JSON.stringify(Object.fromEntries(bytes))}`,
        );
        shares = sharesOf(outputs);
        onKey?.(t, n, shares);
        const first = outputs.get(1)!;
        publicKey = first.publicKey;
        for (const [p, o] of outputs) {
          expect(o.publicKey).toEqual(first.publicKey);
          expect(o.transcriptHash).toEqual(first.transcriptHash);
          expect(o.share.index).toBe(p);
          expect(() => parseKeyShare(o.share)).not.toThrow();
        }
        // The key share was handed to the service to store before the confirmation left.
        expect(
          sim.durables
            .filter((d) => d.durable.share)
            .map((d) => d.party)
            .sort(),
        ).toEqual([...outputs.keys()].sort());
        // Only a test may do this: interpolate the secret from t shares and compare with the key.
        const { Fn, Point } = DKLS_CURVES[curve];
        const set = Array.from({ length: t }, (_, k) => n - k);
        const sk = set.reduce((acc, i) => Fn.add(acc, Fn.mul(lagrangeAtZero(DKLS_CURVES[curve], set, i), parseKeyShare(shares.get(i)!).secretShare)), 0n);
        expect(Point.BASE.multiply(sk).toBytes(true)).toEqual(publicKey);
        if (n === 2)
          checkKat(`dkg-2of2-${curve}`, {
            rngSeeds: 'seededRng(`honest/${curve}/2-2/dkg/${party}`), session id sid(`honest/${curve}/2-2`), context "key-id=test; policy=none"',
            publicKey: hex(publicKey),
            transcriptHash: hex(first.transcriptHash),
            secretShares: [1, 2].map((p) => shares.get(p)!.secretShare),
          });
      });

    test.each(SIGNER_SETS[`${t},${n}`]!)('sign with signers %p: valid under noble and node:crypto, low-S, recoverable', (...signers) => {
      const message = utf8ToBytes(`message for ${signers.join(',')}`);
      const t0 = performance.now();
      const sim = runSign(curve, shares, signers, sha256(message), `honest-sign/${curve}/${t}-${n}/${signers.join('')}`);
      const ms = performance.now() - t0;
      const outputs = outputsOf(sim);
      const bytes = new Map<string, number>();
      for (const e of sim.sent) bytes.set(`R${e.round} ${e.to ? 'p2p' : 'bc'}`, e.payload.length);
      console.log(
        `[dkls23 timing] sign ${t}-of-${n} on ${curve} with ${signers.join(',')}: ${ms.toFixed(1)} ms for all signers in one thread; payload bytes per message: ${JSON.stringify(Object.fromEntries(bytes))}`,
      );
      const sig = outputs.get(signers[0]!)!;
      for (const o of outputs.values()) expect(o).toEqual(sig);
      expectValidSignature(curve, message, sig, publicKey);
      if (n === 2) checkKat(`sign-2of2-${curve}`, { message: 'message for 1,2', signature: hex(sig.signature), recovery: sig.recovery });
      // The presignature of every signer was consumed durably before its round-3 VOLE answer left
      // (once: a session never snapshotted has no partial id to consume before round 4).
      expect(
        sim.durables
          .filter((d) => d.durable.consume?.length === 1)
          .map((d) => d.party)
          .sort(),
      ).toEqual([...signers].sort());
    });

    if (t === 2 && n === 3) {
      test('a signing session survives a snapshot and restore between any two deliveries', () => {
        const message = utf8ToBytes('restored');
        const sim = runSign(curve, shares, [1, 3], sha256(message), `restore/${curve}`, {
          intercept: (_party, session) => restoreDklsSign(JSON.parse(JSON.stringify(session.toJSON())), () => new Uint8Array()) as never,
        });
        expectValidSignature(curve, message, outputsOf(sim).get(1)!, publicKey);
      });
    }
  });
}
