// The party daemon's core: it owns this party's sessions, runs each protocol state machine on
// authenticated envelopes, makes what a step marks durable durable *before* the step's messages
// leave (trust model §5), and reports results to the coordinator. Sockets live in PartyLink;
// storage in services/storage; this file wires them.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, lengthPrefixed, u32, utf8ToBytes } from '../../protocols/core/bytes.ts';
import { ProtocolError, failureOf, type FailureKind } from '../../protocols/core/errors.ts';
import { LABELS } from '../../protocols/core/labels.ts';
import type { Durable, Step } from '../../protocols/core/session.ts';
import type { Envelope } from '../../protocols/core/envelope.ts';
import { isBanError } from '../../protocols/dkls23/errors.ts';
import type { AbortMessage, CoordinatorToParty, EnvelopeMessage, OpenDkg, OpenPolicyRevision, OpenRefresh, OpenSign, PartyToCoordinator } from '../control/messages.ts';
import { KEY_ID_RE, SESSION_ID_RE, type DeleteKeyMessage } from '../control/messages.ts';
import type { Identity, PublicIdentity } from '../transport/identity.ts';
import { publicIdentity } from '../transport/identity.ts';
import { open, protect, ReplayGuard } from '../transport/secure-envelope.ts';
import { SessionKeys } from '../transport/session-keys.ts';
import { TransportError } from '../transport/errors.ts';
import type { ConsumedStore } from '../storage/consumed-store.ts';
import type { ShareStore } from '../storage/share-store.ts';
import type { Ban, BanStore } from '../storage/ban-store.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { PolicyRevision } from '../../policies/types.ts';
import { checkDkgRequest, checkSignRequest, PROTOCOL_SUITES, RequestRefused } from './request-check.ts';
import { denialMessage, type KeyFacts, type PolicyGate } from './policy-gate.ts';
import { FAMILIES, type ProtocolFamily, type SessionSpec } from './protocol-families.ts';
import { inlineSession, type HostedSession, type SessionHost } from './session-host.ts';
import { ConsumeBatcher } from './consume-batcher.ts';
import { signAgreementDigest } from './sign-agreement.ts';
import { signRevisionAck } from '../control/revision-ack.ts';
import { triageRejectedFrame } from './frame-triage.ts';
import { signingInput } from './signing-input.ts';
import { applyPreimage } from './preimage-request.ts';
import { NoncePool, commitmentFromHex } from './nonce-pool.ts';
import { premadeSignatureShare, premakeFrostNonces, type Commitment, type PremadeNonces, type PremadeShare } from '../../protocols/frost/premade.ts';
import type { FrostKeyShare } from '../../protocols/frost/share.ts';
import { MAX_PREMAKE, type PeerCommitmentsMessage } from '../control/messages.ts';
import { prevalidatePoint } from '../../protocols/frost/codec.ts';
import { frostSuite, type FrostSigningSuiteName, type FrostSuite } from '../../protocols/frost/suite.ts';
import { randomBytes } from 'node:crypto';
import type { CancelKeyDeletionMessage } from '../control/messages.ts';
import type { CoordinatorPin } from '../transport/coordinator-identity.ts';
import type { DeletionStore } from '../storage/deletion-store.ts';
import type { SessionStore } from '../storage/session-store.ts';
import { KeyDeletionRules } from './key-deletion.ts';
import { signReceipt } from '../control/receipts.ts';
import type { RefreshStore } from '../storage/refresh-store.ts';
import { RefreshActivation } from './activation.ts';

/** Public facts a party keeps beside its (encrypted) share. */
export type KeyMeta = {
  keySpec: string; protocol: string;
  /** The FROST suite or the DKLs23 curve (request-check.ts PROTOCOL_SUITES). */
  suite: string;
  threshold: number; n: number;
  parties: PublicIdentity[]; publicKey: string; transcriptHash: string;
  /** The signing policy's hash as this party computed it and bound it into the DKG (null: a key from before signing policies). */
  policyHash: string | null;
  /** This party's index; stored in clear but bound into the share's at-rest AAD with the rest of meta. */
  self: number;
};

type Active = {
  kind: 'dkg' | 'sign' | 'refresh';
  keyId: string;
  session: HostedSession;
  family: ProtocolFamily;
  /** The session's steps are handled one after another, in the order its inputs arrived. */
  queue: Promise<void>;
  /** Sign, refresh: the version of the share it runs on (a ban records it). */
  shareVersion?: number;
  /** Refresh: forget the key's bans once the new shares are active. */
  liftBans?: boolean;
  /**
   * Refresh: the old index of each session member (session index k → oldIndex[k−1]), which
   * differs from k only when the refresh leaves parties out; `excluded`: the ids left out.
   */
  refresh?: { oldIndex: number[]; excluded: string[]; publicKey: string; session: string };
  /** Sign: the key indices of the signers. */
  signers?: number[];
  /** Sign (FROST): nonce pairs to make for the key once the signature is done (OpenSign.premake). */
  premake?: { count: number; share: FrostKeyShare };
  parties: PublicIdentity[];
  self: number;
  startedAt: number;
  pendingVersion?: number;
  meta?: KeyMeta;
  /** DKG: the signing policy (revision 1) this party validated, stored with the share on completion. */
  policy?: { record: PolicyRevision; hash: string };
  rounds: number;
  /** Test-only fault injection (TUTTI_TEST_STALL) made this session go silent. */
  stalled?: boolean;
  /**
   * The session's ephemeral X25519 keys, for a session that sends point-to-point frames (all but
   * FROST signing): they seal its p2p frames (forward secrecy) and are erased when it ends.
   */
  keys?: SessionKeys;
};

export type PartyOptions = {
  identity: Identity;
  allowlist: PublicIdentity[];
  shares: ShareStore;
  consumed: ConsumedStore;
  /** Called after each group commit of consumes with the number of sessions in it and its duration. */
  onConsumeBatch?: (sessions: number, ms: number) => void;
  /** The signing-policy gate: every sign request and policy change is decided there (issue 5). */
  policies: PolicyGate;
  /** Peers banned per key after a failed DKLs23 OT/VOLE check (ban-store.ts). */
  bans: BanStore;
  /**
   * The two-phase activation of refreshed shares (activation.ts, docs/protocols.md "Refresh
   * activation"); without it the party refuses to refresh.
   */
  refreshes?: RefreshStore;
  /** Worker threads for sessions whose family runs them there (DKLs23 DKG); without one they run inline. */
  sessionHost?: SessionHost;
  send: (msg: PartyToCoordinator) => void;
  metrics?: Metrics;
  log?: (line: string) => void;
  /** Test-only fault injection: 'dkg:2' stops this party before it sends DKG round-2 messages. */
  stallAt?: string[];
  /**
   * Test-only fault injection: 'sign:2' makes this party cheat in signing round 2 — the last byte
   * of each of its point-to-point payloads is flipped before it is sealed (TUTTI_TEST_TAMPER).
   */
  tamperAt?: string[];
  /** Sessions idle longer than this are dropped (the coordinator aborts them long before). */
  sessionTtlMs?: number;
  /** The gateway's pinned key (peers.json `coordinator`): a share is deleted only on a record it signed (key-deletion.ts). */
  coordinator?: CoordinatorPin;
  /** Deletion requests waiting out the party's own period, and tombstones of deleted key ids. */
  deletions?: DeletionStore;
  /** The waiting period before a signed deletion is carried out (default: the key's window, at least 7 days). */
  deletionWaitMs?: number;
  /** Session ids opened here, durably: a session id never runs twice, also across restarts (session-store.ts). */
  sessionIds?: SessionStore;
};

