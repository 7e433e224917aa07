// The party's side of deleting a key (docs/security.md "Deleting a key"). A share is the party's
// to lose once, for good (FROST keys cannot be refreshed), so the coordinator's word is not enough:
//
//  1. the request must carry a deletion record signed by the gateway key this party pins
//     (services/control/deletion-records.ts); anything else is refused and logged;
//  2. the party stores the record and waits its own waiting period, measured by its own clock from
//     when it first received that record (default: the key's deletion window, at least 7 days;
//     TUTTI_DELETION_WAIT_MS sets it), so that an operator has time to notice and cancel. The
//     gateway sends the record from ScheduleKeyDeletion on, so both waits run together; the share
//     goes only once the gateway also says the key is gone (`due`) and this party's wait is over;
//  3. a cancel signed by the gateway (CancelKeyDeletion) within the wait drops the request;
//  4. then the share is deleted, with an audit entry naming the record, and the key id is
//     tombstoned: a DKG under it is refused from then on.
// A party holding no share of the key deletes (and tombstones) at once: it has nothing to lose.
import type { CancelKeyDeletionMessage, DeleteKeyMessage } from '../control/messages.ts';
import { KEY_ID_RE } from '../control/messages.ts';
import { deletionCancelBytes, deletionCancelProblem, deletionRecordBytes, deletionRecordProblem, type DeletionRecord } from '../control/deletion-records.ts';
import { pinVerifier, type CoordinatorPin } from '../transport/coordinator-identity.ts';
import { base64ToBytes } from '../transport/control.ts';
import type { DeletionStore } from '../storage/deletion-store.ts';
import { ProtocolError } from '../../protocols/core/errors.ts';
import type { PartyOptions } from './party-options.ts';
import type { SessionDriver } from './session-driver.ts';
import type { PartySign } from './sign.ts';

const DAY_MS = 24 * 3600 * 1000;
/** The shortest waiting period by default: AWS KMS's shortest PendingWindowInDays. */
export const MIN_DEFAULT_WAIT_DAYS = 7;

export type DeletionDecision =
  | { kind: 'refused'; reason: string }
  /** Stored (first: just now) and waiting until `until` (this party's clock). */
  | { kind: 'waiting'; first: boolean; until: number; record: DeletionRecord }
  | { kind: 'delete'; record: DeletionRecord; firstSeen: number | null };

export type KeyDeletionRulesOptions = {
  store: DeletionStore;
  /**
   * The pinned coordinator, or every pinned gateway replica (peers.json "coordinators"): a record
   * signed by any of them counts (replicas share the deletion schedule, docs/operations.md
   * "Gateway replicas"). Without one every deletion is refused.
   */
  coordinator?: CoordinatorPin | readonly CoordinatorPin[];
  /** The waiting period, overriding the default (the record's window, at least 7 days). */
  waitMs?: number;
  now?: () => number;
};

export class KeyDeletionRules {
  /** Per pinned coordinator id, its signature check. */
  private readonly verifiers = new Map<string, (m: Uint8Array, s: Uint8Array) => boolean>();
  private readonly now: () => number;

  constructor(private readonly o: KeyDeletionRulesOptions) {
    const pins: readonly CoordinatorPin[] = o.coordinator === undefined ? [] : 'coordinatorId' in o.coordinator ? [o.coordinator] : o.coordinator;
    for (const pin of pins) this.verifiers.set(pin.coordinatorId, pinVerifier(pin));
    this.now = o.now ?? (() => Date.now());
  }

  waitFor(record: DeletionRecord): number {
    return this.o.waitMs ?? Math.max(record.windowDays, MIN_DEFAULT_WAIT_DAYS) * DAY_MS;
  }

  private signed(bytes: Uint8Array, signature: string, coordinatorId: string): string | undefined {
    if (this.verifiers.size === 0) return 'this party pins no coordinator key (peers.json "coordinator"), so it deletes nothing';
    const verify = this.verifiers.get(coordinatorId);
    if (!verify) return `signed for coordinator '${coordinatorId}', not the pinned '${[...this.verifiers.keys()].join("', '")}'`;
    const sig = base64ToBytes(signature);
    if (!sig || !verify(bytes, sig)) return 'the signature does not verify under the pinned coordinator key';
    return undefined;
  }

