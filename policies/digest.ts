// What the party actually signs for each algorithm (docs/policies.md "What gets signed"). The digest
// is always derived here from the full message — the coordinator's digest is never used.
//   ECDSA_SHA_256      RAW: SHA-256(message)            DIGEST: the 32 bytes
//   ECDSA_KECCAK_256   RAW: Keccak-256(message), except EIP-712 JSON: the EIP-712 digest
//                      keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(message))   DIGEST: the 32 bytes
//   ED25519_PH_SHA_512 RAW and DIGEST: SHA-512(message) = PH(M) of Ed25519ph with M = the bytes
//                      given. AWS takes this algorithm with DIGEST only and hashes the 64 bytes
//                      again ("the input is hashed twice", docs/kms-compatibility.md "Key specs and algorithms"), so the signature is
//                      ed25519ph(digest) — what AWS returns and what Ed25519ph verifiers check.
//   ED25519_SHA_512, ED448_SHAKE_256: no digest; the message itself is signed (pure EdDSA).
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import type { ParsedMessage } from './classify.ts';
import { decodeEip712 } from './decoders/eip712.ts';
import { parseCanonicalJson } from './jcs.ts';

export function digestOf(algorithm: string, messageType: string, message: Uint8Array, parsed?: ParsedMessage): Uint8Array | undefined {
  if (algorithm === 'ED25519_SHA_512' || algorithm === 'ED448_SHAKE_256') return undefined;
  if (algorithm === 'ED25519_PH_SHA_512') return sha512(message);
  if (messageType === 'DIGEST') return message.slice();
  if (algorithm === 'ECDSA_SHA_256') return sha256(message);
  if (algorithm === 'ECDSA_KECCAK_256') {
    if (parsed?.kind === 'eip712') return parsed.eip712.digest.slice();
    if (!parsed && message[0] === 0x7b) return decodeEip712(parseCanonicalJson(message)).digest;
    return keccak_256(message);
  }
  throw new TypeError(`unknown signing algorithm ${algorithm}`);
}

/**
 * The digest a party signs (or a verifier checks) for a request, without a policy: for Verify and
 * for the party's session input. Throws DecodeError for malformed EIP-712 JSON.
 */
export function signingDigest(algorithm: string, messageType: string, message: Uint8Array): Uint8Array | undefined {
  return digestOf(algorithm, messageType, message);
}
