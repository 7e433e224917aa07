// What a party keeps for the signing policies it enforces (docs/policies.md "Wiring it into the
// party"): each key's policy revisions, sealed under the master key; the rate-limit charges,
// sequence high-water marks and counted approval ids the policy engine asks about; each key's
// monotonic decision clock; and the party's own append-only, hash-chained audit log of every decision.
//
// The party runs one decision as ONE transaction (transaction()): read the counters, evaluate,
// record the charges, append the audit entry, commit — before anything of the session leaves. The
// party is one process and better-sqlite3 is synchronous, so concurrent requests are decided one
// after the other against the counters of all earlier ones, and a restart forgets nothing.
//
// Audit entry hash (hex): SHA-256(UTF-8(JCS([
//   "tutti-audit/1", seq, at, keyId, session, event, decision, code, rule|null, reasons, detail,
//   requestDigest, prevHash ])))
// with prevHash of the first entry = 64 zeros; JCS = RFC 8785 (policies/jcs.ts). Rewriting an
// entry breaks the chain from there on; UPDATE and DELETE are refused by triggers.
import { createHash } from 'node:crypto';
import { canonicalize } from '../../policies/jcs.ts';
import { policyHash } from '../../policies/hash.ts';
import type { PolicyDocument } from '../../policies/types.ts';
import type { Database, Migration } from './db.ts';
import type { MasterKey } from './master-key.ts';
import { openAtRest, sealAtRest, SealedBoxError } from './sealed-box.ts';

export const POLICY_V1: Migration = {
  store: 'policy-store',
  sql: `
    CREATE TABLE policy_revisions (
      key_id        TEXT    NOT NULL,
      revision      INTEGER NOT NULL CHECK (revision >= 1),
      policy_hash   TEXT    NOT NULL,
      previous_hash TEXT,
      accepted_at   INTEGER NOT NULL,  -- ms since the epoch
      activates_at  INTEGER NOT NULL,  -- ms; enforced from then on
      approved_by   TEXT    NOT NULL,  -- JSON array of approver ids
      sealed        BLOB    NOT NULL,  -- sealAtRest(JSON {revision, previousHash, policy}), bound to every column above
      PRIMARY KEY (key_id, revision)
    ) STRICT;
    CREATE TABLE rate_limit_charges (
      key_id     TEXT    NOT NULL,
      scope      TEXT    NOT NULL,     -- a rule id, or '@key' for key-wide budgets
      at         INTEGER NOT NULL,     -- ms since the epoch
      expires_at INTEGER NOT NULL      -- deletable from then on
    ) STRICT;
    CREATE INDEX rate_limit_charges_by_scope ON rate_limit_charges (key_id, scope, at);
    CREATE TABLE sequence_high_water (
      key_id  TEXT NOT NULL,
      rule_id TEXT NOT NULL,
      value   TEXT NOT NULL,           -- decimal, the highest sequence this party signed under the rule
      PRIMARY KEY (key_id, rule_id)
    ) STRICT;
    CREATE TABLE audit_log (
      seq            INTEGER NOT NULL PRIMARY KEY,
      at             INTEGER NOT NULL,
      key_id         TEXT    NOT NULL,
      session        TEXT    NOT NULL,
      event          TEXT    NOT NULL,  -- sign | policy-bind | policy-revision | key-deleted
      decision       TEXT    NOT NULL CHECK (decision IN ('allow', 'deny')),
      code           TEXT    NOT NULL,
      rule           TEXT,
      reasons        TEXT    NOT NULL,  -- JSON array
      detail         TEXT    NOT NULL,  -- JSON object
      request_digest TEXT    NOT NULL,
      prev_hash      TEXT    NOT NULL,
      hash           TEXT    NOT NULL UNIQUE
    ) STRICT;
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  `,
};

/**
 * Issue 11 items 8 and 12 (docs/policies.md "Approvals", "Time"):
 *  - policy_clock: per key, the latest time the party used for a decision. A decision uses
 *    max(wall clock, latest) and records it, so a clock stepped back never reopens a spent rate limit,
 *    an expired approval or a closed time window. Seeded from the decisions already taken.
 *  - consumed_approvals: every (approver, approval id) a party counted for a key, written in the
 *    decision's transaction and kept until the approval expires (on the key's clock, which never
 *    goes back), so an approval counts once.
 */