/** A pre-made FROST signature share computed in the policy batch, sent once the batch committed (flushOpens). */
type PremadeAnswer = {
  share: PremadeShare; protocol: string; startedAt: number; shareVersion: number;
  premake?: { count: number; share: FrostKeyShare };
};

/** How many session ids a party remembers to refuse a replayed 'open' (onOpen). */
const SEEN_SESSIONS = 16_384;

/** Envelopes kept for a session whose open waits for its policy commit (a few rounds' worth at most). */
const MAX_EARLY_ENVELOPES = 64;

export class Party {
  private readonly sessions = new Map<string, Active>();
  /** Session ids ever opened here: a session id is never run twice (replay of an 'open'). */
  private readonly seen = new Set<string>();
  private readonly replay = new ReplayGuard();
  private readonly allowlist: Map<string, PublicIdentity>;
  private readonly me: PublicIdentity;
  /** Sign opens waiting for this turn's policy commit (flushOpens), with envelopes that came for them meanwhile. */
  private readonly opening = new Map<string, { msg: OpenSign; early: EnvelopeMessage[]; cancelled?: boolean }>();
  private openingScheduled = false;
  /** Group commit of the consumes that become due in one event-loop turn (consume-batcher.ts). */
  private readonly consumes: ConsumeBatcher;
  /** FROST nonce pairs made ahead (OpenSign.premake), in memory only (nonce-pool.ts). */
  readonly noncePool = new NoncePool();
  private readonly keyDeletion: KeyDeletionRules | undefined;
  /** Deletions due at the gateway whose wait here has not ended: re-examined when it ends. */
  private readonly deletionTimers = new Map<string, NodeJS.Timeout>();
  /** Refreshed shares: pending → confirmed → activated or rolled back (activation.ts). */
  readonly activation?: RefreshActivation;

  constructor(private readonly o: PartyOptions) {
    this.keyDeletion = o.deletions && new KeyDeletionRules({ store: o.deletions, coordinator: o.coordinator, waitMs: o.deletionWaitMs });
    this.allowlist = new Map(o.allowlist.map((p) => [p.partyId, p]));
    this.me = publicIdentity(o.identity);
    this.consumes = new ConsumeBatcher(o.consumed, (sessions, ms) => {
      o.metrics?.consumeBatchSessions.observe(sessions);
      o.onConsumeBatch?.(sessions, ms);
    });
    if (o.refreshes) {
      this.activation = new RefreshActivation({
        identity: o.identity, shares: o.shares, refreshes: o.refreshes, bans: o.bans, send: o.send, log: o.log, stallAt: o.stallAt,
        bansAfter: bansAfterRefresh,
        // Pairs made for the old share are not used with the new one; the old share's rows are gone
        // (secure_delete), and the write-ahead log is truncated so it keeps none (docs/security.md).
        onActivated: (keyId) => { this.noncePool.dropKey(keyId); this.o.shares.scrubWal(); },
        endSession: (keyId, session) => {
          const a = this.sessions.get(session);
          if (a?.kind === 'refresh' && a.keyId === keyId) this.fail(session, new ProtocolError('unexpected', 'the refresh was abandoned'));
        },
      });
    }
  }

  get partyId(): string { return this.me.partyId; }
  get activeSessions(): number { return this.sessions.size; }

  /** Entry point for every control message from the coordinator. Never throws. */
  handle(msg: CoordinatorToParty): void {
    try {
      if (msg?.type === 'delete-key') return this.onDeleteKey(msg);
      if (msg?.type === 'cancel-key-deletion') return this.onCancelKeyDeletion(msg);
      if (msg?.type === 'peer-commitments') return this.onPeerCommitments(msg);
      if (msg?.type === 'refresh-query' || msg?.type === 'refresh-certificate' || msg?.type === 'refresh-abandon' || msg?.type === 'refresh-rollback') {
        return this.activation?.handle(msg);
      }
      if (!msg || typeof msg !== 'object' || !('session' in msg) || typeof msg.session !== 'string' || !SESSION_ID_RE.test(msg.session)) return;
      switch (msg.type) {
        case 'open': return this.onOpen(msg);
        case 'envelope': return this.onEnvelope(msg);
        case 'abort': {
          const opening = this.opening.get(msg.session);
          if (opening) opening.cancelled = true;
          return this.finish(msg.session, 'aborted by coordinator: ' + String(msg.message));
        }
        default: return;
      }
    } catch (err) {
      this.o.log?.(`party ${this.partyId}: unexpected error: ${(err as Error).stack ?? err}`);
      if (msg && 'session' in msg && typeof msg.session === 'string') this.fail(msg.session, new ProtocolError('internal', (err as Error).message));
    }
  }

