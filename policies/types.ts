// The shapes that cross the boundary of policies/: the policy document (as validated by
// policy-schema.ts), the sign request a party evaluates, the context it passes in, and the decision.
// Pure types, no code.

// Key specs and algorithms are the names of the one table (protocols/core/key-specs.ts).
import type { KeySpec, SigningAlgorithm } from '../protocols/core/key-specs.ts';
export type { KeySpec, SigningAlgorithm };
export type MessageType = 'RAW' | 'DIGEST';
export type FormatKind = 'raw' | 'eip191' | 'eip712' | 'evmTransaction' | 'solanaMessage';

// ---- the document -------------------------------------------------------------------------------

export type InSet<T = string> = { in: T[] };
export type StringSet = { in: string[] } | { notIn: string[] };
export type UintRange = { min?: string; max?: string };
export type LengthRange = { min?: number; max?: number };
export type RateLimit = { count: number; windowSeconds: number };
export type ApprovalRequirement = { threshold: number; approvers: string[]; maxAgeSeconds?: number };
export type Approver = { id: string; scheme: 'ed25519' | 'secp256k1'; publicKey: string; label?: string };
export type CompareOp = 'eq' | 'neq' | 'in' | 'notIn' | 'lt' | 'lte' | 'gt' | 'gte';
export type ValueConstraint = { op: CompareOp; value?: string; values?: string[] };
export type TypedFieldConstraint = { path: string; op: CompareOp | 'minCount' | 'maxCount'; value?: string; values?: string[] };

export type ByteField = { offset: number; length: number; equalsHex?: string; oneOfHex?: string[]; uintBigEndian?: UintRange };

export type RawFormat = {
  kind: 'raw';
  length?: LengthRange;
  layout?: ByteField[];
  utf8Pattern?: string;
  sequence?: { offset: number; length: number; mode: 'strictlyIncreasing' };
};
export type Eip191Format = { kind: 'eip191'; length?: LengthRange; utf8Pattern?: string };
export type Eip712Format = {
  kind: 'eip712';
  domain?: { fields?: string[]; name?: StringSet; version?: StringSet; chainId?: InSet; verifyingContract?: StringSet; salt?: InSet };
  primaryType?: StringSet;
  typeHash?: InSet;
  message?: TypedFieldConstraint[];
};
export type EvmTransactionFormat = {
  kind: 'evmTransaction';
  txTypes?: InSet<'legacyEip155' | 'eip2930' | 'eip1559'>;
  chainId?: InSet;
  to?: StringSet;
  contractCreation?: 'excluded' | 'included' | 'only';
  value?: UintRange;
  gasLimit?: UintRange;
  maxFeePerGas?: UintRange;
  nonce?: UintRange;
  accessList?: 'mustBeEmpty' | 'any';
  data?: {
    allowEmpty?: boolean;
    maxBytes?: number;
    selectors?: InSet;
    abi?: Array<{ selector: string; abi: string[]; args?: Array<{ index: number; constraint: ValueConstraint }> }>;
  };
};
export type SolanaMessageFormat = {
  kind: 'solanaMessage';
  versions?: InSet<'legacy' | 'v0'>;
  /** Absent: any program. */
  programs?: { allowlist: string[] };
  addressLookupTables?: 'deny' | 'allowForNonProgramAccounts';
  maxInstructions?: number;
  signingKeyMustBeFeePayer?: boolean;
};
export type Format = RawFormat | Eip191Format | Eip712Format | EvmTransactionFormat | SolanaMessageFormat;

export type TimeCondition = { notBefore?: string; notAfter?: string; utcWindows?: Array<{ isoWeekdays: number[]; start: string; end: string }> };

export type Conditions = {
  signingAlgorithm?: InSet<SigningAlgorithm>;
  messageType?: InSet<MessageType>;
  messageBytes?: LengthRange;
  format?: Format;
  caller?: { accessKeyIds?: InSet; principals?: InSet; identityVerifiedBy?: 'party' | 'frontEnd' };
  time?: TimeCondition;
};

export type Rule = {
  id: string;
  description?: string;
  effect: 'allow' | 'deny';
  conditions: Conditions;
  approvals?: ApprovalRequirement;
  rateLimits?: RateLimit[];
  onRateLimitExhausted?: 'deny' | 'continue';
};

export type PolicyDocument = {
  policyLanguage: 'tutti-signing-policy/1';
  description?: string;
  keyBinding: { keyId?: string; keySpec: KeySpec };
  defaultEffect: 'deny';
  limits?: { maxMessageBytes?: number };
  approvers?: Approver[];
  /**
   * changeApprovals: what a new revision needs (revisions.ts). reshareApprovals, when present: what
   * ReshareKey needs at every party to move the key to another quorum (docs/policies.md "Approvals").
   */
  governance: { changeApprovals: ApprovalRequirement; reshareApprovals?: ApprovalRequirement; activationDelaySeconds?: number };
  keyRateLimits?: RateLimit[];
  /** The HD paths of child keys that may sign under this policy (docs/policies.md "Derived keys"). Absent: any. */
  derivation?: { allowedPaths: string[] };
  rules: Rule[];
};

