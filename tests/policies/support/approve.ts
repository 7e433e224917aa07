// Approval tokens for tests, made with the engine's own helper (the same one docs/policies.md shows).
// A Sign approval names the policy revision it is made under (default: the fixture policy bound to
// the request's key id) and a fresh one-use approval id (default: 12 random bytes, base64url).
import { randomBytes } from 'node:crypto';
import { createApproval, createPolicyChangeApproval, type ChangeApprovalSubject } from '../../../policies/approvals.ts';
import type { SignRequest } from '../../../policies/types.ts';
import { approverKey, type Scheme } from './keys.ts';
import { POLICIES } from './requests.ts';

export const newApprovalId = (): string => randomBytes(12).toString('base64url');

/** The hash of the fixture policy bound to `keyId` (what a party enforcing it signs approvals under). */
export function fixturePolicyHash(keyId: string): string {
  const p = Object.values(POLICIES).find((c) => c.document.keyBinding.keyId === keyId);
  if (!p) throw new Error(`no fixture policy is bound to key ${keyId}: pass policyHash`);
  return p.hash;
}

export type ApproveOptions = { scheme?: Scheme; policyHash?: string; approvalId?: string };

export function approve(
  id: string,
  req: Pick<SignRequest, 'keyId' | 'message' | 'signingAlgorithm' | 'messageType'>,
  expiresAt: number,
  o: ApproveOptions = {},
): string {
  const policyHash = o.policyHash ?? fixturePolicyHash(req.keyId);
  return createApproval(approverKey(id, o.scheme), { ...req, policyHash }, expiresAt, o.approvalId ?? newApprovalId());
}

export function approveChange(id: string, change: ChangeApprovalSubject, expiresAt: number): string {
  return createPolicyChangeApproval(approverKey(id), change, expiresAt);
}
