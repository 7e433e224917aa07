// Signed control messages (docs/security.md "How a party knows its coordinator"). On a link whose
// party pins the coordinator's key, every JSON control message the coordinator sends — open (DKG,
// sign, policy delivery, refresh), abort, delete-key, cancel-key-deletion, peer-commitments —
// carries `seq` and `sig`:
//
//   seq = 1, 2, 3, … per connection
//   sig = Ed25519(coordinator key, lengthPrefixed(LABEL_CONTROL, coordinatorId, partyId,
//                 link nonce, JSON text of the message without `sig`))
//
// The link nonce is the party's own challenge of that connection (auth.ts), so a message cannot
// be replayed on another connection, and `seq` must be exactly the next one, so it cannot be
// replayed, dropped-and-reordered or repeated on the same one. The JSON text is canonical by
// construction: the party re-serialises the object it parsed (JSON.stringify of JSON.parse of
// JSON.stringify's output gives the same text). Binary envelope frames are not signed: they are
// signed or sealed end to end by the parties (secure-envelope.ts).
import { lengthPrefixed, utf8ToBytes } from '../../protocols/core/bytes.ts';
import { base64ToBytes, bytesToBase64, type ControlMessage } from './control.ts';

export const LABEL_CONTROL = 'tutti/v1/control-message';

export type LinkBinding = { coordinatorId: string; partyId: string; nonce: Uint8Array };

function signedBytes(link: LinkBinding, text: string): Uint8Array {
  return lengthPrefixed(utf8ToBytes(LABEL_CONTROL), utf8ToBytes(link.coordinatorId), utf8ToBytes(link.partyId), link.nonce, utf8ToBytes(text));
}

/** Coordinator side: the JSON text of `msg` with `seq` and `sig` added. */
export function signControl(msg: ControlMessage, seq: number, link: LinkBinding, sign: (m: Uint8Array) => Uint8Array): string {
  const { sig: _ignored, ...rest } = msg;
  const text = JSON.stringify({ ...rest, seq });
  const sig = bytesToBase64(sign(signedBytes(link, text)));
  return `${text.slice(0, -1)},"sig":"${sig}"}`;
}

export type ControlVerdict = { ok: true; message: ControlMessage } | { ok: false; reason: string };

/** Party side: checks a parsed control message's signature and sequence number. */
export function verifyControl(msg: ControlMessage, expectedSeq: number, link: LinkBinding, verify: (m: Uint8Array, s: Uint8Array) => boolean): ControlVerdict {
  const { sig, ...rest } = msg;
  if (typeof sig !== 'string') return { ok: false, reason: `unsigned '${msg.type}' message` };
  const signature = base64ToBytes(sig);
  if (!signature || signature.length !== 64) return { ok: false, reason: `'${msg.type}' message with a malformed signature` };
  if (rest.seq !== expectedSeq)
    return { ok: false, reason: `'${msg.type}' message out of sequence (seq ${JSON.stringify(rest.seq)}, expected ${expectedSeq}): replayed or reordered` };
  if (!verify(signedBytes(link, JSON.stringify(rest)), signature))
    return { ok: false, reason: `'${msg.type}' message whose signature does not verify under the pinned coordinator key` };
  const { seq: _seq, ...message } = rest;
  return { ok: true, message: message };
}
