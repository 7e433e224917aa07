// The signer's checks on a round-one commitment list before it produces a signature share
// (RFC 9591 §5.2 and §7.3 "Nonce Reuse Attacks"; ZF frost-core round2::sign's
// MissingCommitment / IncorrectCommitment; research notes §2.5 rule 3): a share computed over a
// list that lacks our commitment, or carries a different one for us, could be combined by a
// malicious coordinator or peer into something we never agreed to sign.
import { ProtocolError } from '../core/errors.ts';
import { equalBytes } from '../core/bytes.ts';
import { decodePoint, isValidatedEncoding } from './codec.ts';
import type { FrostSuite, Point } from './suite.ts';

/**
 * A round-one commitment. D and E, when present, are the decoded hiding and binding elements; if
 * they came out of decodePoint with exactly these encodings they are not validated again.
 */
export type SigningCommitment = { index: number; hiding: Uint8Array; binding: Uint8Array; D?: Point; E?: Point };

export function checkCommitmentList(
  suite: FrostSuite,
  list: readonly SigningCommitment[],
  self: number,
  own: { hiding: Uint8Array; binding: Uint8Array },
  t: number,
  n: number,
): void {
  const fail = (why: string, culprits: number[] = []): never => {
    throw new ProtocolError('invalid-commitment', why, culprits);
  };
  if (list.length < t || list.length > n) fail(`commitment list has ${list.length} entries, need ${t}..${n}`);
  for (let k = 0; k < list.length; k++) {
    const c = list[k]!;
    if (!Number.isInteger(c.index) || c.index < 1 || c.index > n) fail(`commitment for unknown party ${c.index}`);
    // RFC 9591 §5.2 / §4.3: sorted by identifier, no identifier twice.
    if (k > 0 && c.index <= list[k - 1]!.index) fail('commitment list not strictly sorted by identifier');
    // Our own entry must equal our commitment byte for byte (checked below), which we made from
    // our nonces: decoding it would only re-check our own arithmetic. Every other element is
    // fully validated (decodePoint), unless it already was: a session decodes each peer's
    // commitments when they arrive and passes the Points along.
    if (c.index === self) continue;
    if (!isValidatedEncoding(c.D, c.hiding)) decodePoint(suite, c.hiding, `hiding commitment of ${c.index}`, [c.index]);
    if (!isValidatedEncoding(c.E, c.binding)) decodePoint(suite, c.binding, `binding commitment of ${c.index}`, [c.index]);
  }
  const mine = list.find((c) => c.index === self);
  if (!mine) return fail('commitment list lacks our own commitment');
  if (!equalBytes(mine.hiding, own.hiding) || !equalBytes(mine.binding, own.binding)) fail('commitment list carries a commitment for us that is not ours');
}
