// The party's side of the two-phase activation of a refreshed share (docs/protocols.md "Refresh
// activation"). A refresh session leaves the new share *pending* beside the active one; from there:
//
//   pending   --(session done: every member's protocol confirmation seen)-->  confirmed
//             the party signs a confirmation of the new version and records it durably *before*
//             it leaves; from now on it never drops the new share on its own.
//   pending   --(session ended otherwise, restart, or asked to abandon)-->     abandoned
//             the pending share is dropped and the party signs that it never confirmed the
//             session and never will: proof that no certificate can exist.
//   confirmed --(certificate: every member's signed confirmation)-->           activated
//             checked against this party's own pinned peers; the share is activated (older
//             versions deleted) and the certificate stored in one transaction.
//   confirmed --(a member's abandon statement)-->                              rolled-back
//             the pending share is dropped; the old one never left.
//
// A certificate needs every member's confirmation and an abandon statement comes only from a
// member that has not confirmed, so a refresh has a certificate or an abandon statement, never
// both: every party ends on the same version. The coordinator carries proofs; its word is never one.
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex } from '../../protocols/core/bytes.ts';
import { abandonBytes, certificateSignatureProblem, confirmationBytes, validSignature as verifySig } from '../control/refresh-proofs.ts';
import type { AbandonStatement, PartyToCoordinator, RefreshCertificate, RefreshControlMessage, RefreshStateMessage } from '../control/messages.ts';
import { KEY_ID_RE, SESSION_ID_RE } from '../control/messages.ts';
import type { Identity, PublicIdentity } from '../transport/identity.ts';
import type { ShareStore } from '../storage/share-store.ts';
import type { Ban, BanStore } from '../storage/ban-store.ts';
import type { RefreshRow, RefreshStore } from '../storage/refresh-store.ts';
import type { FaultInjection } from './fault-injection.ts';

/** What activation changes besides the share: the bans follow the new numbering (refresh.ts bansAfterRefresh). */
export type AfterActivation = {
  oldIndex: number[];
  liftBans: boolean;
  excluded: string[];
  previousVersion: number;
  /**
   * A reshare onto a party that held no share of the key (services/party/reshare.ts): the key's
   * signing policy (revision 1, as this party validated and hashed it) is stored with the share.
   */
  policy?: { record: unknown; hash: string };
  /** The same, with the whole chain of revisions this party checked (policy-gate.ts newcomerChain, bindChain). */
  policyChain?: unknown[];
};

/** The new version's public facts, as the pending share's meta holds them (party-options.ts KeyMeta). */
type PendingMeta = { publicKey: string; transcriptHash: string; parties: PublicIdentity[]; protocol: string; threshold?: number };

export type ActivationOptions = {
  identity: Identity;
  shares: ShareStore;
  refreshes: RefreshStore;
  bans: BanStore;
  send: (msg: PartyToCoordinator) => void;
  log?: (line: string) => void;
  /** The bans kept once a refresh is active (refresh.ts bansAfterRefresh). */
  bansAfter: (bans: Ban[], oldIndex: number[], lift: boolean) => Ban[];
  /** Inside the activation's transaction: what goes with the new share (a new party's signing policy). */
  onActivating?: (keyId: string, session: string, after: AfterActivation) => void;
  /** The key's share changed: drop what was made for the old one (FROST nonce pairs). */
  onActivated?: (keyId: string) => void;
  /** End the live refresh session `session` of `keyId`, if this party still runs it. */
  endSession: (keyId: string, session: string) => void;
  /** Tests only (fault-injection.ts): 'refresh:activate' makes this party ignore certificates (TUTTI_TEST_STALL). */
  faults?: Pick<FaultInjection, 'stopsAt'>;
  /** How long after an activation this party still reports it when the coordinator connects (default 7 days). */
  reportActivatedMs?: number;
};

/**
 * Default of ActivationOptions.reportActivatedMs: as long as the shortest default deletion wait
 * (key-deletion.ts MIN_DEFAULT_WAIT_DAYS), so a gateway restored within it still learns a reshare
 * it did not record before the leavers could delete their shares.
 */
const REPORT_ACTIVATED_MS = 7 * 24 * 3600 * 1000;

