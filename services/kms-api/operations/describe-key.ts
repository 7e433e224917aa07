// DescribeKey: works in every key state (docs/kms-compatibility.md "Key state and deletion"); KeyMetadata.KeyId is the bare id.
import { defineOperation } from '../operation.ts';
import { grantTokensSchema, keyIdSchema, keyMetadata } from '../shapes.ts';

type DescribeKeyRequest = { KeyId: string; GrantTokens?: string[] };

const schema = { type: 'object', required: ['KeyId'], properties: { KeyId: keyIdSchema, GrantTokens: grantTokensSchema } };

export const describeKey = defineOperation<DescribeKeyRequest>('DescribeKey', schema, async (input, { keys, caller }) => {
  return { KeyMetadata: keyMetadata(await keys.describeKey(input.KeyId, caller)) };
});