  /**
   * The coordinator says the key is gone (its deletion window passed, or its DKG never completed):
   * drop any session of it, delete every version of the share, and confirm — also when there was
   * nothing to delete, so a resent request settles.
   */
  private onDeleteKey(msg: DeleteKeyMessage): void {
    if (typeof msg.keyId !== 'string' || !KEY_ID_RE.test(msg.keyId)) return;
    // Only on a record signed by the pinned gateway key, after this party's own waiting period (key-deletion.ts).
    const holds = this.o.shares.activeVersion(msg.keyId) !== undefined;
    const decision = this.keyDeletion
      ? this.keyDeletion.onRequest(msg, holds)
      : { kind: 'refused' as const, reason: 'this party keeps no deletion records, so it deletes nothing' };
    if (decision.kind === 'refused') {
      this.o.log?.(`party ${this.partyId}: refused to delete key ${msg.keyId}: ${decision.reason}`);
      if (holds) this.o.policies.auditDeletion(msg.keyId, 'key-deletion-refused', 'deny', 'UNSIGNED_OR_BAD_RECORD', [decision.reason], {});
      return;
    }
    if (decision.kind === 'waiting') {
      // Due at the gateway but not yet here: come back to it when this party's wait ends.
      if (msg.due === true && holds && !this.deletionTimers.has(msg.keyId)) {
        const t = setTimeout(() => { this.deletionTimers.delete(msg.keyId); this.handle(msg); }, Math.min(2 ** 31 - 1, Math.max(0, decision.until - Date.now()) + 10));
        t.unref();
        this.deletionTimers.set(msg.keyId, t);
      }
      if (decision.first) {
        const until = new Date(decision.until).toISOString();
        this.o.log?.(`party ${this.partyId}: key ${msg.keyId} is scheduled for deletion (signed record); this party keeps its share until ${until} (its own waiting period)`);
        this.o.policies.auditDeletion(msg.keyId, 'key-deletion-requested', 'allow', 'SIGNED_DELETION_RECORD',
          [`share kept until ${until}, then deleted unless the deletion is cancelled`], { record: decision.record, until: decision.until });
      }
      return;
    }
    for (const [id, active] of this.sessions) if (active.keyId === msg.keyId) this.fail(id, new ProtocolError('unexpected', `key ${msg.keyId} is being deleted`));
    for (const opening of this.opening.values()) if (opening.msg.keyId === msg.keyId) opening.cancelled = true;
    const had = this.o.shares.activeVersion(msg.keyId) !== undefined;
    this.noncePool.dropKey(msg.keyId);
    this.o.shares.delete(msg.keyId);
    this.o.bans.deleteKey(msg.keyId);
    this.o.refreshes?.deleteKey(msg.keyId);
    // The signing-policy language has no rule for deletion: the gateway's signed record, waited out, is obeyed (and logged).
    if (had) {
      this.o.policies.deleted(msg.keyId, {
        code: 'SIGNED_DELETION_RECORD', reasons: ['share deleted on the gateway-signed deletion record, after this party\'s waiting period'],
        detail: { record: decision.record, firstSeen: decision.firstSeen },
      });
    }
    this.keyDeletion!.deleted(msg.keyId, decision.record);
    if (had) this.o.log?.(`party ${this.partyId}: deleted its share of key ${msg.keyId}`);
    this.o.send({ type: 'key-deleted', keyId: msg.keyId });
  }

  /** CancelKeyDeletion, signed by the gateway: the waiting deletion is dropped. */
  private onCancelKeyDeletion(msg: CancelKeyDeletionMessage): void {
    if (typeof msg.keyId !== 'string' || !KEY_ID_RE.test(msg.keyId) || !this.keyDeletion) return;
    const r = this.keyDeletion.onCancel(msg);
    if (!r.ok) { this.o.log?.(`party ${this.partyId}: refused a cancel of key ${msg.keyId}'s deletion: ${r.reason}`); return; }
    if (!r.dropped) return;
    clearTimeout(this.deletionTimers.get(msg.keyId));
    this.deletionTimers.delete(msg.keyId);
    this.o.log?.(`party ${this.partyId}: the deletion of key ${msg.keyId} was cancelled; its share stays`);
    this.o.policies.auditDeletion(msg.keyId, 'key-deletion-cancelled', 'allow', 'SIGNED_CANCEL', ['deletion cancelled by the gateway'], { cancel: msg.cancel });
  }

  /**
   * Another signer's pre-made commitments for a key this party holds: validated now (each element
   * fully, as DeserializeElement requires) and remembered by encoding, so that the request naming
   * them does not wait for their subgroup checks. One element per turn of the event loop: a request
   * arriving meanwhile waits for one check at most. Anything invalid is only logged: the request
   * that carries it is refused then.
   */
  private onPeerCommitments(msg: PeerCommitmentsMessage): void {
    if (typeof msg.keyId !== 'string' || !KEY_ID_RE.test(msg.keyId) || !Array.isArray(msg.commitments) || msg.commitments.length > MAX_PREMAKE) return;
    if (this.o.shares.activeVersion(msg.keyId) === undefined) return;
    const first = msg.commitments[0];
    const suite = typeof first === 'string' ? FROST_BY_COMMITMENT_HEX[first.length] : undefined;
    if (!suite || msg.commitments.some((c) => typeof c !== 'string' || c.length !== first!.length || !/^[0-9a-f]+$/.test(c))) return;
    const elements = msg.commitments.flatMap((c) => {
      const { hiding, binding } = commitmentFromHex(c);
      return [hiding, binding];
    });
    let bad = 0;
    const next = (i: number): void => {
      if (i === elements.length) {
        if (bad) this.o.log?.(`party ${this.partyId}: key ${msg.keyId}: ${bad} element(s) of a peer's pre-made commitments are invalid`);
        return;
      }
      try { prevalidatePoint(suite, elements[i]!, 'pre-made commitment'); } catch { bad++; }
      setImmediate(() => next(i + 1));
    };
    setImmediate(() => next(0));
  }

  private onOpen(msg: OpenDkg | OpenSign | OpenPolicyRevision | OpenRefresh): void {
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
    // (flushOpens), every other kind here; an id claimed before, by this process or an earlier
    // one, is refused.
    if (msg.kind !== 'sign' && this.o.sessionIds && !this.o.sessionIds.claim(msg.session)) {
      this.o.send({ type: 'abort', session: msg.session, kind: 'unexpected', message: 'session id reused', culprits: [] });
      return;
    }
    if (msg.kind === 'dkg' && this.keyDeletion?.isTombstoned(msg.keyId)) {
      return this.refuseOpen(msg, new RequestRefused(`key id ${msg.keyId} was deleted here: a key id is never reused`));
    }
    if (msg.kind === 'policy') return this.onPolicyRevision(msg);
    if (msg.kind === 'sign') {
      // Group commit of the policy decision: every sign open of this event-loop turn is decided in
      // one transaction (flushOpens); nothing of any of them is sent before it committed.
      this.opening.set(msg.session, { msg, early: [] });
      if (!this.openingScheduled) {
        this.openingScheduled = true;
        setImmediate(() => this.flushOpens());
      }
      return;
    }
    const sessionId = hexToBytes(msg.session);
    let active: Active;
    try {
      active = msg.kind === 'dkg' ? this.openDkg(msg, sessionId) : this.openRefresh(msg, sessionId);
    } catch (err) {
      return this.refuseOpen(msg, err);
    }
    this.sessions.set(msg.session, active);
    this.advance(msg.session, active, () => active.session.start());
  }

  private refuseOpen(msg: { kind: string; session: string }, err: unknown): void {
    const kind = failureOf(err).kind;
    const culprits = err instanceof RequestRefused ? err.culprits : [];
    this.o.metrics?.aborts.inc({ protocol: msg.kind, kind });
    this.o.send({ type: 'abort', session: msg.session, kind, message: `${this.partyId} refused: ${(err as Error).message}`, culprits });
  }

