// ImportKeyShares (a Tutti extension, `TrentService.ImportKeyShares`, KMS JSON 1.1 like the rest;
// docs/kms-compatibility.md "ImportKeyShares"): CreateKey for an existing single key that an
// operator split once offline (`cli.ts import-split`). AWS's own import (GetParametersForImport +
// ImportKeyMaterial) takes whole key material wrapped for the service and, for asymmetric keys,
// only into AWS's own HSMs; here nobody may hold the key whole, so the request carries the
// splitter's public manifest and one bundle per party, each sealed to that party's identity key,
// and the gateway only relays them. Authorised like CreateKey (kms:CreateKey); answers KeyMetadata
// with Origin EXTERNAL.
import { validation } from '../errors.ts';
import type { Tag } from '../key-service.ts';
import { unsupported } from '../errors.ts';
import { defineOperation } from '../operation.ts';
import { KEY_SPECS, checkPolicyDocument, checkTagRules, descriptionSchema, keyMetadata, policySchema, tagsSchema } from '../shapes.ts';

type ImportKeySharesRequest = {
  KeySpec: string;
  KeyUsage?: string;
  Description?: string;
  Policy?: string;
  BypassPolicyLockoutSafetyCheck?: boolean;
  Tags?: Tag[];
  Manifest: Record<string, unknown>;
  Bundles: Record<string, unknown>[];
};

const schema = {
  type: 'object',
  required: ['KeySpec', 'Manifest', 'Bundles'],
  properties: {
    KeySpec: { type: 'string', enum: KEY_SPECS },
    KeyUsage: { type: 'string', enum: ['SIGN_VERIFY'] },
    Description: descriptionSchema,
    Policy: policySchema,
    BypassPolicyLockoutSafetyCheck: { type: 'boolean' },
    Tags: tagsSchema,
    Manifest: { type: 'object' },
    Bundles: { type: 'array', minItems: 2, maxItems: 10, items: { type: 'object' } },
  },
};

export const importKeyShares = defineOperation<ImportKeySharesRequest>('ImportKeyShares', schema, async (input, { keys, caller }) => {
  if (!keys.importKeyShares) throw unsupported('ImportKeyShares is not supported by this service.');
  if (input.Policy !== undefined) checkPolicyDocument(input.Policy);
  const tags = input.Tags ?? [];
  checkTagRules(tags);
  if (input.KeyUsage !== undefined && input.KeyUsage !== 'SIGN_VERIFY') throw validation(`KeyUsage ${input.KeyUsage} cannot be imported`);
  const key = await keys.importKeyShares(
    {
      keySpec: input.KeySpec,
      keyUsage: 'SIGN_VERIFY',
      description: input.Description ?? '',
      tags,
      ...(input.Policy !== undefined ? { policy: input.Policy } : {}),
      ...(input.BypassPolicyLockoutSafetyCheck !== undefined ? { bypassPolicyLockoutSafetyCheck: input.BypassPolicyLockoutSafetyCheck } : {}),
      manifest: input.Manifest,
      bundles: input.Bundles,
    },
    caller,
  );
  return { KeyMetadata: keyMetadata(key) };
});
