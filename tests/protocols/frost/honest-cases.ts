// The honest FROST cases through the simulator (DKG, signing with several signer subsets,
// refresh, signing after refresh; both suites), shared by honest.test.ts ((t, n) in {(2,2),
// (2,3), (3,5)}, `npm test`) and honest.slow.test.ts ((5,7), the slow tier: seven parties cost
// more than the three smaller keys together, on the same code paths). Not a test file.
import { describe, test, expect } from '@jest/globals';
import { bytesToHex } from '../../../protocols/core/bytes.ts';
import type { FrostKeyShare } from '../../../protocols/frost/share.ts';
import { outputsOf, simulate } from '../../support/simulator.ts';
import { SUITES, dkgSessions, nodeVerify, refreshSessions, runSign, shareOutputs } from './fixtures.ts';

/** A few signer sets: the first t, everyone, and (for small keys, where it is cheap) the last t. */
function subsets(t: number, n: number): number[][] {
  const all = Array.from({ length: n }, (_, k) => k + 1);
  const sets = n <= 5 ? [all.slice(0, t), all.slice(n - t), all] : [all.slice(0, t), all];
  return [...new Map(sets.map((s) => [s.join(','), s])).values()];
}

export function honestFrostCases(params: [number, number][]): void {
  describe.each(SUITES)('%s', (suite) => {
    describe.each(params)('t=%i n=%i', (t, n) => {
      const label = `honest/${suite}/${t}-${n}`;
      let shares: Map<number, FrostKeyShare>;
      let publicKey: Uint8Array;

      test('DKG: every party ends with the same key and transcript', () => {
        const sim = simulate(dkgSessions(suite, t, n, label));
        const outputs = outputsOf(sim);
        expect(outputs.size).toBe(n);
        const first = outputs.get(1)!;
        publicKey = first.publicKey;
        for (const [p, o] of outputs) {
          expect(bytesToHex(o.publicKey)).toBe(bytesToHex(first.publicKey));
          expect(bytesToHex(o.transcriptHash)).toBe(bytesToHex(first.transcriptHash));
          expect(o.share.index).toBe(p);
          expect(o.share.groupPublicKey).toBe(bytesToHex(o.publicKey));
          expect(o.share.commitments).toEqual(first.share.commitments);
          expect(o.share.verifyingShares).toEqual(first.share.verifyingShares);
        }
        // Every party stored its share (durable) before confirming.
        expect(
          sim.durables
            .filter((d) => d.durable.share)
            .map((d) => d.party)
            .sort((a, b) => a - b),
        ).toEqual(outputs.size ? [...outputs.keys()].sort((a, b) => a - b) : []);
        shares = shareOutputs(outputs);
      });

      test('sign with several signer sets; node:crypto accepts every signature', () => {
        for (const signers of subsets(t, n)) {
          const message = new TextEncoder().encode(`message for ${signers.join(',')}`);
          const sim = runSign(suite, shares, signers, message, `${label}/sign/${signers.join(',')}`);
          const outputs = outputsOf(sim);
          const sig = outputs.get(signers[0]!)!.signature;
          for (const o of outputs.values()) expect(bytesToHex(o.signature)).toBe(bytesToHex(sig));
          expect(nodeVerify(suite, sig, message, publicKey)).toBe(true);
          // Each signer consumed exactly one nonce, durably, before its share left.
          const consumed = sim.durables.flatMap((d) => d.durable.consume ?? []);
          expect(new Set(consumed).size).toBe(signers.length);
        }
      });

      test('refresh keeps the key, changes every share; new shares sign, mixed old/new shares do not', () => {
        const sim = simulate(refreshSessions(suite, shares, `${label}/refresh`));
        const outputs = outputsOf(sim);
        const fresh = shareOutputs(outputs);
        for (const [p, o] of outputs) {
          expect(bytesToHex(o.publicKey)).toBe(bytesToHex(publicKey));
          expect(o.share.signingShare).not.toBe(shares.get(p)!.signingShare);
          expect(o.share.verifyingShares).toEqual(outputs.get(1)!.share.verifyingShares);
          expect(o.share.commitments[0]).toBe(shares.get(p)!.commitments[0]);
          expect(o.share.t).toBe(t);
        }
        const signers = subsets(t, n)[0]!;
        const message = new TextEncoder().encode('after refresh');
        const signed = outputsOf(runSign(suite, fresh, signers, message, `${label}/sign-fresh`));
        expect(nodeVerify(suite, signed.get(signers[0]!)!.signature, message, publicKey)).toBe(true);

        // One signer still on its old share: everyone aborts, nobody gets a signature.
        const mixed = new Map(fresh);
        mixed.set(signers[0]!, shares.get(signers[0]!)!);
        const bad = runSign(suite, mixed, signers, message, `${label}/sign-mixed`);
        for (const r of bad.results.values()) expect(r.kind).toBe('abort');
      });
    });
  });
}
