// Policy hash (docs/policies.md "Policy hash and revisions"):
//   policyHash = "0x" || hex(SHA-256(UTF-8("tutti-signing-policy/1\n") || UTF-8(JCS(policy))))
// JCS = RFC 8785 (jcs.ts). A policy holds only strings, integers, booleans, arrays and objects, so
// its canonical form — and the hash — is the same on every party and in every language.
import { sha256 } from '@noble/hashes/sha2.js';
import { canonicalize } from './jcs.ts';
import { POLICY_LANGUAGE } from './policy-schema.ts';

const enc = new TextEncoder();

export function policyHash(policy: unknown): string {
  const digest = sha256(enc.encode(`${POLICY_LANGUAGE}\n${canonicalize(policy)}`));
  return `0x${Array.from(digest, (x) => x.toString(16).padStart(2, '0')).join('')}`;
}
