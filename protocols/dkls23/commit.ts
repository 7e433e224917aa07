// Hash commitments with 32 bytes of fresh randomness (research notes §1.4 "Commitments": SL's
// SHA256(label ‖ sid ‖ … ‖ r ‖ label)). Ours: H(label, sid, party, parts…, r) with every input
// length-prefixed, so a commitment binds the session, the committer and an unambiguous message;
// hiding comes from r (random oracle model).
import { equalBytes } from '../core/bytes.ts';
import { partyByte, tagged } from './hash.ts';
import { COMMITMENT_RANDOMNESS_BYTES } from './params.ts';

export const COMMITMENT_BYTES = 32;

export function commit(label: string, sid: Uint8Array, party: number, parts: readonly Uint8Array[], randomness: Uint8Array): Uint8Array {
  if (randomness.length !== COMMITMENT_RANDOMNESS_BYTES) throw new RangeError(`commitment randomness must be ${COMMITMENT_RANDOMNESS_BYTES} bytes`);
  return tagged(label, sid, partyByte(party), ...parts, randomness);
}

/** True iff (parts, randomness) opens `commitment` for this label, session and committer. */
export function openCommitment(
  label: string,
  sid: Uint8Array,
  party: number,
  parts: readonly Uint8Array[],
  randomness: Uint8Array,
  commitment: Uint8Array,
): boolean {
  if (randomness.length !== COMMITMENT_RANDOMNESS_BYTES || commitment.length !== COMMITMENT_BYTES) return false;
  return equalBytes(commit(label, sid, party, parts, randomness), commitment);
}
