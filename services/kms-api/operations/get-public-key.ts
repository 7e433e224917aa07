// GetPublicKey: a cached read of the key record, never a protocol round (docs/kms-compatibility.md "DescribeKey, GetPublicKey").
import { internal } from '../errors.ts';
import { defineOperation } from '../operation.ts';
import { grantTokensSchema, keyIdSchema } from '../shapes.ts';
import { encodeBase64 } from '../validation.ts';

type GetPublicKeyRequest = { KeyId: string; GrantTokens?: string[] };

const schema = { type: 'object', required: ['KeyId'], properties: { KeyId: keyIdSchema, GrantTokens: grantTokensSchema } };

export const getPublicKey = defineOperation<GetPublicKeyRequest>('GetPublicKey', schema, async (input, { keys, caller }) => {
  const key = await keys.getPublicKey(input.KeyId, caller);
  // The coordinator answers only for keys whose DKG finished; a missing key here is its bug.
  if (!key.publicKeyDer) throw internal(`${key.arn} has no public key.`);
  return {
    KeyId: key.arn,
    PublicKey: encodeBase64(key.publicKeyDer),
    CustomerMasterKeySpec: key.keySpec,
    KeySpec: key.keySpec,
    KeyUsage: key.keyUsage,
    SigningAlgorithms: key.signingAlgorithms,
  };
});
