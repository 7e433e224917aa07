// evaluate(policy, request, context) → Decision: the per-party policy decision of docs/policies.md "Rules and evaluation",
// pure and deterministic (same bytes, same clock reading, same counters → same decision object).
//
//  1. the policy compiles (schema + semantic checks)                            else INVALID_POLICY
//  2. the coordinator's policy hash, if given, is this policy's hash            else POLICY_HASH_MISMATCH
//  3. key spec (and key id, if bound) are the policy's                          else KEY_MISMATCH
// 3b. a derived child key's path is allowed by derivation.allowedPaths          else KEY_MISMATCH
//  4. (key spec, algorithm, message type, DIGEST length) is supported           else ALGORITHM_MISMATCH
//  5. message size ≤ limits.maxMessageBytes, checked before any parsing         else MESSAGE_TOO_LARGE
//  6. read the message (classify.ts): strict decoders, I-1 / I-2 / I-4          else PARSE_ERROR / NONCANONICAL /
//                                                                                    UNSUPPORTED_FORMAT / INVARIANT
//  7. any deny rule matching (or undeterminable) → EXPLICIT_DENY, whatever the order
//  8. I-3: DIGEST only if some allow rule names it                              else INVARIANT
//  9. the first allow rule (document order) whose conditions hold decides:
//       identityVerifiedBy 'party' but the caller was not verified by the party → CALLER_UNVERIFIED
//       approvals below threshold (a sign approval counts only under this policy's
//       hash and only if context.approvalUsed has not seen its id)               → APPROVALS_REQUIRED
//       rule rate limit exhausted: onRateLimitExhausted 'continue' → next allow rule, else RATE_LIMITED
//       key rate limit exhausted                                                → RATE_LIMITED
//       sequence not above the last signed one                                  → SEQUENCE_VIOLATION
//       → ALLOW, with the digest to sign and the charges / sequence / approval ids to record
// 10. NO_MATCHING_ALLOW (deny by default), listing why each allow rule did not match.
import { checkApprovals, signApprovalStatement, type CountedApproval } from './approvals.ts';
import { classifyMessage, type ParsedMessage } from './classify.ts';
import { compilePolicy, isCompiled, PolicyInvalid, type CompiledPolicy } from './compile.ts';
import { digestOf } from './digest.ts';
import { DecodeError } from './errors.ts';
import { algorithmMismatch, InvariantViolation } from './invariants.ts';
import { sequenceOf } from './match/raw.ts';
import { derivationAllowed } from './match/derivation.ts';
import { ruleMatches, ruleVerdict } from './match/rule.ts';
import { charge, exhausted } from './rate-limit.ts';
import { KEY_SCOPE, type Decision, type DecisionCode, type EvaluationContext, type RateLimitCharge, type SignRequest } from './types.ts';

const deny = (code: DecisionCode, rule: string, reasons: string[], format?: Decision['format']): Decision =>
  format === undefined ? { decision: 'deny', code, rule, reasons } : { decision: 'deny', code, rule, reasons, format };

/** Never throws: an unexpected error (a bug, a throwing context callback) is a deny, never an allow. */
export function evaluate(policy: CompiledPolicy | unknown, request: SignRequest, context: EvaluationContext): Decision {
  try {
    return decide(policy, request, context);
  } catch (e) {
    return deny('INTERNAL_ERROR', 'builtin:internal-error', [e instanceof Error ? `${e.name}: ${e.message}` : String(e)]);
  }
}

