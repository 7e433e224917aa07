// Public API of the signing-policy engine (issue 5). Everything here is pure: no I/O, no clock, no
// randomness, no logging — time, counters and state come in as arguments. docs/policies.md
// documents the language; the AWS key-policy engine lives separately in aws-key-policy.ts.
export { evaluate } from './evaluate.ts';
export { compilePolicy, policyErrors, PolicyInvalid, DEFAULT_MAX_MESSAGE_BYTES, type CompiledPolicy } from './compile.ts';
export { policyHash } from './hash.ts';
export {
  checkPolicyRevision,
  checkRevisionChain,
  CHAIN_CLOCK_SKEW_MS,
  MAX_CHAIN_LINKS,
  type ChainCheck,
  type RevisionCheck,
  type RevisionLink,
  type VerifiedLink,
} from './revisions.ts';
export {
  APPROVAL_PREFIX,
  MAX_GRANT_TOKENS,
  MAX_GRANT_TOKEN_LENGTH,
  createApproval,
  createPolicyChangeApproval,
  createReshareApproval,
  reshareApprovalStatement,
  type ReshareApprovalSubject,
  signApprovalStatement,
  changeApprovalStatement,
  decodeApprovalToken,
  encodeApprovalToken,
  checkApprovals,
  APPROVAL_ID_RE,
  type CountedApproval,
} from './approvals.ts';
export { signingDigest } from './digest.ts';
export { canonicalize, parseCanonicalJson } from './jcs.ts';
export { POLICY_LANGUAGE, POLICY_SCHEMA } from './policy-schema.ts';
export { ALGORITHMS_BY_KEY_SPEC, FORMATS_BY_KEY_SPEC } from './invariants.ts';
export * from './types.ts';
