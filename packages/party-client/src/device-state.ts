// The embedded party's state in memory, behind the same store interfaces the daemon's SQLite
// stores offer (services/storage: ShareStore, ConsumedStore, BanStore, PolicyStore), so that the
// daemon's party core (services/party) runs unchanged on a device. Everything is one JSON value,
// sealed as a whole into the vault (vault.ts) after every change; `DeviceParty` holds every outgoing
// message until the changes made before it are in the vault, which is what "durable before its
// messages leave" means here (docs/waas.md "Storage").
//
// Transactions: the policy, consumed and ban parts are snapshotted when the outermost transaction
// starts and restored if it throws — the all-or-nothing a SQLite transaction gives the daemon.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { canonicalize } from '../../../policies/jcs.ts';
import type { PolicyDocument } from '../../../policies/types.ts';
import { ConsumedError } from '../../../services/storage/consumed-store.ts';
import { SESSION_RETENTION_MS } from '../../../services/storage/session-store.ts';
import type { Ban } from '../../../services/storage/ban-store.ts';
import type { AuditEntry, AuditInput, StoredRevision } from '../../../services/storage/policy-store.ts';
import type { ShareRecord, ShareState, StoredShare } from '../../../services/storage/share-store.ts';

const AUDIT_GENESIS = '0'.repeat(64);

/** The same hash as services/storage/policy-store.ts auditEntryHash (noble instead of node:crypto). */
export function auditEntryHash(e: Omit<AuditEntry, 'hash'>): string {
  const fields = ['tutti-audit/1', e.seq, e.at, e.keyId, e.session, e.event, e.decision, e.code, e.rule, e.reasons, e.detail, e.requestDigest, e.prevHash];
  return bytesToHex(sha256(new TextEncoder().encode(canonicalize(fields))));
}

type ShareRow = { protocol: string; state: ShareState; share: unknown; meta: unknown };

/** The parts a transaction can roll back. */
type Mutable = {
  consumed: Record<string, string | null>;
  bans: Ban[];
  revisions: Record<string, Array<Omit<StoredRevision, 'policy'> & { policy: unknown }>>;
  clock: Record<string, number>;
  charges: Array<{ keyId: string; scope: string; at: number; expiresAt: number }>;
  highWater: Record<string, Record<string, string>>;
  approvals: Array<{ keyId: string; approverId: string; approvalId: string; expiresAt: number }>;
  audit: AuditEntry[];
  /** Session ids opened (services/storage/session-store.ts): id → ms seen; optional for vaults sealed before it. */
  sessions?: Record<string, number>;
};

export type DeviceStateJson = { v: 1; shares: Record<string, Record<string, ShareRow>>; m: Mutable };

export class ShareStoreError extends Error {
  override name = 'ShareStoreError';
}
export class PolicyStoreError extends Error {
  override name = 'PolicyStoreError';
}

const emptyMutable = (): Mutable => ({ consumed: {}, bans: [], revisions: {}, clock: {}, charges: [], highWater: {}, approvals: [], audit: [] });

/** The whole state and its transactions; `onChange` is called after every committed change. */
export class DeviceState {
  shares: Record<string, Record<string, ShareRow>>;
  m: Mutable;
  #depth = 0;
  constructor(
    json: DeviceStateJson | null,
    private readonly onChange: () => void,
  ) {
    this.shares = json?.shares ?? {};
    this.m = json?.m ?? emptyMutable();
  }

  toJSON(): DeviceStateJson {
    return { v: 1, shares: this.shares, m: this.m };
  }

  transaction<T>(fn: () => T): T {
    if (this.#depth > 0) {
      // A nested call is a savepoint: its own failure rolls back only its own changes.
      const saved = JSON.stringify(this.m);
      this.#depth++;
      try {
        return fn();
      } catch (e) {
        this.m = JSON.parse(saved) as Mutable;
        throw e;
      } finally {
        this.#depth--;
      }
    }
    const saved = JSON.stringify(this.m);
    this.#depth++;
    try {
      const out = fn();
      this.#depth--;
      this.onChange();
      return out;
    } catch (e) {
      this.#depth--;
      this.m = JSON.parse(saved) as Mutable;
      throw e;
    }
  }

