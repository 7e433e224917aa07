// The party daemon's core, as wiring: it dispatches each control message from the coordinator to
// the use case that handles it — sign.ts (Sign), dkg.ts (CreateKey), refresh.ts with activation.ts
// (refresh), key-deletion.ts (deletion), policy revisions here — over the shared session driver
// (session-driver.ts: running sessions, envelopes, durability before sending, bans). Sockets live
// in PartyLink; storage in services/storage; test-only fault injection in fault-injection.ts.
import { hexToBytes } from '../../protocols/core/bytes.ts';
import { ProtocolError } from '../../protocols/core/errors.ts';
import type {
  AuditQueryMessage,
  CoordinatorToParty,
  OpenDkg,
  OpenPolicyRevision,
  OpenPresign,
  OpenRefresh,
  OpenReshare,
  OpenSign,
} from '../control/messages.ts';
import { KEY_ID_RE, MAX_AUDIT_ENTRIES, SESSION_ID_RE } from '../control/messages.ts';
import type { PublicIdentity } from '../transport/identity.ts';
import { publicIdentity } from '../transport/identity.ts';
import { signRevisionAck } from '../control/revision-ack.ts';
import { RequestRefused } from './request-check.ts';
import type { NoncePool } from './nonce-pool.ts';
import type { RefreshActivation } from './activation.ts';
import { PartyKeyDeletion } from './key-deletion.ts';
import { keyFacts, type KeyMeta, type PartyOptions } from './party-options.ts';
import { SessionDriver, type Running } from './session-driver.ts';
import { PartySign } from './sign.ts';
import { openPresign, type PresignPool } from './presign-pool.ts';
import { openDkg } from './dkg.ts';
import { openRefresh, refreshActivation } from './refresh.ts';
import { keyPackageAnswer, openReshare } from './reshare.ts';

export type { KeyMeta, PartyOptions } from './party-options.ts';

/** How many session ids a party remembers to refuse a replayed 'open' (onOpen). */
const SEEN_SESSIONS = 16_384;

export class Party {
  /** Session ids ever opened here: a session id is never run twice (replay of an 'open'). */
  private readonly seen = new Set<string>();
  private readonly allowlist: Map<string, PublicIdentity>;
  private readonly me: PublicIdentity;
  private readonly driver: SessionDriver;
  private readonly sign: PartySign;
  private readonly deletion: PartyKeyDeletion;
  /** Refreshed shares: pending → confirmed → activated or rolled back (activation.ts). */
  readonly activation?: RefreshActivation;

  constructor(private readonly o: PartyOptions) {
    this.allowlist = new Map(o.allowlist.map((p) => [p.partyId, p]));
    this.me = publicIdentity(o.identity);
    this.driver = new SessionDriver(o, this.partyId);
    this.sign = new PartySign(o, this.partyId, this.driver);
    this.deletion = new PartyKeyDeletion(o, this.partyId, { driver: this.driver, sign: this.sign, redeliver: (msg) => this.handle(msg) });
    this.activation = refreshActivation(o, this.driver, (keyId) => {
      this.sign.noncePool.dropKey(keyId);
      this.sign.presignPool.dropKey(keyId);
    });
  }

  get partyId(): string {
    return this.me.partyId;
  }
  get activeSessions(): number {
    return this.driver.size;
  }
  /** FROST nonce pairs made ahead (OpenSign.premake), in memory only (nonce-pool.ts). */
  get noncePool(): NoncePool {
    return this.sign.noncePool;
  }

  /** DKLs23 presignatures made ahead (OpenPresign), in memory only (presign-pool.ts). */
  get presignPool(): PresignPool {
    return this.sign.presignPool;
  }

  /** Entry point for every control message from the coordinator. Never throws. */
  handle(msg: CoordinatorToParty): void {
    try {
      if (msg?.type === 'delete-key') return this.deletion.onDeleteKey(msg);
      if (msg?.type === 'cancel-key-deletion') return this.deletion.onCancelKeyDeletion(msg);
      if (msg?.type === 'peer-commitments') return this.sign.onPeerCommitments(msg);
      if (msg?.type === 'audit-query') return this.onAuditQuery(msg);
      if (msg?.type === 'key-package-query') return keyPackageAnswer(this.o, msg);
      if (msg?.type === 'refresh-query' || msg?.type === 'refresh-certificate' || msg?.type === 'refresh-abandon' || msg?.type === 'refresh-rollback') {
        return this.activation?.handle(msg);
      }
      if (!msg || typeof msg !== 'object' || !('session' in msg) || typeof msg.session !== 'string' || !SESSION_ID_RE.test(msg.session)) return;
      switch (msg.type) {
        case 'open':
          return this.onOpen(msg);
        case 'envelope': {
          // No running session: its open may wait for this turn's policy commit (sign.ts).
          if (!this.driver.receive(msg)) this.sign.early(msg);
          return;
        }
        case 'abort': {
          this.sign.cancel(msg.session);
          return this.driver.finish(msg.session, 'aborted by coordinator: ' + String(msg.message));
        }
        default:
          return;
      }
    } catch (err) {
      this.o.log?.(`party ${this.partyId}: unexpected error: ${(err as Error).stack ?? String(err)}`);
      if (msg && 'session' in msg && typeof msg.session === 'string') this.driver.fail(msg.session, new ProtocolError('internal', (err as Error).message));
    }
  }

