// A DKLs23 key share moved to a derived child key (protocols/core/hd-derivation.ts): with the
// public tweak t, s_i → s_i + t, every verification share S_j → S_j + t·G, the constant commitment
// F_0 = Y → Y + t·G (the other coefficients stay), so the result is again a consistent sharing,
// now of s + t: Σ λ_j·(s_j + t) = s + t·Σ λ_j = s + t. Signing runs on it unchanged and verifies
// its signature under Y + t·G (sign.ts). The OT and zero-sharing material is the parent's: it
// does not depend on the key. Pure: returns a new object, the stored share is not touched.
import { bytesToHex } from '../core/bytes.ts';
import { ProtocolError } from '../core/errors.ts';
import { fromHex } from './codec.ts';
import { dklsCurve } from './curve.ts';
import type { DklsKeyShare } from './keyshare.ts';
import { mulBase } from './scalar-mul.ts';

export function tweakDklsShare(share: DklsKeyShare, tweak: bigint): DklsKeyShare {
  const curve = dklsCurve(share.curve);
  const t = curve.Fn.create(tweak);
  if (t === 0n) return share;
  const T = mulBase(curve, t);
  const move = (hex: string): string => {
    const p = curve.Point.fromBytes(fromHex(hex)).add(T);
    if (p.is0()) throw new ProtocolError('bad-parameters', 'the tweak moves a key share to the identity');
    return bytesToHex(p.toBytes(true));
  };
  const secret = curve.Fn.add(curve.Fn.create(BigInt('0x' + share.secretShare)), t);
  if (secret === 0n) throw new ProtocolError('bad-parameters', 'the tweak makes the secret share zero');
  const verificationShares: Record<string, string> = {};
  for (const [j, S] of Object.entries(share.verificationShares)) verificationShares[j] = move(S);
  const commitments = [move(share.commitments[0]!), ...share.commitments.slice(1)];
  return { ...share, secretShare: bytesToHex(curve.Fn.toBytes(secret)), publicKey: commitments[0]!, commitments, verificationShares };
}
