// EnableKey, DisableKey, ScheduleKeyDeletion, CancelKeyDeletion, UpdateKeyDescription: a key's
// lifecycle (docs/kms-compatibility.md "Key state and deletion"). KeyId is a key id or key ARN only ("Aliases"). Operations without output
// answer `{}`.
import { defineOperation } from '../operation.ts';
import { descriptionSchema, epochSeconds, keyIdSchema } from '../shapes.ts';

const keyOnly = { type: 'object', required: ['KeyId'], properties: { KeyId: keyIdSchema } };

export const enableKey = defineOperation<{ KeyId: string }>('EnableKey', keyOnly, async (input, { keys, caller }) => {
  await keys.enableKey(input.KeyId, caller);
  return {};
});

export const disableKey = defineOperation<{ KeyId: string }>('DisableKey', keyOnly, async (input, { keys, caller }) => {
  await keys.disableKey(input.KeyId, caller);
  return {};
});

/** AWS documents 7–30 days, default 30 (the model's own range, 1–365, is wider than what KMS accepts). */
export const DEFAULT_PENDING_WINDOW_DAYS = 30;

export const scheduleKeyDeletion = defineOperation<{ KeyId: string; PendingWindowInDays?: number }>(
  'ScheduleKeyDeletion',
  { type: 'object', required: ['KeyId'], properties: { KeyId: keyIdSchema, PendingWindowInDays: { type: 'integer', minimum: 7, maximum: 30 } } },
  async (input, { keys, caller }) => {
    const key = await keys.scheduleKeyDeletion(input.KeyId, input.PendingWindowInDays ?? DEFAULT_PENDING_WINDOW_DAYS, caller);
    return { KeyId: key.arn, DeletionDate: epochSeconds(key.deletionDate!), KeyState: key.keyState, PendingWindowInDays: key.pendingWindowInDays };
  },
);

export const cancelKeyDeletion = defineOperation<{ KeyId: string }>('CancelKeyDeletion', keyOnly, async (input, { keys, caller }) => {
  const key = await keys.cancelKeyDeletion(input.KeyId, caller);
  return { KeyId: key.arn };
});

export const updateKeyDescription = defineOperation<{ KeyId: string; Description: string }>(
  'UpdateKeyDescription',
  { type: 'object', required: ['KeyId', 'Description'], properties: { KeyId: keyIdSchema, Description: descriptionSchema } },
  async (input, { keys, caller }) => {
    await keys.updateKeyDescription(input.KeyId, input.Description, caller);
    return {};
  },
);