  /** A change outside any transaction commits at once. */
  changed(): void {
    if (this.#depth === 0) this.onChange();
  }
}

/** services/storage/share-store.ts ShareStore, in memory (sealed as part of the vault). */
export class MemoryShareStore {
  constructor(private readonly s: DeviceState) {}

  putPending(rec: ShareRecord): void {
    const { keyId, protocol, version } = rec;
    if (!Number.isSafeInteger(version) || version < 0) throw new RangeError(`share version must be a non-negative integer, got ${version}`);
    const rows = (this.s.shares[keyId] ??= {});
    if (rows[version]) throw new ShareStoreError(`share ${keyId} version ${version} already exists`);
    const active = this.#activeRow(keyId);
    if (active && active.version >= version)
      throw new ShareStoreError(`share ${keyId} version ${version} is not newer than the active version ${active.version}`);
    if (active && active.row.protocol !== protocol)
      throw new ShareStoreError(`share ${keyId} is ${active.row.protocol}; a ${protocol} version cannot follow it`);
    rows[version] = { protocol, state: 'pending', share: JSON.parse(JSON.stringify(rec.share)), meta: JSON.parse(JSON.stringify(rec.meta)) };
    this.s.changed();
  }

  activate(keyId: string, version: number): void {
    const rows = this.s.shares[keyId];
    const row = rows?.[version];
    if (!rows || !row) throw new ShareStoreError(`no share ${keyId} version ${version} to activate`);
    if (row.state === 'active') return;
    const active = this.#activeRow(keyId);
    if (active && active.version > version) throw new ShareStoreError(`share ${keyId} version ${version} is older than the active version ${active.version}`);
    for (const v of Object.keys(rows)) if (Number(v) < version) delete rows[v];
    row.state = 'active';
    this.s.changed();
  }

  getActive(keyId: string): StoredShare | undefined {
    const a = this.#activeRow(keyId);
    return a && this.#stored(keyId, a.version, a.row);
  }

  getVersion(keyId: string, version: number): StoredShare | undefined {
    const row = this.s.shares[keyId]?.[version];
    return row && this.#stored(keyId, version, row);
  }

  activeVersion(keyId: string): number | undefined {
    return this.#activeRow(keyId)?.version;
  }

  discardPending(keyId: string, version: number): void {
    const rows = this.s.shares[keyId];
    const row = rows?.[version];
    if (!rows || !row) return;
    if (row.state === 'active') throw new ShareStoreError(`share ${keyId} version ${version} is active; it cannot be discarded as pending`);
    delete rows[version];
    if (Object.keys(rows).length === 0) delete this.s.shares[keyId];
    this.s.changed();
  }

  delete(keyId: string): void {
    delete this.s.shares[keyId];
    this.s.changed();
  }

  scrubWal(): boolean {
    return true;
  }

  discardAllPending(keep: readonly { keyId: string; version: number }[] = []): string[] {
    const dropped = new Set<string>();
    for (const [keyId, rows] of Object.entries(this.s.shares))
      for (const [v, row] of Object.entries(rows))
        if (row.state === 'pending' && !keep.some((k) => k.keyId === keyId && k.version === Number(v))) {
          delete rows[v];
          dropped.add(keyId);
        }
    if (dropped.size) this.s.changed();
    return [...dropped];
  }

  listActive(): string[] {
    return Object.keys(this.s.shares)
      .filter((k) => this.#activeRow(k))
      .sort();
  }

  #activeRow(keyId: string): { version: number; row: ShareRow } | undefined {
    for (const [v, row] of Object.entries(this.s.shares[keyId] ?? {})) if (row.state === 'active') return { version: Number(v), row };
    return undefined;
  }

