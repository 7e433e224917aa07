// The gateway's side of signing policies (docs/policies.md "Binding a policy to a key"): reading
// `TuttiSigningPolicy` / `TuttiSigningPolicyChange` out of a key policy document, the default
// policy, and checking them before any party is asked. These checks give good errors early; they
// protect nothing — every party checks the same things again, itself.
import { canonicalize, checkPolicyRevision, policyErrors, policyHash, type KeySpec, type PolicyDocument, type PolicyRevision } from '../../policies/index.ts';
import { defaultSigningPolicy } from '../../policies/default-policy.ts';
import { signerOverlapProblem } from '../../policies/signer-overlap.ts';
import { TUTTI_SIGNING_POLICY, TUTTI_SIGNING_POLICY_CHANGE, type KeyPolicy } from '../../policies/aws-key-policy.ts';
import { accessDenied, malformedPolicy } from '../kms-api/errors.ts';
import type { StoredKey } from '../storage/key-repository.ts';
import type { KeySpecInfo } from './key-specs.ts';

/** What a change of the signing policy carries in PutKeyPolicy's document. */
export type SigningPolicyChange = { revision: number; previousHash: string; approvals: string[] };

/** A signing-policy revision PutKeyPolicy asks for, checked by the gateway. */
export type PendingRevision = { record: PolicyRevision; hash: string; approvals: string[] };

const HASH_RE = /^0x[0-9a-f]{64}$/;
const MAX_APPROVALS = 10;
const MAX_APPROVAL_LENGTH = 8192;

/** The signing policy a new key gets: the document's TuttiSigningPolicy, or the default one. */
export function initialSigningPolicy(doc: KeyPolicy | undefined, spec: KeySpecInfo): PolicyDocument {
  if (doc?.tuttiSigningPolicyChange !== undefined) {
    throw malformedPolicy(
      `${TUTTI_SIGNING_POLICY_CHANGE} belongs in PutKeyPolicy only: a new key's ${TUTTI_SIGNING_POLICY} is its first revision and needs no approvals.`,
    );
  }
  const given = doc?.tuttiSigningPolicy;
  if (given === undefined) return defaultSigningPolicy(spec.keySpec as KeySpec, spec.signingAlgorithms);
  const policy = checkSigningPolicy(given, spec.keySpec);
  if (policy.keyBinding.keyId !== undefined) {
    throw malformedPolicy(
      `${TUTTI_SIGNING_POLICY}: keyBinding.keyId cannot be set at CreateKey (CreateKey chooses the key id); the key id is bound through the key generation instead.`,
    );
  }
  return policy;
}

/** A signing policy document that compiles and is for `keySpec`; MalformedPolicyDocumentException naming the problems otherwise. */
export function checkSigningPolicy(doc: unknown, keySpec: string): PolicyDocument {
  const errors = policyErrors(doc);
  if (errors.length > 0) {
    const shown = errors.slice(0, 10).join('; ');
    throw malformedPolicy(`${TUTTI_SIGNING_POLICY} is not a valid signing policy: ${shown}${errors.length > 10 ? `; and ${errors.length - 10} more` : ''}`);
  }
  const policy = doc as PolicyDocument;
  if (policy.keyBinding.keySpec !== keySpec) {
    throw malformedPolicy(`${TUTTI_SIGNING_POLICY} is for ${policy.keyBinding.keySpec}, but the key is ${keySpec}.`);
  }
  return policy;
}

/**
 * A policy whose promises cannot hold for a key of threshold t among n parties (policies/signer-overlap.ts:
 * `sequence` rules need every two signer sets to share a party, 2t > n): MalformedPolicyDocumentException.
 * Every party refuses it too; this gives the error before any party is asked.
 */
export function checkSignerOverlap(policy: PolicyDocument, t: number, n: number): void {
  const problem = signerOverlapProblem(policy, t, n);
  if (problem) throw malformedPolicy(`${TUTTI_SIGNING_POLICY} cannot be enforced for this key: ${problem}.`);
}