export const POLICY_V2: Migration = {
  store: 'policy-store',
  sql: `
    CREATE TABLE policy_clock (
      key_id TEXT    NOT NULL PRIMARY KEY,
      latest INTEGER NOT NULL            -- ms since the epoch
    ) STRICT;
    INSERT INTO policy_clock (key_id, latest)
      SELECT key_id, max(at) FROM (SELECT key_id, at FROM audit_log WHERE event = 'sign' UNION ALL SELECT key_id, at FROM rate_limit_charges)
      GROUP BY key_id;
    CREATE TABLE consumed_approvals (
      key_id      TEXT    NOT NULL,
      approver_id TEXT    NOT NULL,
      approval_id TEXT    NOT NULL,
      expires_at  INTEGER NOT NULL,      -- ms; deletable from then on
      PRIMARY KEY (key_id, approver_id, approval_id)
    ) STRICT;
  `,
};

/** One accepted revision of a key's signing policy. */
export type StoredRevision = {
  keyId: string;
  revision: number;
  previousHash: string | null;
  policy: PolicyDocument;
  policyHash: string;
  acceptedAt: number;
  activatesAt: number;
  approvedBy: string[];
  /**
   * The change-approval tokens it was installed with, kept so that a party new to the key can check
   * the whole chain itself at a reshare (docs/security.md "Policy chain at a reshare"). Absent on
   * revisions stored before they were kept, and on revision 1 (none needed).
   */
  approvals?: string[];
};

export type AuditEvent =
  'sign' | 'policy-bind' | 'policy-revision' | 'key-deleted' | 'key-deletion-requested' | 'key-deletion-cancelled' | 'key-deletion-refused' | 'reshare';

/** What the caller supplies; seq, prevHash and hash are the store's. */
export type AuditInput = {
  at: number;
  keyId: string;
  session: string;
  event: AuditEvent;
  decision: 'allow' | 'deny';
  code: string;
  rule: string | null;
  reasons: string[];
  detail: Record<string, unknown>;
  requestDigest: string;
};

export type AuditEntry = AuditInput & { seq: number; prevHash: string; hash: string };

export const AUDIT_GENESIS = '0'.repeat(64);

/** The hash of one audit entry (see the header of this file). */
export function auditEntryHash(e: Omit<AuditEntry, 'hash'>): string {
  const fields = ['tutti-audit/1', e.seq, e.at, e.keyId, e.session, e.event, e.decision, e.code, e.rule, e.reasons, e.detail, e.requestDigest, e.prevHash];
  return createHash('sha256').update(canonicalize(fields), 'utf8').digest('hex');
}

/** The first entry whose link or hash is wrong, or null when the whole chain holds. */
export function auditChainBreak(entries: readonly AuditEntry[]): { seq: number; why: string } | null {
  let prev = AUDIT_GENESIS;
  let seq = 0;
  for (const e of entries) {
    if (e.seq !== seq + 1) return { seq: e.seq, why: `sequence jumps from ${seq} to ${e.seq}` };
    if (e.prevHash !== prev) return { seq: e.seq, why: "prevHash is not the previous entry's hash" };
    if (auditEntryHash(e) !== e.hash) return { seq: e.seq, why: 'hash does not match the entry' };
    prev = e.hash;
    seq = e.seq;
  }
  return null;
}

type RevisionRow = {
  key_id: string;
  revision: number;
  policy_hash: string;
  previous_hash: string | null;
  accepted_at: number;
  activates_at: number;
  approved_by: string;
  sealed: Uint8Array;
};
type AuditRow = {
  seq: number;
  at: number;
  key_id: string;
  session: string;
  event: AuditEvent;
  decision: 'allow' | 'deny';
  code: string;
  rule: string | null;
  reasons: string;
  detail: string;
  request_digest: string;
  prev_hash: string;
  hash: string;
};

export class PolicyStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyStoreError';
  }
}

export class PolicyStore {
  readonly #db: Database;
  readonly #masterKey: MasterKey;
  readonly #insertRevision;
  readonly #revisions;
  readonly #count;
  readonly #insertCharge;
  readonly #pruneCharges;
  readonly #highWater;
  readonly #setHighWater;
  readonly #lastAudit;
  readonly #insertAudit;
  readonly #audit;
  readonly #auditTail;
  readonly #deleteRevisions;
  readonly #deleteCharges;
  readonly #deleteHighWater;
  readonly #clock;
  readonly #setClock;
  readonly #approvalUsed;
  readonly #useApproval;
  readonly #pruneApprovals;

