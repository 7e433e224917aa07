// Agreement on broadcasts without trusting the relay (research notes §1.10 item 3), as the FROST
// sessions do it (protocols/frost/agreement.ts, after ZF frost issue #577), with DKLs23's labels
// and 32-byte digests:
//  - echo: a party sends, in its next message, one digest per party of the broadcast that party
//    sent in the previous round (its own included), and nobody uses anything that depends on
//    those broadcasts before every echo matches its own view;
//  - confirmation: the DKG ends with everyone broadcasting its transcript hash; nobody reports
//    success until all n are equal.
import { ProtocolError } from '../core/errors.ts';
import { concatBytes, equalBytes, utf8ToBytes } from '../core/bytes.ts';
import { partyByte, tagged } from './hash.ts';

export const DIGEST_BYTES = 32;

export function echoPayload(label: string, protocol: string, sessionId: Uint8Array, round: number, parties: readonly number[],
  payloadOf: (party: number) => Uint8Array): Uint8Array {
  return concatBytes(...parties.map((p) => tagged(label, utf8ToBytes(protocol), sessionId, Uint8Array.of(round), partyByte(p), payloadOf(p))));
}

/**
 * Compares every received echo with ours; throws 'equivocation' on any difference. Blame, when
 * slot k of j's echo differs from ours: if k = j (j's own broadcast) or k = us, j is at fault;
 * otherwise k showed j and us different broadcasts or j's echo lies, and without transferable
 * signatures at this layer both are named, unless one of them is already known to be at fault.
 * The named set always contains a cheater.
 */
export function checkEchoes(self: number, parties: readonly number[], mine: Uint8Array, echoOf: (party: number) => Uint8Array): void {
  const certain = new Set<number>();
  const pairs: [number, number][] = [];
  for (const j of parties) {
    if (j === self) continue;
    const theirs = echoOf(j);
    parties.forEach((k, pos) => {
      const a = mine.subarray(pos * DIGEST_BYTES, (pos + 1) * DIGEST_BYTES);
      const b = theirs.subarray(pos * DIGEST_BYTES, (pos + 1) * DIGEST_BYTES);
      if (equalBytes(a, b)) return;
      if (k === j || k === self) certain.add(j);
      else pairs.push([j, k]);
    });
  }
  const culprits = new Set(certain);
  for (const [j, k] of pairs) if (!certain.has(j) && !certain.has(k)) { culprits.add(j); culprits.add(k); }
  if (culprits.size) throw new ProtocolError('equivocation', 'broadcasts differ between parties (echo mismatch)', [...culprits]);
}

/** Every confirmation must equal our transcript hash; the senders of the others are named. */
export function checkConfirmations(self: number, parties: readonly number[], mine: Uint8Array, confirmationOf: (party: number) => Uint8Array): void {
  const culprits = parties.filter((j) => j !== self && !equalBytes(confirmationOf(j), mine));
  if (culprits.length) throw new ProtocolError('equivocation', 'transcript confirmation differs from ours', culprits);
}
