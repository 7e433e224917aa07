// Verifiable resharing of FROST keys (protocols/frost/reshare.ts): honest runs change t and n,
// move the key to disjoint parties, and refresh in place (with and without some parties); every
// new set signs under the unchanged public key, checked by node:crypto. Under attack, the dealer
// that deals a wrong constant, sends an inconsistent sub-share or equivocates is named.
import { describe, test, expect } from '@jest/globals';
import { createFrostReshare, createFrostRefreshReshare, publicPackageOf, restoreFrostReshare, type ReshareMember } from '../../../protocols/frost/reshare.ts';
import { createFrostSign } from '../../../protocols/frost/sign.ts';
import type { FrostKeyShare } from '../../../protocols/frost/share.ts';
import type { FrostSuiteName } from '../../../protocols/frost/suite.ts';
import { FROST_SUITES } from '../../../protocols/frost/suite.ts';
import { ProtocolError } from '../../../protocols/core/errors.ts';
import { outputsOf, seededRng, simulate, type Relay, type SimulateOptions } from '../../support/simulator.ts';
import { flipByte, from, payload } from '../../support/adversaries.ts';
import { CONTEXT, SUITES, dealByDkg, expectBlame, nodeVerify, sid } from './fixtures.ts';

const MESSAGE = new TextEncoder().encode('reshared and still signing');

function reshareSessions(suite: FrostSuiteName, old: Map<number, FrostKeyShare>, members: ReshareMember[], tNew: number, label: string) {
  const oldKey = publicPackageOf([...old.values()][0]!);
  return members.map((m, k) =>
    createFrostReshare({
      suite,
      sessionId: sid(label),
      self: k + 1,
      oldKey,
      ...(m.old !== undefined ? { share: old.get(m.old)! } : {}),
      members,
      tNew,
      context: CONTEXT,
      rng: seededRng(`${label}/${k + 1}`),
    }),
  );
}

function runReshare(suite: FrostSuiteName, old: Map<number, FrostKeyShare>, members: ReshareMember[], tNew: number, label: string, opts: SimulateOptions = {}) {
  const sim = simulate(reshareSessions(suite, old, members, tNew, label), opts);
  return sim;
}

/** The new shares by new index. */
function newShares(sim: ReturnType<typeof runReshare>): Map<number, FrostKeyShare> {
  const out = new Map<number, FrostKeyShare>();
  for (const o of outputsOf(sim).values()) if (o.share) out.set(o.share.index, o.share);
  return out;
}

function signWith(suite: FrostSuiteName, shares: Map<number, FrostKeyShare>, signers: number[], label: string): Uint8Array {
  const sessions = signers.map((p) =>
    createFrostSign({ suite, sessionId: sid(label), self: p, signers, share: shares.get(p)!, message: MESSAGE, rng: seededRng(`${label}/${p}`) }),
  );
  const outs = outputsOf(simulate(sessions));
  expect(outs.size).toBe(signers.length);
  return outs.get(signers[0]!)!.signature;
}

