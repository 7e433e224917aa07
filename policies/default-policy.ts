// The signing policy a key gets when CreateKey's key policy has no `TuttiSigningPolicy`
// (docs/policies.md "The default policy: blind signing, as on AWS"): what AWS KMS signs for such a
// key — RAW messages and DIGESTs with the key's AWS algorithms, and for Ed25519 any Solana
// message (the AWS KMS Solana signers send the serialized message as RAW) — so that the signers
// that wrap AWS KMS work by changing only the endpoint. That is BLIND signing: nothing about the
// content is checked. The built-in invariants still hold (never raw bytes under ECDSA_KECCAK_256,
// I-1, which this policy leaves out; no 32-byte RAW under ECDSA_SHA_256 on secp256k1, I-2 — send it
// as a DIGEST of its SHA-256 — and no bytes beginning with a Solana message as raw bytes, I-4).
// A key that must not sign blind is created with a TuttiSigningPolicy (docs/policies.md).
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
import { SIGNING_ALGORITHMS, SIGNING_ALGORITHM_NAMES } from '../protocols/core/key-specs.ts';
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
export const DEFAULT_DIGEST_RULE_ID = 'default-digest';
export const DEFAULT_SOLANA_RULE_ID = 'default-solana';

/**
 * The API's MessageTypes for each algorithm (protocols/core/key-specs.ts, docs/kms-compatibility.md "Key specs and algorithms"):
 * ED25519_PH_SHA_512 is DIGEST only, pure EdDSA RAW only. ECDSA_KECCAK_256 is in neither (I-1, below).
 */
const takes = (type: 'RAW' | 'DIGEST'): readonly string[] =>
  SIGNING_ALGORITHM_NAMES.filter((a) => a !== 'ECDSA_KECCAK_256' && (SIGNING_ALGORITHMS[a].messageTypes as readonly string[]).includes(type));
const RAW_ALGORITHMS = takes('RAW');
const DIGEST_ALGORITHMS = takes('DIGEST');

/**
 * The default signing policy for a key of `keySpec` offering `algorithms` (the KMS SigningAlgorithms
 * of the key): blind signing as on AWS. ECDSA_KECCAK_256 (a Tutti extension AWS signers do not use)
 * is left out: raw bytes are never signed under it (I-1), so a key that signs Ethereum messages
 * under it needs a policy that names their formats.
 */
export function defaultSigningPolicy(keySpec: KeySpec, algorithms: readonly string[]): PolicyDocument {
  const known = ALGORITHMS_BY_KEY_SPEC[keySpec] as readonly string[] | undefined;
  if (!known) throw new TypeError(`no default signing policy for key spec ${keySpec}`);
  const offered = algorithms.filter((a) => known.includes(a));
  const raw = offered.filter((a) => RAW_ALGORITHMS.includes(a)) as SigningAlgorithm[];
  const digest = offered.filter((a) => DIGEST_ALGORITHMS.includes(a)) as SigningAlgorithm[];
  if (raw.length === 0) throw new TypeError(`no algorithm of ${keySpec} can sign raw messages by default`);
  const rules: PolicyDocument['rules'] = [
    { id: DEFAULT_RULE_ID, effect: 'allow', conditions: { signingAlgorithm: { in: raw }, messageType: { in: ['RAW'] } } },
  ];
  if (digest.length > 0) {
    rules.push({ id: DEFAULT_DIGEST_RULE_ID, effect: 'allow', conditions: { signingAlgorithm: { in: digest }, messageType: { in: ['DIGEST'] } } });
  }
  if (raw.includes('ED25519_SHA_512')) {
    // Any Solana message, any program: a solanaMessage format without `programs` (docs/policies.md).
    rules.push({
      id: DEFAULT_SOLANA_RULE_ID,
      effect: 'allow',
      conditions: {
        signingAlgorithm: { in: ['ED25519_SHA_512'] },
        messageType: { in: ['RAW'] },
        format: { kind: 'solanaMessage', addressLookupTables: 'allowForNonProgramAccounts' },
      },
    });
  }
  return {
    policyLanguage: POLICY_LANGUAGE,
    description: "Tutti default signing policy: blind signing as on AWS KMS (RAW and DIGEST with the key's AWS algorithms); cannot be revised",
    keyBinding: { keySpec },
    defaultEffect: 'deny',
    approvers: [{ id: FROZEN_APPROVER_ID, scheme: 'ed25519', publicKey: FROZEN_APPROVER_KEY, label: 'nothing-up-my-sleeve key: no one holds its secret' }],
    governance: { changeApprovals: { threshold: 1, approvers: [FROZEN_APPROVER_ID] } },
    rules,
  };
}
