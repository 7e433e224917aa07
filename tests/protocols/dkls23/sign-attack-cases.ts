// Signing under attack (issue 4 "Adversarial tests"), run by each curve's test file on the 2-of-3
// key its honest cases made (not a test file itself: one DKG serves both). A relay that rewrites
// party j's messages models a malicious j (the transport authenticates senders). Every attack
// ends with no signature at any honest party; OT-extension, VOLE and Γ failures are ban errors
// naming the culprit.
import { describe, test, expect } from '@jest/globals';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes, concatBytes } from '../../../protocols/core/bytes.ts';
import { isBanError } from '../../../protocols/dkls23/errors.ts';
import { voleSenderMessageBytes } from '../../../protocols/dkls23/rvole.ts';
import { DKLS_CURVES, type DklsCurveName } from '../../../protocols/dkls23/curve.ts';
import type { DklsKeyShare } from '../../../protocols/dkls23/keyshare.ts';
import type { Envelope } from '../../../protocols/core/envelope.ts';
import { simulate, type Relay, type Simulation } from '../../support/simulator.ts';
import { flipByte, from, payload, rewrite } from '../../support/adversaries.ts';
import { expectBlame, expectNoOutput, runSign, signSessions } from './session-fixtures.ts';
import { seededRng, sid } from './fixtures.ts';
import { createDklsSign } from '../../../protocols/dkls23/sign.ts';

const V = voleSenderMessageBytes(2);
/** Offsets in the round-3 payload: fsid ‖ VOLE message ‖ R ‖ blind ‖ pk ‖ Γu ‖ Γv ‖ ψ. */
const R3 = { vole: 32, R: 32 + V, blind: 65 + V, pk: 97 + V, gammaU: 130 + V, gammaV: 163 + V, psi: 196 + V, end: 228 + V };
const EVIL = 2,
  HONEST = [1];
const SIGNERS = [1, 2];
const DIGEST = sha256(utf8ToBytes('attack at dawn'));

const splice = (p: Uint8Array, at: number, bytes: Uint8Array) => {
  const out = p.slice();
  out.set(bytes, at);
  return out;
};

function expectBan<O, S>(sim: Simulation<O, S>, party: number, culprit: number, what: RegExp): void {
  const r = sim.results.get(party)!;
  expect(r.kind).toBe('abort');
  if (r.kind !== 'abort') return;
  expect({ ban: isBanError(r.error), culprits: r.error.culprits, message: r.error.message }).toEqual({
    ban: true,
    culprits: [culprit],
    message: expect.stringMatching(what),
  });
}

/** An x with no point on the curve, as a compressed encoding. */
function offCurve(curve: DklsCurveName): Uint8Array {
  for (let x = 1; ; x++) {
    const b = new Uint8Array(33);
    b[0] = 2;
    b[32] = x;
    try {
      DKLS_CURVES[curve].Point.fromBytes(b);
    } catch {
      return b;
    }
  }
}

/**
 * `full`: every case; otherwise the curve-sensitive subset (bans, Γ checks, decoding, reuse,
 * outsiders). The protocol logic is the same code for both curves, and each test file pays for
 * its own DKG, so the second curve runs the subset to keep the suite within its time budget.
 */
