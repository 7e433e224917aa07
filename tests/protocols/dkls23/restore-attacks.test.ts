// Latent share extraction through session restore (dkls23-review F1): a session restored from a
// snapshot and fed DIFFERENT peer messages must never answer twice with related secrets. Each
// case is one of the review's demo attacks run against the restore API, with the attacker's
// arithmetic kept, and asserts that it recovers nothing or that the victim refuses:
//   - DKG / refresh: the coefficient-proof Schnorr nonce is fresh per transcript, so two proofs
//     under different challenges do not solve for the coefficient (in a refresh, λ_1·s_1);
//   - DKG: the base-OT receiver secrets are fresh per transcript, so no point of the request
//     stays put and the choice bits (the victim's Δ) cannot be read off two requests;
//   - signing: the presignature id is consumed before R3 (the first message using r_i and sk_i
//     with peer-chosen data), so a second restored run is refused by the durable store; and even
//     a caller that ignored the mark would get fresh â, so three η do not solve for λ_1·s_1;
//   - signing restored between R3 and R4: the partial id is consumed before R4.
// The same snapshot fed the SAME messages still recomputes the same messages (honest-cases.ts).
import { describe, test, expect, beforeAll } from '@jest/globals';
import type { Envelope } from '../../../protocols/core/envelope.ts';
import type { Session, Step } from '../../../protocols/core/session.ts';
import { LABELS } from '../../../protocols/core/labels.ts';
import { createDklsDkg, restoreDklsDkg } from '../../../protocols/dkls23/dkg.ts';
import { createDklsRefresh, restoreDklsRefresh } from '../../../protocols/dkls23/refresh.ts';
import { createDklsSign, restoreDklsSign, voleSessionId } from '../../../protocols/dkls23/sign.ts';
import { DKLS_CURVES } from '../../../protocols/dkls23/curve.ts';
import { hashToScalar, hashToScalars, partyByte, u16 } from '../../../protocols/dkls23/hash.ts';
import { lagrangeAtZero } from '../../../protocols/dkls23/feldman.ts';
import { zeroShare } from '../../../protocols/dkls23/zero-share.ts';
import { XI } from '../../../protocols/dkls23/params.ts';
import type { DklsKeyShare } from '../../../protocols/dkls23/keyshare.ts';
import { hex, seededRng, sid } from './fixtures.ts';
import { CONTEXT } from './session-fixtures.ts';
import { testKey } from '../../support/dkls23-test-keys.ts';

const curve = DKLS_CURVES.secp256k1;
const { Fn } = curve;
const n = 2,
  t = 2;
const noRng = () => new Uint8Array();
const copy = (json: unknown) => JSON.parse(JSON.stringify(json)) as unknown;

function sendOf(step: Step<unknown, unknown>): Extract<Step<unknown, unknown>, { kind: 'send' }> {
  if (step.kind !== 'send') throw new Error(`expected send, got ${step.kind}${step.kind === 'abort' ? `: ${step.error.message}` : ''}`);
  return step;
}
const pick = (step: Step<unknown, unknown>, round: number, to?: number): Envelope =>
  sendOf(step).messages.find((m) => m.round === round && (to === undefined || m.to === to))!;

/** The victim's R2 broadcast: final sid, F_1(0), and the Schnorr proof (A, z) of coefficient 0. */
function parseR2(p: Uint8Array) {
  let o = 32 + n * 32 + 1;
  const F0 = curve.Point.fromBytes(p.subarray(o, o + 33));
  o += t * 33 + 32;
  return { fsid: p.subarray(0, 32), F0, A: curve.Point.fromBytes(p.subarray(o, o + 33)), z: Fn.fromBytes(p.subarray(o + 33, o + 65)) };
}

/**
 * The review's demo-dkg-restore attack: restore the victim's after-start snapshot twice, feed a
 * fresh peer round 1 each time, and solve the two coefficient-0 proofs for a_0.
 */
function coefficientAttack(snapshot: unknown, restore: (j: unknown) => Session<unknown, unknown>, peer: (run: number) => Session<unknown, unknown>) {
  const [a, b] = [0, 1].map((run) => {
    const peerR1 = pick(peer(run).start(), 1);
    return parseR2(pick(restore(copy(snapshot)).receive(peerR1), 2, 0).payload);
  }) as [ReturnType<typeof parseR2>, ReturnType<typeof parseR2>];
  const e = (o: typeof a) => hashToScalar(curve, LABELS.dkls23DkgCoefficientProof, o.fsid, partyByte(1), u16(0), o.F0.toBytes(true), o.A.toBytes(true));
  const a0 = Fn.div(Fn.sub(a.z, b.z), Fn.sub(e(a), e(b)));
  return { a, b, a0 };
}