export class RefreshActivation {
  constructor(private readonly o: ActivationOptions) {}

  private get partyId(): string {
    return this.o.identity.partyId;
  }

  /** The session's new share is stored as pending, with its activation row, in one transaction (before its confirmation round leaves). */
  hold(p: { keyId: string; session: string; protocol: string; version: number; share: unknown; meta: PendingMeta; after: AfterActivation }): void {
    this.o.refreshes.transaction(() => {
      this.o.shares.putPending({ keyId: p.keyId, protocol: p.protocol, version: p.version, share: p.share, meta: p.meta });
      this.o.refreshes.begin({
        keyId: p.keyId,
        session: p.session,
        version: p.version,
        transcriptHash: p.meta.transcriptHash,
        members: p.meta.parties.map((m) => m.partyId),
        after: p.after,
      });
    });
  }

  /**
   * The session is done here (every member's protocol confirmation seen): sign this party's
   * confirmation and record it durably; it may leave only once this returned.
   */
  confirm(keyId: string, session: string): string {
    const r = this.o.refreshes.get(keyId, session);
    if (!r || r.version === null) throw new Error(`no pending refresh ${session.slice(0, 16)}… of key ${keyId}`);
    const meta = this.metaOf(r);
    const signature = bytesToHex(
      ed25519.sign(
        confirmationBytes({ keyId, session, publicKey: meta.publicKey, transcriptHash: r.transcriptHash!, members: r.members! }),
        this.o.identity.signSecret,
      ),
    );
    this.o.refreshes.confirm(keyId, session, signature);
    return signature;
  }

  /** The session ended without being done (abort, timeout, a changed public key): an unconfirmed new share is given up. */
  ended(keyId: string, session: string, why: string): void {
    const r = this.o.refreshes.get(keyId, session);
    if (r?.state !== 'pending') return;
    this.abandonNow(keyId, session);
    this.o.log?.(`party ${this.partyId}: key ${keyId}: refresh ${session.slice(0, 12)} abandoned before confirming (${why}); the active share stays`);
  }

  /**
   * At start: a refresh left pending (not confirmed) by a crash can never finish, so it is
   * abandoned; a confirmed one keeps its pending share and waits for its certificate or an abandon
   * statement (the coordinator asks on connect). Returns the keys of each kind, for the log.
   */
  recoverAtStart(): { abandoned: string[]; waiting: string[] } {
    const abandoned: string[] = [];
    const waiting: string[] = [];
    for (const r of this.o.refreshes.unsettled()) {
      if (r.state === 'pending') {
        this.abandonNow(r.keyId, r.session);
        abandoned.push(r.keyId);
      } else {
        waiting.push(r.keyId);
      }
    }
    return { abandoned, waiting };
  }

  /** The pending versions that must survive a restart (confirmed refreshes), for ShareStore.discardAllPending. */
  keptPending(): { keyId: string; version: number }[] {
    return this.o.refreshes
      .unsettled()
      .filter((r) => r.state === 'confirmed' && r.version !== null)
      .map((r) => ({ keyId: r.keyId, version: r.version! }));
  }

  /** A refresh-* control message from the coordinator. */
  handle(msg: RefreshControlMessage): void {
    switch (msg.type) {
      case 'refresh-query':
        return this.onQuery(msg.keyId, msg.session);
      case 'refresh-certificate':
        return this.onCertificate(msg.certificate);
      case 'refresh-abandon':
        return this.onAbandon(msg.keyId, msg.session);
      case 'refresh-rollback':
        return this.onRollback(msg.statement);
      default:
        return;
    }
  }

  private onQuery(keyId: unknown, session: unknown): void {
    if (keyId === undefined && session === undefined) {
      for (const r of this.o.refreshes.unsettled()) this.report(r.keyId, r.session);
      // Also the recent activations of the share version still active here, with their
      // certificates: a gateway that crashed after the members activated a reshare (or a refresh
      // without some parties) but before it recorded the new holders learns them from these when
      // it restarts (refresh-activation.ts onCertified). Without them its record would name the
      // old set while the parties hold the new one (docs/operations.md "Recovering a reshare cut
      // by a crash"; tests/e2e/reshare-kill.slow.test.ts, step 'recorded').
      const since = Date.now() - (this.o.reportActivatedMs ?? REPORT_ACTIVATED_MS);
      for (const r of this.o.refreshes.activatedSince(since))
        if (r.version !== null && this.o.shares.activeVersion(r.keyId) === r.version) this.report(r.keyId, r.session);
      return;
    }
    if (!validIds(keyId, session)) return;
    this.report(keyId as string, session);
  }