  /**
   * The operator console reads the audit log (docs/console.md): the last entries, answered at once.
   * Read-only — nothing here writes — and nothing the gateway did not already see: every entry is
   * about a request it relayed, and the message itself is not in the log (only its length and hash).
   */
  private onAuditQuery(msg: AuditQueryMessage): void {
    if (typeof msg.id !== 'string' || msg.id.length > 64) return;
    const limit = Number.isInteger(msg.limit) ? Math.min(Math.max(msg.limit, 1), MAX_AUDIT_ENTRIES) : MAX_AUDIT_ENTRIES;
    const { total, entries } = this.o.policies.auditTail(limit);
    this.o.send({ type: 'audit-log', id: msg.id, total, entries });
  }

  private onOpen(msg: OpenDkg | OpenSign | OpenPolicyRevision | OpenRefresh | OpenReshare | OpenPresign): void {
    if (this.seen.has(msg.session)) {
      this.o.send({ type: 'abort', session: msg.session, kind: 'unexpected', message: 'session id reused', culprits: [] });
      return;
    }
    this.seen.add(msg.session);
    // Bounded memory: session ids are 32 random bytes chosen per session, so forgetting the oldest
    // only matters for a replay of an 'open' older than the last SEEN_SESSIONS sessions (minutes
    // at full load, far longer than any session lives), which would still draw fresh nonces,
    // pass the policy again and need the other parties' cooperation to produce anything. The
    // bound was 100,000 (≈ 10 MiB of heap, filling for 11 minutes at 150 signatures/s, which a
    // 10-minute soak showed as slow growth).
    if (this.seen.size > SEEN_SESSIONS) this.seen.delete(this.seen.values().next().value!);
    // The durable record (session-store.ts): a sign's id is claimed in its policy transaction
    // (sign.ts), every other kind here; an id claimed before, by this process or an earlier
    // one, is refused.
    if (msg.kind !== 'sign' && !this.o.sessionIds.claim(msg.session)) {
      this.o.send({ type: 'abort', session: msg.session, kind: 'unexpected', message: 'session id reused', culprits: [] });
      return;
    }
    if (msg.kind === 'dkg' && this.deletion.isTombstoned(msg.keyId)) {
      return this.driver.refuseOpen(msg, new RequestRefused(`key id ${msg.keyId} was deleted here: a key id is never reused`));
    }
    if (msg.kind === 'policy') return this.onPolicyRevision(msg);
    if (msg.kind === 'sign') return this.sign.open(msg);
    const sessionId = hexToBytes(msg.session);
    let active: Running;
    try {
      active =
        msg.kind === 'presign'
          ? openPresign({ o: this.o, driver: this.driver, pool: this.sign.presignPool }, msg, sessionId)
          : msg.kind === 'dkg'
            ? openDkg({ o: this.o, partyId: this.partyId, allowlist: this.allowlist, driver: this.driver }, msg, sessionId)
            : msg.kind === 'reshare'
              ? openReshare(
                  {
                    o: this.o,
                    partyId: this.partyId,
                    driver: this.driver,
                    allowlist: this.allowlist,
                    ...(this.activation ? { activation: this.activation } : {}),
                  },
                  msg,
                  sessionId,
                )
              : openRefresh(
                  { o: this.o, partyId: this.partyId, driver: this.driver, ...(this.activation ? { activation: this.activation } : {}) },
                  msg,
                  sessionId,
                );
    } catch (err) {
      return this.driver.refuseOpen(msg, err);
    }
    this.driver.start(msg.session, active);
  }

  /**
   * PutKeyPolicy changed the key's signing policy: install the revision if this party's own checks
   * pass (it follows the revision held here and carries the approvals the current policy demands).
   * Answered at once; no protocol session.
   */
  private onPolicyRevision(msg: OpenPolicyRevision): void {
    try {
      if (typeof msg.keyId !== 'string' || !KEY_ID_RE.test(msg.keyId)) throw new RequestRefused('malformed key id');
      const r = msg.revision;
      const approvals = msg.approvals;
      if (!r || typeof r !== 'object' || !Number.isSafeInteger(r.revision) || !(r.previousHash === null || typeof r.previousHash === 'string')) {
        throw new RequestRefused('malformed policy revision');
      }
      if (!Array.isArray(approvals) || approvals.length > 10 || approvals.some((a) => typeof a !== 'string' || a.length > 8192)) {
        throw new RequestRefused('approvals must be at most 10 strings of at most 8192 characters');
      }
      const stored = this.o.shares.getActive(msg.keyId);
      if (!stored) throw new RequestRefused(`no share for key ${msg.keyId}`, 'unknown-key');
      const installed = this.o.policies.revise(keyFacts(msg.keyId, stored.meta as KeyMeta), msg.session, r, approvals);
      // Signed with the identity key, so the owner can check what this party holds (revision-ack.ts).
      const output = {
        ...installed,
        acknowledgement: signRevisionAck(this.o.identity, { keyId: msg.keyId, revision: installed.revision, policyHash: installed.policyHash }),
      };
      this.o.log?.(`party ${this.partyId}: key ${msg.keyId} policy revision ${output.revision} accepted (${output.policyHash})`);
      this.o.send({ type: 'done', session: msg.session, output });
    } catch (err) {
      const kind = err instanceof RequestRefused ? err.kind : 'internal';
      this.o.send({ type: 'abort', session: msg.session, kind, message: `${this.partyId} refused: ${(err as Error).message}`, culprits: [] });
    }
  }

  /** Called periodically by the daemon: drop sessions nobody finished. */
  sweep(now = Date.now()): void {
    this.o.sessionIds.prune(now);
    this.driver.sweep(now, this.o.sessionTtlMs ?? 60_000);
  }
}
