// ListKeys: keys in every state, paged by the coordinator's opaque marker. `Truncated` is always present.
import { defineOperation } from '../operation.ts';
import { limitSchema, markerSchema } from '../shapes.ts';

type ListKeysRequest = { Limit?: number; Marker?: string };

export const DEFAULT_LIST_LIMIT = 100;

const schema = { type: 'object', properties: { Limit: limitSchema(1000), Marker: markerSchema } };

export const listKeys = defineOperation<ListKeysRequest>('ListKeys', schema, async (input, { keys, caller }) => {
  const page = await keys.listKeys(input.Limit ?? DEFAULT_LIST_LIMIT, input.Marker, caller);
  return {
    Keys: page.keys.map((k) => ({ KeyId: k.keyId, KeyArn: k.arn })),
    Truncated: page.nextMarker !== undefined,
    ...(page.nextMarker !== undefined ? { NextMarker: page.nextMarker } : {}),
  };
});
