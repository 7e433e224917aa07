// Importing a key into DKLs23 (docs/protocols.md "Importing a key"): a refresh (refresh.ts) whose
// "old share" is the party's share f(i) of the offline split (protocols/import/split.ts), checked
// against the split's public manifest. It is the DKG with each party's constant fixed to λ_i·f(i)
// (Lagrange over all n), so the joint key is the imported one while every share is NEW (the
// split-time shares, which existed on the operator's machine, are not the ones used afterwards)
// and the pairwise base OTs, OT-extension seeds and zero-sharing seeds a DKLs23 key needs are made
// as in any DKG. Every receiver checks F_j(0) = λ_j·S_j against the manifest's verification shares
// and names the party that dealt another constant; the joint key must equal the manifest's.
// The refresh binding's transcript hash is the manifest hash, so only parties given the same
// manifest agree on the final session id.
import { ProtocolError } from '../core/errors.ts';
import type { Rng, Session } from '../core/session.ts';
import { checkManifest, checkShare, type ImportManifest } from '../import/split.ts';
import { DklsDkgSession, newDkgState, type DklsDkgOutput } from './dkg.ts';
import { lagrangeAtZero } from './feldman.ts';
import type { DklsKeyShare } from './keyshare.ts';
import { dklsCurve, type DklsCurveName } from './curve.ts';

export function createDklsImport(o: {
  curve: DklsCurveName;
  sessionId: Uint8Array;
  self: number;
  manifest: ImportManifest;
  /** f(self), as opened from this party's bundle (bundle.ts). */
  share: Uint8Array;
  context: Uint8Array;
  rng: Rng;
}): Session<DklsDkgOutput, DklsKeyShare> {
  const checked = checkManifest(o.manifest);
  if (checked.group.protocol !== `dkls23-${o.curve}`)
    throw new ProtocolError('bad-parameters', `the manifest is for ${checked.group.protocol}, not dkls23-${o.curve}`);
  const s = checkShare(checked, o.self, o.share);
  const curve = dklsCurve(o.curve);
  const n = o.manifest.parties.length;
  const members = Array.from({ length: n }, (_, k) => k + 1);
  const state = newDkgState(
    { curve: o.curve, sessionId: o.sessionId, self: o.self, n, t: o.manifest.threshold, context: o.context, rng: o.rng },
    {
      binding: { publicKey: o.manifest.publicKey, transcriptHash: o.manifest.hash, verificationShares: { ...o.manifest.verificationShares }, members },
      constant: curve.Fn.mul(lagrangeAtZero(curve, members, o.self), s),
    },
  );
  return new DklsDkgSession(state);
}
