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
// The threshold cannot change: t comes from the old share, and every commitment vector must have
// exactly t entries (checkCommitmentLength). The new share is made durable (pending) before the
// confirmation leaves; the old share may be deleted only once the session is done (every party
// confirmed the same transcript).
//
// Refresh without some parties (`exclude`, old indices): the recovery path after a ban (research
// notes §2 "Ban policy": "run a complete refresh without the banned peer"; §1.7: constants are
// λ_i·s_i "over the parties that still hold shares"). The remaining set S (|S| ≥ t) runs the same
// session among itself, renumbered 1..n' (n' = |S|) in ascending old-index order, so the stored
// share keeps its format (index 1..n', verification shares and peers for 1..n'). Party k's
// constant is λ_o^S·s_o with o = S[k−1], Lagrange over S's OLD indices; every receiver checks
// F_k(0) = λ_o^S·S_o against the OLD verification shares, and the joint key must be the old one.
// t is unchanged, n becomes n'. S (as old indices) is bound into the final session id, so parties
// with different views of who is left out cannot agree. Refused here: |S| < t, an index outside
// 1..n, a duplicate, and leaving oneself out. The left-out parties' old shares are worth nothing
// with the new ones (another polynomial); deleting them is the service's business.
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

/**
 * The old indices that take part in a refresh of a t-of-n key leaving out `exclude` (old indices),
 * ascending: the session's party k is old party members[k−1]. `self` (old index) must stay.
 * @throws ProtocolError 'bad-parameters' for an index outside 1..n, a duplicate, self left out, or
 * fewer than t remaining.
 */
export function refreshMembers(o: { n: number; t: number; self: number; exclude: readonly number[] }): number[] {
  const { n, t, self, exclude } = o;
  checkThreshold(t, n);
  if (!Array.isArray(exclude)) throw new ProtocolError('bad-parameters', 'exclude must be a list of party indices');
  const left = new Set<number>();
  for (const x of exclude as readonly number[]) {
    // each checked below: exclude comes from an admin request
    if (!Number.isInteger(x) || x < 1 || x > n) throw new ProtocolError('bad-parameters', `cannot leave out party ${String(x)}: not an index 1..${n}`);
    if (left.has(x)) throw new ProtocolError('bad-parameters', `party ${x} is left out twice`);
    if (x === self) throw new ProtocolError('bad-parameters', `party ${x} cannot refresh while leaving itself out`);
    left.add(x);
  }
  const members = Array.from({ length: n }, (_, k) => k + 1).filter((p) => !left.has(p));
  if (members.length < t)
    throw new ProtocolError(
      'bad-parameters',
      `leaving out ${[...left].sort((a, b) => a - b).join(', ')} leaves ${members.length} parties, fewer than the threshold ${t}`,
    );
  return members;
}

/**
 * A refresh session on `share`. Without `exclude`, all n parties take part and `self` is the
 * share's index. With `exclude` (old indices), the remaining parties are renumbered 1..n' in
 * ascending old-index order and `self` must be this party's NEW index (refreshMembers).
 */
export function createDklsRefresh(o: {
  curve: DklsCurveName;
  sessionId: Uint8Array;
  self: number;
  share: DklsKeyShare;
  context: Uint8Array;
  rng: Rng;
  exclude?: number[];
}): Session<DklsDkgOutput, DklsKeyShare> {
  checkSessionInputs(o);
  const old = parseKeyShare(o.share);
  if (o.share.curve !== o.curve) throw new ProtocolError('bad-parameters', `share is for ${o.share.curve}, not ${o.curve}`);
  const members = refreshMembers({ n: old.n, t: old.t, self: old.index, exclude: o.exclude ?? [] });
  const self = members.indexOf(old.index) + 1;
  if (self !== o.self) {
    throw new ProtocolError(
      'bad-parameters',
      members.length === old.n
        ? `share belongs to party ${old.index}, not ${o.self}`
        : `share of old party ${old.index} takes part as party ${self}, not ${o.self}`,
    );
  }
  const constant = old.curve.Fn.mul(lagrangeAtZero(old.curve, members, old.index), old.secretShare);
  const state = newDkgState(
    { curve: o.curve, sessionId: o.sessionId, self, n: members.length, t: old.t, context: o.context, rng: o.rng },
    {
      binding: { publicKey: o.share.publicKey, transcriptHash: o.share.transcriptHash, verificationShares: { ...o.share.verificationShares }, members },
      constant,
    },
  );
  return new DklsDkgSession(state);
}

/** Rebuilds a refresh session from toJSON(); randomness as restoreDklsDkg (dkg.ts). rng is unused. */
export function restoreDklsRefresh(json: unknown, rng: Rng): Session<DklsDkgOutput, DklsKeyShare> {
  void rng;
  const s = checkMachineState(json, 'dkls23-refresh') as DkgState;
  const b = s.refresh;
  if (
    typeof b !== 'object' ||
    b === null ||
    typeof b.publicKey !== 'string' ||
    typeof b.transcriptHash !== 'string' ||
    typeof b.verificationShares !== 'object' ||
    b.verificationShares === null ||
    (b.members !== undefined &&
      (!Array.isArray(b.members) ||
        b.members.length !== s.n ||
        s.parties.length !== s.n ||
        b.members.some((m, k) => !Number.isInteger(m) || m < 1 || (k > 0 && m <= b.members![k - 1]!))))
  )
    throw new ProtocolError('malformed', 'snapshot: bad refresh binding');
  if (typeof s.round1 !== 'string' || typeof s.context !== 'string' || typeof s.seed !== 'string')
    throw new ProtocolError('malformed', 'snapshot: bad refresh fields');
  return new DklsDkgSession(JSON.parse(JSON.stringify(s)) as DkgState);
}
