// DKLs23 refresh WITHOUT some parties (issue 4: "bans that peer for the key until a refresh without
// it"; research notes §1.7 and §2 "Ban policy"). The remaining parties S run the refresh among
// themselves, renumbered 1..|S| in ascending old-index order, each dealing λ_o^S·s_o (Lagrange over
// S's old indices); t is unchanged, the public key is unchanged. Honest runs: 2-of-3 leaving out 2,
// 3-of-5 leaving out 1 and 4, 2-of-4 leaving out 3; the new shares sign (noble and node:crypto)
// for every signer subset tried.
// Adversarial: a wrong constant (also: the all-n constant of a full refresh) is named; a message
// from the left-out party is refused; parties that disagree on who is left out abort; |S| < t,
// indices outside 1..n, duplicates and leaving oneself out are refused.
import { describe, test, expect, beforeAll } from '@jest/globals';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '../../../protocols/core/bytes.ts';
import { ProtocolError } from '../../../protocols/core/errors.ts';
import type { Envelope } from '../../../protocols/core/envelope.ts';
import { DklsDkgSession, newDkgState, type DklsDkgOutput } from '../../../protocols/dkls23/dkg.ts';
import { createDklsRefresh, refreshMembers, restoreDklsRefresh } from '../../../protocols/dkls23/refresh.ts';
import { DKLS_CURVES, type DklsCurveName } from '../../../protocols/dkls23/curve.ts';
import { lagrangeAtZero } from '../../../protocols/dkls23/feldman.ts';
import { parseKeyShare, type DklsKeyShare } from '../../../protocols/dkls23/keyshare.ts';
import type { Session } from '../../../protocols/core/session.ts';
import { outputsOf, simulate } from '../../support/simulator.ts';
import { CONTEXT, expectBlame, expectNoOutput, expectValidSignature, runSign, sharesOf } from './session-fixtures.ts';
import { testKey } from '../../support/dkls23-test-keys.ts';
import { hex, seededRng, sid } from './fixtures.ts';

type Refresh = Session<DklsDkgOutput, DklsKeyShare>;
const curve: DklsCurveName = 'secp256k1';
const c = DKLS_CURVES[curve];