  #stored(keyId: string, version: number, row: ShareRow): StoredShare {
    // A copy: callers may not change the stored share by accident (the daemon's are deep-frozen).
    return { keyId, protocol: row.protocol, version, state: row.state, share: structuredClone(row.share), meta: structuredClone(row.meta) };
  }
}

/** services/storage/consumed-store.ts ConsumedStore, in memory. */
export class MemoryConsumedStore {
  constructor(private readonly s: DeviceState) {}
  consume(id: string, note?: string): void {
    this.consumeAll([id], note);
  }
  consumeAll(ids: readonly string[], note?: string): void {
    this.s.transaction(() => {
      for (const id of ids) {
        if (id in this.s.m.consumed) throw new ConsumedError(id);
        this.s.m.consumed[id] = note ?? null;
      }
    });
  }
  consumeBatch(groups: readonly { ids: readonly string[]; note?: string }[]): (ConsumedError | undefined)[] {
    return this.s.transaction(() =>
      groups.map((g) => {
        try {
          this.s.transaction(() => {
            for (const id of g.ids) {
              if (id in this.s.m.consumed) throw new ConsumedError(id);
              this.s.m.consumed[id] = g.note ?? null;
            }
          });
          return undefined;
        } catch (e) {
          if (e instanceof ConsumedError) return e;
          throw e;
        }
      }),
    );
  }
  isConsumed(id: string): boolean {
    return id in this.s.m.consumed;
  }
}

/**
 * services/storage/session-store.ts SessionStore, in the vault: a session id opens at most once at
 * this device, across restarts, for as long as it is retained (docs/security.md "Session ids and replay").
 */
export class MemorySessionStore {
  constructor(private readonly s: DeviceState) {}
  claim(session: string, now = Date.now()): boolean {
    return this.s.transaction(() => {
      const seen = (this.s.m.sessions ??= {});
      if (session in seen) return false;
      seen[session] = now;
      return true;
    });
  }
  prune(now = Date.now(), retentionMs = SESSION_RETENTION_MS): number {
    const seen = this.s.m.sessions;
    if (!seen) return 0;
    const old = Object.keys(seen).filter((id) => (seen[id] ?? 0) < now - retentionMs);
    if (old.length === 0) return 0;
    this.s.transaction(() => {
      for (const id of old) delete seen[id];
    });
    return old.length;
  }
}

/** services/storage/ban-store.ts BanStore, in memory. */
export class MemoryBanStore {
  constructor(private readonly s: DeviceState) {}
  ban(b: Omit<Ban, 'bannedAt'> & { bannedAt?: number }): void {
    this.s.transaction(() => {
      if (this.s.m.bans.some((x) => x.keyId === b.keyId && x.peerIndex === b.peerIndex)) return;
      this.s.m.bans.push({ ...b, reason: b.reason.slice(0, 1000), bannedAt: b.bannedAt ?? Date.now() });
    });
  }
  ofKey(keyId: string): Ban[] {
    return this.s.m.bans.filter((b) => b.keyId === keyId).sort((a, b) => a.peerIndex - b.peerIndex);
  }
  all(): Ban[] {
    return [...this.s.m.bans];
  }
  replaceKey(keyId: string, bans: Ban[]): void {
    this.s.transaction(() => {
      this.s.m.bans = this.s.m.bans.filter((b) => b.keyId !== keyId);
      for (const b of bans) this.ban({ ...b, keyId });
    });
  }
  transaction<T>(fn: () => T): T {
    return this.s.transaction(fn);
  }
  deleteKey(keyId: string): void {
    this.s.transaction(() => {
      this.s.m.bans = this.s.m.bans.filter((b) => b.keyId !== keyId);
    });
  }
}

