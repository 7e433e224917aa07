// Agreement on broadcasts without trusting the relay (research notes §1.10 item 3), as the FROST
// sessions do it (protocols/core/agreement.ts checks both, after ZF frost issue #577), with
// DKLs23's labels and 32-byte digests:
//  - echo: a party sends, in its next message, one digest per party of the broadcast that party
//    sent in the previous round (its own included), and nobody uses anything that depends on
//    those broadcasts before every echo matches its own view;
//  - confirmation: the DKG ends with everyone broadcasting its transcript hash; nobody reports
//    success until all n are equal.
import { concatBytes, utf8ToBytes } from '../core/bytes.ts';
import { checkEchoes as checkEchoesCore } from '../core/agreement.ts';
import { partyByte, tagged } from './hash.ts';

export const DIGEST_BYTES = 32;

export function echoPayload(
  label: string,
  protocol: string,
  sessionId: Uint8Array,
  round: number,
  parties: readonly number[],
  payloadOf: (party: number) => Uint8Array,
): Uint8Array {
  return concatBytes(...parties.map((p) => tagged(label, utf8ToBytes(protocol), sessionId, Uint8Array.of(round), partyByte(p), payloadOf(p))));
}

/** Every echo must equal ours (protocols/core/agreement.ts names the culprits). */
export function checkEchoes(self: number, parties: readonly number[], mine: Uint8Array, echoOf: (party: number) => Uint8Array): void {
  checkEchoesCore(self, parties, mine, echoOf, DIGEST_BYTES);
}

export { checkConfirmations } from '../core/agreement.ts';
