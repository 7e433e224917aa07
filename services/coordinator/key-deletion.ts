// Deleting keys for good. ScheduleKeyDeletion marks a key PendingDeletion with a date; from then
// on every party of the key is sent a deletion record signed by the gateway's key
// (services/control/deletion-records.ts), on every sweep and whenever it (re)connects: the party
// stores it and waits out its own period from when it first saw it (services/party/key-deletion.ts),
// so its wait runs alongside the key's window. CancelKeyDeletion sends a signed cancel.
//
// The sweeper, run by the gateway on a timer, finds keys whose date has passed and, in one
// transaction, removes the key record and its aliases and records, per party of the key, that its
// share must be deleted. Those records are durable: a `delete-key` with the same signed record goes
// to every such party again on every sweep and connect, until the party answers `key-deleted`.
// The record sent for a key is stored (attestation-store.ts) so that it stays the same from the
// first send to the last: a party restarts its wait on a record with another date. A deleted
// key's id is tombstoned: CreateKey never hands it out again.
//
// Keys left in `Creating` by a gateway that stopped in the middle of a DKG are swept the same way
// at startup (`recoverInterrupted`): no such key was ever answered to a client, and a party that
// finished its part of the DKG must not keep a share of a key that does not exist.
import type { CancelKeyDeletionMessage, DeleteKeyMessage } from '../control/messages.ts';
import { deletionCancelBytes, deletionRecordBytes, deletionRecordProblem, type DeletionRecord } from '../control/deletion-records.ts';
import type { EvidenceStore, KeyStore } from '../storage/gateway-store.ts';
import type { StoredKey } from '../storage/key-repository.ts';
import type { CoordinatorIdentity } from '../transport/coordinator-identity.ts';
import { bytesToBase64 } from '../transport/control.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

export type KeyDeletionsOptions = {
  keys: KeyStore;
  /** Where the signed records and tombstones are kept. */
  evidence: EvidenceStore;
  /** The gateway's key, which signs deletion records and cancels. */
  identity: CoordinatorIdentity;
  /** Sends to a connected party; false when it is not connected (the record stays, resent later). */
  send: (partyId: string, msg: DeleteKeyMessage | CancelKeyDeletionMessage) => boolean;
  /** The key-lifecycle clock, ms since the epoch (the same one ScheduleKeyDeletion uses). */
  now: () => number;
  log?: (line: string) => void;
};

export class KeyDeletions {
  constructor(private readonly o: KeyDeletionsOptions) {}

  /** Deletes every key whose deletion date has passed, then (re)sends every outstanding share deletion. */
  async sweep(): Promise<string[]> {
    const now = this.o.now();
    const purged: string[] = [];
    for (const due of await this.o.keys.dueForDeletion(now)) {
      // Checked again inside the transaction: a CancelKeyDeletion may have come in meanwhile.
      const k = await this.o.keys.purge(due.keyId, (cur) => cur.keyState === 'PendingDeletion' && cur.deletionDate !== null && cur.deletionDate <= now, now);
      if (!k) continue;
      purged.push(k.keyId);
      await this.o.evidence.tombstone(k.keyId, now);
      this.o.log?.(`coordinator: key ${k.keyId} deleted (its deletion date passed); parties ${k.parties.join(', ')} delete their shares`);
    }
    await this.resendAll();
    return purged;
  }

  /**
   * At startup: keys whose DKG never finished are removed, and their parties told to drop any share.
   * Replicas pass `createdBefore`: a younger Creating key may be another replica's DKG in progress.
   */
  async recoverInterrupted(createdBefore = Infinity): Promise<string[]> {
    const now = this.o.now();
    const purged: string[] = [];
    const stale = (k: StoredKey) => k.keyState === 'Creating' && k.creationDate < createdBefore;
    for (const k of await this.o.keys.inState('Creating')) {
      if (!stale(k) || !(await this.o.keys.purge(k.keyId, stale, now))) continue;
      purged.push(k.keyId);
      await this.o.evidence.tombstone(k.keyId, now);
      this.o.log?.(`coordinator: key ${k.keyId} was still being created when the gateway stopped; it is removed and its parties drop any share`);
    }
    return purged;
  }

