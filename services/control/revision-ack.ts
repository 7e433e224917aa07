// A party's signed acknowledgement of the signing-policy revision it installed (docs/policies.md
// "Checking what every party enforces"). When a party stores revision 1 with a new key's share, or
// installs (or already holds) a revision PutKeyPolicy sent, it signs, with its identity key,
//
//   Ed25519(party sign key, lengthPrefixed(utf8("tutti/v1/policy-revision-ack"), utf8(keyId), u32be(revision), utf8(policyHash)))
//
// (lengthPrefixed: each part preceded by its length as a big-endian u32; policyHash as "0x" and 64
// lower-case hex digits). The gateway keeps each party's latest acknowledgement and counts a
// revision as installed only when every party of the key acknowledged it; an owner reads them
// with GetKeyPolicy (`TuttiRevisions`) and checks each signature against the party's public
// identity key, which it knows from the operator (peers.json), not from the gateway. The label is
// distinct from the envelope and authentication labels, so no acknowledgement passes for either.
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex, hexToBytes, lengthPrefixed, u32, utf8ToBytes } from '../../protocols/core/bytes.ts';
import type { Identity } from '../transport/identity.ts';

export const REVISION_ACK_LABEL = 'tutti/v1/policy-revision-ack';

export type RevisionAck = { keyId: string; revision: number; policyHash: string };

export function revisionAckMessage(a: RevisionAck): Uint8Array {
  return lengthPrefixed(utf8ToBytes(REVISION_ACK_LABEL), utf8ToBytes(a.keyId), u32(a.revision), utf8ToBytes(a.policyHash));
}

/** The party's acknowledgement: hex of the 64-byte Ed25519 signature. */
export function signRevisionAck(identity: Identity, a: RevisionAck): string {
  return bytesToHex(ed25519.sign(revisionAckMessage(a), identity.signSecret));
}

/** Whether `signature` (hex) is the acknowledgement of `a` by the party whose sign key is `signPublic` (hex); strict RFC 8032 verification. */
export function verifyRevisionAck(signPublic: string, a: RevisionAck, signature: unknown): boolean {
  if (typeof signature !== 'string' || !/^[0-9a-f]{128}$/.test(signature)) return false;
  if (!Number.isSafeInteger(a.revision) || a.revision < 1 || a.revision > 0xffffffff) return false;
  try {
    return ed25519.verify(hexToBytes(signature), revisionAckMessage(a), hexToBytes(signPublic), { zip215: false });
  } catch {
    return false;
  }
}