/** The refresh sessions of every party not in `exclude` (old indices), each under its new index. */
function sessionsWithout(shares: Map<number, DklsKeyShare>, exclude: number[], label: string): Refresh[] {
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
function cheating(share: DklsKeyShare, exclude: number[], label: string, constant: (honest: bigint, all: bigint) => bigint): Refresh {
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

const subsets = (n: number, t: number): number[][] => {
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

describe.each([
  [2, 3, [2]],
  [3, 5, [1, 4]],
  [2, 4, [3]],
] as [number, number, number[]][])('DKLs23 refresh of a %i-of-%i secp256k1 key without parties %j', (t, n, exclude) => {
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
    console.log(`[dkls23 timing] refresh ${t}-of-${n} without ${exclude.join(', ')}: ${(performance.now() - t0).toFixed(0)} ms for ${members.length} parties`);
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

describe('DKLs23 refresh without a party, under attack (secp256k1, 2-of-4)', () => {
  let old: Map<number, DklsKeyShare>;

  beforeAll(() => {
    old = testKey('secp256k1-2of4').shares;
  });

  test('a remaining party dealing a constant other than λ^S·s (shifted, or the all-n constant of a full refresh) is named', () => {
    for (const [name, constant] of [
      ['shifted', (h: bigint) => c.Fn.add(h, 1n)],
      ['all-n Lagrange', (_h: bigint, all: bigint) => all],
    ] as [string, (h: bigint, all: bigint) => bigint][]) {
      // Without old party 3: old 1, 2, 4 are new 1, 2, 3; old party 4 (new 3) cheats.
      const label = `refresh-without-adv/constant/${name}`;
      const sessions = sessionsWithout(old, [3], label).map((s) => (s.self === 3 ? cheating(old.get(4)!, [3], label, constant) : s));
      const sim = simulate(sessions);
      expectBlame(sim, [1, 2], 'invalid-commitment', [3]);
      const r = sim.results.get(1)!;
      expect(r.kind === 'abort' && r.error.message).toMatch(/party 3 \(old party 4\)'s refresh constant .*public key mismatch/);
    }
  });

  test('a message from the left-out party is dropped: it is no participant of the session', () => {
    // Without old party 4: old 1, 2, 3 keep their indices. Party 4 still runs a full refresh under
    // the same session id, and its round-1 broadcast reaches the others: nobody in the session can
    // be blamed for it (TOB-SILA-14), so each drops it and goes on waiting for its real peers.
    const label = 'refresh-without-adv/outsider';
    const outsider = createDklsRefresh({ curve, sessionId: sid(label), self: 4, share: old.get(4)!, context: CONTEXT, rng: seededRng('outsider') });
    const start = outsider.start();
    const intruding = (start.kind === 'send' ? start.messages : [])[0] as Envelope;
    expect(intruding.from).toBe(4);
    for (const session of sessionsWithout(old, [4], label)) {
      session.start();
      expect(session.receive(intruding)).toEqual({ kind: 'wait', dropped: expect.stringMatching(/message from 4, who is not another participant/) });
    }
  });

  test('parties that disagree on who is left out abort (the final session id binds the remaining old indices)', () => {
    // Old parties 1 and 2 leave out 3; old party 4 believes 2 is left out (it is new party 3 either way).
    const label = 'refresh-without-adv/disagree';
    const sessions = sessionsWithout(old, [3], label).map((s) =>
      s.self === 3
        ? createDklsRefresh({ curve, sessionId: sid(label), self: 3, share: old.get(4)!, context: CONTEXT, rng: seededRng('disagree'), exclude: [2] })
        : s,
    );
    const sim = simulate(sessions);
    expectNoOutput(sim, [1, 2, 3]);
    for (const p of [1, 2, 3]) {
      const r = sim.results.get(p)!;
      expect(r.kind === 'abort' && r.error.kind).toBe('equivocation');
      expect(r.kind === 'abort' && r.error.message).toMatch(/final session id differs/);
    }
  });

  test('refused inputs: fewer than t remaining, an index outside 1..n, a duplicate, leaving oneself out, the wrong new index', () => {
    const share = old.get(1)!;
    const make =
      (exclude: number[], self = 1) =>
      () =>
        createDklsRefresh({ curve, sessionId: sid('x'), self, share, context: CONTEXT, rng: seededRng('x'), exclude });
    expect(make([2, 3, 4])).toThrow(/leaves 1 parties, fewer than the threshold 2/);
    expect(make([0])).toThrow(/not an index 1\.\.4/);
    expect(make([5])).toThrow(/not an index 1\.\.4/);
    expect(make([2.5])).toThrow(/not an index/);
    expect(make([3, 3])).toThrow(/left out twice/);
    expect(make([1])).toThrow(/leaving itself out/);
    expect(() => createDklsRefresh({ curve, sessionId: sid('x'), self: 1, share: old.get(3)!, context: CONTEXT, rng: seededRng('x'), exclude: [2] })).toThrow(
      /old party 3 takes part as party 2, not 1/,
    );
    for (const f of [make([2, 3, 4]), make([1]), make([3, 3])]) {
      try {
        f();
      } catch (e) {
        expect((e as ProtocolError).kind).toBe('bad-parameters');
      }
    }
    expect(() => refreshMembers({ n: 5, t: 3, self: 2, exclude: [1, 4, 5] })).toThrow(/fewer than the threshold 3/);
    expect(refreshMembers({ n: 5, t: 3, self: 2, exclude: [4, 1] })).toEqual([2, 3, 5]);
  });

  test('a snapshot of a refresh without a party restores and keeps who takes part; a tampered member list is refused', () => {
    const s = sessionsWithout(old, [3], 'refresh-without-adv/snap')[2]!;
    const json = s.toJSON() as { refresh: { members: number[] }; n: number };
    expect(json.refresh.members).toEqual([1, 2, 4]);
    expect(json.n).toBe(3);
    expect(restoreDklsRefresh(json, () => new Uint8Array()).self).toBe(3);
    expect(() => restoreDklsRefresh({ ...json, refresh: { ...json.refresh, members: [1, 2] } }, () => new Uint8Array())).toThrow(ProtocolError);
    expect(() => restoreDklsRefresh({ ...json, refresh: { ...json.refresh, members: [2, 1, 4] } }, () => new Uint8Array())).toThrow(ProtocolError);
  });
});
