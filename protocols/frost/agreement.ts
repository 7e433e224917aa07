// Agreement on what was broadcast, which FROST's DKG needs but cannot get from point-to-point
// links alone (Komlo–Goldberg 2020 §5.1 assumes a broadcast channel; ZF frost's book asks for an
// echo broadcast; ZF issue #577 asks for a final confirmation round):
//  - echo: after round 1 each party broadcasts a digest of every round-1 package it received,
//    and nobody uses a secret share until all echoes equal its own;
//  - confirmation: after deriving its key share, each party broadcasts the transcript hash, and
//    nobody reports success until all n confirmations are equal.
import { ProtocolError } from '../core/errors.ts';
import { concatBytes, equalBytes, lengthPrefixed, utf8ToBytes } from '../core/bytes.ts';
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
export function echoPayload(protocol: string, sessionId: Uint8Array, parties: readonly number[],
  packageOf: (party: number) => Uint8Array): Uint8Array {
  return concatBytes(...parties.map((p) =>
    taggedHash(LABELS.frostEcho, utf8ToBytes(protocol), sessionId, Uint8Array.of(p), packageOf(p))));
}

/**
 * Compares every received echo with ours; throws 'equivocation' on any difference, before any
 * share is used. Blame, when slot k of j's echo differs from ours:
 *  - k = j (j's own package) or k = us: j is certainly at fault: it sent us, authenticated,
 *    something other than it claims, or it misreports what we sent it;
 *  - otherwise either k showed j and us different packages or j's echo lies. With only
 *    non-transferable authentication (the transport checks signatures; this layer never sees
 *    them) nobody can tell which, so both are named, unless one of them is already certainly
 *    at fault, which explains the difference.
 * The named set therefore always contains the party that cheated.
 */
export function checkEchoes(self: number, parties: readonly number[], mine: Uint8Array,
  echoOf: (party: number) => Uint8Array): void {
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
  if (culprits.size) throw new ProtocolError('equivocation', 'round-1 broadcasts differ between parties (echo mismatch)', [...culprits]);
}

/** Every confirmation must equal our transcript hash; the senders of the others are named. */
export function checkConfirmations(self: number, parties: readonly number[], mine: Uint8Array,
  confirmationOf: (party: number) => Uint8Array): void {
  const culprits = parties.filter((j) => j !== self && !equalBytes(confirmationOf(j), mine));
  if (culprits.length) throw new ProtocolError('equivocation', 'transcript confirmation differs from ours', culprits);
}
