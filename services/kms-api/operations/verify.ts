// Verify: a signature that does not verify is KMSInvalidSignatureException (no message), never
// `SignatureValid: false` (docs/kms-compatibility.md "Operations"). DryRun:true makes every check, the signature included,
// and answers DryRunOperationException instead.
import { invalidSignature } from '../errors.ts';
import { defineOperation } from '../operation.ts';
import {
  MAX_EXTENSION_MESSAGE_BYTES,
  MAX_SIGNATURE_BYTES,
  MESSAGE_TYPES,
  SIGNING_ALGORITHMS,
  checkMessageLength,
  grantTokensSchema,
  keyIdSchema,
  signingMessageType,
} from '../shapes.ts';
import { blob } from '../validation.ts';

type VerifyRequest = {
  KeyId: string;
  Message: Uint8Array;
  MessageType?: string;
  Signature: Uint8Array;
  SigningAlgorithm: string;
  GrantTokens?: string[];
  DryRun?: boolean;
};

const schema = {
  type: 'object',
  required: ['KeyId', 'Message', 'Signature', 'SigningAlgorithm'],
  properties: {
    KeyId: keyIdSchema,
    Message: blob({ min: 1, max: MAX_EXTENSION_MESSAGE_BYTES, sensitive: true }),
    MessageType: { type: 'string', enum: MESSAGE_TYPES },
    Signature: blob({ min: 1, max: MAX_SIGNATURE_BYTES }),
    SigningAlgorithm: { type: 'string', enum: SIGNING_ALGORITHMS },
    GrantTokens: grantTokensSchema,
    DryRun: { type: 'boolean' },
  },
};

export const verify = defineOperation<VerifyRequest>('Verify', schema, async (input, { keys, caller }) => {
  checkMessageLength(input);
  const messageType = signingMessageType(input);
  const { key, valid } = await keys.verify(
    {
      keyId: input.KeyId,
      message: input.Message,
      messageType,
      signature: input.Signature,
      signingAlgorithm: input.SigningAlgorithm,
      dryRun: input.DryRun === true,
    },
    caller,
  );
  if (!valid) throw invalidSignature();
  return { KeyId: key.arn, SignatureValid: true, SigningAlgorithm: input.SigningAlgorithm };
});
