// Key administration that asks no party: DescribeKey, GetKeyAttestation, ListKeys, GetPublicKey,
// EnableKey/DisableKey, UpdateKeyDescription, ScheduleKeyDeletion/CancelKeyDeletion (the deletion
// itself is key-deletion.ts) and the tag operations. Each runs key-access.ts's checks and changes
// the key's record in one transaction (KeyAccess.change).
import type { Caller, KeyRecord, Page, Tag } from '../kms-api/key-service.ts';
import { invalidState, tagError } from '../kms-api/errors.ts';
import { MAX_TAGS } from '../kms-api/shapes.ts';
import { decodeMarker, encodeMarker } from './markers.ts';
import { PARTIES_TAG, THRESHOLD_TAG } from './tags.ts';
import { DERIVE_FROM_TAG, PATH_TAG } from './derive-key.ts';
import { ORIGIN_TAG } from './import-key.ts';
import { keyRecord, offsetPage, requireNotPendingDeletion, requireUsable } from './key-access.ts';
import type { CoordinatorContext } from './context.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Tags that chose the key's parties and threshold, or its parent and path, when it was created; they describe it from then on. */
const FIXED_TAGS = new Set([THRESHOLD_TAG, PARTIES_TAG, DERIVE_FROM_TAG, PATH_TAG, ORIGIN_TAG]);

// --- reading keys ------------------------------------------------------------------------------

export async function describeKey({ access }: CoordinatorContext, keyId: string, caller: Caller): Promise<KeyRecord> {
  const k = await access.resolve(keyId, caller, 'any');
  access.authorize(k, 'DescribeKey', caller);
  return keyRecord(k);
}

/** The key's per-party verification shares (index → hex point), as its connected holders report them. */
export type VerificationShares = { verificationShares: Record<string, string>; reportedBy: string[] };

export async function getKeyAttestation(
  { o, access }: CoordinatorContext,
  keyId: string,
  caller: Caller,
): Promise<{ key: KeyRecord; receipts: unknown[]; verification?: VerificationShares }> {
  const k = await access.resolve(keyId, caller, 'any');
  access.authorize(k, 'DescribeKey', caller);
  const receipts = (await o.evidence?.receipts(k.keyId)) ?? [];
  const verification = await verificationSharesOf(o, k);
  return { key: keyRecord(k), receipts, ...(verification ? { verification } : {}) };
}

/**
 * The verification shares X_j = x_j·G of the key's current version (public: backup-verify checks a
 * party's encrypted backup against them, docs/operations.md "Backup and recovery drill"). The
 * gateway keeps none: every connected holder reports its share's public package (key-packages.ts),
 * and they are returned only when every answer is for the key's public key and all agree (a
 * holder reporting another version or lying leaves them out, never mixed). Absent when no holder
 * answers, for a derived key (its parent's shares) and for keys of a service without parties.
 */
async function verificationSharesOf(
  o: CoordinatorContext['o'],
  k: { keyId: string; parties: string[]; publicKey: string | null },
): Promise<VerificationShares | undefined> {
  if (!o.askKeyPackage || !k.publicKey || o.derivations?.child(k.keyId)) return undefined;
  const asked = k.parties.filter((p) => o.isConnected(p));
  // A holder that does not answer within 2 s (a device party, a busy one) is left out: a read must stay quick.
  const answers = await Promise.all(asked.map((p) => withinMs(o.askKeyPackage!(p, k.keyId), 2000)));
  const views = answers.flatMap((a, i) => {
    const pkg = a?.package as { groupPublicKey?: unknown; verifyingShares?: unknown; verificationShares?: unknown } | undefined;
    const shares = pkg?.verifyingShares ?? pkg?.verificationShares;
    if (a?.holds !== undefined || pkg?.groupPublicKey !== k.publicKey || typeof shares !== 'object' || shares === null) return [];
    return [{ partyId: asked[i]!, shares: shares as Record<string, string> }];
  });
  if (!views.length || new Set(views.map((v) => JSON.stringify(v.shares))).size !== 1) return undefined;
  return { verificationShares: views[0]!.shares, reportedBy: views.map((v) => v.partyId) };
}

export async function listKeys(
  { o, access }: CoordinatorContext,
  limit: number,
  marker: string | undefined,
  caller: Caller,
): Promise<{ keys: KeyRecord[]; nextMarker?: string }> {
  access.requireAccountPrincipal(caller, 'ListKeys');
  const after = marker === undefined ? undefined : decodeMarker('keys', marker, isKeyCursor);
  const page = await o.keys.list(limit, after && { creationDate: after[0], keyId: after[1] });
  const keys = page.keys.filter((k) => k.keyState !== 'Creating').map((k) => keyRecord(k));
  const last = page.keys[page.keys.length - 1];
  return page.more && last ? { keys, nextMarker: encodeMarker('keys', [last.creationDate, last.keyId]) } : { keys };
}

