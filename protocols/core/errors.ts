// Typed failures. Every abort names what went wrong and, where the protocol can tell, which
// participants caused it (identifiable abort, RFC 9591 §5.4). The kinds are one closed vocabulary,
// FailureKind, shared by the pure sessions (AbortKind), the party's refusals (RefusalKind) and the
// coordinator's session runner (RunnerKind): it is what crosses the wire in an `abort` message
// (services/control/messages.ts) and what the coordinator maps to a KMS error. It lives here, on the
// floor every layer reads, so that one base class, TuttiError, carries it everywhere
// (docs/architecture.md "Failure kinds").

/** What a pure session can abort with. */
export type AbortKind =
  | 'malformed' // a message does not decode (truncated, oversized, bad encoding, bad point)
  | 'unexpected' // a message for another session, protocol, round, or from a non-participant
  | 'duplicate' // the same sender sent twice for one round (replay or equivocation)
  | 'equivocation' // a sender showed different broadcasts to different parties
  | 'invalid-proof' // proof of knowledge / DLog proof fails
  | 'invalid-share' // a secret share does not match its sender's commitments
  | 'invalid-commitment' // a commitment vector is malformed or of the wrong length
  | 'invalid-signature' // a signature share or the final signature fails verification
  | 'bad-parameters' // threshold, participants or inputs are unacceptable
  | 'nonce-reuse' // a nonce or pre-signature would be used twice
  | 'policy' // the party's own policy refused the request
  | 'timeout' // a round deadline passed (raised by services, never by a pure session)
  | 'internal';

/**
 * Why a party refuses a request before any round (services/party/request-check.ts): 'banned', the
 * signer set includes a peer it banned for the key (culprits name them); 'unknown-key', it holds no
 * share of the key; 'premade-unknown', it no longer holds the pre-made FROST nonce pair or the DKLs23
 * presignature the request names (the coordinator then signs with the full protocol).
 */
export type RefusalKind = 'policy' | 'bad-parameters' | 'unknown-key' | 'banned' | 'premade-unknown';

/**
 * What the coordinator's session runner fails a session with on its own: 'throttled', the key's
 * parties had no room for it; 'unavailable', a member is not connected or dropped off; 'timeout', a
 * round deadline passed (AbortKind has it too).
 */
export type RunnerKind = 'throttled' | 'unavailable' | 'timeout';

/** Every failure kind that crosses the wire between party and coordinator. */
export type FailureKind = AbortKind | RefusalKind | RunnerKind;

/** One line per kind; a Record, so that a kind added to a union above must be added here too. */
const FAILURE_KIND_NOTES: Record<FailureKind, string> = {
  malformed: 'a message does not decode',
  unexpected: 'a message for another session, protocol, round, or from a non-participant',
  duplicate: 'the same sender sent twice for one round',
  equivocation: 'a sender showed different broadcasts to different parties',
  'invalid-proof': 'a proof fails',
  'invalid-share': "a secret share does not match its sender's commitments",
  'invalid-commitment': 'a commitment vector is malformed or of the wrong length',
  'invalid-signature': 'a signature share or the final signature fails verification',
  'bad-parameters': 'threshold, participants or inputs are unacceptable',
  'nonce-reuse': 'a nonce or pre-signature would be used twice',
  policy: "a party's signing policy refused the request",
  timeout: 'a round deadline passed',
  internal: 'an error inside a party or the coordinator',
  'unknown-key': 'a party holds no share of the key',
  banned: 'a party banned a peer of the signer set for the key',
  'premade-unknown': 'a party no longer holds the pre-made nonce pair the request names',
  throttled: "the key's parties had no room for another session",
  unavailable: 'a member is not connected or dropped off',
};

/** Every FailureKind. */
export const FAILURE_KINDS = Object.keys(FAILURE_KIND_NOTES) as FailureKind[];

export function isFailureKind(x: unknown): x is FailureKind {
  return typeof x === 'string' && Object.hasOwn(FAILURE_KIND_NOTES, x);
}

/**
 * A kind read off the wire (an `abort` from a party): one of FailureKind, or 'internal' for
 * anything else, so that no unknown string travels on into the coordinator's decisions.
 */
export function failureKindOf(x: unknown): FailureKind {
  return isFailureKind(x) ? x : 'internal';
}

/**
 * The one base class of the failures that cross the wire: a kind and the participants blamed.
 * ProtocolError (a session's abort), RequestRefused (a party's refusal) and SessionFailed (the
 * coordinator's view of a failed session) extend it.
 */
export class TuttiError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly culprits: number[] = [],
  ) {
    super(message);
    this.name = 'TuttiError';
  }
}

/** The kind and culprits of any error: a TuttiError's own, 'internal' and none for anything else. */
export function failureOf(err: unknown): { kind: FailureKind; culprits: number[] } {
  return err instanceof TuttiError ? { kind: err.kind, culprits: err.culprits } : { kind: 'internal', culprits: [] };
}

export class ProtocolError extends TuttiError {
  override readonly kind: AbortKind;
  /** Participant indices (1-based, as in the key's party list) blamed for the abort; empty if unknown. */
  override readonly culprits: number[];

  constructor(kind: AbortKind, message: string, culprits: number[] = []) {
    const blamed = [...new Set(culprits)].sort((a, b) => a - b);
    super(kind, culprits.length ? `${message} (culprit: ${culprits.join(', ')})` : message, blamed);
    this.name = 'ProtocolError';
    this.kind = kind;
    this.culprits = blamed;
  }
}

/** Throws a ProtocolError unless `cond` holds. */
export function check(cond: unknown, kind: AbortKind, message: string, culprits: number[] = []): asserts cond {
  if (!cond) throw new ProtocolError(kind, message, culprits);
}
