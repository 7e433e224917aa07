// The honest DKLs23 refresh-without-a-party cases and the helpers that run one, shared by
// refresh-without.test.ts (`npm test`: 2-of-3 leaving out 2, and the adversarial cases) and
// refresh-without.slow.test.ts (the slow tier: 3-of-5 leaving out 1 and 4, 2-of-4 leaving out 3,
// and the shifted-constant variant of the wrong-constant attack). Each honest case is a refresh
// with its pairwise OT setups (seconds per pair of parties). Not a test file.
import { describe, test, expect, beforeAll } from '@jest/globals';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '../../../protocols/core/bytes.ts';
import { DklsDkgSession, newDkgState, type DklsDkgOutput } from '../../../protocols/dkls23/dkg.ts';
import { createDklsRefresh, refreshMembers } from '../../../protocols/dkls23/refresh.ts';
import { DKLS_CURVES, type DklsCurveName } from '../../../protocols/dkls23/curve.ts';
import { lagrangeAtZero } from '../../../protocols/dkls23/feldman.ts';
import { parseKeyShare, type DklsKeyShare } from '../../../protocols/dkls23/keyshare.ts';
import type { Session } from '../../../protocols/core/session.ts';
import { outputsOf, simulate } from '../../support/simulator.ts';
import { CONTEXT, expectBlame, expectValidSignature, runSign, sharesOf } from './session-fixtures.ts';
import { testKey } from '../../support/dkls23-test-keys.ts';
import { hex, seededRng, sid } from './fixtures.ts';

export type Refresh = Session<DklsDkgOutput, DklsKeyShare>;
export const curve: DklsCurveName = 'secp256k1';
export const c = DKLS_CURVES[curve];

/** The refresh sessions of every party not in `exclude` (old indices), each under its new index. */
export function sessionsWithout(shares: Map<number, DklsKeyShare>, exclude: number[], label: string): Refresh[] {
  const n = shares.size;
  const members = Array.from({ length: n }, (_, k) => k + 1).filter((p) => !exclude.includes(p));
  return members.map((old, k) =>
    createDklsRefresh({
      curve,
      sessionId: sid(label),
      self: k + 1,
      share: shares.get(old)!,
      context: CONTEXT,
      rng: seededRng(`${label}/refresh/${old}`),
      exclude,
    }),
  );
}

/** Old party `old`'s session leaving out `exclude`, dealing constant(honest) instead of λ_old^S·s_old. */
export function cheating(share: DklsKeyShare, exclude: number[], label: string, constant: (honest: bigint, all: bigint) => bigint): Refresh {
  const old = parseKeyShare(share);
  const members = refreshMembers({ n: old.n, t: old.t, self: old.index, exclude });
  const honest = c.Fn.mul(lagrangeAtZero(c, members, old.index), old.secretShare);
  const all = c.Fn.mul(
    lagrangeAtZero(
      c,
      Array.from({ length: old.n }, (_, k) => k + 1),
      old.index,
    ),
    old.secretShare,
  );
  return new DklsDkgSession(
    newDkgState(
      {
        curve,
        sessionId: sid(label),
        self: members.indexOf(old.index) + 1,
        n: members.length,
        t: old.t,
        context: CONTEXT,
        rng: seededRng(`${label}/evil/${old.index}`),
      },
      {
        binding: { publicKey: share.publicKey, transcriptHash: share.transcriptHash, verificationShares: { ...share.verificationShares }, members },
        constant: constant(honest, all),
      },
    ),
  );
}

export const subsets = (n: number, t: number): number[][] => {
  const out: number[][] = [];
  const pick = (from: number, acc: number[]) => {
    if (acc.length === t) {
      out.push(acc);
      return;
    }
    for (let p = from; p <= n; p++) pick(p + 1, [...acc, p]);
  };
  pick(1, []);
  return out;
};