/** services/storage/policy-store.ts PolicyStore, in memory: revisions, the key's clock, rate-limit charges, sequences, approvals, the chained audit log. */
export class MemoryPolicyStore {
  constructor(private readonly s: DeviceState) {}
  transaction<T>(fn: () => T): T {
    return this.s.transaction(fn);
  }
  putRevision(r: StoredRevision): void {
    this.s.transaction(() => {
      const list = (this.s.m.revisions[r.keyId] ??= []);
      if (list.some((x) => x.revision === r.revision)) throw new PolicyStoreError(`key ${r.keyId} already has policy revision ${r.revision}`);
      list.push(JSON.parse(JSON.stringify(r)) as StoredRevision);
      list.sort((a, b) => a.revision - b.revision);
    });
  }
  revisions(keyId: string): StoredRevision[] {
    return (this.s.m.revisions[keyId] ?? []).map((r) => structuredClone(r) as StoredRevision & { policy: PolicyDocument });
  }
  advanceClock(keyId: string, wallClock: number): number {
    const now = Math.max(wallClock, this.s.m.clock[keyId] ?? -Infinity);
    this.s.m.clock[keyId] = now;
    return now;
  }
  rateLimitCount(keyId: string, scope: string, now: number, windowMs: number): number {
    return this.s.m.charges.filter((c) => c.keyId === keyId && c.scope === scope && c.at > now - windowMs).length;
  }
  charge(keyId: string, scope: string, at: number, keepForMs: number): void {
    this.s.m.charges.push({ keyId, scope, at, expiresAt: at + keepForMs });
  }
  pruneCharges(keyId: string, now: number): void {
    this.s.m.charges = this.s.m.charges.filter((c) => c.keyId !== keyId || c.expiresAt > now);
  }
  highWater(keyId: string, ruleId: string): bigint | undefined {
    const v = this.s.m.highWater[keyId]?.[ruleId];
    return v === undefined ? undefined : BigInt(v);
  }
  raiseHighWater(keyId: string, ruleId: string, value: bigint): void {
    const cur = this.highWater(keyId, ruleId);
    if (cur === undefined || value > cur) (this.s.m.highWater[keyId] ??= {})[ruleId] = value.toString();
  }
  approvalUsed(keyId: string, approverId: string, approvalId: string): boolean {
    return this.s.m.approvals.some((a) => a.keyId === keyId && a.approverId === approverId && a.approvalId === approvalId);
  }
  useApproval(keyId: string, approverId: string, approvalId: string, expiresAt: number): void {
    if (this.approvalUsed(keyId, approverId, approvalId)) throw new PolicyStoreError(`approval ${approverId}/${approvalId} was counted before`);
    this.s.m.approvals.push({ keyId, approverId, approvalId, expiresAt });
  }
  pruneApprovals(keyId: string, now: number): void {
    this.s.m.approvals = this.s.m.approvals.filter((a) => a.keyId !== keyId || a.expiresAt > now);
  }
  appendAudit(input: AuditInput): AuditEntry {
    return this.s.transaction(() => {
      const last = this.s.m.audit[this.s.m.audit.length - 1];
      const entry = { ...input, seq: (last?.seq ?? 0) + 1, prevHash: last?.hash ?? AUDIT_GENESIS };
      const full = { ...entry, hash: auditEntryHash(entry) };
      this.s.m.audit.push(JSON.parse(JSON.stringify(full)) as AuditEntry);
      return full;
    });
  }
  auditLog(afterSeq = 0): AuditEntry[] {
    return this.s.m.audit.filter((e) => e.seq > afterSeq).map((e) => structuredClone(e));
  }
  deleteKey(keyId: string): void {
    this.s.transaction(() => {
      delete this.s.m.revisions[keyId];
      this.s.m.charges = this.s.m.charges.filter((c) => c.keyId !== keyId);
      delete this.s.m.highWater[keyId];
    });
  }
}
