// Deleting keys for good. ScheduleKeyDeletion only marks a key PendingDeletion with a date; the
// sweeper here, run by the gateway on a timer, finds keys whose date has passed and, in one
// transaction, removes the key record and its aliases and records, per party of the key, that its
// share must be deleted. Those records are durable: a `delete-key` message goes to every such party
// now, again on every sweep, and again whenever the party (re)connects, until the party answers
// `key-deleted`. A party that is offline when the key goes deletes its share when it comes back,
// and a gateway restart forgets nothing.
//
// Keys left in `Creating` by a gateway that stopped in the middle of a DKG are swept the same way
// at startup (`recoverInterrupted`): no such key was ever answered to a client, and a party that
// finished its part of the DKG must not keep a share of a key that does not exist.
import type { DeleteKeyMessage } from '../control/messages.ts';
import type { KeyRepository } from '../storage/key-repository.ts';

export type KeyDeletionsOptions = {
  keys: KeyRepository;
  /** Sends to a connected party; false when it is not connected (the record stays, resent later). */
  send: (partyId: string, msg: DeleteKeyMessage) => boolean;
  /** The key-lifecycle clock, ms since the epoch (the same one ScheduleKeyDeletion uses). */
  now: () => number;
  log?: (line: string) => void;
};

export class KeyDeletions {
  constructor(private readonly o: KeyDeletionsOptions) {}

  /** Deletes every key whose deletion date has passed, then (re)sends every outstanding share deletion. */
  sweep(): string[] {
    const now = this.o.now();
    const purged: string[] = [];
    for (const due of this.o.keys.dueForDeletion(now)) {
      // Checked again inside the transaction: a CancelKeyDeletion may have come in meanwhile.
      const k = this.o.keys.purge(due.keyId, (cur) => cur.keyState === 'PendingDeletion' && cur.deletionDate !== null && cur.deletionDate <= now, now);
      if (!k) continue;
      purged.push(k.keyId);
      this.o.log?.(`coordinator: key ${k.keyId} deleted (its deletion date passed); parties ${k.parties.join(', ')} delete their shares`);
    }
    this.resendAll();
    return purged;
  }

  /** At startup: keys whose DKG never finished are removed, and their parties told to drop any share. */
  recoverInterrupted(): string[] {
    const now = this.o.now();
    const purged: string[] = [];
    for (const k of this.o.keys.inState('Creating')) {
      if (!this.o.keys.purge(k.keyId, (cur) => cur.keyState === 'Creating', now)) continue;
      purged.push(k.keyId);
      this.o.log?.(`coordinator: key ${k.keyId} was still being created when the gateway stopped; it is removed and its parties drop any share`);
    }
    return purged;
  }

  /** A party (re)connected: send it every deletion it has not confirmed. */
  onConnect(partyId: string): void {
    for (const keyId of this.o.keys.pendingShareDeletionsOf(partyId)) this.o.send(partyId, { type: 'delete-key', keyId });
  }

  /** A party confirmed it holds no share of the key. */
  onDeleted(partyId: string, keyId: unknown): void {
    if (typeof keyId !== 'string') return;
    if (this.o.keys.shareDeleted(keyId, partyId)) this.o.log?.(`coordinator: ${partyId} confirmed it deleted its share of key ${keyId}`);
  }

  /** Sends every outstanding share deletion to its party if connected. */
  resendAll(): void {
    for (const { keyId, partyId } of this.o.keys.pendingShareDeletions()) this.o.send(partyId, { type: 'delete-key', keyId });
  }

  /** Outstanding share deletions, for health and tests. */
  pending(): { keyId: string; partyId: string }[] {
    return this.o.keys.pendingShareDeletions();
  }
}