  /** What to do with a delete-key message; `holdsShare`: whether this party has anything of the key. */
  onRequest(msg: DeleteKeyMessage, holdsShare: boolean): DeletionDecision {
    const problem = deletionRecordProblem(msg.record);
    if (problem) return { kind: 'refused', reason: problem };
    const record = msg.record!;
    if (record.keyId !== msg.keyId) return { kind: 'refused', reason: `the deletion record is for key ${record.keyId}` };
    const bad = this.signed(deletionRecordBytes(record), record.signature, record.coordinatorId);
    if (bad) return { kind: 'refused', reason: `deletion record refused: ${bad}` };
    if (!holdsShare) return msg.due === true ? { kind: 'delete', record, firstSeen: null } : { kind: 'waiting', first: false, until: this.now(), record };
    const now = this.now();
    const stored = this.o.store.request(msg.keyId);
    let firstSeen = stored?.firstSeen;
    let first = false;
    if (!stored || stored.requestedAt !== record.scheduledAt) {
      // A new schedule (after a cancel) starts the wait again.
      firstSeen = now;
      first = true;
      this.o.store.putRequest({ keyId: msg.keyId, requestedAt: record.scheduledAt, record: JSON.stringify(record), firstSeen: now });
    }
    const until = firstSeen! + this.waitFor(record);
    // Both clocks must have run out: the gateway's (it says the key is gone) and this party's own.
    if (now < until || msg.due !== true) return { kind: 'waiting', first, until, record };
    return { kind: 'delete', record, firstSeen: firstSeen! };
  }

  /** A signed cancel: drops the waiting request scheduled at or before it. */
  onCancel(msg: CancelKeyDeletionMessage): { ok: true; dropped: boolean } | { ok: false; reason: string } {
    const problem = deletionCancelProblem(msg.cancel);
    if (problem) return { ok: false, reason: problem };
    const c = msg.cancel;
    if (c.keyId !== msg.keyId || !KEY_ID_RE.test(c.keyId)) return { ok: false, reason: `the cancel is for key ${c.keyId}` };
    const bad = this.signed(deletionCancelBytes(c), c.signature, c.coordinatorId);
    if (bad) return { ok: false, reason: `cancel refused: ${bad}` };
    const stored = this.o.store.request(c.keyId);
    if (!stored || stored.requestedAt > c.cancelledAt) return { ok: true, dropped: false };
    return { ok: true, dropped: this.o.store.dropRequest(c.keyId) };
  }

  /** The share is gone: the key id is used up here. */
  deleted(keyId: string, record: DeletionRecord): void {
    this.o.store.tombstone(keyId, this.now(), JSON.stringify(record));
    this.o.store.dropRequest(keyId);
  }

  isTombstoned(keyId: string): boolean {
    return this.o.store.isTombstoned(keyId);
  }
}

/**
 * The party's handling of delete-key and cancel-key-deletion (party.ts dispatches them here): the
 * rules above decide; a deletion carried out ends every session of the key, drops its waiting sign
 * opens and pre-made pairs, its share (every version), bans and refresh records, and is confirmed
 * with 'key-deleted' — also when there was nothing to delete, so a resent request settles.
 */
