// Approval tokens for tests, made with the engine's own helper (the same one docs/policies.md shows).
import { createApproval, createPolicyChangeApproval, type ChangeApprovalSubject } from '../../../policies/approvals.ts';
import type { SignRequest } from '../../../policies/types.ts';
import { approverKey, type Scheme } from './keys.ts';

export function approve(id: string, req: Pick<SignRequest, 'keyId' | 'message' | 'signingAlgorithm' | 'messageType'>, expiresAt: number, scheme?: Scheme): string {
  return createApproval(approverKey(id, scheme), req, expiresAt);
}

export function approveChange(id: string, change: ChangeApprovalSubject, expiresAt: number): string {
  return createPolicyChangeApproval(approverKey(id), change, expiresAt);
}
