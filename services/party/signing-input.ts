// What a party's signing session computes for an allowed request, by family and algorithm
// (docs/policies.md "How messages reach the parties, and what is signed"):
//   ECDSA (DKLs23)        the policy engine's 32-byte digest
//   ED25519_PH_SHA_512    FROST suite 'ed25519ph' over PH(M) = the policy engine's 64-byte SHA-512
//                         (protocols/frost/suite.ts: H2 with RFC 8032 dom2(1, ""))
//   pure EdDSA            the key's FROST suite over the message itself
import type { Decision } from '../../policies/types.ts';
import type { ProtocolFamily } from './protocol-families.ts';
import { RequestRefused } from './request-check.ts';

export function signingInput(
  family: ProtocolFamily,
  protocol: string,
  keySuite: string,
  algorithm: string,
  message: Uint8Array,
  decision: Decision,
): { suite: string; input: Uint8Array } {
  if (family.signs === 'digest') {
    if (decision.digest?.length !== 32)
      throw new RequestRefused(`${protocol} signs a 32-byte digest; the policy engine derived none for ${algorithm}`, 'policy');
    return { suite: keySuite, input: decision.digest };
  }
  if (algorithm === 'ED25519_PH_SHA_512') {
    if (keySuite !== 'ed25519' || decision.digest?.length !== 64)
      throw new RequestRefused(`${protocol} cannot sign ${algorithm}: no 64-byte PH(M) from the policy engine`, 'policy');
    return { suite: 'ed25519ph', input: decision.digest };
  }
  if (decision.digest !== undefined) throw new RequestRefused(`${protocol} cannot sign a prehashed ${algorithm} digest`, 'policy');
  return { suite: keySuite, input: message };
}
