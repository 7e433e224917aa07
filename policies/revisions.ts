// Policy revisions form a hash chain (docs/policies.md "Policy hash and revisions"): revision 1 has previousHash null
// and is bound to the key at CreateKey (its hash is in the DKG transcript, so it needs no
// approvals); revision n+1 names policyHash(policy n) and carries the approvals that the CURRENT
// policy's governance.changeApprovals demands, over
//   {"expiresAt","keyId","policyHash" (new),"previousHash","revision","type":"tutti-policy-change/1"}.
// Lower, equal or skipped revision numbers are refused (no rollback, no fork). The new revision
// takes effect at activatesAt = now + the current policy's activationDelaySeconds; until then the
// party keeps enforcing the current one.
import { changeApprovalStatement, checkApprovals } from './approvals.ts';
import { compilePolicy, PolicyInvalid, type CompiledPolicy } from './compile.ts';
import type { PolicyRevision } from './types.ts';

export type RevisionCheck =
  | { ok: true; policyHash: string; compiled: CompiledPolicy; activatesAt: number; approvedBy: string[] }
  | { ok: false; code: 'INVALID_POLICY' | 'GOVERNANCE'; reasons: string[] };

const refuse = (code: 'INVALID_POLICY' | 'GOVERNANCE', ...reasons: string[]): RevisionCheck => ({ ok: false, code, reasons });

/**
 * Whether a party may install `next` for `keyId`, given the revision it holds now (null at CreateKey).
 * `approvals` are grant-token strings (approvals.ts); `now` is the party's clock in ms.
 */
export function checkPolicyRevision(
  keyId: string,
  current: PolicyRevision | null,
  next: PolicyRevision,
  approvals: readonly string[],
  now: number,
): RevisionCheck {
  let compiled: CompiledPolicy;
  try {
    compiled = compilePolicy(next.policy);
  } catch (e) {
    if (e instanceof PolicyInvalid) return refuse('INVALID_POLICY', ...e.errors);
    throw e;
  }
  const boundId = compiled.document.keyBinding.keyId;
  if (boundId !== undefined && boundId !== keyId) return refuse('INVALID_POLICY', `policy is bound to key ${boundId}, not ${keyId}`);
  if (!Number.isSafeInteger(next.revision) || next.revision < 1) return refuse('GOVERNANCE', 'revision must be a positive integer');
  if (current === null) {
    if (next.revision !== 1 || next.previousHash !== null) return refuse('GOVERNANCE', 'the first policy of a key is revision 1 with previousHash null');
    return { ok: true, policyHash: compiled.hash, compiled, activatesAt: now, approvedBy: [] };
  }
  let cur: CompiledPolicy;
  try {
    cur = compilePolicy(current.policy);
  } catch (e) {
    if (e instanceof PolicyInvalid) return refuse('INVALID_POLICY', 'the current policy does not compile', ...e.errors);
    throw e;
  }
  if (next.revision !== current.revision + 1) {
    return refuse('GOVERNANCE', `revision ${next.revision} does not follow the current revision ${current.revision} (no rollback, no skipping)`);
  }
  if (next.previousHash !== cur.hash) return refuse('GOVERNANCE', `previousHash ${next.previousHash} is not the current policy's hash ${cur.hash}`);
  if (compiled.document.keyBinding.keySpec !== cur.document.keyBinding.keySpec) return refuse('GOVERNANCE', 'a revision cannot change the key spec');
  const requirement = cur.document.governance.changeApprovals;
  const subject = { keyId, revision: next.revision, previousHash: next.previousHash, policyHash: compiled.hash };
  const a = checkApprovals(approvals, requirement, cur.approvers, { kind: 'change', statement: (exp) => changeApprovalStatement(subject, exp) }, now);
  if (!a.ok) return refuse('GOVERNANCE', `${a.approvedBy.length} of ${requirement.threshold} required change approvals`, ...a.problems);
  const delay = (cur.document.governance.activationDelaySeconds ?? 0) * 1000;
  return { ok: true, policyHash: compiled.hash, compiled, activatesAt: now + delay, approvedBy: a.approvedBy };
}
