// Typed transport errors. A party that refuses an envelope must be able to say why and who the
// envelope claims to come from, so that the session can abort naming that index.
import { ProtocolError, type AbortKind } from '../../protocols/core/errors.ts';

export type TransportErrorReason =
  | 'malformed' // the frame or the envelope inside it does not decode (truncated, oversized, bad field)
  | 'unknown-sender' // the claimed sender index has no identity in this session
  | 'bad-signature' // a broadcast's Ed25519 signature does not verify under the sender's key
  | 'bad-seal' // a point-to-point ciphertext does not open (tampered, re-addressed, wrong key)
  | 'misaddressed' // a point-to-point envelope for another receiver, or our own message reflected back
  | 'bad-session-key' // a session key (ephemeral X25519) missing, unusable, changed, or needed before it was announced
  | 'replay' // an exact copy of an envelope already accepted
  | 'limit'; // a bounded buffer is full (too many envelopes for one session)

const KIND: Record<TransportErrorReason, AbortKind> = {
  malformed: 'malformed',
  'unknown-sender': 'unexpected',
  'bad-signature': 'invalid-signature',
  'bad-seal': 'invalid-signature',
  misaddressed: 'unexpected',
  'bad-session-key': 'invalid-signature',
  replay: 'duplicate',
  limit: 'internal',
};

export class TransportError extends Error {
  readonly reason: TransportErrorReason;
  /**
   * The sender index the envelope header claims, when the frame decoded that far. The header is
   * not authenticated until the signature or seal checks out, so this names who the bytes *claim*
   * to come from: a hostile relay can forge the claim. Blame accordingly.
   */
  readonly sender: number | undefined;
  /** The message without the sender suffix. */
  readonly detail: string;
  /**
   * The frame's signature or seal verified: `sender` really sent these bytes, so what is wrong
   * with them is its fault (services/party/frame-triage.ts). False for everything else.
   */
  readonly authenticated: boolean;

  constructor(reason: TransportErrorReason, message: string, sender?: number, authenticated = false) {
    super(sender !== undefined ? `${message} (claimed sender ${sender})` : message);
    this.name = 'TransportError';
    this.reason = reason;
    this.sender = sender;
    this.detail = message;
    this.authenticated = authenticated;
  }

  /** The same failure as a ProtocolError, with the claimed sender as culprit where known. */
  toProtocolError(): ProtocolError {
    return new ProtocolError(KIND[this.reason], `transport: ${this.detail}`, this.sender !== undefined ? [this.sender] : []);
  }
}