  /**
   * The sign opens of one event-loop turn: each is checked and decided by the key's signing policy
   * as before (openSign), all inside ONE policy-store transaction — each decision is a savepoint, in
   * arrival order, so each sees the charges of the ones before it — and one commit (one fsync).
   * Only after the commit returned does any of these sessions start; if it fails, every one of them
   * is refused (kind 'internal') and none sends anything. Envelopes that arrived for them meanwhile
   * are handled once they started.
   */
  private flushOpens(): void {
    this.openingScheduled = false;
    const batch = [...this.opening.entries()];
    this.opening.clear();
    if (!batch.length) return;
    const built: ({ active: Active } | { answer: PremadeAnswer } | { err: unknown })[] = [];
    try {
      this.o.policies.batch(() => {
        for (const [id, p] of batch) {
          try {
            if (this.o.sessionIds && !this.o.sessionIds.claim(id)) throw new ProtocolError('unexpected', 'session id reused');
            const opened = this.openSign(p.msg, hexToBytes(id));
            built.push('answer' in opened ? opened : { active: opened });
          } catch (err) { built.push({ err }); }
        }
      });
    } catch (err) {
      for (const b of built) if ('active' in b) { b.active.session.close(); b.active.keys?.erase(); }
      const why = new ProtocolError('internal', `the signing-policy decision could not be committed: ${(err as Error)?.message ?? err}`);
      for (const [, p] of batch) this.refuseOpen(p.msg, why);
      return;
    }
    batch.forEach(([id, p], i) => {
      const b = built[i]!;
      if ('err' in b) return this.refuseOpen(p.msg, b.err);
      if ('answer' in b) return this.answerPremade(id, p.msg, b.answer, p.cancelled === true);
      if (p.cancelled) { b.active.session.close(); b.active.keys?.erase(); return; }
      const active = b.active;
      this.sessions.set(id, active);
      this.advance(id, active, () => active.session.start());
      for (const e of p.early) this.onEnvelope(e);
    });
  }

  private openDkg(msg: OpenDkg, sessionId: Uint8Array): Active {
    const { parties, self, family: familyName, suite } = checkDkgRequest(msg, this.partyId, this.allowlist);
    if (this.o.shares.activeVersion(msg.keyId) !== undefined) throw new RequestRefused(`key ${msg.keyId} already exists here`);
    // The policy document itself, validated and hashed here: the hash in the DKG context is ours.
    const policy = this.o.policies.initial(msg.keyId, msg.keySpec, msg.session, msg.policy, { t: msg.threshold, n: parties.length });
    const context = dkgContext(msg, parties, policy.hash);
    const family = FAMILIES[familyName];
    const spec = family.dkg({ protocol: msg.protocol, suite, sessionId, self, n: parties.length, t: msg.threshold, context });
    const session = this.host(spec, family.dkgPlacement);
    const meta: KeyMeta = {
      keySpec: msg.keySpec, protocol: msg.protocol, suite, threshold: msg.threshold, n: parties.length,
      parties, publicKey: '', transcriptHash: '', policyHash: policy.hash, self,
    };
    return { kind: 'dkg', keyId: msg.keyId, session, family, queue: Promise.resolve(), parties, self, startedAt: Date.now(), meta, policy, rounds: 0, keys: new SessionKeys() };
  }

  /**
   * A pre-made FROST signature share, decided and made durable: it goes to the coordinator (which
   * aggregates, protocols/frost/premade.ts) now that the batch holding its policy decision and its
   * nonce id committed; then the pairs the coordinator asked for are made.
   */
  private answerPremade(id: string, msg: OpenSign, a: PremadeAnswer, cancelled: boolean): void {
    this.o.metrics?.sessionDuration.observe({ protocol: a.protocol, outcome: cancelled ? 'abort' : 'done' }, (Date.now() - a.startedAt) / 1000);
    if (!cancelled) {
      this.o.send({ type: 'done', session: id, output: { signatureShare: bytesToHex(a.share.z), groupCommitment: bytesToHex(a.share.R), request: bytesToHex(a.share.request) } });
    }
    if (a.premake) this.premake(msg.keyId, a.shareVersion, a.premake);
  }

  private openSign(msg: OpenSign, sessionId: Uint8Array): Active | { answer: PremadeAnswer } {
    const stored = this.o.shares.getActive(msg.keyId);
    if (!stored) throw new RequestRefused(`no share for key ${msg.keyId}`, 'unknown-key');
    const meta = stored.meta as KeyMeta;
    const family = familyOf(meta.protocol);
    const share = stored.share;
    const index = family.shareFacts(share).index;
    // A DIGEST with its preimage in GrantTokens is decided on the preimage (preimage-request.ts).
    const request = applyPreimage(checkSignRequest(msg, meta, index), PROTOCOL_SUITES[meta.protocol]?.algorithms ?? []);
    const premake = msg.premake === undefined ? 0 : msg.premake;
    if (!Number.isInteger(premake) || premake < 0 || premake > MAX_PREMAKE) throw new RequestRefused(`premake must be 0..${MAX_PREMAKE}`);
    if (premake && family.name !== 'frost') throw new RequestRefused(`${meta.protocol} has no pre-made round`);
    // Pre-made round one: our pair leaves the pool now, used or not; a commitment this party does
    // not hold (it restarted, or the pair was evicted or already used) is refused before the policy
    // decides, so the refusal charges nothing and the coordinator can sign in two rounds instead.
    const premade = msg.premade === undefined ? undefined : this.takePremade(msg, family, index);
    // A peer this party banned for the key (a failed OT/VOLE check) never signs with it again until
    // a refresh replaced the key's OT state; checked before the policy, so a refusal charges nothing.
    const banned = this.o.bans.ofKey(msg.keyId).filter((b) => msg.signers.includes(b.peerIndex));
    if (banned.length) {
      throw new RequestRefused(`key ${msg.keyId}: this party banned ${banned.map((b) => `party ${b.peerIndex} (${b.peerId})`).join(', ')} ` +
        `after a failed consistency check (${banned[0]!.reason}); it signs with them again only after a refresh`, 'banned', banned.map((b) => b.peerIndex));
    }
    // The key's signing policy decides, on the full message, before anything of the session exists;
    // the decision (with its rate-limit charges and audit entry) is committed when this returns.
    const { decision, agreement } = this.o.policies.decideSign(keyFacts(msg.keyId, meta), msg.session, request, msg.signers);
    if (decision.decision !== 'allow') throw new RequestRefused(denialMessage(decision), 'policy');
    // The revision this party enforces and the sequences it decided: every signer binds its own
    // into its first message, so signers that disagree (a revision withheld from some) abort.
    const context = signAgreementDigest(agreement);
    // What is signed is what the policy engine derived: its digest for prehashed algorithms (ECDSA:
    // SHA-256 or Keccak-256 of the message, the EIP-712 digest, or a DIGEST as given; Ed25519ph:
    // PH(M)), the message itself for pure EdDSA (signing-input.ts).
    const { suite, input } = signingInput(family, meta.protocol, meta.suite, request.signingAlgorithm, request.message, decision);
    const premakeFor = premake ? { count: premake, share: share as FrostKeyShare } : undefined;
    if (premade) {
      // RFC 9591 §5.2 sign() over the coordinator's list, now; its nonce id is consumed in the
      // transaction that holds the policy decision (flushOpens commits both at once), and the
      // share leaves only after that commit.
      const answer = premadeSignatureShare({ share: share as FrostKeyShare, sessionId, signers: msg.signers, message: input, own: premade.own, commitments: premade.commitments, context,
        ...(suite !== meta.suite ? { suite: suite as FrostSigningSuiteName } : {}) });
      const [used] = this.o.consumed.consumeBatch([{ ids: [answer.nonceId], note: `sign ${msg.keyId} session ${msg.session.slice(0, 16)} (pre-made)` }]);
      if (used) throw new ProtocolError('nonce-reuse', `pre-made nonce pair ${answer.nonceId.slice(0, 16)}… was already used`);
      return { answer: { share: answer, protocol: `${meta.protocol}/sign-premade`, startedAt: Date.now(), shareVersion: stored.version, ...(premakeFor ? { premake: premakeFor } : {}) } };
    }
    const spec = family.sign({ protocol: meta.protocol, suite, sessionId, self: index, signers: msg.signers, share, input, context });
    const session = this.host(spec, family.signPlacement);
    return {
      kind: 'sign', keyId: msg.keyId, session, family, queue: Promise.resolve(), shareVersion: stored.version, signers: [...msg.signers],
      parties: meta.parties, self: index, startedAt: Date.now(), rounds: 0,
      ...(premakeFor ? { premake: premakeFor } : {}),
      // FROST signing has broadcast rounds only (RFC 9591 §5): no p2p frame, no session keys.
      ...(family.name === 'frost' ? {} : { keys: new SessionKeys() }),
    };
  }

