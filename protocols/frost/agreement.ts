// Agreement on what was broadcast, which FROST's DKG needs but cannot get from point-to-point
// links alone (Komlo–Goldberg 2020 §5.1 assumes a broadcast channel; ZF frost's book asks for an
// echo broadcast; ZF issue #577 asks for a final confirmation round):
//  - echo: after round 1 each party broadcasts a digest of every round-1 package it received,
//    and nobody uses a secret share until all echoes equal its own;
//  - confirmation: after deriving its key share, each party broadcasts the transcript hash, and
//    nobody reports success until all n confirmations are equal.
import { concatBytes, lengthPrefixed, utf8ToBytes } from '../core/bytes.ts';
import { checkEchoes as checkEchoesCore } from '../core/agreement.ts';
import { LABELS } from '../core/labels.ts';
import { sha512 } from '@noble/hashes/sha2.js';

/** SHA-512 everywhere: 256-bit collision resistance covers Ed448's 224-bit security level too. */
export const DIGEST_BYTES = 64;

/** H(label ‖ parts), unambiguous thanks to the length prefixes. */
export function taggedHash(label: string, ...parts: Uint8Array[]): Uint8Array {
  return sha512(lengthPrefixed(utf8ToBytes(label), ...parts));
}

/**
 * The echo: one digest per party, in index order, of the round-1 package that party sent (our own
 * included). Per-party digests rather than one hash over all of them let a mismatch name the
 * party whose package differs.
 */
export function echoPayload(protocol: string, sessionId: Uint8Array, parties: readonly number[], packageOf: (party: number) => Uint8Array): Uint8Array {
  return concatBytes(...parties.map((p) => taggedHash(LABELS.frostEcho, utf8ToBytes(protocol), sessionId, Uint8Array.of(p), packageOf(p))));
}

/** Every echo must equal ours, before any share is used (protocols/core/agreement.ts names the culprits). */
export function checkEchoes(self: number, parties: readonly number[], mine: Uint8Array, echoOf: (party: number) => Uint8Array): void {
  checkEchoesCore(self, parties, mine, echoOf, DIGEST_BYTES, 'round-1 broadcasts');
}

export { checkConfirmations } from '../core/agreement.ts';
