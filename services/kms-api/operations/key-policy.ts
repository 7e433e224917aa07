// GetKeyPolicy, PutKeyPolicy, ListKeyPolicies. A key has one policy, named `default`; its document
// is AWS's JSON policy grammar (policies/aws-key-policy.ts) and is stored and returned verbatim,
// including the `TuttiSigningPolicy` and `TuttiSigningPolicyChange` members. Grammar errors are
// MalformedPolicyDocumentException, documents over 32 KiB LimitExceededException; the lockout
// safety check (the new policy must let the caller put a policy again) and a change of the
// signing policy (a revision every party must accept, docs/policies.md) are the KeyService's.
import { defineOperation } from '../operation.ts';
import { checkPolicyDocument, keyIdSchema, limitSchema, markerSchema, paged, policyNameSchema, policySchema } from '../shapes.ts';

export const DEFAULT_POLICY_NAME = 'default';

export const getKeyPolicy = defineOperation<{ KeyId: string; PolicyName?: string }>(
  'GetKeyPolicy',
  { type: 'object', required: ['KeyId'], properties: { KeyId: keyIdSchema, PolicyName: policyNameSchema } },
  async (input, { keys, caller }) => {
    const policyName = input.PolicyName ?? DEFAULT_POLICY_NAME;
    const policy = await keys.getKeyPolicy(input.KeyId, policyName, caller);
    // Tutti extension (docs/kms-compatibility.md): what each party signed it enforces, for the owner to check.
    const revisions = await keys.signingPolicyRevisions?.(input.KeyId, caller);
    return {
      Policy: policy,
      PolicyName: policyName,
      ...(revisions
        ? { TuttiRevisions: revisions.map((r) => ({ PartyId: r.partyId, Revision: r.revision, RevisionHash: r.policyHash, Signature: r.signature })) }
        : {}),
    };
  },
);

type PutKeyPolicyRequest = { KeyId: string; PolicyName?: string; Policy: string; BypassPolicyLockoutSafetyCheck?: boolean };

export const putKeyPolicy = defineOperation<PutKeyPolicyRequest>(
  'PutKeyPolicy',
  {
    type: 'object',
    required: ['KeyId', 'Policy'],
    properties: { KeyId: keyIdSchema, PolicyName: policyNameSchema, Policy: policySchema, BypassPolicyLockoutSafetyCheck: { type: 'boolean' } },
  },
  async (input, { keys, caller }) => {
    checkPolicyDocument(input.Policy);
    await keys.putKeyPolicy(
      {
        keyId: input.KeyId,
        policyName: input.PolicyName ?? DEFAULT_POLICY_NAME,
        policy: input.Policy,
        bypassPolicyLockoutSafetyCheck: input.BypassPolicyLockoutSafetyCheck === true,
      },
      caller,
    );
    return {};
  },
);

export const listKeyPolicies = defineOperation<{ KeyId: string; Limit?: number; Marker?: string }>(
  'ListKeyPolicies',
  { type: 'object', required: ['KeyId'], properties: { KeyId: keyIdSchema, Limit: limitSchema(1000), Marker: markerSchema } },
  async (input, { keys, caller }) => {
    const page = await keys.listKeyPolicies(
      { keyId: input.KeyId, limit: input.Limit ?? 100, ...(input.Marker !== undefined ? { marker: input.Marker } : {}) },
      caller,
    );
    return paged('PolicyNames', page);
  },
);