/** The key's current signing policy as the coordinator records it (keys from before signing policies: the default). */
export function currentSigningPolicy(k: StoredKey, spec: KeySpecInfo): { record: PolicyRevision; hash: string } {
  const policy = k.signingPolicy ? (JSON.parse(k.signingPolicy) as PolicyDocument) : defaultSigningPolicy(spec.keySpec as KeySpec, spec.signingAlgorithms);
  return { record: { revision: k.policyRevision ?? 1, previousHash: null, policy }, hash: k.policyHash ?? policyHash(policy) };
}

/** How the coordinator stores a signing policy: RFC 8785 JSON, the form its hash is computed over. */
export const storedSigningPolicy = (policy: PolicyDocument): string => canonicalize(policy);

/**
 * What PutKeyPolicy's document asks of the signing policy: null when it leaves it as it is (no
 * TuttiSigningPolicy, or the same policy again), else the next revision, checked here against the
 * key's current one (validity, revision number, previous hash, approvals).
 */
export function requestedRevision(doc: KeyPolicy, k: StoredKey, spec: KeySpecInfo, now: number): PendingRevision | null {
  const given = doc.tuttiSigningPolicy;
  if (given === undefined) {
    if (doc.tuttiSigningPolicyChange !== undefined) throw malformedPolicy(`${TUTTI_SIGNING_POLICY_CHANGE} needs the new ${TUTTI_SIGNING_POLICY} beside it.`);
    return null;
  }
  const current = currentSigningPolicy(k, spec);
  const policy = checkSigningPolicy(given, spec.keySpec);
  const hash = policyHash(policy);
  if (hash === current.hash) return null;
  const raw = doc.tuttiSigningPolicyChange;
  if (raw === undefined) {
    throw malformedPolicy(
      `${TUTTI_SIGNING_POLICY} differs from the key's signing policy (revision ${current.record.revision}, ${current.hash}): a change needs ${TUTTI_SIGNING_POLICY_CHANGE} {"revision": ${current.record.revision + 1}, "previousHash": "${current.hash}", "approvals": [...]}.`,
    );
  }
  const change = parseChange(raw);
  checkSignerOverlap(policy, k.threshold, k.parties.length);
  const record: PolicyRevision = { revision: change.revision, previousHash: change.previousHash, policy };
  const check = checkPolicyRevision(k.keyId, current.record, record, change.approvals, now);
  if (!check.ok) {
    const why = check.reasons.slice(0, 6).join('; ');
    if (check.code === 'INVALID_POLICY') throw malformedPolicy(`${TUTTI_SIGNING_POLICY}: ${why}`);
    throw accessDenied(`The signing-policy change of ${k.arn} is not allowed: ${why}`);
  }
  return { record, hash, approvals: change.approvals };
}

function parseChange(raw: Record<string, unknown>): SigningPolicyChange {
  const bad = (why: string) => malformedPolicy(`${TUTTI_SIGNING_POLICY_CHANGE}: ${why}`);
  for (const k of Object.keys(raw))
    if (!['revision', 'previousHash', 'approvals'].includes(k)) throw bad(`unknown member '${k}' (members: revision, previousHash, approvals)`);
  const { revision, previousHash, approvals } = raw as { revision?: unknown; previousHash?: unknown; approvals?: unknown };
  if (!Number.isSafeInteger(revision) || (revision as number) < 2) throw bad('revision must be an integer ≥ 2 (revision 1 is fixed at CreateKey)');
  if (typeof previousHash !== 'string' || !HASH_RE.test(previousHash))
    throw bad('previousHash must be the current policy hash, "0x" and 64 lower-case hex digits');
  const list = approvals ?? [];
  if (!Array.isArray(list) || list.length > MAX_APPROVALS || list.some((a) => typeof a !== 'string' || a.length === 0 || a.length > MAX_APPROVAL_LENGTH)) {
    throw bad(`approvals must be a list of at most ${MAX_APPROVALS} approval tokens`);
  }
  return { revision: revision as number, previousHash, approvals: list as string[] };
}