  /** The pre-made round one of a FROST sign request: the list as given, and our pair, taken from the pool. */
  private takePremade(msg: OpenSign, family: ProtocolFamily, index: number): { own: PremadeNonces; commitments: Commitment[] } {
    if (family.name !== 'frost') throw new RequestRefused('pre-made commitments are for FROST keys only');
    const list = msg.premade;
    if (!Array.isArray(list) || list.length !== msg.signers.length || list.some((c) => typeof c !== 'string' || !/^(?:[0-9a-f]{2})+$/.test(c) || c.length % 4 !== 0 || c.length > 1024)) {
      throw new RequestRefused('premade must hold one hex commitment per signer');
    }
    const mine = list[msg.signers.indexOf(index)]!;
    const own = this.noncePool.take(msg.keyId, mine);
    if (!own) throw new RequestRefused(`this party holds no pre-made nonce pair for commitment ${mine.slice(0, 16)}… of key ${msg.keyId}`, 'premade-unknown');
    return { own, commitments: list.map(commitmentFromHex) };
  }

  /**
   * After a FROST signature: make the pairs the coordinator asked for, keep the nonces in the pool
   * and publish the commitments. Started in the turn after the 'done' left, so it costs the request
   * nothing (≈ 0.7 ms per Ed25519 pair: two base multiplications).
   */
  private premake(keyId: string, shareVersion: number | undefined, p: { count: number; share: FrostKeyShare }): void {
    const made = new Promise<PremadeNonces[]>((resolve, reject) => setImmediate(() => {
      try { resolve(premakeFrostNonces({ share: p.share, count: p.count, rng: (n) => new Uint8Array(randomBytes(n)) })); } catch (e) { reject(e); }
    }));
    made.then((pairs) => {
      // The key may have been deleted or refreshed meanwhile: then nothing is kept or published.
      if (this.o.shares.activeVersion(keyId) !== shareVersion) return;
      const commitments = this.noncePool.add(keyId, pairs);
      this.o.send({ type: 'premade', keyId, commitments });
    }).catch((err: unknown) => this.o.log?.(`party ${this.partyId}: could not make nonce pairs for key ${keyId}: ${(err as Error).message}`));
  }

  /**
   * An operator's refresh of a key (`cli.ts refresh`): the parties, as recorded in this party's own
   * share record, run the family's refresh session on the active share; the new share is stored as
   * the next version (pending, then active when every party confirmed), the public key unchanged.
   * The context binds the same facts as the DKG's (the key, its parties, its policy hash).
   *
   * With `exclude` (party ids of the key), the refresh runs without those parties: this party
   * derives the renumbering from its own record (the others keep their order, 1..n'), refuses an
   * exclusion that names a party the key does not have, itself, a duplicate, or leaves fewer than
   * t; the excluded ids are bound into the context and the remaining old indices into the
   * protocol's final session id. The new share records the remaining parties and the new index.
   */
  private openRefresh(msg: OpenRefresh, sessionId: Uint8Array): Active {
    if (typeof msg.keyId !== 'string' || !KEY_ID_RE.test(msg.keyId)) throw new RequestRefused('malformed key id');
    const stored = this.o.shares.getActive(msg.keyId);
    if (!stored) throw new RequestRefused(`no share for key ${msg.keyId}`, 'unknown-key');
    const meta = stored.meta as KeyMeta;
    const family = familyOf(meta.protocol);
    if (!family.refresh) throw new RequestRefused(`${meta.protocol} keys are not refreshed by the service`);
    if (!this.o.refreshes) throw new RequestRefused('this party keeps no refresh activation records; it does not refresh');
    // One refresh at a time: a confirmed one must be settled (certificate or rollback) first, and a session id is never run twice.
    const unsettled = this.o.refreshes.confirmedOf(msg.keyId);
    if (unsettled) throw new RequestRefused(`key ${msg.keyId}: refresh ${unsettled.session.slice(0, 12)} is confirmed here and not settled yet; it is settled first`);
    if (this.o.refreshes.get(msg.keyId, msg.session)) throw new RequestRefused(`refresh session ${msg.session.slice(0, 12)} of key ${msg.keyId} ran here before`);
    const facts = family.shareFacts(stored.share);
    const ids = meta.parties.map((p) => p.partyId);
    const exclude = msg.exclude ?? [];
    if (!Array.isArray(exclude) || exclude.length > ids.length || exclude.some((x) => typeof x !== 'string')) throw new RequestRefused('exclude must be a list of party ids');
    const excludedIdx = exclude.map((x) => {
      const i = ids.indexOf(x);
      if (i < 0) throw new RequestRefused(`cannot leave out ${x}: not a party of key ${msg.keyId} here (its parties: ${ids.join(', ')})`);
      return i + 1;
    });
    if (new Set(exclude).size !== exclude.length) throw new RequestRefused('a party is left out twice');
    if (exclude.includes(this.partyId)) throw new RequestRefused(`${this.partyId} is left out of this refresh; it takes no part`);
    const oldIndex = ids.map((_, i) => i + 1).filter((i) => !excludedIdx.includes(i));
    if (oldIndex.length < meta.threshold) {
      throw new RequestRefused(`leaving out ${exclude.join(', ')} leaves ${oldIndex.length} parties of key ${msg.keyId}, fewer than its threshold ${meta.threshold}`);
    }
    const parties = oldIndex.map((i) => meta.parties[i - 1]!);
    const self = oldIndex.indexOf(facts.index) + 1;
    if (msg.withoutBanned === true) {
      // The party's ban table is authoritative: it refreshes only without every peer it banned.
      const banned = this.o.bans.ofKey(msg.keyId).filter((b) => oldIndex.includes(b.peerIndex));
      if (banned.length) {
        throw new RequestRefused(`key ${msg.keyId}: this party banned ${banned.map((b) => `party ${b.peerIndex} (${b.peerId})`).join(', ')}; ` +
          'a refresh without banned parties must leave it out too', 'banned', banned.map((b) => oldIndex.indexOf(b.peerIndex) + 1));
      }
    }
    const base = { type: 'open', kind: 'dkg', session: msg.session, keyId: msg.keyId, keySpec: meta.keySpec, protocol: meta.protocol,
      threshold: meta.threshold, parties: ids, policy: null } as const;
    const context = sha256(lengthPrefixed(utf8ToBytes('tutti/v1/refresh-context'), dkgContext(base, meta.parties, meta.policyHash ?? ''),
      ...(excludedIdx.length ? [utf8ToBytes('tutti/v1/refresh-without'), ...excludedIdx.map((i) => lengthPrefixed(u32(i), utf8ToBytes(ids[i - 1]!)))] : [])));
    const spec = family.refresh({
      protocol: meta.protocol, suite: meta.suite, sessionId, self, share: stored.share, context, ...(excludedIdx.length ? { exclude: excludedIdx } : {}),
    });
    const session = this.host(spec, family.dkgPlacement);
    return {
      kind: 'refresh', keyId: msg.keyId, session, family, queue: Promise.resolve(), shareVersion: stored.version, liftBans: msg.liftBans === true,
      parties, self, startedAt: Date.now(), meta: { ...meta, n: parties.length, parties, self }, rounds: 0,
      refresh: { oldIndex, excluded: [...exclude], publicKey: meta.publicKey, session: msg.session }, keys: new SessionKeys(),
    };
  }

