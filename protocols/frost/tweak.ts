// A FROST key share moved to a derived child key (protocols/core/hd-derivation.ts): with the public
// tweak t, s_i → s_i + t, every verifying share PK_j → PK_j + t·G and the constant commitment (the
// group key) → Y + t·G; the other coefficients stay. The result is a consistent sharing of s + t
// (a constant added to the polynomial), so RFC 9591 signing runs on it unchanged: each signer's
// share is checked against the tweaked verifying shares (a signer that applied another tweak is
// named) and the aggregate is verified under Y + t·G. Pure: returns a new object.
import { bytesToHex } from '../core/bytes.ts';
import { ProtocolError } from '../core/errors.ts';
import { fromHex } from './codec.ts';
import type { FrostKeyShare } from './share.ts';
import { frostSuite } from './suite.ts';

export function tweakFrostShare(share: FrostKeyShare, tweak: bigint): FrostKeyShare {
  const suite = frostSuite(share.suite);
  const t = suite.Fn.create(tweak);
  if (t === 0n) return share;
  const T = suite.Point.BASE.multiply(t);
  const move = (hex: string): string => {
    const p = suite.Point.fromBytes(fromHex(hex)).add(T);
    if (p.is0()) throw new ProtocolError('bad-parameters', 'the tweak moves a key share to the identity');
    return bytesToHex(p.toBytes());
  };
  const secret = suite.Fn.add(suite.Fn.fromBytes(fromHex(share.signingShare)), t);
  if (secret === 0n) throw new ProtocolError('bad-parameters', 'the tweak makes the signing share zero');
  const verifyingShares: Record<string, string> = {};
  for (const [j, S] of Object.entries(share.verifyingShares)) verifyingShares[j] = move(S);
  const commitments = [move(share.commitments[0]!), ...share.commitments.slice(1)];
  return { ...share, signingShare: bytesToHex(suite.Fn.toBytes(secret)), groupPublicKey: commitments[0]!, commitments, verifyingShares };
}