  /** Activates the new version on a certificate this party checked itself against its pinned peers. */
  private onCertificate(c: RefreshCertificate): void {
    if (!c || typeof c !== 'object' || !validIds(c.keyId, c.session)) return;
    const r = this.o.refreshes.get(c.keyId, c.session);
    if (r?.state !== 'confirmed') {
      // Activated already (a resent certificate), or never confirmed here: then no valid certificate exists.
      if (r?.state !== 'activated')
        this.o.log?.(
          `party ${this.partyId}: key ${c.keyId}: a certificate for refresh ${c.session.slice(0, 12)}, which is ${r?.state ?? 'unknown'} here: ignored`,
        );
      return this.report(c.keyId, c.session);
    }
    if (this.o.faults?.stopsAt('refresh:activate', `activating refresh ${c.session.slice(0, 12)}`)) return;
    const meta = this.metaOf(r);
    const problem = certificateProblem(c, r, meta);
    if (problem) {
      this.o.log?.(`party ${this.partyId}: key ${c.keyId}: refused a certificate for refresh ${c.session.slice(0, 12)}: ${problem}`);
      return this.report(c.keyId, c.session);
    }
    const after = r.after as AfterActivation;
    const { before, kept } = this.o.refreshes.transaction(() => {
      const before = this.o.bans.ofKey(c.keyId);
      const kept = this.o.bansAfter(before, after.oldIndex, after.liftBans);
      this.o.shares.activate(c.keyId, r.version!);
      this.o.onActivating?.(c.keyId, c.session, after);
      if (before.length) this.o.bans.replaceKey(c.keyId, kept);
      this.o.refreshes.activated(c.keyId, c.session, c);
      return { before, kept };
    });
    this.o.onActivated?.(c.keyId);
    const self = r.members!.indexOf(this.partyId) + 1;
    const without = after.excluded.length ? ` without ${after.excluded.join(', ')}; this party is now party ${self} of ${r.members!.length}` : '';
    this.o.log?.(
      `party ${this.partyId}: key ${c.keyId} refreshed${without}: share version ${r.version} (was ${after.previousVersion}), certified by all ${r.members!.length} parties`,
    );
    const dropped = before.filter((b) => !kept.some((k) => k.peerId === b.peerId));
    if (dropped.length) {
      this.o.log?.(
        `party ${this.partyId}: key ${c.keyId}: bans ${after.liftBans ? 'lifted' : 'dropped with the parties left out'} after the refresh: ` +
          dropped.map((b) => `party ${b.peerIndex} (${b.peerId})`).join(', '),
      );
    }
    this.report(c.keyId, c.session);
  }

  /** Gives the refresh up if this party has not confirmed it; otherwise says where it stands. */
  private onAbandon(key: unknown, session: unknown): void {
    if (!validIds(key, session)) return;
    const keyId = key as string;
    const r = this.o.refreshes.get(keyId, session);
    if (r && r.state !== 'pending' && r.state !== 'abandoned') return this.report(keyId, session);
    // A session still running here ends first (its end abandons a pending share: `ended`).
    this.o.endSession(keyId, session);
    this.abandonNow(keyId, session);
    this.report(keyId, session);
  }

