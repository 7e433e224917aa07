// The signing policy a key gets when CreateKey's key policy has no `TuttiSigningPolicy`
// (docs/policies.md "Binding a policy to a key"): RAW messages with the key's algorithms, nothing
// else — no DIGEST, no parsed formats — and the built-in invariants as always (so never raw bytes
// under ECDSA_KECCAK_256, I-1, and no Solana message as raw bytes under Ed25519, I-4).
//
// The language requires `governance.changeApprovals`; the default names one approver, `nobody`,
// whose Ed25519 public key is a nothing-up-my-sleeve point: hash-derived, so no one knows its
// secret key. The default policy can therefore never be revised; a key that needs another policy
// is created with one. (Loosening a key's policy through PutKeyPolicy would otherwise be in the
// hands of whoever controls the gateway.)
//
// Pure and deterministic: the same key spec and algorithms give the same document (and hash) on
// every machine.
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { ALGORITHMS_BY_KEY_SPEC } from './invariants.ts';
import { POLICY_LANGUAGE } from './policy-schema.ts';
import type { KeySpec, PolicyDocument, SigningAlgorithm } from './types.ts';

const NUMS_LABEL = 'tutti-signing-policy/1 default policy: frozen governance';
const hex = (b: Uint8Array): string => `0x${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')}`;

/**
 * The first i = 0, 1, … for which the first 32 bytes of SHA-512(label ‖ ":" ‖ i) decode as an
 * Ed25519 point, times the cofactor 8 (so it lies in the prime-order subgroup and is not small).
 * Its discrete logarithm is unknown to everyone.
 */
function nothingUpMySleeveKey(): string {
  for (let i = 0; ; i++) {
    const candidate = sha512(new TextEncoder().encode(`${NUMS_LABEL}:${i}`)).slice(0, 32);
    let point;
    try {
      point = ed25519.Point.fromBytes(candidate).clearCofactor();
    } catch {
      continue;
    }
    if (!point.is0()) return hex(point.toBytes());
  }
}

/** The public key of the default policy's only approver; nobody holds its secret key. */
export const FROZEN_APPROVER_KEY = nothingUpMySleeveKey();
export const FROZEN_APPROVER_ID = 'nobody';
export const DEFAULT_RULE_ID = 'default-raw';

/**
 * The default signing policy for a key of `keySpec` offering `algorithms` (the KMS SigningAlgorithms
 * of the key). ECDSA_KECCAK_256 is left out: raw bytes are never signed under it (I-1), so a
 * secp256k1 key that signs Ethereum messages needs a policy that names their formats.
 */
export function defaultSigningPolicy(keySpec: KeySpec, algorithms: readonly string[]): PolicyDocument {
  const known = ALGORITHMS_BY_KEY_SPEC[keySpec] as readonly string[] | undefined;
  if (!known) throw new TypeError(`no default signing policy for key spec ${keySpec}`);
  const allowed = algorithms.filter((a) => known.includes(a) && a !== 'ECDSA_KECCAK_256') as SigningAlgorithm[];
  if (allowed.length === 0) throw new TypeError(`no algorithm of ${keySpec} can sign raw messages by default`);
  return {
    policyLanguage: POLICY_LANGUAGE,
    description: 'Tutti default signing policy: RAW messages with the key\'s algorithms; cannot be revised',
    keyBinding: { keySpec },
    defaultEffect: 'deny',
    approvers: [{ id: FROZEN_APPROVER_ID, scheme: 'ed25519', publicKey: FROZEN_APPROVER_KEY, label: 'nothing-up-my-sleeve key: no one holds its secret' }],
    governance: { changeApprovals: { threshold: 1, approvers: [FROZEN_APPROVER_ID] } },
    rules: [{
      id: DEFAULT_RULE_ID, effect: 'allow',
      conditions: { signingAlgorithm: { in: allowed }, messageType: { in: ['RAW'] } },
    }],
  };
}