function decide(policy: CompiledPolicy | unknown, request: SignRequest, context: EvaluationContext): Decision {
  let p: CompiledPolicy;
  if (isCompiled(policy)) p = policy;
  else {
    try {
      p = compilePolicy(policy);
    } catch (e) {
      if (e instanceof PolicyInvalid) return deny('INVALID_POLICY', 'builtin:policy', e.errors);
      throw e;
    }
  }
  const doc = p.document;
  if (request.policyHash !== undefined && request.policyHash !== p.hash) {
    return deny('POLICY_HASH_MISMATCH', 'builtin:policy-hash', [`request names policy ${request.policyHash}, this party enforces ${p.hash}`]);
  }
  if (request.keySpec !== doc.keyBinding.keySpec) {
    return deny('KEY_MISMATCH', 'builtin:key-binding', [`key spec ${request.keySpec} is not the policy's ${doc.keyBinding.keySpec}`]);
  }
  if (doc.keyBinding.keyId !== undefined && request.keyId !== doc.keyBinding.keyId) {
    return deny('KEY_MISMATCH', 'builtin:key-binding', [`key ${request.keyId} is not the policy's ${doc.keyBinding.keyId}`]);
  }
  if (request.derivationPath !== undefined && !derivationAllowed(request.derivationPath, doc.derivation?.allowedPaths)) {
    return deny('KEY_MISMATCH', 'builtin:derivation', [`child key path ${request.derivationPath} is not among derivation.allowedPaths`]);
  }
  const mismatch = algorithmMismatch(request.keySpec, request.signingAlgorithm, request.messageType, request.message.length);
  if (mismatch) return deny('ALGORITHM_MISMATCH', 'builtin:algorithm', [mismatch]);
  if (request.message.length > p.maxMessageBytes) {
    return deny('MESSAGE_TOO_LARGE', 'builtin:message-size', [`message of ${request.message.length} bytes exceeds ${p.maxMessageBytes}`]);
  }
  let parsed: ParsedMessage;
  try {
    parsed = classifyMessage(request.keySpec, request.signingAlgorithm, request.messageType, request.message);
  } catch (e) {
    if (e instanceof DecodeError) return deny(e.code, 'builtin:decode', [e.message]);
    if (e instanceof InvariantViolation) return deny('INVARIANT', `builtin:${e.id}`, [e.message]);
    throw e;
  }
  const format = parsed.kind;

  for (const cr of p.rules) {
    if (cr.rule.effect !== 'deny') continue;
    const v = ruleVerdict(cr, request, parsed, context.now);
    if (ruleMatches('deny', v)) {
      return deny('EXPLICIT_DENY', cr.rule.id, [v ? `condition undeterminable (fail closed): ${v.why}` : 'all conditions hold'], format);
    }
  }

  if (format === 'digest' && !p.allowsDigest) {
    return deny('INVARIANT', 'builtin:I-3', ['DIGEST is signable only under an allow rule that names DIGEST; no rule of this policy does'], format);
  }

  const reasons: string[] = [];
  for (const cr of p.rules) {
    const rule = cr.rule;
    if (rule.effect !== 'allow') continue;
    const v = ruleVerdict(cr, request, parsed, context.now);
    if (!ruleMatches('allow', v)) {
      reasons.push(`${rule.id}: ${v!.why}`);
      continue;
    }

    if (rule.conditions.caller?.identityVerifiedBy === 'party' && request.caller.verifiedBy !== 'party') {
      return deny('CALLER_UNVERIFIED', rule.id, ['the rule requires a caller identity verified by this party'], format);
    }
    let approvedBy: string[] | undefined;
    let approvalsUsed: CountedApproval[] | undefined;
    if (rule.approvals) {
      // Bound to the revision this party enforces (p.hash) and counted once per approval id.
      const a = checkApprovals(
        request.approvals ?? [],
        rule.approvals,
        p.approvers,
        {
          kind: 'sign',
          statement: (approvalId, exp) => signApprovalStatement({ ...request, policyHash: p.hash }, approvalId, exp),
          used: context.approvalUsed,
        },
        context.now,
      );
      if (!a.ok) {
        return deny('APPROVALS_REQUIRED', rule.id, [`${a.approvedBy.length} of ${rule.approvals.threshold} required approvals`, ...a.problems], format);
      }
      approvedBy = a.approvedBy;
      approvalsUsed = a.counted;
    }
    const ruleLimit = rule.rateLimits ? exhausted(rule.rateLimits, rule.id, context) : null;
    if (ruleLimit) {
      if (rule.onRateLimitExhausted === 'continue') {
        reasons.push(`${rule.id}: rate limit: ${ruleLimit}`);
        continue;
      }
      return deny('RATE_LIMITED', rule.id, [ruleLimit], format);
    }
    const keyLimit = doc.keyRateLimits ? exhausted(doc.keyRateLimits, KEY_SCOPE, context) : null;
    if (keyLimit) return deny('RATE_LIMITED', 'builtin:key-rate-limit', [keyLimit], format);

    const f = rule.conditions.format;
    const sequence = f?.kind === 'raw' ? sequenceOf(f, request.message) : null;
    if (sequence !== null) {
      const high = context.sequenceHighWater?.(rule.id);
      if (high !== undefined && sequence <= high) {
        return deny('SEQUENCE_VIOLATION', rule.id, [`sequence ${sequence} is not above the last signed ${high}`], format);
      }
    }

    const charges: RateLimitCharge[] = [];
    if (rule.rateLimits) charges.push(charge(rule.rateLimits, rule.id, context.now));
    if (doc.keyRateLimits) charges.push(charge(doc.keyRateLimits, KEY_SCOPE, context.now));
    const decision: Decision = { decision: 'allow', code: 'ALLOW', rule: rule.id, reasons: reasons.slice(), format };
    const digest = digestOf(request.signingAlgorithm, request.messageType, request.message, parsed);
    if (digest) decision.digest = digest;
    if (charges.length > 0) decision.rateLimitCharges = charges;
    if (sequence !== null) decision.sequenceUpdates = [{ ruleId: rule.id, value: sequence }];
    if (approvedBy) decision.approvedBy = approvedBy;
    if (approvalsUsed) decision.approvalsUsed = approvalsUsed;
    return decision;
  }
  return deny('NO_MATCHING_ALLOW', 'builtin:default-deny', reasons.length > 0 ? reasons : ['the policy has no allow rule'], format);
}