export function signAttackCases(CURVE: DklsCurveName, keyOf: () => Map<number, DklsKeyShare>, full = true): void {
  const extra = (name: string, fn: () => void) => {
    if (full) test(name, fn);
  };
  const G = DKLS_CURVES[CURVE].Point.BASE.toBytes(true);
  const run = (label: string, relay: Relay, signers = SIGNERS) => runSign(CURVE, keyOf(), signers, DIGEST, `sign-adv/${label}`, { relay });

  describe(`DKLs23 signing under attack (${CURVE}, 2-of-3 key)`, () => {
    test('tampered OT-extension message: the VOLE sender bans the receiver', () => {
      const sim = run(
        'ote',
        payload(from(EVIL, 2, 1), (p) => flipByte(p, 32 + 32 * 2 + 100)),
      );
      expectBan(sim, 1, EVIL, /SoftSpokenOT/);
      expectNoOutput(sim, HONEST);
    });

    test.each([
      ['ã (first row)', R3.vole + 31],
      ['ã (last row)', R3.vole + V - 65 - 1],
      ['η', R3.vole + V - 33],
      ['μ', R3.vole + V - 1],
    ])('tampered VOLE message (%s): the receiver bans the sender', (_, at) => {
      const sim = run(
        `vole-${at}`,
        payload(from(EVIL, 3, 1), (p) => flipByte(p, at)),
      );
      expectBan(sim, 1, EVIL, /random VOLE consistency/);
      expectNoOutput(sim, HONEST);
    });

    test('Γ-check violation on the nonce (Γu replaced): ban', () => {
      const sim = run(
        'gamma-u',
        payload(from(EVIL, 3, 1), (p) => splice(p, R3.gammaU, G)),
      );
      expectBan(sim, 1, EVIL, /Γ check on the nonce/);
    });

    test('Γ-check violation on the key share (pk_j or Γv replaced): ban', () => {
      expectBan(
        run(
          'gamma-v',
          payload(from(EVIL, 3, 1), (p) => splice(p, R3.gammaV, G)),
        ),
        1,
        EVIL,
        /Γ check on the key share/,
      );
      expectBan(
        run(
          'pk',
          payload(from(EVIL, 3, 1), (p) => splice(p, R3.pk, G)),
        ),
        1,
        EVIL,
        /Γ check on the key share/,
      );
    });

    test('a nonce commitment that does not open', () => {
      const sim = run(
        'blind',
        payload(from(EVIL, 3, 1), (p) => flipByte(p, R3.blind)),
      );
      expectBlame(sim, HONEST, 'invalid-commitment', [EVIL]);
    });

    extra('a wrong ψ (inversion-mask share) yields a signature that fails the verifier: no output', () => {
      const sim = run(
        'psi',
        payload(from(EVIL, 3, 1), (p) => flipByte(p, R3.end - 1)),
      );
      expectBlame(sim, HONEST, 'invalid-signature', []);
    });

    extra('a tampered online-round share: the combined signature fails the verifier, nothing is output', () => {
      const sim = run(
        'w',
        payload(from(EVIL, 4), (p) => flipByte(p, 63)),
      );
      expectBlame(sim, HONEST, 'invalid-signature', []);
    });

    if (full)
      test.each([
        ['round-2 payload one byte short', 2, (p: Uint8Array) => p.subarray(0, p.length - 1)],
        ['round-2 payload one byte long', 2, (p: Uint8Array) => concatBytes(p, Uint8Array.of(0))],
        ['round-3 payload one byte short', 3, (p: Uint8Array) => p.subarray(0, p.length - 1)],
        ['round-4 payload one byte long', 4, (p: Uint8Array) => concatBytes(p, Uint8Array.of(0))],
      ])('wrong vector length: %s', (_, round, f) => {
        const sim = run(`len-${round}-${_}`, payload(from(EVIL, round), f));
        expectBlame(sim, HONEST, 'malformed', [EVIL]);
      });

    test('an invalid point (not on the curve) in round 3', () => {
      const sim = run(
        'bad-point',
        payload(from(EVIL, 3, 1), (p) => splice(p, R3.R, offCurve(CURVE))),
      );
      expectBlame(sim, HONEST, 'malformed', [EVIL]);
    });

    extra('equivocated round-1 broadcast: caught by the echo before any VOLE message is answered', () => {
      // Three signers of the 2-of-3 key; party 3 shows party 2 another round-1 message.
      const other = createDklsSign({
        curve: CURVE,
        sessionId: sid('sign-adv/equivocate'),
        self: 3,
        signers: [1, 2, 3],
        share: keyOf().get(3)!,
        digest: DIGEST,
        rng: seededRng('another instance of party 3'),
      }).start();
      if (other.kind !== 'send') throw new Error('no round-1 message');
      const alt = other.messages[0]!.payload;
      const sim = runSign(CURVE, keyOf(), [1, 2, 3], DIGEST, 'sign-adv/equivocate', { relay: payload(from(3, 1), (p, to) => (to === 2 ? alt : p)) });
      expect(sim.results.get(2)).toMatchObject({ kind: 'abort', error: { kind: 'equivocation', culprits: [3] } });
      expect(sim.results.get(1)).toMatchObject({ kind: 'abort', error: { kind: 'equivocation', culprits: [2, 3] } });
      expectNoOutput(sim, [1, 2]);
    });

    extra('a replayed round from another session: the envelope of another session is dropped; an old payload under this session is caught', () => {
      const old = runSign(CURVE, keyOf(), SIGNERS, DIGEST, 'sign-adv/old-session');
      const oldR2 = old.sent.find((e) => e.from === EVIL && e.round === 2 && e.to === 1)!;
      // The relay delivers the old envelope (its own session id) in place of the new one.
      // Nobody can be blamed (TOB-SILA-14): dropped, and party 1 waits for the real one until its deadline.
      const replay = run(
        'replay-envelope',
        rewrite(from(EVIL, 2, 1), () => oldR2),
      );
      expect(replay.results.get(1)).toMatchObject({ kind: 'abort', error: { kind: 'timeout' } });
      // The old payload re-sent under this session (only the sender can sign that): the echo of
      // round 1 differs in every slot, which names the sender.
      const resent = run(
        'replay-payload',
        payload(from(EVIL, 2, 1), () => oldR2.payload),
      );
      expectBlame(resent, HONEST, 'equivocation', [EVIL]);
    });

    test('a presignature is never used twice: a rerun from the same state is refused by the durable store', () => {
      const consumed = new Set<string>();
      // The same sessions again (same randomness, i.e. a party restored from a snapshot taken
      // before its online round), sharing the consumed-id table of the first run.
      const a = runSign(CURVE, keyOf(), SIGNERS, DIGEST, 'sign-adv/reuse-2', { consumed });
      expect([...a.results.values()].every((r) => r.kind === 'done')).toBe(true);
      const b = runSign(CURVE, keyOf(), SIGNERS, DIGEST, 'sign-adv/reuse-2', { consumed });
      for (const p of SIGNERS) expect(b.results.get(p)).toMatchObject({ kind: 'abort', error: { kind: 'nonce-reuse' } });
    });

    test('a message from a party outside the signing set is dropped; the signers finish without it', () => {
      // Nobody in the session can be blamed for it (the transport would not even have opened it):
      // dropped, as TOB-SILA-14 asks, and the session goes on.
      const inject: Relay = (envelope, recipients) => {
        const out = recipients.map((to) => ({ to, envelope }));
        if (envelope.from === 2 && envelope.round === 1) out.push({ to: 1, envelope: { ...envelope, from: 3 } as Envelope });
        return out;
      };
      const sim = run('outsider', inject);
      for (const p of SIGNERS) expect(sim.results.get(p)!.kind).toBe('done');
    });

    extra('signers asked to sign different digests stop at round 1', () => {
      const sessions = [
        ...signSessions(CURVE, keyOf(), SIGNERS, DIGEST, 'sign-adv/digest').slice(0, 1),
        ...signSessions(CURVE, keyOf(), SIGNERS, sha256(utf8ToBytes('other')), 'sign-adv/digest').slice(1),
      ];
      const sim = simulate(sessions);
      expect(sim.results.get(1)).toMatchObject({ kind: 'abort', error: { kind: 'bad-parameters', culprits: [2] } });
      expectNoOutput(sim, [1, 2]);
    });

    extra('signers that enforce different policy revisions (another context) stop at round 1', () => {
      const label = 'sign-adv/context';
      const sessions = SIGNERS.map((p) =>
        createDklsSign({
          curve: CURVE,
          sessionId: sid(label),
          self: p,
          signers: SIGNERS,
          share: keyOf().get(p)!,
          digest: DIGEST,
          rng: seededRng(`${label}/${p}`),
          context: utf8ToBytes(`policy revision ${p}`),
        }),
      );
      const sim = simulate(sessions);
      expect(sim.results.get(1)).toMatchObject({
        kind: 'abort',
        error: { kind: 'bad-parameters', culprits: [2], message: expect.stringMatching(/signing-policy revision/) },
      });
      expectNoOutput(sim, [1, 2]);
    });
  });
}
