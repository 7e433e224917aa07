// The honest DKLs23 refresh cases and the helpers that run a refresh, shared by refresh.test.ts
// (2-of-2 secp256k1, in `npm test`) and refresh.slow.test.ts (the slow tier: 2-of-3 and 3-of-5
// secp256k1, 2-of-3 P-256; each refresh costs seconds of OT setup, a pairwise setup per pair of
// parties). Not a test file.
import { describe, test, expect, beforeAll } from '@jest/globals';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '../../../protocols/core/bytes.ts';
import { DklsDkgSession, newDkgState, type DklsDkgOutput } from '../../../protocols/dkls23/dkg.ts';
import { createDklsRefresh, restoreDklsRefresh, refreshProtocolName } from '../../../protocols/dkls23/refresh.ts';
import { DKLS_CURVES, type DklsCurveName } from '../../../protocols/dkls23/curve.ts';
import { lagrangeAtZero } from '../../../protocols/dkls23/feldman.ts';
import { parseKeyShare, type DklsKeyShare } from '../../../protocols/dkls23/keyshare.ts';
import type { Session } from '../../../protocols/core/session.ts';
import { outputsOf, simulate, type SimulateOptions } from '../../support/simulator.ts';
import { CONTEXT, expectNoOutput, expectValidSignature, runSign, sharesOf } from './session-fixtures.ts';
import { testKey } from '../../support/dkls23-test-keys.ts';
import { hex, seededRng, sid } from './fixtures.ts';

export type Refresh = Session<DklsDkgOutput, DklsKeyShare>;

export function refreshSessions(curve: DklsCurveName, shares: Map<number, DklsKeyShare>, label: string, sessionLabel = label): Refresh[] {
  return [...shares.keys()]
    .sort((a, b) => a - b)
    .map((p) =>
      createDklsRefresh({ curve, sessionId: sid(sessionLabel), self: p, share: shares.get(p)!, context: CONTEXT, rng: seededRng(`${label}/refresh/${p}`) }),
    );
}

export function runRefresh(curve: DklsCurveName, shares: Map<number, DklsKeyShare>, label: string, opts: SimulateOptions = {}, sessions?: Refresh[]) {
  const sim = simulate(sessions ?? refreshSessions(curve, shares, label), opts);
  return {
    sim,
    get outputs() {
      return outputsOf(sim);
    },
  };
}

/** A refresh session of party `p` that deals `constant` (instead of λ_p·s_p) and/or another threshold. */
export function cheatingSession(curve: DklsCurveName, share: DklsKeyShare, label: string, o: { constant: (honest: bigint) => bigint; t?: number }): Refresh {
  const old = parseKeyShare(share);
  const parties = Array.from({ length: old.n }, (_, k) => k + 1);
  const honest = old.curve.Fn.mul(lagrangeAtZero(old.curve, parties, old.index), old.secretShare);
  return new DklsDkgSession(
    newDkgState(
      { curve, sessionId: sid(label), self: old.index, n: old.n, t: o.t ?? old.t, context: CONTEXT, rng: seededRng(`${label}/evil/${old.index}`) },
      {
        binding: { publicKey: share.publicKey, transcriptHash: share.transcriptHash, verificationShares: { ...share.verificationShares } },
        constant: o.constant(honest),
      },
    ),
  );
}

export const message = (s: string) => utf8ToBytes(s);