  /** Drops the new version on a member's abandon statement, checked against this party's pinned peers. */
  private onRollback(s: AbandonStatement): void {
    if (!s || typeof s !== 'object' || !validIds(s.keyId, s.session)) return;
    const r = this.o.refreshes.get(s.keyId, s.session);
    if (!r || r.state === 'abandoned' || r.state === 'rolled-back' || r.state === 'activated') return this.report(s.keyId, s.session);
    if (r.state === 'pending') return this.onAbandon(s.keyId, s.session);
    const meta = this.metaOf(r);
    const signer = meta.parties.find((p) => p.partyId === s.partyId);
    if (!signer || s.partyId === this.partyId || !verifySig(s.signature, abandonBytes(s), signer.signPublic)) {
      this.o.log?.(
        `party ${this.partyId}: key ${s.keyId}: refused a rollback of refresh ${s.session.slice(0, 12)}: no valid abandon statement of a member (${String(s.partyId)})`,
      );
      return this.report(s.keyId, s.session);
    }
    this.o.refreshes.transaction(() => {
      this.o.shares.discardPending(s.keyId, r.version!);
      this.o.refreshes.rolledBack(s.keyId, s.session, s);
    });
    this.o.log?.(
      `party ${this.partyId}: key ${s.keyId}: refresh ${s.session.slice(0, 12)} rolled back (${s.partyId} never confirmed it); the active share stays`,
    );
    this.report(s.keyId, s.session);
  }

  /** pending or unknown → abandoned: the new share (if any) is dropped, and the statement signed, in one transaction. */
  private abandonNow(keyId: string, session: string): void {
    const statement: AbandonStatement = { keyId, session, partyId: this.partyId, signature: '' };
    statement.signature = bytesToHex(ed25519.sign(abandonBytes(statement), this.o.identity.signSecret));
    this.o.refreshes.transaction(() => {
      const r = this.o.refreshes.get(keyId, session);
      if (r?.state === 'abandoned') return;
      if (r?.state === 'pending' && r.version !== null) this.o.shares.discardPending(keyId, r.version);
      this.o.refreshes.abandon(keyId, session, statement);
    });
  }

  private report(keyId: string, session: string): void {
    const r = this.o.refreshes.get(keyId, session);
    const msg: RefreshStateMessage = { type: 'refresh-state', keyId, session, state: r?.state ?? 'none' };
    if (r?.members) msg.members = r.members;
    if (r?.transcriptHash) msg.transcriptHash = r.transcriptHash;
    if ((r?.state === 'pending' || r?.state === 'confirmed') && r.version !== null) {
      const meta = this.metaOf(r);
      msg.publicKey = meta.publicKey;
      if (Number.isInteger(meta.threshold)) msg.threshold = meta.threshold;
    }
    if (r?.confirmation) msg.confirmation = r.confirmation;
    if (r?.state === 'activated') {
      msg.certificate = r.proof as RefreshCertificate;
      const t = (r.version !== null ? (this.o.shares.getVersion(r.keyId, r.version)?.meta as PendingMeta | undefined) : undefined)?.threshold;
      if (Number.isInteger(t)) msg.threshold = t;
    }
    if (r?.state === 'abandoned' || r?.state === 'rolled-back') msg.statement = r.proof as AbandonStatement;
    this.o.send(msg);
  }

  private metaOf(r: RefreshRow): PendingMeta {
    const stored = this.o.shares.getVersion(r.keyId, r.version!);
    if (!stored) throw new Error(`share ${r.keyId} version ${r.version} is missing`);
    return stored.meta as PendingMeta;
  }
}

function validIds(keyId: unknown, session: unknown): session is string {
  return typeof keyId === 'string' && KEY_ID_RE.test(keyId) && typeof session === 'string' && SESSION_ID_RE.test(session);
}

/** Why a certificate does not prove the refresh `r` (undefined: it does). Members are checked by id and by this party's own pinned keys. */
function certificateProblem(c: RefreshCertificate, r: RefreshRow, meta: PendingMeta): string | undefined {
  if (c.transcriptHash !== r.transcriptHash) return 'another transcript';
  if (c.publicKey !== meta.publicKey) return 'another public key';
  const members = r.members!;
  if (!Array.isArray(c.members) || c.members.length !== members.length || c.members.some((m, i) => m !== members[i])) return 'other members';
  if (!Array.isArray(c.confirmations) || c.confirmations.length !== members.length) return 'not one confirmation per member';
  // Each member's confirmation by the key pinned in this party's own share record (index order).
  return certificateSignatureProblem(c, (_m, i) => meta.parties[i]);
}
