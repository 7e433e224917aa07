// Runs of DKLs23 reshare sessions through the shared simulator (not a test file): reshare.test.ts
// and reshare.slow.test.ts.
import { expect, test } from '@jest/globals';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '../../../protocols/core/bytes.ts';
import {
  createDklsReshare,
  dklsPublicPackageOf,
  restoreDklsReshare,
  type DklsPublicKeyPackage,
  type DklsReshareOutput,
  type ReshareMember,
} from '../../../protocols/dkls23/reshare.ts';
import { parseKeyShare, type DklsKeyShare } from '../../../protocols/dkls23/keyshare.ts';
import type { DklsCurveName } from '../../../protocols/dkls23/curve.ts';
import { outputsOf, simulate, type SimulateOptions, type Simulation } from '../../support/simulator.ts';
import { testKey, type TestKeyName } from '../../support/dkls23-test-keys.ts';
import { CONTEXT, expectValidSignature, runSign } from './session-fixtures.ts';
import { hex, seededRng, sid } from './fixtures.ts';

export const MESSAGE = utf8ToBytes('reshared and still signing');

export function sessions(
  curve: DklsCurveName,
  old: Map<number, DklsKeyShare>,
  members: ReshareMember[],
  tNew: number,
  label: string,
  oldKey?: DklsPublicKeyPackage,
) {
  const pkg = oldKey ?? dklsPublicPackageOf([...old.values()][0]!);
  return members.map((m, k) =>
    createDklsReshare({
      curve,
      sessionId: sid(label),
      self: k + 1,
      oldKey: pkg,
      ...(m.old !== undefined ? { share: old.get(m.old)! } : {}),
      members,
      tNew,
      context: CONTEXT,
      rng: seededRng(`${label}/${k + 1}`),
    }),
  );
}

export function run(curve: DklsCurveName, old: Map<number, DklsKeyShare>, members: ReshareMember[], tNew: number, label: string, opts: SimulateOptions = {}) {
  return simulate(sessions(curve, old, members, tNew, label), opts);
}

/** The new shares by new index (every member must have finished). */
export function newShares(sim: Simulation<DklsReshareOutput, DklsKeyShare>, members: ReshareMember[]): Map<number, DklsKeyShare> {
  const out = outputsOf(sim);
  expect(out.size).toBe(members.length);
  const transcripts = new Set([...out.values()].map((o) => hex(o.transcriptHash)));
  expect(transcripts.size).toBe(1);
  const shares = new Map<number, DklsKeyShare>();
  members.forEach((m, k) => {
    const o = out.get(k + 1)!;
    if (m.new === undefined) expect(o.share).toBeNull();
    else shares.set(m.new, o.share!);
  });
  return shares;
}

export function expectSigns(curve: DklsCurveName, shares: Map<number, DklsKeyShare>, signers: number[], publicKey: Uint8Array, label: string): void {
  const sim = runSign(curve, shares, signers, sha256(MESSAGE), label);
  const out = outputsOf(sim);
  expect(out.size).toBe(signers.length);
  expectValidSignature(curve, MESSAGE, out.get(signers[0]!)!, publicKey);
}

export type Case = { key: TestKeyName; members: ReshareMember[]; tNew: number; signers: number[][] };
export const HONEST: Record<string, Case> = {
  // Old 1 and 3 deal and stay (new 1, 2); old 2 stays without dealing (new 3); two new parties.
  '2-of-3 → 3-of-5 (two new parties)': {
    key: 'secp256k1-2of3',
    members: [{ old: 1, new: 1 }, { old: 3, new: 2 }, { new: 3 }, { new: 4 }, { new: 5 }],
    tNew: 3,
    signers: [
      [1, 2, 3],
      [3, 4, 5],
      [1, 4, 5],
    ],
  },
  // Old 1 leaves (deals only); old 2 stays; one new party: disjoint-ish.
  '2-of-3 → 2-of-2 (one old holder leaves, one new party)': {
    key: 'secp256k1-2of3',
    members: [{ old: 2, new: 1 }, { new: 2 }, { old: 1 }],
    tNew: 2,
    signers: [[1, 2]],
  },
  '3-of-5 → 2-of-3 (two holders dropped)': {
    key: 'secp256k1-3of5',
    members: [
      { old: 2, new: 1 },
      { old: 4, new: 2 },
      { old: 5, new: 3 },
    ],
    tNew: 2,
    signers: [
      [1, 2],
      [2, 3],
    ],
  },
  'P-256 2-of-3 → 3-of-4 (disjoint dealers and receivers)': {
    key: 'p256-2of3',
    members: [{ old: 1 }, { old: 2 }, { new: 1 }, { new: 2 }, { new: 3 }, { new: 4 }],
    tNew: 3,
    signers: [[2, 3, 4]],
  },
};

/**
 * One honest case as a test: the new set's shares are well formed, and sign under the old public
 * key. `restoring`: every session is restored from a snapshot before every second delivery.
 */
export function honestTest(name: string, c: Case, o: { restoring?: boolean } = {}): void {
  test(o.restoring ? `${name}; every session restored from a snapshot before every second delivery` : name, () => {
    const key = testKey(c.key);
    const opts: SimulateOptions = o.restoring
      ? {
          intercept: ((_p: number, s: { toJSON(): unknown }, d: number) =>
            d % 2 === 0 ? restoreDklsReshare(JSON.parse(JSON.stringify(s.toJSON())), () => new Uint8Array()) : s) as never,
        }
      : {};
    const sim = run(key.curve, key.shares, c.members, c.tNew, `reshare/${c.key}/${name}`, opts);
    const shares = newShares(sim, c.members);
    const nNew = shares.size;
    for (const [j, s] of shares) {
      const parsed = parseKeyShare(s);
      expect([parsed.index, parsed.n, parsed.t]).toEqual([j, nNew, c.tNew]);
      expect(s.publicKey).toBe(hex(key.publicKey));
      expect(Object.keys(s.peers).map(Number).sort()).toEqual([...shares.keys()].filter((k) => k !== j).sort());
    }
    // Only receivers made a share durable (before their confirmation left).
    expect(sim.durables.map((d) => d.party).sort()).toEqual(c.members.flatMap((m, k) => (m.new !== undefined ? [k + 1] : [])).sort());
    c.signers.forEach((signers, k) => expectSigns(key.curve, shares, signers, key.publicKey, `reshare/${name}/sign/${k}`));
    // A holder that stayed got a new share (another polynomial).
    const stayed = c.members.find((m) => m.old !== undefined && m.new !== undefined);
    if (stayed) expect(key.shares.get(stayed.old!)!.secretShare).not.toBe(shares.get(stayed.new!)!.secretShare);
  });
}
