// DKLs23 key refresh (issue 4; research notes §1.7): new shares, new base OTs, new OT-extension
// seeds and zero-sharing seeds, the same public key. Honest runs on secp256k1 (2-of-3, 3-of-5)
// and P-256 (2-of-3), signatures with the new shares checked by noble and node:crypto; old and
// new shares do not mix. Adversarial: a wrong constant term is named, the threshold cannot
// change, DKG messages replayed into a refresh are refused.
import { describe, test, expect, beforeAll } from '@jest/globals';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '../../../protocols/core/bytes.ts';
import { ProtocolError } from '../../../protocols/core/errors.ts';
import { DklsDkgSession, newDkgState, type DklsDkgOutput } from '../../../protocols/dkls23/dkg.ts';
import { createDklsRefresh, restoreDklsRefresh, refreshProtocolName } from '../../../protocols/dkls23/refresh.ts';
import { createDklsDkg, restoreDklsDkg } from '../../../protocols/dkls23/dkg.ts';
import { DKLS_CURVES, type DklsCurveName } from '../../../protocols/dkls23/curve.ts';
import { lagrangeAtZero } from '../../../protocols/dkls23/feldman.ts';
import { parseKeyShare, type DklsKeyShare } from '../../../protocols/dkls23/keyshare.ts';
import type { Session } from '../../../protocols/core/session.ts';
import { outputsOf, simulate, type Relay, type SimulateOptions } from '../../support/simulator.ts';
import { chain, rewrite } from '../../support/adversaries.ts';
import type { Envelope } from '../../../protocols/core/envelope.ts';
import { CONTEXT, expectBlame, expectNoOutput, expectValidSignature, runSign, sharesOf } from './session-fixtures.ts';
import { testKey } from '../../support/dkls23-test-keys.ts';
import { hex, seededRng, sid } from './fixtures.ts';

type Refresh = Session<DklsDkgOutput, DklsKeyShare>;

function refreshSessions(curve: DklsCurveName, shares: Map<number, DklsKeyShare>, label: string, sessionLabel = label): Refresh[] {
  return [...shares.keys()]
    .sort((a, b) => a - b)
    .map((p) =>
      createDklsRefresh({ curve, sessionId: sid(sessionLabel), self: p, share: shares.get(p)!, context: CONTEXT, rng: seededRng(`${label}/refresh/${p}`) }),
    );
}

function runRefresh(curve: DklsCurveName, shares: Map<number, DklsKeyShare>, label: string, opts: SimulateOptions = {}, sessions?: Refresh[]) {
  const sim = simulate(sessions ?? refreshSessions(curve, shares, label), opts);
  return {
    sim,
    get outputs() {
      return outputsOf(sim);
    },
  };
}