describe('restoring a DKLs23 session and feeding it different peer messages gives the attacker nothing', () => {
  test('DKG coefficient-proof nonce reuse: fresh nonces per transcript, the extraction recovers nothing', () => {
    const sessionId = sid('restore-attack/dkg');
    const victim = createDklsDkg({ curve: 'secp256k1', sessionId, self: 1, n, t, context: CONTEXT, rng: seededRng('restore-attack/dkg/1') });
    victim.start();
    const { a, b, a0 } = coefficientAttack(
      victim.toJSON(),
      (j) => restoreDklsDkg(j, noRng),
      (run) => createDklsDkg({ curve: 'secp256k1', sessionId, self: 2, n, t, context: CONTEXT, rng: seededRng(`restore-attack/dkg/2/${run}`) }),
    );
    expect(hex(a.fsid)).not.toBe(hex(b.fsid));
    expect(a.F0.equals(b.F0)).toBe(true); // the polynomial is fixed at creation...
    expect(a.A.equals(b.A)).toBe(false); // ...but its proofs' nonces are not
    expect(curve.Point.BASE.multiply(a0).equals(a.F0)).toBe(false);
  });

  test('DKG base-OT choice-bit leak: every request point changes, so the choice bits cannot be read off', () => {
    const sessionId = sid('restore-attack/delta');
    const victim = createDklsDkg({ curve: 'secp256k1', sessionId, self: 1, n, t, context: CONTEXT, rng: seededRng('restore-attack/delta/1') });
    victim.start();
    const snapshot = victim.toJSON();
    const runs = [0, 1].map((run) => {
      const peer = createDklsDkg({ curve: 'secp256k1', sessionId, self: 2, n, t, context: CONTEXT, rng: seededRng(`restore-attack/delta/2/${run}`) });
      const restored = restoreDklsDkg(copy(snapshot), noRng);
      const p2p = pick(restored.receive(pick(peer.start(), 1)), 2, 2).payload;
      return {
        request: p2p.subarray(32, 32 + 256 * 66),
        choices: (restored.toJSON() as { otRequests: Record<string, { choices: string }> }).otRequests['2']!.choices,
      };
    });
    let unchanged = 0;
    for (let i = 0; i < 256; i++) {
      const [x, y] = runs.map((r) => r.request.subarray(66 * i, 66 * i + 66)) as [Uint8Array, Uint8Array];
      if (hex(x.subarray(0, 33)) === hex(y.subarray(0, 33)) || hex(x.subarray(33)) === hex(y.subarray(33))) unchanged++;
    }
    expect(unchanged).toBe(0);
    expect(runs[0]!.choices).not.toBe(runs[1]!.choices);
  });

  describe('with a 2-of-2 key', () => {
    let shares: Map<number, DklsKeyShare>;
    beforeAll(() => {
      // A 2-of-2 key made by the real DKG, from the test-key cache (tests/support/dkls23-test-keys.ts).
      shares = testKey('secp256k1-2of2').shares;
    });

    test('refresh old-share extraction through the coefficient proof: recovers nothing', () => {
      const sessionId = sid('restore-attack/refresh');
      const mk = (self: number, rng: string) =>
        createDklsRefresh({ curve: 'secp256k1', sessionId, self, share: shares.get(self)!, context: CONTEXT, rng: seededRng(rng) });
      const victim = mk(1, 'restore-attack/refresh/1');
      victim.start();
      const { a, a0 } = coefficientAttack(
        victim.toJSON(),
        (j) => restoreDklsRefresh(j, noRng),
        (run) => mk(2, `restore-attack/refresh/2/${run}`),
      );
      expect(curve.Point.BASE.multiply(a0).equals(a.F0)).toBe(false);
      const s1 = Fn.div(a0, lagrangeAtZero(curve, [1, 2], 1));
      expect(hex(Fn.toBytes(s1))).not.toBe(shares.get(1)!.secretShare);
    });

    const digest = new Uint8Array(32).fill(1);
    const signSession = (self: number, sessionId: Uint8Array, rng: string) =>
      createDklsSign({ curve: 'secp256k1', sessionId, self, signers: [1, 2], share: shares.get(self)!, digest, rng: seededRng(rng) });

    test('signing VOLE-answer extraction: the presignature is consumed before R3, so a restored rerun is refused', () => {
      const sessionId = sid('restore-attack/sign');
      const victim = signSession(1, sessionId, 'restore-attack/sign/1');
      const victimR1 = pick(victim.start(), 1);
      const snapshot = victim.toJSON();
      const consumed = new Set<string>();
      /** The victim's R3 for one malicious co-signer run, and whether a durable store let it leave. */
      const run = (k: number) => {
        const peer = signSession(2, sessionId, `restore-attack/sign/2/${k}`);
        const peerR1 = pick(peer.start(), 1);
        const restored = restoreDklsSign(copy(snapshot), noRng);
        const victimR2 = pick(restored.receive(peerR1), 2);
        const peerR2 = pick(peer.receive(victimR1), 2);
        void peer.receive(victimR2);
        const step = sendOf(restored.receive(peerR2));
        const ids = step.durable?.consume ?? [];
        const refused = ids.some((id) => consumed.has(id));
        ids.forEach((id) => consumed.add(id));
        return { ids, refused, r3: step.messages.find((m) => m.round === 3)! };
      };
      const runs = [0, 1, 2].map(run);
      // Every run asks to consume the same presignature id before its R3 may leave: the store
      // lets the first through and refuses the others.
      expect(runs.map((r) => r.ids.length)).toEqual([1, 1, 1]);
      expect(new Set(runs.map((r) => r.ids[0])).size).toBe(1);
      expect(runs.map((r) => r.refused)).toEqual([false, true, true]);

      // A caller that ignored the mark would still not give away the key through η: â is fresh
      // per transcript, so the review's three equations in (â, r_1, λ_1·s_1) solve to garbage.
      const zeroSeed = Buffer.from(shares.get(2)!.peers['1']!.zeroSeed, 'hex');
      const ATILDE = XI * 3 * 32;
      const rows = runs.map(({ r3 }) => {
        const fsid = r3.payload.subarray(0, 32);
        const vole = r3.payload.subarray(32);
        const theta = hashToScalars(curve, 2, LABELS.dkls23VoleTheta, voleSessionId(fsid, 1, 2), vole.subarray(0, ATILDE));
        const eta = Fn.fromBytes(vole.subarray(ATILDE, ATILDE + 32));
        const zeta = zeroShare(curve, 1, [1, 2], () => zeroSeed, fsid);
        return [1n, theta[0]!, theta[1]!, Fn.sub(eta, Fn.mul(theta[1]!, zeta))];
      });
      for (let c = 0; c < 3; c++) {
        const piv = rows.findIndex((r, i) => i >= c && r[c] !== 0n);
        [rows[c], rows[piv]] = [rows[piv]!, rows[c]!];
        const inv = Fn.inv(rows[c]![c]!);
        rows[c] = rows[c]!.map((v) => Fn.mul(v, inv));
        for (let i = 0; i < 3; i++)
          if (i !== c) {
            const f = rows[i]![c]!;
            rows[i] = rows[i]!.map((v, k) => Fn.sub(v, Fn.mul(f, rows[c]![k]!)));
          }
      }
      const recovered = Fn.div(rows[2]![3]!, lagrangeAtZero(curve, [1, 2], 1));
      expect(hex(Fn.toBytes(recovered))).not.toBe(shares.get(1)!.secretShare);
    });

    test('signing partial-signature extraction (restored between R3 and R4): the partial id is consumed before R4', () => {
      const sessionId = sid('restore-attack/partial');
      const victim = signSession(1, sessionId, 'restore-attack/partial/1');
      const peer = signSession(2, sessionId, 'restore-attack/partial/2');
      const victimR1 = pick(victim.start(), 1);
      const peerR1 = pick(peer.start(), 1);
      const victimR2 = pick(victim.receive(peerR1), 2);
      const peerR2 = pick(peer.receive(victimR1), 2);
      const peerR3 = pick(peer.receive(victimR2), 3);
      const victimR3Step = sendOf(victim.receive(peerR2));
      expect(victimR3Step.durable?.consume).toHaveLength(1);
      // After R3 left: a snapshot, restored twice; the malicious co-signer changes ψ in its R3
      // (unchecked: φ_j is its own secret), which would give u_1 − u_1' = r_1·(ψ − ψ').
      const snapshot = victim.toJSON();
      const psiAt = peerR3.payload.length - 32;
      const steps = [0, 1].map((k) => {
        const payload = peerR3.payload.slice();
        payload.set(Fn.toBytes(Fn.add(Fn.fromBytes(payload.subarray(psiAt)), BigInt(k))), psiAt);
        return sendOf(restoreDklsSign(copy(snapshot), noRng).receive({ ...peerR3, payload }));
      });
      const ids = steps.map((s) => s.durable?.consume ?? []);
      expect(ids[0]).toHaveLength(1);
      expect(ids[1]).toEqual(ids[0]);
      // Not the presignature id: that one was consumed before R3 already.
      expect(ids[0]![0]).not.toBe(victimR3Step.durable!.consume![0]);
    });

    test('a session never snapshotted consumes once per signature (the service path)', () => {
      const sessionId = sid('restore-attack/plain');
      const a = signSession(1, sessionId, 'restore-attack/plain/1');
      const b = signSession(2, sessionId, 'restore-attack/plain/2');
      const durables: number[] = [];
      const queue: Envelope[] = [pick(a.start(), 1), pick(b.start(), 1)];
      const byIndex = new Map([
        [1, a],
        [2, b],
      ]);
      while (queue.length) {
        const e = queue.shift()!;
        const step = byIndex.get(e.from === 1 ? 2 : 1)!.receive(e);
        if (step.kind === 'abort') throw new Error(step.error.message);
        if (step.kind === 'wait') continue;
        if (step.durable?.consume) durables.push(e.round + 1);
        queue.push(...step.messages);
      }
      expect(durables).toEqual([3, 3]);
    });
  });
});
