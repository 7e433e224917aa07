// TagResource, UntagResource, ListResourceTags (conformance cases TG-*, docs/kms-compatibility.md "How this is checked"). The request's own tags follow
// AWS's rules here (lengths by schema; `aws:` reserved, no duplicate keys, at most 50 — TagException);
// the total per key, and Tutti's `tutti:threshold` / `tutti:parties` (fixed once the key exists), are
// the KeyService's to check.
import type { Tag } from '../key-service.ts';
import { defineOperation } from '../operation.ts';
import { checkTagRules, keyIdSchema, limitSchema, markerSchema, paged, tagsSchema } from '../shapes.ts';

export const tagResource = defineOperation<{ KeyId: string; Tags: Tag[] }>(
  'TagResource',
  { type: 'object', required: ['KeyId', 'Tags'], properties: { KeyId: keyIdSchema, Tags: tagsSchema } },
  async (input, { keys, caller }) => {
    checkTagRules(input.Tags);
    await keys.tagResource(input.KeyId, input.Tags, caller);
    return {};
  },
);

export const untagResource = defineOperation<{ KeyId: string; TagKeys: string[] }>(
  'UntagResource',
  {
    type: 'object',
    required: ['KeyId', 'TagKeys'],
    properties: { KeyId: keyIdSchema, TagKeys: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 128 } } },
  },
  async (input, { keys, caller }) => {
    await keys.untagResource(input.KeyId, input.TagKeys, caller);
    return {};
  },
);

/** AWS documents 1–50 for ListResourceTags, default 50. */
export const DEFAULT_TAG_LIMIT = 50;

export const listResourceTags = defineOperation<{ KeyId: string; Limit?: number; Marker?: string }>(
  'ListResourceTags',
  { type: 'object', required: ['KeyId'], properties: { KeyId: keyIdSchema, Limit: limitSchema(50), Marker: markerSchema } },
  async (input, { keys, caller }) => {
    const page = await keys.listResourceTags(
      { keyId: input.KeyId, limit: input.Limit ?? DEFAULT_TAG_LIMIT, ...(input.Marker !== undefined ? { marker: input.Marker } : {}) },
      caller,
    );
    return paged('Tags', page);
  },
);
