// Key deletion records, signed by the gateway's key (docs/security.md "Deleting a key"). A party
// deletes its share only on such a record, and only once its own waiting period has passed since
// it first received it (services/party/key-deletion.ts); a signed cancel stops it.
//
//   deletion: Ed25519(gateway key, lengthPrefixed(LABEL_DELETION, coordinatorId, keyId, u64 scheduledAt, u32 windowDays))
//   cancel:   Ed25519(gateway key, lengthPrefixed(LABEL_CANCEL,   coordinatorId, keyId, u64 cancelledAt))
//
// scheduledAt: when ScheduleKeyDeletion was accepted (ms since the epoch, the gateway's clock);
// windowDays: its PendingWindowInDays (0 for a key whose creation never finished). A cancel undoes
// every deletion record of the key scheduled at or before `cancelledAt`, so an old cancel cannot
// undo a later schedule.
import { lengthPrefixed, u32, utf8ToBytes } from '../../protocols/core/bytes.ts';
import { KEY_ID_RE } from './messages.ts';

export const LABEL_DELETION = 'tutti/v1/key-deletion-record';
export const LABEL_CANCEL = 'tutti/v1/key-deletion-cancel';

export type DeletionRecord = { keyId: string; coordinatorId: string; scheduledAt: number; windowDays: number; signature: string };
export type DeletionCancel = { keyId: string; coordinatorId: string; cancelledAt: number; signature: string };

function u64(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`u64 out of range: ${n}`);
  return lengthPrefixed(u32(Math.floor(n / 2 ** 32)), u32(n % 2 ** 32));
}

export function deletionRecordBytes(r: Omit<DeletionRecord, 'signature'>): Uint8Array {
  return lengthPrefixed(utf8ToBytes(LABEL_DELETION), utf8ToBytes(r.coordinatorId), utf8ToBytes(r.keyId), u64(r.scheduledAt), u32(r.windowDays));
}

export function deletionCancelBytes(c: Omit<DeletionCancel, 'signature'>): Uint8Array {
  return lengthPrefixed(utf8ToBytes(LABEL_CANCEL), utf8ToBytes(c.coordinatorId), utf8ToBytes(c.keyId), u64(c.cancelledAt));
}

const isTime = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** Shape check of an untrusted record (the signature is checked by the caller); a reason when bad. */
export function deletionRecordProblem(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return 'no deletion record';
  const r = v as Record<string, unknown>;
  if (typeof r.keyId !== 'string' || !KEY_ID_RE.test(r.keyId)) return 'deletion record: bad keyId';
  if (typeof r.coordinatorId !== 'string') return 'deletion record: bad coordinatorId';
  if (!isTime(r.scheduledAt)) return 'deletion record: bad scheduledAt';
  if (!Number.isInteger(r.windowDays) || (r.windowDays as number) < 0 || (r.windowDays as number) > 3650) return 'deletion record: bad windowDays';
  if (typeof r.signature !== 'string') return 'deletion record: no signature';
  return undefined;
}

export function deletionCancelProblem(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return 'no cancel record';
  const r = v as Record<string, unknown>;
  if (typeof r.keyId !== 'string' || !KEY_ID_RE.test(r.keyId)) return 'cancel record: bad keyId';
  if (typeof r.coordinatorId !== 'string') return 'cancel record: bad coordinatorId';
  if (!isTime(r.cancelledAt)) return 'cancel record: bad cancelledAt';
  if (typeof r.signature !== 'string') return 'cancel record: no signature';
  return undefined;
}