describe.each(SUITES)('FROST reshare, %s', (suite) => {
  const old23 = dealByDkg(suite, 2, 3, `${suite}/reshare-23`);
  const pk = Buffer.from(old23.get(1)!.groupPublicKey, 'hex');

  test('2-of-3 → 3-of-5 (old holders 1 and 3 deal; old 2 stays on as new 2, three new parties join)', () => {
    const members: ReshareMember[] = [{ old: 1, new: 1 }, { old: 3, new: 3 }, { new: 2 }, { new: 4 }, { new: 5 }];
    const t0 = performance.now();
    const sim = runReshare(suite, old23, members, 3, `${suite}/23-35`);
    // docs/benchmarks.md "Reshare": all five parties in one process, wire codec included.
    console.log(`[frost timing] reshare 2-of-3 → 3-of-5 on ${suite}: ${(performance.now() - t0).toFixed(1)} ms for all 5 parties`);
    const outs = outputsOf(sim);
    expect(outs.size).toBe(5);
    const shares = newShares(sim);
    expect([...shares.keys()].sort()).toEqual([1, 2, 3, 4, 5]);
    for (const s of shares.values()) expect({ t: s.t, n: s.n, pk: s.groupPublicKey }).toEqual({ t: 3, n: 5, pk: pk.toString('hex') });
    // All confirmed one transcript, which is each new share's version.
    expect(new Set([...outs.values()].map((o) => Buffer.from(o.transcriptHash).toString('hex'))).size).toBe(1);
    expect(nodeVerify(suite, signWith(suite, shares, [2, 4, 5], `${suite}/23-35-sign`), MESSAGE, pk)).toBe(true);
    // Two new shares are below the new threshold: checkSigners refuses.
    expect(() =>
      createFrostSign({ suite, sessionId: sid('x'), self: 1, signers: [1, 2], share: shares.get(1)!, message: MESSAGE, rng: seededRng('x') }),
    ).toThrow(ProtocolError);
  });

  test('2-of-3 → 2-of-3 onto a disjoint set; the dealers output no share', () => {
    const members: ReshareMember[] = [{ old: 2 }, { old: 3 }, { new: 1 }, { new: 2 }, { new: 3 }];
    const sim = runReshare(suite, old23, members, 2, `${suite}/disjoint`);
    const outs = outputsOf(sim);
    expect(outs.get(1)!.share).toBeNull();
    expect(outs.get(2)!.share).toBeNull();
    // Only receivers made anything durable.
    expect(new Set(sim.durables.filter((d) => d.durable.share).map((d) => d.party))).toEqual(new Set([3, 4, 5]));
    const shares = newShares(sim);
    expect(nodeVerify(suite, signWith(suite, shares, [1, 3], `${suite}/disjoint-sign`), MESSAGE, pk)).toBe(true);
  });

  test('3-of-5 → 2-of-2, dealt by old 1, 4, 5', () => {
    const old35 = dealByDkg(suite, 3, 5, `${suite}/reshare-35`);
    const pk35 = Buffer.from(old35.get(1)!.groupPublicKey, 'hex');
    const members: ReshareMember[] = [{ old: 1 }, { old: 4, new: 1 }, { old: 5 }, { new: 2 }];
    const shares = newShares(runReshare(suite, old35, members, 2, `${suite}/35-22`));
    expect(nodeVerify(suite, signWith(suite, shares, [1, 2], `${suite}/35-22-sign`), MESSAGE, pk35)).toBe(true);
  });

  test('refresh as a reshare: all parties, then without party 2 (renumbered); old shares do not mix with new ones', () => {
    const all = [1, 2, 3].map((p) =>
      createFrostRefreshReshare({ suite, sessionId: sid(`${suite}/rr`), self: p, share: old23.get(p)!, context: CONTEXT, rng: seededRng(`rr/${p}`) }),
    );
    const refreshed = newShares(simulate(all));
    expect(refreshed.get(1)!.signingShare).not.toBe(old23.get(1)!.signingShare);
    expect(nodeVerify(suite, signWith(suite, refreshed, [1, 3], `${suite}/rr-sign`), MESSAGE, pk)).toBe(true);
    const without = [1, 3].map((p, k) =>
      createFrostRefreshReshare({
        suite,
        sessionId: sid(`${suite}/rr-without`),
        self: k + 1,
        share: refreshed.get(p)!,
        context: CONTEXT,
        rng: seededRng(`rrw/${p}`),
        exclude: [2],
      }),
    );
    const two = newShares(simulate(without));
    expect([...two.values()].map((s) => [s.index, s.n]).sort()).toEqual([
      [1, 2],
      [2, 2],
    ]);
    expect(nodeVerify(suite, signWith(suite, two, [1, 2], `${suite}/rrw-sign`), MESSAGE, pk)).toBe(true);
  });

  const DEALERS: ReshareMember[] = [{ old: 1, new: 1 }, { old: 3, new: 3 }, { new: 2 }, { new: 4 }, { new: 5 }];
  const E = FROST_SUITES[suite].elementBytes;

  test('a dealer dealing a constant other than λ·x_i is named in round 1', () => {
    // Party 2 (old holder 3) commits to a different constant: every other party names it.
    const forged = reshareSessions(suite, old23, DEALERS, 3, `${suite}/forged`);
    const relay: Relay = payload(from(2, 1), (p) => {
      const out = p.slice();
      // Replace C_0 (after the 64-byte setup digest) with C_1, a valid element that is not λ·X.
      out.set(p.slice(64 + E, 64 + 2 * E), 64);
      return out;
    });
    const sim = simulate(forged, { relay });
    expectBlame(sim, [1, 3, 4, 5], 'invalid-commitment', [2]);
  });

  test('an inconsistent sub-share is caught by its receiver, naming the dealer', () => {
    const sim = runReshare(suite, old23, DEALERS, 3, `${suite}/bad-sub`, { relay: payload(from(1, 2, 4), (p) => (p.length ? flipByte(p, 0) : p)) });
    expect(sim.results.get(4)).toMatchObject({ kind: 'abort', error: { kind: 'invalid-share', culprits: [1] } });
    expect([...sim.results.values()].filter((r) => r.kind === 'done')).toHaveLength(0);
  });

  test('a dealer withholding a sub-share (empty p2p) or sending one to a party that receives none is named', () => {
    const withheld = runReshare(suite, old23, DEALERS, 3, `${suite}/withheld`, { relay: payload(from(1, 2, 4), () => new Uint8Array(0)) });
    expect(withheld.results.get(4)).toMatchObject({ kind: 'abort', error: { kind: 'malformed', culprits: [1] } });
    // Disjoint: party 1 (old 2) only deals; a sub-share addressed to it from dealer 2 is malformed.
    const disjoint: ReshareMember[] = [{ old: 2 }, { old: 3 }, { new: 1 }, { new: 2 }, { new: 3 }];
    const extra = runReshare(suite, old23, disjoint, 2, `${suite}/extra`, {
      relay: payload(from(2, 2, 1), (p) => (p.length ? p : new Uint8Array(FROST_SUITES[suite].scalarBytes))),
    });
    expect(extra.results.get(1)).toMatchObject({ kind: 'abort', error: { kind: 'malformed', culprits: [2] } });
  });

  test('a dealer showing different commitments to different parties is named by the echo', () => {
    // To party 5 only, dealer 1 shows C_2 in place of C_1: valid elements, another polynomial.
    const relay: Relay = payload(from(1, 1), (p, to) => {
      if (to !== 5) return p;
      const out = p.slice();
      out.set(p.slice(64 + 2 * E, 64 + 3 * E), 64 + E);
      return out;
    });
    const sim = runReshare(suite, old23, DEALERS, 3, `${suite}/equivocate`, { relay });
    expect([...sim.results.values()].filter((r) => r.kind === 'done')).toHaveLength(0);
    // Party 5 names 1 alone (it saw 1's broadcast differ from what 1's echo says);
    // the others cannot tell whether 1 or 5 lies, and name both (core/agreement.ts).
    expect(sim.results.get(5)).toMatchObject({ kind: 'abort', error: { kind: 'equivocation', culprits: [1] } });
    // Every honest party (2..5) names dealer 1, among others at most.
    const named = [2, 3, 4, 5]
      .map((p) => sim.results.get(p)!)
      .flatMap((r) => (r.kind === 'abort' && r.error.kind === 'equivocation' ? [r.error.culprits] : []));
    expect(named).toHaveLength(4);
    for (const c of named) expect(c).toContain(1);
  });

  test('a party with another view of the new set is named before anything secret moves', () => {
    const sessions = reshareSessions(suite, old23, DEALERS, 3, `${suite}/view`);
    const other = reshareSessions(suite, old23, DEALERS, 2, `${suite}/view`);
    sessions[4] = other[4]!; // party 5 thinks t_new = 2
    const sim = simulate(sessions);
    expect(sim.results.get(1)).toMatchObject({ kind: 'abort', error: { kind: 'bad-parameters', culprits: [5] } });
    expect(sim.sent.filter((e) => e.round === 2 && e.to !== 0 && e.payload.length > 0)).toHaveLength(0);
  });

  test('refuses too few dealers, a gap in the new indices, and a share of another key', () => {
    const oldKey = publicPackageOf(old23.get(1)!);
    const base = { suite, sessionId: sid('bad'), context: CONTEXT, rng: seededRng('bad'), oldKey };
    expect(() => createFrostReshare({ ...base, self: 1, share: old23.get(1)!, members: [{ old: 1, new: 1 }, { new: 2 }], tNew: 2 })).toThrow(
      /fewer than the old threshold/,
    );
    expect(() => createFrostReshare({ ...base, self: 3, members: [{ old: 1 }, { old: 2 }, { new: 1 }, { new: 3 }], tNew: 2 })).toThrow(/new indices/);
    const otherKey = dealByDkg(suite, 2, 3, `${suite}/other`);
    expect(() => createFrostReshare({ ...base, self: 1, share: otherKey.get(1)!, members: [{ old: 1 }, { old: 2 }, { new: 1 }, { new: 2 }], tNew: 2 })).toThrow(
      /not of the old key version/,
    );
  });

  test('a session restored from a snapshot between any two messages finishes the same', () => {
    const sim = runReshare(suite, old23, DEALERS, 3, `${suite}/restore`, {
      intercept: (_p, s, d) => (d % 3 === 0 ? (restoreFrostReshare(JSON.parse(JSON.stringify(s.toJSON())), seededRng('r')) as typeof s) : s),
    });
    expect(outputsOf(sim).size).toBe(5);
  });
});