/** One link of a key's policy history (docs/policies.md "Policy hash and revisions"). previousHash = policyHash of the policy it replaces. */
export type PolicyRevision = { revision: number; previousHash: string | null; policy: PolicyDocument };

// ---- the request and the party's state ------------------------------------------------------------

export type SignRequest = {
  /** The key's id (UUID) as the party stores it. */
  keyId: string;
  /** The key's spec as the party stores it with its share — not the coordinator's word. */
  keySpec: string;
  signingAlgorithm: string;
  messageType: string;
  /** The full message as the caller sent it (for DIGEST: the digest). */
  message: Uint8Array;
  caller: {
    accessKeyId: string;
    principal: string;
    /** Who checked the caller's request signature. Default 'frontEnd' (the gateway's word). */
    verifiedBy?: 'party' | 'frontEnd';
  };
  /** Sign's GrantTokens as received; tokens without the `tutti-approval:` prefix are ignored. */
  approvals?: readonly string[];
  /** The key's public key (Ed25519: 32 bytes) — needed only by `signingKeyMustBeFeePayer`. */
  publicKey?: Uint8Array;
  /** The policy hash the coordinator says it used; a mismatch with the party's own copy is a deny. */
  policyHash?: string;
  /** A derived child key signs: its non-hardened path from this key (`m/0/5`), checked against `derivation.allowedPaths`. */
  derivationPath?: string;
};

/** Scope of a key-wide rate limit (`keyRateLimits`); can never collide with a rule id. */
export const KEY_SCOPE = '@key';

export type EvaluationContext = {
  /** The party's time for this key, ms since the Unix epoch (UTC): its clock, but never earlier than its last decision (docs/policies.md "Time"). */
  now: number;
  /**
   * How many signatures this party has already charged to `scope` (a rule id or KEY_SCOPE) for this
   * key at times t with now − windowMs < t (a charge dated after `now` counts too: fail closed).
   */
  rateLimitCounts: (scope: string, windowMs: number) => number;
  /** Highest sequence value this party has signed under a `sequence` rule of this key, if any. */
  sequenceHighWater?: (ruleId: string) => bigint | undefined;
  /**
   * Whether this party already counted the approval (approverId, approvalId) for this key. A party
   * records every id in Decision.approvalsUsed atomically with the decision and keeps it at least
   * until its expiresAt, so an approval counts once (docs/policies.md "Approvals").
   */
  approvalUsed?: (approverId: string, approvalId: string) => boolean;
};

// ---- the decision ---------------------------------------------------------------------------------

export type DecisionCode =
  | 'ALLOW'
  | 'INVALID_POLICY'
  | 'POLICY_HASH_MISMATCH'
  | 'KEY_MISMATCH'
  | 'ALGORITHM_MISMATCH'
  | 'MESSAGE_TOO_LARGE'
  | 'INVARIANT'
  | 'PARSE_ERROR'
  | 'NONCANONICAL'
  | 'UNSUPPORTED_FORMAT'
  | 'EXPLICIT_DENY'
  | 'CALLER_UNVERIFIED'
  | 'APPROVALS_REQUIRED'
  | 'RATE_LIMITED'
  | 'SEQUENCE_VIOLATION'
  | 'NO_MATCHING_ALLOW'
  /** evaluate() caught an unexpected exception (a bug or a failing context callback): deny. */
  | 'INTERNAL_ERROR';

/** One signature to record against a rate-limit scope at time `at`; keep it at least `keepForMs`. */
export type RateLimitCharge = { scope: string; at: number; keepForMs: number };

export type Decision = {
  decision: 'allow' | 'deny';
  code: DecisionCode;
  /** The rule that decided: a policy rule id, or `builtin:…` for the engine's own checks. */
  rule?: string;
  reasons: string[];
  /** The format the party read the message as. */
  format?: FormatKind | 'digest';
  /**
   * On allow, for prehashed algorithms (ECDSA_*, ED25519_PH_SHA_512): the digest the party must sign —
   * computed here from the message, never taken from the request. Absent for pure EdDSA (the message
   * itself is signed).
   */
  digest?: Uint8Array;
  /** On allow: what the party must record, atomically with the decision, before its first round. */
  rateLimitCharges?: RateLimitCharge[];
  sequenceUpdates?: Array<{ ruleId: string; value: bigint }>;
  /** On allow: approver ids whose approvals counted. */
  approvedBy?: string[];
  /** On allow: the approvals that counted, to record (with the charges) so they never count again. */
  approvalsUsed?: Array<{ approverId: string; approvalId: string; expiresAt: number }>;
};
