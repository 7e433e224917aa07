// The one DKLs23-specific error class: a failed OT-extension, all-but-one OT, VOLE or Γ
// consistency check. After it the service must ban the culprit for this key until a refresh has
// replaced all OT state (research notes §1.2 "OT selective abort", §1.10 item 4; TOB-SILA-12):
// repeated attempts would let a cheater learn the correlation Δ bit by bit, then the key.
//
// It is an ordinary ProtocolError of kind 'invalid-proof' naming exactly one culprit, marked by
// a message prefix so that the mark survives a session snapshot (errorToJSON keeps the message).
import { ProtocolError } from '../core/errors.ts';

export const BAN_MARK = '[ban]';

export function banError(what: string, culprit: number): ProtocolError {
  return new ProtocolError('invalid-proof', `${BAN_MARK} ${what}`, [culprit]);
}

/** True iff the error demands that its culprit be banned for the key. */
export function isBanError(e: unknown): e is ProtocolError {
  return e instanceof ProtocolError && e.kind === 'invalid-proof' && e.message.startsWith(BAN_MARK) && e.culprits.length === 1;
}
