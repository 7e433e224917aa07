// What the speed-ups rest on: long-lived points are validated once per process (when the DKG or
// refresh derives them, or when a share is first parsed) and then kept; per-session points (the
// peers' nonce commitments) are fully validated exactly once per session; a cached package never
// vouches for a share whose public fields differ from it; a restored signing session cannot sign
// with nonces that do not belong to its published commitment.
import { describe, test, expect } from '@jest/globals';
import { subgroupCheckCount } from '../../../protocols/frost/codec.ts';
import { parseKeyShare, type FrostKeyShare } from '../../../protocols/frost/share.ts';
import { restoreFrostSign } from '../../../protocols/frost/sign.ts';
import { outputsOf, seededRng, simulate } from '../../support/simulator.ts';
import { SUITES, dealByDkg, nodeVerify, refreshSessions, shareOutputs, signSessions } from './fixtures.ts';

/** Counts the subgroup checks (isTorsionFree, a full scalar multiplication each) decodePoint runs while `f` runs. */
function countSubgroupChecks(_suite: 'ed25519' | 'ed448', f: () => void): number {
  const before = subgroupCheckCount();
  f();
  return subgroupCheckCount() - before;
}

describe.each(SUITES)('validated once, %s', (suite) => {
  test('signing validates each peer nonce commitment once and no long-lived point (the DKG prepared them)', () => {
    const shares = dealByDkg(suite, 3, 5, `${suite}/prepared/dkg`);
    for (const signers of [
      [1, 2, 3],
      [2, 4, 5],
      [1, 2, 3, 4, 5],
    ]) {
      const message = new TextEncoder().encode(`prepared ${signers.join()}`);
      let sim!: ReturnType<typeof simulate>;
      const checks = countSubgroupChecks(suite, () => {
        sim = simulate(signSessions(suite, shares, signers, message, `${suite}/prepared/${signers.join()}`));
      });
      const out = outputsOf(sim) as Map<number, { signature: Uint8Array }>;
      expect(nodeVerify(suite, out.get(signers[0]!)!.signature, message, Buffer.from(shares.get(1)!.groupPublicKey, 'hex'))).toBe(true);
      // Each signer checks the two commitments of each of its t − 1 (here: |signers| − 1) peers.
      expect(checks).toBe(signers.length * 2 * (signers.length - 1));
    }
  });

  test('refreshed shares are prepared too', () => {
    const shares = dealByDkg(suite, 2, 3, `${suite}/prepared/refresh-dkg`);
    const fresh = shareOutputs(outputsOf(simulate(refreshSessions(suite, shares, `${suite}/prepared/refresh`))));
    const checks = countSubgroupChecks(suite, () => {
      outputsOf(simulate(signSessions(suite, fresh, [1, 3], new Uint8Array([1]), `${suite}/prepared/after-refresh`)));
    });
    expect(checks).toBe(2 * 2);
  });

  test('a share first seen from storage is validated in full once, then kept', () => {
    const shares = dealByDkg(suite, 2, 3, `${suite}/prepared/stored`);
    // A copy with a different transcript hash has another package digest: not prepared yet.
    const stored: FrostKeyShare = { ...shares.get(1)!, transcriptHash: 'ab'.repeat(64) };
    const first = countSubgroupChecks(suite, () => parseKeyShare(stored));
    expect(first).toBe(stored.t + stored.n);
    expect(countSubgroupChecks(suite, () => parseKeyShare(stored))).toBe(0);
  });

  test('a prepared package never vouches for a share whose public fields differ', () => {
    const shares = dealByDkg(suite, 2, 3, `${suite}/prepared/tamper`);
    const share = shares.get(1)!;
    parseKeyShare(share);
    const other = dealByDkg(suite, 2, 3, `${suite}/prepared/tamper-other`).get(1)!;
    const tampered: FrostKeyShare[] = [
      { ...share, groupPublicKey: share.verifyingShares['1']! },
      { ...share, commitments: [share.commitments[0]!, other.commitments[1]!] },
      { ...share, verifyingShares: { ...share.verifyingShares, '3': other.verifyingShares['3']! } },
      { ...share, signingShare: shares.get(2)!.signingShare },
      { ...share, n: 4 },
      { ...share, index: 2 },
      { ...share, suite: suite === 'ed25519' ? 'ed448' : 'ed25519' },
    ];
    for (const bad of tampered) expect(() => parseKeyShare(bad)).toThrow(/key share/);
  });
});

describe.each(SUITES)('restored signing sessions, %s', (suite) => {
  const shares = dealByDkg(suite, 2, 3, `${suite}/restore-checks`);
  const snapshot = () =>
    signSessions(suite, shares, [1, 2], new Uint8Array([5]), `${suite}/restore-checks/sign`)[0]!.toJSON() as {
      nonces: { hiding: string; binding: string };
      commitment: { hiding: string; binding: string };
    };

  test('nonces that do not belong to the published commitment are refused', () => {
    const s = snapshot();
    const other = snapshot();
    // Another session of the same party: its own (valid) nonces, but not for this commitment.
    const fromOther = signSessions(suite, shares, [1, 2], new Uint8Array([6]), `${suite}/restore-checks/other`)[0]!.toJSON() as typeof s;
    expect(() => restoreFrostSign({ ...s, nonces: fromOther.nonces }, seededRng('r'))).toThrow(/nonces do not match/);
    expect(() => restoreFrostSign({ ...s, commitment: fromOther.commitment }, seededRng('r'))).toThrow(/nonces do not match/);
    expect(() => restoreFrostSign({ ...s, nonces: { hiding: s.nonces.binding, binding: s.nonces.hiding } }, seededRng('r'))).toThrow(/nonces do not match/);
    expect(() => restoreFrostSign(other, seededRng('r'))).not.toThrow();
  });
});