  /** The session, on this thread or in a worker as its family says (inline when the party has no host). */
  private host(spec: SessionSpec, placement: 'inline' | 'worker'): HostedSession {
    return placement === 'worker' && this.o.sessionHost ? this.o.sessionHost.open(spec) : inlineSession(spec);
  }

  /**
   * Runs one input of a session (its start, or one envelope) after those before it, and acts on the
   * step it gives. A session that ended meanwhile (aborted, expired) ignores its later steps.
   */
  private advance(id: string, active: Active, input: () => Promise<Step<unknown, unknown>>): void {
    active.queue = active.queue
      .then(input)
      .then((step) => {
        if (this.sessions.get(id) !== active) return;
        // A step waiting for its group commit holds this session's later inputs until it is durable.
        return this.onStep(id, active, step);
      })
      .catch((err: unknown) => {
        if (this.sessions.get(id) !== active) return;
        this.o.log?.(`party ${this.partyId}: unexpected error in session ${id.slice(0, 12)}: ${(err as Error)?.stack ?? err}`);
        this.fail(id, err instanceof ProtocolError ? err : new ProtocolError('internal', (err as Error)?.message ?? String(err)));
      });
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
      const output = { ...installed, acknowledgement: signRevisionAck(this.o.identity, { keyId: msg.keyId, revision: installed.revision, policyHash: installed.policyHash }) };
      this.o.log?.(`party ${this.partyId}: key ${msg.keyId} policy revision ${output.revision} accepted (${output.policyHash})`);
      this.o.send({ type: 'done', session: msg.session, output });
    } catch (err) {
      const kind = err instanceof RequestRefused ? err.kind : 'internal';
      this.o.send({ type: 'abort', session: msg.session, kind, message: `${this.partyId} refused: ${(err as Error).message}`, culprits: [] });
    }
  }

  private onEnvelope(msg: EnvelopeMessage): void {
    const active = this.sessions.get(msg.session);
    if (!active) {
      // Its open waits for this turn's policy commit: handled once the session started.
      const opening = this.opening.get(msg.session);
      if (opening && opening.early.length < MAX_EARLY_ENVELOPES) opening.early.push(msg);
      return; // otherwise a late message for a finished session: nothing to do
    }
    let envelope;
    try {
      envelope = open(msg.data, this.o.identity, (i) => active.parties[i - 1], active.self, this.replay, active.keys);
    } catch (err) {
      // Inauthentic or replayed: dropped, the session waits for the real one; authentic but
      // undecodable: the sender's fault (frame-triage.ts, TOB-SILA-14).
      const t = triageRejectedFrame(err);
      if ('drop' in t) return this.o.log?.(`party ${this.partyId}: session ${msg.session.slice(0, 12)}: dropped ${t.drop}`);
      return this.fail(msg.session, t.abort);
    }
    if (bytesToHex(envelope.session) !== msg.session) {
      // Signed or sealed for another session and relayed into this one: the relay's doing.
      return this.o.log?.(`party ${this.partyId}: session ${msg.session.slice(0, 12)}: dropped an envelope of another session from ${envelope.from}`);
    }
    const received: Envelope = envelope;
    this.advance(msg.session, active, () => active.session.receive(received));
  }

  private onStep(id: string, active: Active, step: Step<unknown, unknown>): void | Promise<void> {
    if (step.kind === 'wait') {
      if (step.dropped) this.o.log?.(`party ${this.partyId}: session ${id.slice(0, 12)}: dropped ${step.dropped}`);
      return;
    }
    if (step.kind === 'abort') {
      if (isBanError(step.error)) return this.ban(id, active, step.error);
      return this.fail(id, step.error);
    }
    const messages = step.messages;
    if (active.stalled) return;
    if (messages.length && this.o.stallAt?.includes(`${active.kind}:${messages[0]!.round}`)) {
      // Test-only: behave like a party that hangs — silent from here on, but still connected.
      this.o.log?.(`party ${this.partyId}: stalling before ${active.kind} round ${messages[0]!.round} (TUTTI_TEST_STALL)`);
      active.stalled = true;
      return;
    }
    const durable = step.durable;
    if (durable?.consume?.length && !durable.share) {
      // Group commit: the step's messages (and anything later of this session) go out only once
      // the consume is durable; if the commit fails, the session aborts and nothing of it is sent.
      return this.consumes.consume(durable.consume, `${active.kind} ${active.keyId} session ${id.slice(0, 16)}`).then(
        () => { if (this.sessions.get(id) === active) this.emit(id, active, step, messages); },
        (err: unknown) => { if (this.sessions.get(id) === active) this.fail(id, durableFailure(err)); },
      );
    }
    try {
      this.makeDurable(active, durable);
    } catch (err) {
      return this.fail(id, durableFailure(err));
    }
    this.emit(id, active, step, messages);
  }

  /** Sends a step's messages (its durable part is committed) and completes the session when it is done. */
  private emit(id: string, active: Active, step: Step<unknown, unknown>, messages: readonly Envelope[]): void {
    active.rounds++;
    const tamper = this.o.tamperAt?.includes(`${active.kind}:${messages[0]?.round}`);
    for (const sent of messages) {
      const env = tamper && sent.to !== 0 ? { ...sent, payload: flipLastByte(sent.payload) } : sent;
      const recipient = env.to === 0 ? undefined : active.parties[env.to - 1];
      const data = protect(env, this.o.identity, recipient, active.keys);
      this.o.send({ type: 'envelope', session: id, from: env.from, to: env.to, data });
    }
    if (step.kind === 'done') this.complete(id, active, step.output);
  }

  /** Commit what must survive a crash before any message that depends on it leaves. */
  private makeDurable(active: Active, durable: Durable<unknown> | undefined): void {
    if (!durable) return;
    if (durable.consume?.length) this.o.consumed.consumeAll(durable.consume, `${active.kind} ${active.keyId}`);
    if (durable.share) {
      const share = durable.share;
      const facts = active.family.shareFacts(share);
      const meta: KeyMeta = { ...active.meta!, self: active.self, publicKey: facts.publicKey, transcriptHash: facts.transcriptHash };
      const version = (this.o.shares.activeVersion(active.keyId) ?? 0) + 1;
      if (active.kind === 'refresh') {
        // The new share and its activation record (pending) in one transaction (activation.ts).
        const r = active.refresh!;
        this.activation!.hold({ keyId: active.keyId, session: r.session, protocol: meta.protocol, version, share, meta,
          after: { oldIndex: r.oldIndex, liftBans: active.liftBans === true, excluded: r.excluded, previousVersion: active.shareVersion ?? 0 } });
      } else {
        this.o.shares.putPending({ keyId: active.keyId, protocol: meta.protocol, version, share, meta });
      }
      active.pendingVersion = version;
      active.meta = meta;
    }
  }

  private complete(id: string, active: Active, output: unknown): void {
    this.sessions.delete(id);
    active.session.close();
    active.keys?.erase();
    this.o.metrics?.sessionDuration.observe({ protocol: active.session.protocol, outcome: 'done' }, (Date.now() - active.startedAt) / 1000);
    this.o.metrics?.sessionRounds.observe({ protocol: active.session.protocol }, active.rounds);
    if (active.kind === 'dkg') {
      const out = output as { publicKey: Uint8Array; transcriptHash: Uint8Array };
      // Every party confirmed the same transcript: the share becomes usable only now, together
      // with its signing policy (one transaction).
      const policy = active.policy!;
      this.o.policies.bind(active.keyId, id, policy.record, policy.hash, () => this.o.shares.activate(active.keyId, active.pendingVersion!));
      const acknowledgement = signRevisionAck(this.o.identity, { keyId: active.keyId, revision: 1, policyHash: policy.hash });
      // The creation receipt (services/control/receipts.ts): what this party bound, signed with its identity key.
      const m = active.meta!;
      const publicKey = bytesToHex(out.publicKey);
      const transcriptHash = bytesToHex(out.transcriptHash);
      const receipt = signReceipt({
        keyId: active.keyId, keySpec: m.keySpec, protocol: m.protocol, publicKey, threshold: m.threshold, parties: active.parties, policyHash: policy.hash, transcriptHash,
      }, this.partyId, this.o.identity.signSecret);
      this.o.send({ type: 'done', session: id, output: { publicKey, transcriptHash, policyHash: policy.hash, acknowledgement, receipt } });
    } else if (active.kind === 'refresh') {
      const out = output as { publicKey: Uint8Array; transcriptHash: Uint8Array };
      const r = active.refresh!;
      // The protocol checked the key did not move; so does the party, against its own record.
      if (bytesToHex(out.publicKey) !== r.publicKey) {
        this.activation!.ended(active.keyId, id, 'the refresh changed the public key');
        this.o.send({ type: 'abort', session: id, kind: 'internal', message: `${this.partyId}: the refresh changed the public key`, culprits: [] });
        return;
      }
      // Every member confirmed the same transcript: this party confirms the new version (signed,
      // durable before it leaves) and keeps both shares until the certificate — every member's
      // confirmation — or a member's abandon statement settles it (activation.ts).
      const confirmation = this.activation!.confirm(active.keyId, id);
      this.o.log?.(`party ${this.partyId}: key ${active.keyId}: refresh ${id.slice(0, 12)} confirmed: share version ${active.pendingVersion} pending beside version ${active.shareVersion} until every party's confirmation is seen`);
      if (this.o.stallAt?.includes('refresh:confirm')) {
        this.o.log?.(`party ${this.partyId}: stalling before sending its refresh confirmation (TUTTI_TEST_STALL)`);
        return;
      }
      this.o.send({ type: 'done', session: id, output: { publicKey: bytesToHex(out.publicKey), transcriptHash: bytesToHex(out.transcriptHash), policyHash: active.meta!.policyHash ?? '', confirmation } });
    } else {
      // FROST: R ‖ z; DKLs23: r ‖ s (low-S) — the coordinator encodes it for the KMS API.
      const out = output as { signature: Uint8Array };
      this.o.send({ type: 'done', session: id, output: { signature: Buffer.from(out.signature).toString('base64') } });
      if (active.premake) this.premake(active.keyId, active.shareVersion, active.premake);
    }
  }

  /**
   * A peer failed an OT-extension, all-but-one OT, VOLE or Γ check in this session: the ban is
   * committed before the abort leaves (so no retry can reach this party first), and the abort says
   * 'banned', naming the peer, so the coordinator signs with others from now on.
   */
  private ban(id: string, active: Active, error: ProtocolError): void {
    const culprit = error.culprits[0]!;
    const peer = active.parties[culprit - 1];
    // Bans are recorded by the peer's index in the active share (a refresh without some parties
    // numbers its session differently); the abort names the session index, as every abort does.
    let peerIndex = active.refresh ? active.refresh.oldIndex[culprit - 1]! : culprit;
    if ((active.kind === 'sign' || active.kind === 'refresh') && peer) {
      // A signature begun on a share version that a refresh (without some parties) replaced
      // meanwhile: the index is the peer's in the version now active (none if it was left out).
      if (active.kind === 'sign' && this.o.shares.activeVersion(active.keyId) !== active.shareVersion) {
        const current = this.o.shares.getActive(active.keyId)?.meta as KeyMeta | undefined;
        peerIndex = (current?.parties.findIndex((p) => p.partyId === peer.partyId) ?? -1) + 1;
      }
      if (peerIndex === 0) {
        this.o.log?.(`party ${this.partyId}: key ${active.keyId}: ${peer.partyId} failed a check but is no longer a party of the key: nothing to ban`);
        return this.fail(id, error);
      }
      try {
        this.o.bans.ban({ keyId: active.keyId, peerIndex, peerId: peer.partyId, shareVersion: active.shareVersion ?? 0, session: id, reason: error.message });
        this.o.log?.(`party ${this.partyId}: key ${active.keyId}: banned party ${peerIndex} (${peer.partyId}): ${error.message}`);
      } catch (err) {
        this.o.log?.(`party ${this.partyId}: could not record the ban of party ${culprit} for key ${active.keyId}: ${(err as Error).message}`);
        return this.fail(id, new ProtocolError('internal', `${error.message}; the ban could not be recorded`, error.culprits));
      }
      this.fail(id, error, 'banned');
      // Every other session of this key with the cheater stops too: none may give it another try.
      for (const [other, a] of this.sessions) {
        // Matched by id: a session may number the parties differently (a refresh without some ran meanwhile).
        const index = a.parties.findIndex((p) => p.partyId === peer.partyId) + 1;
        if (a.keyId === active.keyId && a.kind === 'sign' && index > 0 && a.signers?.includes(index)) {
          this.fail(other, new ProtocolError('invalid-proof', `party ${index} was banned for this key in another session`, [index]), 'banned');
        }
      }
      return;
    }
    // In a DKG the key never comes to exist: nothing to ban it for.
    this.fail(id, error);
  }

  private fail(id: string, error: ProtocolError, kind: FailureKind = error.kind): void {
    const active = this.sessions.get(id);
    this.finish(id, error.message);
    if (!active) return;
    this.o.metrics?.aborts.inc({ protocol: active.session.protocol, kind });
    this.o.metrics?.sessionDuration.observe({ protocol: active.session.protocol, outcome: 'abort' }, (Date.now() - active.startedAt) / 1000);
    const msg: AbortMessage = { type: 'abort', session: id, kind, message: `${this.partyId}: ${error.message}`, culprits: error.culprits };
    this.o.send(msg);
  }

  /** Drops a session; a DKG that did not finish leaves no share behind. */
  private finish(id: string, why: string): void {
    const active = this.sessions.get(id);
    if (!active) return;
    this.sessions.delete(id);
    active.session.close();
    active.keys?.erase();
    this.replay.forget(hexToBytes(id));
    // A refresh's new share is given up only if this party has not confirmed it (activation.ts).
    if (active.kind === 'refresh' && active.pendingVersion !== undefined) this.activation!.ended(active.keyId, id, why);
    else if (active.kind === 'dkg' && active.pendingVersion !== undefined) this.o.shares.discardPending(active.keyId, active.pendingVersion);
    this.o.log?.(`party ${this.partyId}: session ${id.slice(0, 12)} ended: ${why}`);
  }

  /** Called periodically by the daemon: drop sessions nobody finished. */
  sweep(now = Date.now()): void {
    const ttl = this.o.sessionTtlMs ?? 60_000;
    this.o.sessionIds?.prune(now);
    for (const [id, a] of this.sessions) if (now - a.startedAt > ttl) this.fail(id, new ProtocolError('timeout', 'session expired at the party'));
  }
}

