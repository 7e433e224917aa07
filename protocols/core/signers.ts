// The signer set a signing session is opened with, checked the same way by every protocol: sorted,
// distinct indices of the key's parties, at least t of them, self among them.
import { ProtocolError } from './errors.ts';

/** A copy of `signers` once checked against the key share's n and t; anything wrong is 'bad-parameters'. */
export function checkSigners(signers: unknown, self: number, share: { n: number; t: number }): number[] {
  const bad = (why: string): never => {
    throw new ProtocolError('bad-parameters', why);
  };
  if (!Array.isArray(signers)) return bad('signers must be an array');
  for (let k = 0; k < signers.length; k++) {
    const s = signers[k] as number; // checked on the next line: signers comes from the wire
    if (!Number.isInteger(s) || s < 1 || s > share.n) bad(`signer ${String(s)} outside 1..${share.n}`);
    if (k > 0 && s <= (signers[k - 1] as number)) bad('signers must be sorted and distinct');
  }
  if (signers.length < share.t) bad(`${signers.length} signers, threshold is ${share.t}`);
  if (!signers.includes(self)) bad('signers must include self');
  return [...(signers as number[])];
}
