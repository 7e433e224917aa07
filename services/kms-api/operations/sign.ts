// Sign: shapes only here (GrantTokens are passed on verbatim: they carry signing-policy approvals). Key resolution, permission, state, algorithm-vs-spec, message type and
// digest length checks, DryRun, and the threshold protocol are the coordinator's (docs/kms-compatibility.md "Operations"
// check order). DryRun:true answers DryRunOperationException after every check and never signs.
import { defineOperation } from '../operation.ts';
import {
  MAX_EXTENSION_MESSAGE_BYTES,
  MESSAGE_TYPES,
  SIGNING_ALGORITHMS,
  checkMessageLength,
  grantTokensSchema,
  keyIdSchema,
  signingMessageType,
} from '../shapes.ts';
import { blob, encodeBase64 } from '../validation.ts';

type SignRequest = { KeyId: string; Message: Uint8Array; MessageType?: string; GrantTokens?: string[]; SigningAlgorithm: string; DryRun?: boolean };

const schema = {
  type: 'object',
  required: ['KeyId', 'Message', 'SigningAlgorithm'],
  properties: {
    KeyId: keyIdSchema,
    Message: blob({ min: 1, max: MAX_EXTENSION_MESSAGE_BYTES, sensitive: true }),
    MessageType: { type: 'string', enum: MESSAGE_TYPES },
    GrantTokens: grantTokensSchema,
    SigningAlgorithm: { type: 'string', enum: SIGNING_ALGORITHMS },
    DryRun: { type: 'boolean' },
  },
};

export const sign = defineOperation<SignRequest>('Sign', schema, async (input, { keys, caller }) => {
  checkMessageLength(input);
  const messageType = signingMessageType(input);
  // GrantTokens travel to every party: the key's signing policy reads approvals from them.
  const { key, signature } = await keys.sign(
    {
      keyId: input.KeyId,
      message: input.Message,
      messageType,
      signingAlgorithm: input.SigningAlgorithm,
      grantTokens: input.GrantTokens ?? [],
      dryRun: input.DryRun === true,
    },
    caller,
  );
  return { KeyId: key.arn, Signature: encodeBase64(signature), SigningAlgorithm: input.SigningAlgorithm };
});