  constructor(db: Database, masterKey: MasterKey) {
    this.#db = db;
    this.#masterKey = masterKey;
    this.#insertRevision = db.prepare<[RevisionRow]>(`INSERT INTO policy_revisions
      (key_id, revision, policy_hash, previous_hash, accepted_at, activates_at, approved_by, sealed)
      VALUES (@key_id, @revision, @policy_hash, @previous_hash, @accepted_at, @activates_at, @approved_by, @sealed)`);
    this.#revisions = db.prepare<[string], RevisionRow>(`SELECT * FROM policy_revisions WHERE key_id = ? ORDER BY revision`);
    this.#count = db.prepare<[string, string, number], number>(`SELECT count(*) FROM rate_limit_charges WHERE key_id = ? AND scope = ? AND at > ?`).pluck();
    this.#insertCharge = db.prepare<[string, string, number, number]>(`INSERT INTO rate_limit_charges (key_id, scope, at, expires_at) VALUES (?, ?, ?, ?)`);
    this.#pruneCharges = db.prepare<[string, number]>(`DELETE FROM rate_limit_charges WHERE key_id = ? AND expires_at <= ?`);
    this.#highWater = db.prepare<[string, string], string>(`SELECT value FROM sequence_high_water WHERE key_id = ? AND rule_id = ?`).pluck();
    this.#setHighWater = db.prepare<[string, string, string]>(
      `INSERT INTO sequence_high_water (key_id, rule_id, value) VALUES (?, ?, ?) ON CONFLICT (key_id, rule_id) DO UPDATE SET value = excluded.value`,
    );
    this.#lastAudit = db.prepare<[], { seq: number; hash: string }>(`SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`);
    this.#insertAudit = db.prepare<[AuditRow]>(`INSERT INTO audit_log
      (seq, at, key_id, session, event, decision, code, rule, reasons, detail, request_digest, prev_hash, hash)
      VALUES (@seq, @at, @key_id, @session, @event, @decision, @code, @rule, @reasons, @detail, @request_digest, @prev_hash, @hash)`);
    this.#audit = db.prepare<[number], AuditRow>(`SELECT * FROM audit_log WHERE seq > ? ORDER BY seq`);
    this.#auditTail = db.prepare<[number], AuditRow>(`SELECT * FROM audit_log ORDER BY seq DESC LIMIT ?`);
    this.#deleteRevisions = db.prepare<[string]>(`DELETE FROM policy_revisions WHERE key_id = ?`);
    this.#deleteCharges = db.prepare<[string]>(`DELETE FROM rate_limit_charges WHERE key_id = ?`);
    this.#deleteHighWater = db.prepare<[string]>(`DELETE FROM sequence_high_water WHERE key_id = ?`);
    this.#clock = db.prepare<[string], number>(`SELECT latest FROM policy_clock WHERE key_id = ?`).pluck();
    this.#setClock = db.prepare<[string, number]>(
      `INSERT INTO policy_clock (key_id, latest) VALUES (?, ?) ON CONFLICT (key_id) DO UPDATE SET latest = max(latest, excluded.latest)`,
    );
    this.#approvalUsed = db
      .prepare<[string, string, string], number>(`SELECT count(*) FROM consumed_approvals WHERE key_id = ? AND approver_id = ? AND approval_id = ?`)
      .pluck();
    this.#useApproval = db.prepare<[string, string, string, number]>(
      `INSERT INTO consumed_approvals (key_id, approver_id, approval_id, expires_at) VALUES (?, ?, ?, ?)`,
    );
    this.#pruneApprovals = db.prepare<[string, number]>(`DELETE FROM consumed_approvals WHERE key_id = ? AND expires_at <= ?`);
  }

  /** Runs `fn` as one IMMEDIATE transaction (nested calls become savepoints): all of it or nothing. */
  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn).immediate();
  }

  // --- revisions -------------------------------------------------------------------------------

  /**
   * Stores an accepted revision, sealed so that nobody without the master key can forge or alter one.
   * @throws PolicyStoreError if the key already has that revision.
   */
  putRevision(r: StoredRevision): void {
    const approvedBy = JSON.stringify(r.approvedBy);
    // The approvals travel inside the sealed body (no new column): an older row simply has none.
    const body = { revision: r.revision, previousHash: r.previousHash, policy: r.policy, ...(r.approvals?.length ? { approvals: r.approvals } : {}) };
    const plaintext = Buffer.from(JSON.stringify(body), 'utf8');
    const sealed = sealAtRest(
      this.#masterKey,
      plaintext,
      revisionAad(r.keyId, r.revision, r.policyHash, r.previousHash, r.acceptedAt, r.activatesAt, approvedBy),
    );
    try {
      this.#insertRevision.run({
        key_id: r.keyId,
        revision: r.revision,
        policy_hash: r.policyHash,
        previous_hash: r.previousHash,
        accepted_at: r.acceptedAt,
        activates_at: r.activatesAt,
        approved_by: approvedBy,
        sealed,
      });
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
        throw new PolicyStoreError(`key ${r.keyId} already has policy revision ${r.revision}`);
      throw e;
    }
  }

  /**
   * Every stored revision of `keyId`, oldest first, opened and checked: each one's policy hashes to
   * its recorded hash and names the previous one's hash.
   * @throws SealedBoxError / PolicyStoreError if a row was altered or the chain is broken.
   */
  revisions(keyId: string): StoredRevision[] {
    const out: StoredRevision[] = [];
    for (const row of this.#revisions.all(keyId)) {
      let plaintext: Uint8Array;
      try {
        plaintext = openAtRest(
          this.#masterKey,
          row.sealed,
          revisionAad(row.key_id, row.revision, row.policy_hash, row.previous_hash, row.accepted_at, row.activates_at, row.approved_by),
        );
      } catch (e) {
        if (!(e instanceof SealedBoxError)) throw e;
        throw new SealedBoxError(`policy revision ${row.revision} of key ${keyId}: ${e.message}`);
      }
      const body = JSON.parse(new TextDecoder().decode(plaintext)) as {
        revision: number;
        previousHash: string | null;
        policy: PolicyDocument;
        approvals?: string[];
      };
      if (body.revision !== row.revision || body.previousHash !== row.previous_hash || policyHash(body.policy) !== row.policy_hash) {
        throw new PolicyStoreError(`policy revision ${row.revision} of key ${keyId} does not match its record`);
      }
      const prev = out[out.length - 1];
      if (prev && (row.revision !== prev.revision + 1 || row.previous_hash !== prev.policyHash)) {
        throw new PolicyStoreError(`policy revision ${row.revision} of key ${keyId} does not follow revision ${prev.revision}`);
      }
      out.push({
        keyId,
        revision: row.revision,
        previousHash: row.previous_hash,
        policy: body.policy,
        policyHash: row.policy_hash,
        acceptedAt: row.accepted_at,
        activatesAt: row.activates_at,
        approvedBy: JSON.parse(row.approved_by) as string[],
        ...(body.approvals ? { approvals: body.approvals } : {}),
      });
    }
    return out;
  }

  // --- rate limits and sequences -----------------------------------------------------------------

  // --- the key's clock ---------------------------------------------------------------------------

  /**
   * The time of a decision on `keyId`: max(wallClock, the latest time used for the key), recorded
   * as the new latest. Call inside the decision's transaction. Never goes back, so a clock stepped
   * back cannot reopen a spent budget; a clock stepped forward holds the key's time there until the
   * wall clock catches up (docs/policies.md "Time").
   */
  advanceClock(keyId: string, wallClock: number): number {
    const now = Math.max(wallClock, this.#clock.get(keyId) ?? -Infinity);
    this.#setClock.run(keyId, now);
    return now;
  }

  /** Charges recorded for `scope` at times t > now − windowMs (a charge dated after `now` counts too). */
  rateLimitCount(keyId: string, scope: string, now: number, windowMs: number): number {
    return this.#count.get(keyId, scope, now - windowMs) ?? 0;
  }

  charge(keyId: string, scope: string, at: number, keepForMs: number): void {
    this.#insertCharge.run(keyId, scope, at, at + keepForMs);
  }

  /** Drops the charges of `keyId` no window can count any more. */
  pruneCharges(keyId: string, now: number): void {
    this.#pruneCharges.run(keyId, now);
  }

  highWater(keyId: string, ruleId: string): bigint | undefined {
    const v = this.#highWater.get(keyId, ruleId);
    return v === undefined ? undefined : BigInt(v);
  }

  /** Raises the high-water mark to `value` (never lowers it). */
  raiseHighWater(keyId: string, ruleId: string, value: bigint): void {
    const cur = this.highWater(keyId, ruleId);
    if (cur === undefined || value > cur) this.#setHighWater.run(keyId, ruleId, value.toString());
  }

  // --- approvals ---------------------------------------------------------------------------------

  /** Whether this party already counted the approval (approverId, approvalId) for `keyId`. */
  approvalUsed(keyId: string, approverId: string, approvalId: string): boolean {
    return (this.#approvalUsed.get(keyId, approverId, approvalId) ?? 0) > 0;
  }

  /**
   * Records a counted approval, in the decision's transaction.
   * @throws if it was recorded before (the decision must have asked approvalUsed first).
   */
  useApproval(keyId: string, approverId: string, approvalId: string, expiresAt: number): void {
    this.#useApproval.run(keyId, approverId, approvalId, expiresAt);
  }

  /** Drops the approvals of `keyId` that expired by `now` (the key's clock: they can never count again). */
  pruneApprovals(keyId: string, now: number): void {
    this.#pruneApprovals.run(keyId, now);
  }

  // --- the audit log -----------------------------------------------------------------------------

  /** Appends one entry, chained to the last one. Call inside the decision's transaction. */
  appendAudit(input: AuditInput): AuditEntry {
    const last = this.#lastAudit.get();
    const entry = { ...input, seq: (last?.seq ?? 0) + 1, prevHash: last?.hash ?? AUDIT_GENESIS };
    const hash = auditEntryHash(entry);
    this.#insertAudit.run({
      seq: entry.seq,
      at: entry.at,
      key_id: entry.keyId,
      session: entry.session,
      event: entry.event,
      decision: entry.decision,
      code: entry.code,
      rule: entry.rule,
      reasons: JSON.stringify(entry.reasons),
      detail: JSON.stringify(entry.detail),
      request_digest: entry.requestDigest,
      prev_hash: entry.prevHash,
      hash,
    });
    return { ...entry, hash };
  }

  /** The last `limit` entries of the audit log, oldest first, and how many it holds (the last seq). */
  auditTail(limit: number): { total: number; entries: AuditEntry[] } {
    const rows = this.#auditTail.all(limit).reverse();
    const last = this.#lastAudit.get();
    return { total: last?.seq ?? 0, entries: rows.map(auditEntryOf) };
  }

  /** The audit log from entry `afterSeq + 1` on. */
  auditLog(afterSeq = 0): AuditEntry[] {
    return this.#audit.all(afterSeq).map(auditEntryOf);
  }

  // --- deletion ----------------------------------------------------------------------------------

  /**
   * Forgets a deleted key's revisions, charges and sequences (its audit entries stay). Its clock and
   * counted approvals stay too: should the key id come back, its approvals still count once and its
   * time still never goes back.
   */
  deleteKey(keyId: string): void {
    this.transaction(() => {
      this.#deleteRevisions.run(keyId);
      this.#deleteCharges.run(keyId);
      this.#deleteHighWater.run(keyId);
    });
  }
}

function revisionAad(
  keyId: string,
  revision: number,
  hash: string,
  previousHash: string | null,
  acceptedAt: number,
  activatesAt: number,
  approvedBy: string,
): Uint8Array {
  return Buffer.from(JSON.stringify(['policy-revision', keyId, revision, hash, previousHash, acceptedAt, activatesAt, approvedBy]), 'utf8');
}

function auditEntryOf(r: AuditRow): AuditEntry {
  return {
    seq: r.seq,
    at: r.at,
    keyId: r.key_id,
    session: r.session,
    event: r.event,
    decision: r.decision,
    code: r.code,
    rule: r.rule,
    reasons: JSON.parse(r.reasons) as string[],
    detail: JSON.parse(r.detail) as Record<string, unknown>,
    requestDigest: r.request_digest,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}
