// DKLs23 key refresh (research notes §1.7): the DKG of dkg.ts, same five rounds and checks, with
// each party's polynomial constant fixed to its additive share λ_i·s_i of the old key (Lagrange
// over all n parties), so the joint key is unchanged while every share, every base OT, every
// OT-extension seed and every zero-sharing seed is new. The whole key share is replaced.
//
// On top of the DKG's checks:
// - F_j(0) must equal λ_j·S_j (party j's old verification share): a party dealing any other
//   constant is caught after the round-2 opening, by name, before any share is answered;
// - the derived joint key must equal the old one;
// - the final session id also binds the old public key and the old transcript hash, so only
//   holders of the same key version agree on it; the protocol name (`dkls23-<curve>/refresh`)
//   differs from the DKG's, so replayed DKG messages are refused on intake.
// The threshold cannot change: t and n come from the old share, and every commitment vector must
// have exactly t entries (checkCommitmentLength). All n parties take part. The new share is made
// durable (pending) before the confirmation leaves; the old share may be deleted only once the
// session is done (every party confirmed the same transcript).
import { ProtocolError } from '../core/errors.ts';
import type { Rng, Session } from '../core/session.ts';
import { checkMachineState, checkSessionInputs } from './machine.ts';
import { DklsDkgSession, newDkgState, type DkgState, type DklsDkgOutput } from './dkg.ts';
import { lagrangeAtZero } from './feldman.ts';
import { checkThreshold, parseKeyShare, type DklsKeyShare } from './keyshare.ts';
import type { DklsCurveName } from './curve.ts';

export function refreshProtocolName(curve: DklsCurveName): string {
  return `dkls23-${curve}/refresh`;
}

export function createDklsRefresh(o: {
  curve: DklsCurveName; sessionId: Uint8Array; self: number; share: DklsKeyShare; context: Uint8Array; rng: Rng;
}): Session<DklsDkgOutput, DklsKeyShare> {
  checkSessionInputs(o);
  const old = parseKeyShare(o.share);
  if (o.share.curve !== o.curve) throw new ProtocolError('bad-parameters', `share is for ${o.share.curve}, not ${o.curve}`);
  if (o.share.index !== o.self) throw new ProtocolError('bad-parameters', `share belongs to party ${o.share.index}, not ${o.self}`);
  const parties = Array.from({ length: old.n }, (_, k) => k + 1);
  const constant = old.curve.Fn.mul(lagrangeAtZero(old.curve, parties, o.self), old.secretShare);
  const state = newDkgState({ curve: o.curve, sessionId: o.sessionId, self: o.self, n: old.n, t: old.t, context: o.context, rng: o.rng }, {
    binding: {
      publicKey: o.share.publicKey,
      transcriptHash: o.share.transcriptHash,
      verificationShares: { ...o.share.verificationShares },
    },
    constant,
  });
  return new DklsDkgSession(state);
}

/** Rebuilds a refresh session from toJSON(). Later randomness comes from the snapshot's seed; rng is unused. */
export function restoreDklsRefresh(json: unknown, rng: Rng): Session<DklsDkgOutput, DklsKeyShare> {
  void rng;
  const s = checkMachineState(json, 'dkls23-refresh') as DkgState;
  const b = s.refresh;
  if (typeof b !== 'object' || b === null || typeof b.publicKey !== 'string' || typeof b.transcriptHash !== 'string'
    || typeof b.verificationShares !== 'object' || b.verificationShares === null)
    throw new ProtocolError('malformed', 'snapshot: bad refresh binding');
  if (typeof s.round1 !== 'string' || typeof s.context !== 'string' || typeof s.seed !== 'string') throw new ProtocolError('malformed', 'snapshot: bad refresh fields');
  return new DklsDkgSession(JSON.parse(JSON.stringify(s)) as DkgState);
}