export function honestRefreshCases(cases: [DklsCurveName, number, number][]): void {
  describe.each(cases)('DKLs23 refresh on %s, %i-of-%i', (curve, t, n) => {
    let old: Map<number, DklsKeyShare>;
    let fresh: Map<number, DklsKeyShare>;
    let publicKey: Uint8Array;
    const label = `refresh/${curve}/${t}-${n}`;
    const restoring = curve === 'secp256k1' && n <= 3;

    beforeAll(() => {
      // A key made by the real DKG, cached across files (tests/support/dkls23-test-keys.ts).
      const key = testKey(`${curve}-${t}of${n}` as Parameters<typeof testKey>[0]);
      expect(key.shares.size).toBe(n);
      old = key.shares;
      publicKey = key.publicKey;
    });

    test(`same public key, new shares, every OT and zero seed new${restoring ? '; every party restored from a snapshot before every delivery' : ''}`, () => {
      const t0 = performance.now();
      const opts: SimulateOptions = restoring
        ? { intercept: ((_p: number, s: { toJSON(): unknown }) => restoreDklsRefresh(JSON.parse(JSON.stringify(s.toJSON())), () => new Uint8Array())) as never }
        : {};
      const { sim, outputs } = runRefresh(curve, old, label, opts);
      console.log(`[dkls23 timing] refresh ${t}-of-${n} on ${curve}: ${(performance.now() - t0).toFixed(0)} ms for all ${n} parties`);
      expect(outputs.size).toBe(n);
      expect(sim.sent.every((e) => e.protocol === refreshProtocolName(curve))).toBe(true);
      fresh = sharesOf(outputs);
      const transcript = hex(outputs.get(1)!.transcriptHash);
      for (const [p, o] of outputs) {
        expect(hex(o.publicKey)).toBe(hex(publicKey));
        expect(o.share.publicKey).toBe(old.get(p)!.publicKey);
        expect(hex(o.transcriptHash)).toBe(transcript);
        expect(o.share.transcriptHash).toBe(transcript);
        expect({ t: o.share.t, n: o.share.n, index: o.share.index, curve: o.share.curve }).toEqual({ t, n, index: p, curve });
        parseKeyShare(o.share);
        const before = old.get(p)!;
        expect(o.share.secretShare).not.toBe(before.secretShare);
        expect(o.share.dkgSessionId).not.toBe(before.dkgSessionId);
        expect(o.share.transcriptHash).not.toBe(before.transcriptHash);
        for (let j = 2; j <= t; j++) expect(o.share.commitments[j - 1]).not.toBe(before.commitments[j - 1]);
        for (let j = 1; j <= n; j++) expect(o.share.verificationShares[String(j)]).not.toBe(before.verificationShares[String(j)]);
        for (const [j, m] of Object.entries(o.share.peers)) {
          const b = before.peers[j]!;
          expect(m.zeroSeed).not.toBe(b.zeroSeed);
          expect(m.voleReceiverSeeds).not.toBe(b.voleReceiverSeeds);
          expect(m.voleSenderDelta).not.toBe(b.voleSenderDelta);
          expect(m.voleSenderSeeds).not.toBe(b.voleSenderSeeds);
        }
        // Each party made its new share durable (pending) before its confirmation left.
        expect(sim.durables.some((d) => d.party === p && d.durable.share?.secretShare === o.share.secretShare)).toBe(true);
      }
      // Test-only check: the new shares interpolate to the old key.
      const c = DKLS_CURVES[curve];
      const set = Array.from({ length: t }, (_, k) => k + 1);
      let sk = 0n;
      for (const p of set) sk = c.Fn.add(sk, c.Fn.mul(lagrangeAtZero(c, set, p), c.Fn.fromBytes(Buffer.from(fresh.get(p)!.secretShare, 'hex'))));
      expect(hex(c.Point.BASE.multiply(sk).toBytes(true))).toBe(hex(publicKey));
    });

    test('the new shares sign under the old public key (noble, node:crypto)', () => {
      const sets =
        n === 2
          ? [[1, 2]]
          : n === 3
            ? [
                [1, 2],
                [2, 3],
              ]
            : [
                [1, 3, 5],
                [2, 3, 4, 5],
              ];
      for (const signers of sets) {
        const msg = message(`refreshed ${label} ${signers.join()}`);
        const outputs = outputsOf(runSign(curve, fresh, signers, sha256(msg), `${label}/sign/${signers.join()}`));
        expect(outputs.size).toBe(signers.length);
        for (const o of outputs.values()) expectValidSignature(curve, msg, o, publicKey);
      }
    });

    test('a mix of old and new shares cannot sign: every signer aborts', () => {
      const signers = Array.from({ length: t }, (_, k) => k + 1);
      const mixed = new Map(signers.map((p) => [p, p === 1 ? old.get(p)! : fresh.get(p)!]));
      const sim = runSign(curve, mixed, signers, sha256(message('mixed')), `${label}/sign/mixed`);
      expectNoOutput(sim, signers);
    });
  });
}
