// CreateAlias, UpdateAlias, DeleteAlias, ListAliases (docs/kms-compatibility.md "Operations"). An alias name is
// `alias/<name>` (AWS's pattern, at most 256 characters), never under the reserved `alias/aws/`;
// targets are key ids or key ARNs (not other aliases, docs/kms-compatibility.md "Aliases"). Which key, whether it exists and is in
// a state that takes an alias, and whether the caller may, are the KeyService's to say.
import { defineOperation } from '../operation.ts';
import { aliasEntry, aliasNameSchema, checkAliasName, keyIdSchema, limitSchema, markerSchema, paged } from '../shapes.ts';

type AliasRequest = { AliasName: string; TargetKeyId: string };

const aliasSchema = { type: 'object', required: ['AliasName', 'TargetKeyId'], properties: { AliasName: aliasNameSchema, TargetKeyId: keyIdSchema } };

export const createAlias = defineOperation<AliasRequest>('CreateAlias', aliasSchema, async (input, { keys, caller }) => {
  checkAliasName(input.AliasName);
  await keys.createAlias(input.AliasName, input.TargetKeyId, caller);
  return {};
});

export const updateAlias = defineOperation<AliasRequest>('UpdateAlias', aliasSchema, async (input, { keys, caller }) => {
  checkAliasName(input.AliasName);
  await keys.updateAlias(input.AliasName, input.TargetKeyId, caller);
  return {};
});

export const deleteAlias = defineOperation<{ AliasName: string }>(
  'DeleteAlias',
  { type: 'object', required: ['AliasName'], properties: { AliasName: aliasNameSchema } },
  async (input, { keys, caller }) => {
    checkAliasName(input.AliasName);
    await keys.deleteAlias(input.AliasName, caller);
    return {};
  },
);

/** AWS documents 1–100 for ListAliases, default 50. */
export const DEFAULT_ALIAS_LIMIT = 50;

export const listAliases = defineOperation<{ KeyId?: string; Limit?: number; Marker?: string }>(
  'ListAliases',
  { type: 'object', properties: { KeyId: keyIdSchema, Limit: limitSchema(100), Marker: markerSchema } },
  async (input, { keys, caller }) => {
    const page = await keys.listAliases(
      {
        ...(input.KeyId !== undefined ? { keyId: input.KeyId } : {}),
        limit: input.Limit ?? DEFAULT_ALIAS_LIMIT,
        ...(input.Marker !== undefined ? { marker: input.Marker } : {}),
      },
      caller,
    );
    return paged('Aliases', page, aliasEntry);
  },
);
