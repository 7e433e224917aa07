// What a party does with a frame that the transport refused (secure-envelope.ts open), or that
// opened but belongs to another session (TOB-SILA-14; docs/reviews/dkls23-review.md F4;
// docs/security.md "On every envelope"). The coordinator relays every frame and anyone on the party link can inject
// bytes, but neither can forge a peer's Ed25519 signature or X25519 seal: a frame that does not
// verify, is addressed elsewhere, or names a sender the session does not have proves nothing
// about that peer, so it is dropped and the session keeps waiting for the real message until its
// deadline (the coordinator's round deadline, the party's session TTL) instead of aborting.
// A frame whose signature or seal verified is the sender's own: if what it sealed does not decode,
// the session aborts naming it. Exact copies (replays) were dropped before this; the protocol
// session itself drops a misdelivered authentic envelope and blames the sender for an authentic
// payload that is wrong (protocols/core/round-machine.ts accept).
import { ProtocolError } from '../../protocols/core/errors.ts';
import { TransportError } from '../transport/errors.ts';

export type Triage = { drop: string } | { abort: ProtocolError };

/** The verdict on an error thrown by open() for a frame of a running session. */
export function triageRejectedFrame(err: unknown): Triage {
  if (!(err instanceof TransportError)) return { abort: new ProtocolError('internal', `rejected envelope: ${(err as Error)?.message ?? String(err)}`) };
  if (err.reason === 'replay') return { drop: `a replayed envelope: ${err.message}` };
  // The per-session bound on accepted envelopes: only authenticated envelopes count towards it.
  if (err.reason === 'limit') return { abort: err.toProtocolError() };
  if (err.authenticated) return { abort: new ProtocolError('malformed', `rejected envelope: ${err.message}`, err.sender !== undefined ? [err.sender] : []) };
  return { drop: `an inauthentic or undecodable frame: ${err.message}` };
}