export function honestWithoutCases(cases: [number, number, number[]][]): void {
  describe.each(cases)('DKLs23 refresh of a %i-of-%i secp256k1 key without parties %j', (t, n, exclude) => {
    const label = `refresh-without/${t}-${n}/${exclude.join('+')}`;
    const members = Array.from({ length: n }, (_, k) => k + 1).filter((p) => !exclude.includes(p));
    let old: Map<number, DklsKeyShare>;
    let fresh: Map<number, DklsKeyShare>;
    let publicKey: Uint8Array;

    beforeAll(() => {
      // A key made by the real DKG, cached across files (tests/support/dkls23-test-keys.ts).
      const key = testKey(`secp256k1-${t}of${n}` as Parameters<typeof testKey>[0]);
      old = key.shares;
      publicKey = key.publicKey;
    });

    test(`the ${members.length} remaining parties, renumbered 1..${members.length}, get new shares of the same key; t stays ${t}`, () => {
      const t0 = performance.now();
      const sim = simulate(sessionsWithout(old, exclude, label));
      const outputs = outputsOf(sim);
      console.log(
        `[dkls23 timing] refresh ${t}-of-${n} without ${exclude.join(', ')}: ${(performance.now() - t0).toFixed(0)} ms for ${members.length} parties`,
      );
      expect([...outputs.keys()].sort()).toEqual(members.map((_, k) => k + 1));
      // Nothing was sent to or as a left-out party's index beyond the new range.
      expect(sim.sent.every((e) => e.from >= 1 && e.from <= members.length && e.to <= members.length)).toBe(true);
      fresh = sharesOf(outputs);
      const transcript = hex(outputs.get(1)!.transcriptHash);
      for (const [k, o] of outputs) {
        const before = old.get(members[k - 1]!)!;
        expect(hex(o.publicKey)).toBe(hex(publicKey));
        expect(hex(o.transcriptHash)).toBe(transcript);
        expect({ t: o.share.t, n: o.share.n, index: o.share.index, curve: o.share.curve }).toEqual({ t, n: members.length, index: k, curve });
        expect(Object.keys(o.share.verificationShares).sort()).toEqual(members.map((_, j) => String(j + 1)));
        expect(Object.keys(o.share.peers).sort()).toEqual(members.map((_, j) => String(j + 1)).filter((j) => j !== String(k)));
        parseKeyShare(o.share);
        expect(o.share.secretShare).not.toBe(before.secretShare);
        expect(o.share.dkgSessionId).not.toBe(before.dkgSessionId);
        expect(sim.durables.some((d) => d.party === k && d.durable.share?.secretShare === o.share.secretShare)).toBe(true);
      }
      // Test-only: any t new shares interpolate (at the new indices) to the old secret key.
      const set = Array.from({ length: t }, (_, j) => j + 1);
      let sk = 0n;
      for (const p of set) sk = c.Fn.add(sk, c.Fn.mul(lagrangeAtZero(c, set, p), c.Fn.fromBytes(Buffer.from(fresh.get(p)!.secretShare, 'hex'))));
      expect(hex(c.Point.BASE.multiply(sk).toBytes(true))).toBe(hex(publicKey));
    });

    test('the new shares sign under the unchanged public key (noble, node:crypto) for every signer subset tried', () => {
      const sets = subsets(members.length, t).slice(0, 3);
      for (const signers of sets) {
        const msg = utf8ToBytes(`refreshed without ${exclude.join()} ${signers.join()}`);
        const outputs = outputsOf(runSign(curve, fresh, signers, sha256(msg), `${label}/sign/${signers.join()}`));
        expect(outputs.size).toBe(signers.length);
        for (const o of outputs.values()) expectValidSignature(curve, msg, o, publicKey);
      }
    });
  });
}

/** The wrong constants a cheating remaining party deals (from its honest λ^S·s and its all-n constant). */
const CONSTANTS = { shifted: (h: bigint) => c.Fn.add(h, 1n), 'all-n Lagrange': (_h: bigint, all: bigint) => all } satisfies Record<
  string,
  (h: bigint, all: bigint) => bigint
>;

/**
 * On the cached 2-of-3 key, without old party 2: old 1 and 3 are new 1 and 2, and old party 3
 * (new 2) deals each constant of `names` in turn and is named. (Two remaining parties: two
 * pairwise OT setups; the check is each party's own, the same with more parties.)
 */
export function constantTest(names: (keyof typeof CONSTANTS)[]): void {
  test(`a remaining party dealing a constant other than λ^S·s (${names.join(', ')}) is named`, () => {
    const old = testKey('secp256k1-2of3').shares;
    for (const name of names) {
      const constant = CONSTANTS[name];
      const label = `refresh-without-adv/constant/${name}`;
      const sessions = sessionsWithout(old, [2], label).map((s) => (s.self === 2 ? cheating(old.get(3)!, [2], label, constant) : s));
      const sim = simulate(sessions);
      expectBlame(sim, [1], 'invalid-commitment', [2]);
      const r = sim.results.get(1)!;
      expect(r.kind === 'abort' && r.error.message).toMatch(/party 2 \(old party 3\)'s refresh constant .*public key mismatch/);
    }
  });
}
