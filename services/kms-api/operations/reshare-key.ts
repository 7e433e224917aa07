// ReshareKey (a Tutti extension, `TrentService.ReshareKey`, KMS JSON 1.1 like the rest): moves a
// key to new holders under a new threshold, keeping its public key (docs/kms-compatibility.md
// "Extensions", docs/protocols.md "ReshareKey through the service"). Every key spec (FROST's
// reshare for Ed25519 and Ed448, DKLs23's for secp256k1 and P-256). Authorised by the key policy with the Tutti
// action kms:ReshareKey (the default key policy's kms:* for the account allows it).
import { defineOperation } from '../operation.ts';
import { unsupported } from '../errors.ts';
import { keyIdSchema, keyMetadata } from '../shapes.ts';

type ReshareKeyRequest = { KeyId: string; Threshold: number; Parties: string[]; GrantTokens?: string[] };

const schema = {
  type: 'object',
  required: ['KeyId', 'Threshold', 'Parties'],
  properties: {
    KeyId: keyIdSchema,
    Threshold: { type: 'integer', minimum: 1, maximum: 100 },
    Parties: { type: 'array', minItems: 1, maxItems: 100, items: { type: 'string', minLength: 1, maxLength: 128 } },
    // Approvals of this reshare (governance.reshareApprovals of the key's signing policy), as Sign's GrantTokens.
    GrantTokens: { type: 'array', maxItems: 10, items: { type: 'string', minLength: 1, maxLength: 8192 } },
  },
};

export const reshareKey = defineOperation<ReshareKeyRequest>('ReshareKey', schema, async (input, { keys, caller }) => {
  if (!keys.reshareKey) throw unsupported('ReshareKey is not supported by this service.');
  const key = await keys.reshareKey(input.KeyId, { threshold: input.Threshold, parties: input.Parties, grantTokens: input.GrantTokens ?? [] }, caller);
  // Threshold and Parties: the key as now held (a CreateKey's tutti:* tags keep their original values).
  return { KeyMetadata: keyMetadata(key), Threshold: key.threshold, Parties: key.parties };
});
