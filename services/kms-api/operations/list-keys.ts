// ListKeys: keys in every state, paged by the coordinator's opaque marker. `Truncated` is always present.
import { defineOperation } from '../operation.ts';
import { patterned } from '../validation.ts';

type ListKeysRequest = { Limit?: number; Marker?: string };

export const DEFAULT_LIST_LIMIT = 100;

const schema = {
  type: 'object',
  properties: {
    Limit: { type: 'integer', minimum: 1, maximum: 1000 },
    Marker: patterned('[\\u0020-\\u00FF]*', { minLength: 1, maxLength: 1024 }),
  },
};

export const listKeys = defineOperation<ListKeysRequest>('ListKeys', schema, async (input, { keys, caller }) => {
  const page = await keys.listKeys(input.Limit ?? DEFAULT_LIST_LIMIT, input.Marker, caller);
  return {
    Keys: page.keys.map((k) => ({ KeyId: k.keyId, KeyArn: k.arn })),
    Truncated: page.nextMarker !== undefined,
    ...(page.nextMarker !== undefined ? { NextMarker: page.nextMarker } : {}),
  };
});