/**
 * What a DKG binds besides its own messages (trust model §4): the key id, spec, threshold, every
 * party's identity key in index order and the signing policy's hash. All parties compute it
 * themselves — peers from their own allowlist, the hash from the policy document — so a
 * coordinator that lies about any of it (or shows parties different policies) makes the
 * transcripts differ.
 */
export function dkgContext(req: OpenDkg, parties: PublicIdentity[], policyHash: string): Uint8Array {
  return sha256(lengthPrefixed(
    utf8ToBytes(LABELS.frostTranscript), utf8ToBytes(req.keyId), utf8ToBytes(req.keySpec), utf8ToBytes(req.protocol),
    u32(req.threshold), u32(parties.length),
    ...parties.map((p) => lengthPrefixed(utf8ToBytes(p.partyId), hexToBytes(p.signPublic), hexToBytes(p.kexPublic))),
    utf8ToBytes(policyHash),
  ));
}

/**
 * The bans a party keeps once a refresh is active: none when lifted; otherwise those against
 * parties still in the key, moved to the peer's new index (session index k is old index
 * oldIndex[k−1]); bans against parties left out go with them.
 */
export function bansAfterRefresh(bans: Ban[], oldIndex: number[], lift: boolean): Ban[] {
  if (lift) return [];
  return bans.flatMap((b) => {
    const k = oldIndex.indexOf(b.peerIndex);
    return k < 0 ? [] : [{ ...b, peerIndex: k + 1 }];
  });
}