/** A refresh session of party `p` that deals `constant` (instead of λ_p·s_p) and/or another threshold. */
function cheatingSession(curve: DklsCurveName, share: DklsKeyShare, label: string, o: { constant: (honest: bigint) => bigint; t?: number }): Refresh {
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

const message = (s: string) => utf8ToBytes(s);

describe.each([
  ['secp256k1', 2, 3],
  ['secp256k1', 3, 5],
  ['p256', 2, 3],
] as [DklsCurveName, number, number][])('DKLs23 refresh on %s, %i-of-%i', (curve, t, n) => {
  let old: Map<number, DklsKeyShare>;
  let fresh: Map<number, DklsKeyShare>;
  let publicKey: Uint8Array;
  const label = `refresh/${curve}/${t}-${n}`;
  const restoring = curve === 'secp256k1' && n === 3;

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
      n === 3
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

describe('DKLs23 refresh under attack (secp256k1, 2-of-3)', () => {
  const curve: DklsCurveName = 'secp256k1';
  let old: Map<number, DklsKeyShare>;
  let dkgSent: Envelope[];
  /** The DKG's session label: the replay tests run their refresh under the DKG's session id. */
  let dkgLabel: string;

  beforeAll(() => {
    const key = testKey('secp256k1-2of3');
    old = key.shares;
    dkgSent = key.sent;
    dkgLabel = key.label;
  });

  const withEvil = (label: string, evil: number, s: Refresh) => refreshSessions(curve, old, label).map((x) => (x.self === evil ? s : x));

  test('a party dealing a constant other than its additive share is caught and named (public key mismatch)', () => {
    const label = 'refresh-adv/constant';
    const evil = cheatingSession(curve, old.get(2)!, label, { constant: (c) => DKLS_CURVES[curve].Fn.add(c, 1n) });
    const { sim } = runRefresh(curve, old, label, {}, withEvil(label, 2, evil));
    expectBlame(sim, [1, 3], 'invalid-commitment', [2]);
    const r = sim.results.get(1)!;
    expect(r.kind === 'abort' && r.error.message).toMatch(/public key mismatch/);
  });

  test('two parties shifting their constants by +d and −d (same joint key) are still caught', () => {
    const label = 'refresh-adv/shift';
    const { Fn } = DKLS_CURVES[curve];
    const sessions = refreshSessions(curve, old, label).map((x) =>
      x.self === 1 ? x : cheatingSession(curve, old.get(x.self)!, label, { constant: (c) => (x.self === 2 ? Fn.add(c, 7n) : Fn.sub(c, 7n)) }),
    );
    const { sim } = runRefresh(curve, old, label, {}, sessions);
    const r = sim.results.get(1)!;
    expect(r.kind === 'abort' && { kind: r.error.kind, culprits: r.error.culprits }).toEqual({ kind: 'invalid-commitment', culprits: [2] });
    expectNoOutput(sim, [1, 2, 3]);
  });

  test('threshold change refused: a share with another t does not parse; a party dealing t+1 coefficients is named', () => {
    const share = old.get(1)!;
    expect(() => createDklsRefresh({ curve, sessionId: sid('x'), self: 1, share: { ...share, t: 3 }, context: CONTEXT, rng: seededRng('x') })).toThrow(
      ProtocolError,
    );
    const label = 'refresh-adv/threshold';
    const evil = cheatingSession(curve, old.get(2)!, label, { constant: (c) => c, t: 3 });
    const { sim } = runRefresh(curve, old, label, {}, withEvil(label, 2, evil));
    expectNoOutput(sim, [1, 3]);
    for (const p of [1, 3]) {
      const r = sim.results.get(p)!;
      expect(r.kind === 'abort' && { kind: r.error.kind, culprits: r.error.culprits }).toEqual({ kind: 'invalid-commitment', culprits: [2] });
    }
  });

  test('inputs are checked: wrong party, wrong curve', () => {
    const share = old.get(1)!;
    expect(() => createDklsRefresh({ curve, sessionId: sid('x'), self: 2, share, context: CONTEXT, rng: seededRng('x') })).toThrow(ProtocolError);
    expect(() => createDklsRefresh({ curve: 'p256', sessionId: sid('x'), self: 1, share, context: CONTEXT, rng: seededRng('x') })).toThrow(ProtocolError);
  });

  /** Replaces party 2's refresh messages of `rounds` by its DKG messages of the same round and addressee. */
  const replay = (rounds: number[], asRefresh: boolean): Relay =>
    rewrite(
      (e) => e.from === 2 && rounds.includes(e.round),
      (e) => {
        const d = dkgSent.find((x) => x.from === 2 && x.round === e.round && x.to === e.to)!;
        return asRefresh ? { ...d, protocol: e.protocol } : d;
      },
    );

  test('replayed DKG messages (same session id, another protocol name) are dropped: the refresh waits until its deadline', () => {
    // Nobody can be blamed for a message of another protocol (TOB-SILA-14): dropped, and without
    // party 2's real round 1 nobody finishes.
    const sessions = refreshSessions(curve, old, 'refresh-adv/replay', dkgLabel);
    const { sim } = runRefresh(curve, old, '', { relay: chain(replay([1], false)) }, sessions);
    expectNoOutput(sim, [1, 3]);
    for (const p of [1, 3]) {
      const r = sim.results.get(p)!;
      expect(r.kind === 'abort' && r.error.kind).toBe('timeout');
    }
  });

  test('replayed DKG messages relabelled as refresh messages are refused (old commitment, other final session id)', () => {
    const sessions = refreshSessions(curve, old, 'refresh-adv/replay2', dkgLabel);
    const { sim } = runRefresh(curve, old, '', { relay: replay([1, 2], true) }, sessions);
    expectNoOutput(sim, [1, 3]);
    for (const p of [1, 3]) {
      const r = sim.results.get(p)!;
      expect(r.kind === 'abort' && r.error.culprits).toContain(2);
    }
  });

  test('a DKG snapshot is not restored as a refresh, nor the reverse', () => {
    const r = refreshSessions(curve, old, 'refresh-adv/snap')[0]!;
    expect(() => restoreDklsDkg(r.toJSON(), () => new Uint8Array())).toThrow(ProtocolError);
    const json = r.toJSON() as Record<string, unknown>;
    expect(() => restoreDklsRefresh({ ...json, refresh: undefined }, () => new Uint8Array())).toThrow(ProtocolError);
    expect(restoreDklsRefresh(json, () => new Uint8Array()).protocol).toBe(refreshProtocolName(curve));
    const dkg = createDklsDkg({ curve, sessionId: sid('refresh-adv/snap'), self: 1, n: 3, t: 2, context: CONTEXT, rng: seededRng('snap') });
    const dkgJson = dkg.toJSON() as Record<string, unknown>;
    expect(restoreDklsDkg(dkgJson, () => new Uint8Array()).protocol).toBe('dkls23-secp256k1/dkg');
    expect(() => restoreDklsDkg({ ...dkgJson, refresh: json.refresh }, () => new Uint8Array())).toThrow(ProtocolError);
    expect(() => restoreDklsRefresh({ ...dkgJson, refresh: json.refresh }, () => new Uint8Array())).toThrow(ProtocolError);
  });
});
