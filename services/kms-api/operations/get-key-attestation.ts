// GetKeyAttestation (a Tutti extension, `TrentService.GetKeyAttestation`, KMS JSON 1.1 like the
// rest): every party's signed creation receipt of the key (services/control/receipts.ts), so that
// a client can check offline — `cli.ts verify-attestation` — that the key it got was made by the
// parties it trusts, with the threshold and the signing policy it asked for
// (docs/kms-compatibility.md "Extensions", docs/security.md "Checking how a key was made").
// Authorised like DescribeKey (kms:DescribeKey); works in every key state.
import { defineOperation } from '../operation.ts';
import { unsupported } from '../errors.ts';
import { grantTokensSchema, keyIdSchema } from '../shapes.ts';

type GetKeyAttestationRequest = { KeyId: string; GrantTokens?: string[] };

const schema = { type: 'object', required: ['KeyId'], properties: { KeyId: keyIdSchema, GrantTokens: grantTokensSchema } };

export const getKeyAttestation = defineOperation<GetKeyAttestationRequest>('GetKeyAttestation', schema, async (input, { keys, caller }) => {
  if (!keys.getKeyAttestation) throw unsupported('GetKeyAttestation is not supported by this service.');
  const { key, receipts, verification } = await keys.getKeyAttestation(input.KeyId, caller);
  // VerificationShares (party index → hex point) and VerificationSharesReportedBy: read-only, what
  // the key's connected holders agree on (services/coordinator/key-admin.ts); absent otherwise.
  return {
    KeyId: key.arn,
    Receipts: receipts,
    ...(verification ? { VerificationShares: verification.verificationShares, VerificationSharesReportedBy: verification.reportedBy } : {}),
  };
});