/** The FROST suite of a commitment by the length of its hex (D ‖ E: four hex digits per element byte). */
const FROST_BY_COMMITMENT_HEX: Record<number, FrostSuite> = Object.fromEntries(
  (['ed25519', 'ed448'] as const).map((name) => [4 * frostSuite(name).elementBytes, frostSuite(name)]));

/** The protocol family of a key's protocol (request-check.ts PROTOCOL_SUITES). */
function familyOf(protocol: string): ProtocolFamily {
  const suite = PROTOCOL_SUITES[protocol] ?? (() => { throw new RequestRefused(`unsupported protocol '${protocol}'`); })();
  return FAMILIES[suite.family];
}

/** A durable write failed: an id already consumed is nonce reuse; anything else (I/O, a crash) is internal. */
function durableFailure(err: unknown): ProtocolError {
  if (err instanceof ProtocolError) return err;
  const message = (err as Error)?.message ?? String(err);
  return new ProtocolError((err as Error)?.name === 'ConsumedError' ? 'nonce-reuse' : 'internal', `durable write failed: ${message}`);
}

/** TUTTI_TEST_TAMPER: a copy of the payload with its last byte flipped. */
function flipLastByte(payload: Uint8Array): Uint8Array {
  const out = Uint8Array.from(payload);
  if (out.length) out[out.length - 1]! ^= 0x01;
  return out;
}

/** The facts the policy gate needs about a key, from this party's own share record. */
function keyFacts(keyId: string, meta: KeyMeta): KeyFacts {
  return { keyId, keySpec: meta.keySpec, protocol: meta.protocol, publicKey: meta.publicKey, policyHash: meta.policyHash ?? null, threshold: meta.threshold, n: meta.n };
}