export class PartyKeyDeletion {
  readonly rules: KeyDeletionRules | undefined;
  /** Deletions due at the gateway whose wait here has not ended: re-examined when it ends. */
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly o: PartyOptions,
    private readonly partyId: string,
    private readonly d: {
      driver: SessionDriver;
      sign: PartySign;
      /** Hands a delete-key message back to the party when this party's wait ends. */
      redeliver: (msg: DeleteKeyMessage) => void;
    },
  ) {
    this.rules = o.deletions && new KeyDeletionRules({ store: o.deletions, coordinator: o.coordinator, waitMs: o.deletionWaitMs });
  }

  /** A key id deleted here is never reused (a DKG under it is refused). */
  isTombstoned(keyId: string): boolean {
    return this.rules?.isTombstoned(keyId) === true;
  }

  /**
   * The coordinator says the key is gone (its deletion window passed, or its DKG never completed):
   * drop any session of it, delete every version of the share, and confirm.
   */
  onDeleteKey(msg: DeleteKeyMessage): void {
    const { o } = this;
    if (typeof msg.keyId !== 'string' || !KEY_ID_RE.test(msg.keyId)) return;
    // Only on a record signed by the pinned gateway key, after this party's own waiting period.
    const holds = o.shares.activeVersion(msg.keyId) !== undefined;
    const decision = this.rules
      ? this.rules.onRequest(msg, holds)
      : { kind: 'refused' as const, reason: 'this party keeps no deletion records, so it deletes nothing' };
    if (decision.kind === 'refused') {
      o.log?.(`party ${this.partyId}: refused to delete key ${msg.keyId}: ${decision.reason}`);
      if (holds) o.policies.auditDeletion(msg.keyId, 'key-deletion-refused', 'deny', 'UNSIGNED_OR_BAD_RECORD', [decision.reason], {});
      return;
    }
    if (decision.kind === 'waiting') {
      // Due at the gateway but not yet here: come back to it when this party's wait ends.
      if (msg.due === true && holds && !this.timers.has(msg.keyId)) {
        const t = setTimeout(
          () => {
            this.timers.delete(msg.keyId);
            this.d.redeliver(msg);
          },
          Math.min(2 ** 31 - 1, Math.max(0, decision.until - Date.now()) + 10),
        );
        t.unref();
        this.timers.set(msg.keyId, t);
      }
      if (decision.first) {
        const until = new Date(decision.until).toISOString();
        o.log?.(
          `party ${this.partyId}: key ${msg.keyId} is scheduled for deletion (signed record); this party keeps its share until ${until} (its own waiting period)`,
        );
        o.policies.auditDeletion(
          msg.keyId,
          'key-deletion-requested',
          'allow',
          'SIGNED_DELETION_RECORD',
          [`share kept until ${until}, then deleted unless the deletion is cancelled`],
          { record: decision.record, until: decision.until },
        );
      }
      return;
    }
    this.d.driver.failKey(msg.keyId, new ProtocolError('unexpected', `key ${msg.keyId} is being deleted`));
    this.d.sign.cancelKey(msg.keyId);
    const had = o.shares.activeVersion(msg.keyId) !== undefined;
    this.d.sign.noncePool.dropKey(msg.keyId);
    this.d.sign.presignPool.dropKey(msg.keyId);
    o.shares.delete(msg.keyId);
    o.bans.deleteKey(msg.keyId);
    o.refreshes?.deleteKey(msg.keyId);
    // The signing-policy language has no rule for deletion: the gateway's signed record, waited out, is obeyed (and logged).
    if (had) {
      o.policies.deleted(msg.keyId, {
        code: 'SIGNED_DELETION_RECORD',
        reasons: ["share deleted on the gateway-signed deletion record, after this party's waiting period"],
        detail: { record: decision.record, firstSeen: decision.firstSeen },
      });
    }
    this.rules!.deleted(msg.keyId, decision.record);
    if (had) o.log?.(`party ${this.partyId}: deleted its share of key ${msg.keyId}`);
    o.send({ type: 'key-deleted', keyId: msg.keyId });
  }

  /** CancelKeyDeletion, signed by the gateway: the waiting deletion is dropped. */
  onCancelKeyDeletion(msg: CancelKeyDeletionMessage): void {
    if (typeof msg.keyId !== 'string' || !KEY_ID_RE.test(msg.keyId) || !this.rules) return;
    const r = this.rules.onCancel(msg);
    if (!r.ok) {
      this.o.log?.(`party ${this.partyId}: refused a cancel of key ${msg.keyId}'s deletion: ${r.reason}`);
      return;
    }
    if (!r.dropped) return;
    clearTimeout(this.timers.get(msg.keyId));
    this.timers.delete(msg.keyId);
    this.o.log?.(`party ${this.partyId}: the deletion of key ${msg.keyId} was cancelled; its share stays`);
    this.o.policies.auditDeletion(msg.keyId, 'key-deletion-cancelled', 'allow', 'SIGNED_CANCEL', ['deletion cancelled by the gateway'], { cancel: msg.cancel });
  }
}
