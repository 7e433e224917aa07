// Typed protocol errors. Every abort names what went wrong and, where the protocol can tell,
// which participants caused it (identifiable abort, RFC 9591 §5.4).

export type AbortKind =
  | 'malformed'          // a message does not decode (truncated, oversized, bad encoding, bad point)
  | 'unexpected'         // a message for another session, protocol, round, or from a non-participant
  | 'duplicate'          // the same sender sent twice for one round (replay or equivocation)
  | 'equivocation'       // a sender showed different broadcasts to different parties
  | 'invalid-proof'      // proof of knowledge / DLog proof fails
  | 'invalid-share'      // a secret share does not match its sender's commitments
  | 'invalid-commitment' // a commitment vector is malformed or of the wrong length
  | 'invalid-signature'  // a signature share or the final signature fails verification
  | 'bad-parameters'     // threshold, participants or inputs are unacceptable
  | 'nonce-reuse'        // a nonce or pre-signature would be used twice
  | 'policy'             // the party's own policy refused the request
  | 'timeout'            // a round deadline passed (raised by services, never by a pure session)
  | 'internal';

export class ProtocolError extends Error {
  readonly kind: AbortKind;
  /** Participant indices (1-based, as in the key's party list) blamed for the abort; empty if unknown. */
  readonly culprits: number[];

  constructor(kind: AbortKind, message: string, culprits: number[] = []) {
    super(culprits.length ? `${message} (culprit: ${culprits.join(', ')})` : message);
    this.name = 'ProtocolError';
    this.kind = kind;
    this.culprits = [...new Set(culprits)].sort((a, b) => a - b);
  }
}

/** Throws a ProtocolError unless `cond` holds. */
export function check(cond: unknown, kind: AbortKind, message: string, culprits: number[] = []): asserts cond {
  if (!cond) throw new ProtocolError(kind, message, culprits);
}
