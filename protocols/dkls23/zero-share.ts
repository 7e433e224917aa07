// Zero-sharing (DKLs23 Functionality 3.4; research notes §1.4 "Zero shares"): every signer i gets
// ζ_i with Σ_{i∈S} ζ_i = 0 over the signing set S, fresh for every session, without interaction
// once each pair holds a common seed from the DKG. With seed_ij shared by i and j,
//   ζ_i = Σ_{j∈S, j>i} F(seed_ij, sid) − Σ_{j∈S, j<i} F(seed_ij, sid),
// each pair's term appears once with each sign. Signers add ζ_i to their additive key share
// (sk_i = λ_i·s_i + ζ_i), which re-randomises the additive sharing in every session.
//
// The pair seed mixes a contribution from both parties, so neither chooses it alone.
import { LABELS } from '../core/labels.ts';
import type { DklsCurve } from './curve.ts';
import { hashToScalar, partyByte, tagged } from './hash.ts';
import { SEED_BYTES } from './params.ts';

/** seed_ij = H(label, min(i,j), max(i,j), contribution of the lower, contribution of the higher). */
export function zeroSeed(i: number, contributionI: Uint8Array, j: number, contributionJ: Uint8Array): Uint8Array {
  if (i === j || contributionI.length !== SEED_BYTES || contributionJ.length !== SEED_BYTES) throw new RangeError('bad zero-share seed inputs');
  const [lo, loC, hi, hiC] = i < j ? [i, contributionI, j, contributionJ] : [j, contributionJ, i, contributionI];
  return tagged(LABELS.dkls23ZeroSeed, partyByte(lo), partyByte(hi), loC, hiC);
}

/** ζ_self for session `sid` over the signing set; `seeds(j)` is seed_{self,j}. */
export function zeroShare(curve: DklsCurve, self: number, set: readonly number[], seeds: (j: number) => Uint8Array, sid: Uint8Array): bigint {
  const { Fn } = curve;
  if (!set.includes(self) || new Set(set).size !== set.length) throw new RangeError('signing set must hold self once');
  let zeta = Fn.ZERO;
  for (const j of set) {
    if (j === self) continue;
    const [lo, hi] = self < j ? [self, j] : [j, self];
    const term = hashToScalar(curve, LABELS.dkls23ZeroShare, seeds(j), partyByte(lo), partyByte(hi), sid);
    zeta = self < j ? Fn.add(zeta, term) : Fn.sub(zeta, term);
  }
  return zeta;
}