  /** The signed record for a key: the stored one if it is for this schedule, else a new one (stored). */
  private async record(keyId: string, scheduledAt: number | undefined, windowDays: number): Promise<DeletionRecord> {
    const stored = (await this.o.evidence.deletionRecord(keyId)) as DeletionRecord | undefined;
    if (stored && !deletionRecordProblem(stored) && (scheduledAt === undefined || stored.scheduledAt === scheduledAt)) return stored;
    const fields = { keyId, coordinatorId: this.o.identity.coordinatorId, scheduledAt: scheduledAt ?? this.o.now(), windowDays };
    const record: DeletionRecord = { ...fields, signature: bytesToBase64(this.o.identity.sign(deletionRecordBytes(fields))) };
    await this.o.evidence.putDeletionRecord(keyId, record);
    return record;
  }

  /** Every deletion a party should hear about: keys pending deletion (their parties wait meanwhile) and purged keys not yet confirmed. */
  private async outstanding(): Promise<{ keyId: string; partyId: string; record: DeletionRecord; due: boolean }[]> {
    const out: { keyId: string; partyId: string; record: DeletionRecord; due: boolean }[] = [];
    for (const k of await this.o.keys.inState('PendingDeletion')) {
      const windowDays = k.pendingWindowInDays ?? 0;
      const scheduledAt = Math.max(0, (k.deletionDate ?? this.o.now()) - windowDays * DAY_MS);
      const record = await this.record(k.keyId, scheduledAt, windowDays);
      for (const partyId of k.parties) out.push({ keyId: k.keyId, partyId, record, due: false });
    }
    for (const { keyId, partyId } of await this.o.keys.pendingShareDeletions()) {
      // Any purge path (sweep, interrupted or failed creation) ends here: the id is used up. (A
      // party left out of a refresh is owed a deletion of a key that still exists.)
      if (!(await this.o.keys.get(keyId))) await this.o.evidence.tombstone(keyId, this.o.now());
      out.push({ keyId, partyId, record: await this.record(keyId, undefined, 0), due: true });
    }
    return out;
  }

  /** A party (re)connected: send it every deletion it has not confirmed. */
  async onConnect(partyId: string): Promise<void> {
    for (const d of await this.outstanding())
      if (d.partyId === partyId) this.o.send(partyId, { type: 'delete-key', keyId: d.keyId, record: d.record, due: d.due });
  }

  /** A party confirmed it holds no share of the key. */
  async onDeleted(partyId: string, keyId: unknown): Promise<void> {
    if (typeof keyId !== 'string') return;
    if (await this.o.keys.shareDeleted(keyId, partyId)) this.o.log?.(`coordinator: ${partyId} confirmed it deleted its share of key ${keyId}`);
  }

  /** Sends every outstanding share deletion to its party if connected. */
  async resendAll(): Promise<void> {
    for (const d of await this.outstanding()) this.o.send(d.partyId, { type: 'delete-key', keyId: d.keyId, record: d.record, due: d.due });
  }

  /** CancelKeyDeletion: every party of the key gets a signed cancel (one that misses it gets no further delete-key either). */
  async cancelled(keyId: string, parties: string[]): Promise<void> {
    const fields = { keyId, coordinatorId: this.o.identity.coordinatorId, cancelledAt: this.o.now() };
    const cancel = { ...fields, signature: bytesToBase64(this.o.identity.sign(deletionCancelBytes(fields))) };
    await this.o.evidence.dropDeletionRecord(keyId);
    for (const p of parties) this.o.send(p, { type: 'cancel-key-deletion', keyId, cancel });
  }

  /** Outstanding share deletions (of purged keys), for health and tests. */
  pending(): Promise<{ keyId: string; partyId: string }[]> {
    return this.o.keys.pendingShareDeletions();
  }
}