export async function getPublicKey({ access }: CoordinatorContext, keyId: string, caller: Caller): Promise<KeyRecord> {
  const k = await access.resolve(keyId, caller, 'any');
  access.authorize(k, 'GetPublicKey', caller);
  requireUsable(k);
  return keyRecord(k);
}

// --- key state ---------------------------------------------------------------------------------

export async function enableKey({ access }: CoordinatorContext, keyId: string, caller: Caller): Promise<void> {
  await access.change(keyId, 'EnableKey', caller, (k) => {
    requireNotPendingDeletion(k);
    return { keyState: 'Enabled' };
  });
}

export async function disableKey({ access }: CoordinatorContext, keyId: string, caller: Caller): Promise<void> {
  await access.change(keyId, 'DisableKey', caller, (k) => {
    requireNotPendingDeletion(k);
    return { keyState: 'Disabled' };
  });
}

export async function scheduleKeyDeletion({ o, access }: CoordinatorContext, keyId: string, pendingWindowInDays: number, caller: Caller): Promise<KeyRecord> {
  const now = access.now();
  const record = await access.change(
    keyId,
    'ScheduleKeyDeletion',
    caller,
    (k) => {
      requireNotPendingDeletion(k);
      o.log?.(`coordinator: ${k.keyId} scheduled for deletion in ${pendingWindowInDays} days by ${caller.principal}`);
      return { keyState: 'PendingDeletion', deletionDate: now + pendingWindowInDays * DAY_MS, pendingWindowInDays };
    },
    { 'kms:ScheduleKeyDeletionPendingWindowInDays': String(pendingWindowInDays) },
  );
  o.onShareDeletionsScheduled?.();
  return record;
}

export async function cancelKeyDeletion({ o, access }: CoordinatorContext, keyId: string, caller: Caller): Promise<KeyRecord> {
  let parties: string[] = [];
  const record = await access.change(keyId, 'CancelKeyDeletion', caller, (k) => {
    if (k.keyState !== 'PendingDeletion') throw invalidState(`${k.arn} is not pending deletion.`);
    parties = k.parties;
    // AWS: a key whose deletion is cancelled is Disabled, whatever it was before.
    return { keyState: 'Disabled', deletionDate: null, pendingWindowInDays: null };
  });
  o.onDeletionCancelled?.(record.keyId, parties);
  return record;
}

export async function updateKeyDescription({ access }: CoordinatorContext, keyId: string, description: string, caller: Caller): Promise<void> {
  await access.change(keyId, 'UpdateKeyDescription', caller, (k) => {
    requireNotPendingDeletion(k);
    return { description };
  });
}

// --- tags --------------------------------------------------------------------------------------

export async function tagResource({ access }: CoordinatorContext, keyId: string, tags: Tag[], caller: Caller): Promise<void> {
  await access.change(keyId, 'TagResource', caller, (k) => {
    requireNotPendingDeletion(k);
    const merged = [...k.tags];
    for (const t of tags) {
      const i = merged.findIndex((m) => m.TagKey === t.TagKey);
      if (FIXED_TAGS.has(t.TagKey) && (i < 0 || merged[i]!.TagValue !== t.TagValue)) {
        throw tagError(`Tag ${t.TagKey} records how the key was created and cannot be added or changed; it is set only by CreateKey.`);
      }
      if (i >= 0) merged[i] = t;
      else merged.push(t);
    }
    if (merged.length > MAX_TAGS) throw tagError('Too many tags');
    return { tags: merged };
  });
}

export async function untagResource({ access }: CoordinatorContext, keyId: string, tagKeys: string[], caller: Caller): Promise<void> {
  await access.change(keyId, 'UntagResource', caller, (k) => {
    requireNotPendingDeletion(k);
    const fixed = tagKeys.find((t) => FIXED_TAGS.has(t) && k.tags.some((m) => m.TagKey === t));
    if (fixed) throw tagError(`Tag ${fixed} records how the key was created and cannot be removed.`);
    const drop = new Set(tagKeys);
    return { tags: k.tags.filter((t) => !drop.has(t.TagKey)) };
  });
}

export async function listResourceTags(
  { access }: CoordinatorContext,
  req: { keyId: string; limit: number; marker?: string },
  caller: Caller,
): Promise<Page<Tag>> {
  const k = await access.resolve(req.keyId, caller, 'key');
  access.authorize(k, 'ListResourceTags', caller);
  return offsetPage('tags', k.tags, req.limit, req.marker);
}

function isKeyCursor(p: unknown): p is [number, string] {
  return Array.isArray(p) && p.length === 2 && Number.isSafeInteger(p[0]) && typeof p[1] === 'string';
}

/** `p`'s value, or undefined once `ms` passed first. */
function withinMs<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((r) => {
    timer = setTimeout(() => r(undefined), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
