// The coordinator's side of the two-phase activation of a refresh (docs/protocols.md "Refresh
// activation"). The coordinator holds no proof of its own: it gathers the members' signed
// confirmations into a certificate, or fetches a member's signed abandon statement, and carries
// it to every member; each member checks it against its own pinned peers (services/party/
// activation.ts). So it can settle a refresh that a crash of any process cut off:
//
// - a member reports 'activated' (with its certificate): the certificate goes to the others;
// - every member reports 'confirmed': their confirmations make the certificate;
// - a member reports 'pending' or 'none' (it never confirmed): it is asked to abandon, and its
//   abandon statement goes to the others, who roll back.
//
// Nothing here is durable: the members' records are. The coordinator asks every party that
// connects what it holds unsettled (refresh-query), and asks the members of a refresh whose
// session failed; a gateway restart forgets nothing that matters.
import type { AbandonStatement, CoordinatorToParty, RefreshCertificate, RefreshStateMessage } from '../control/messages.ts';
import { KEY_ID_RE, SESSION_ID_RE } from '../control/messages.ts';
import { certificateSignatureProblem } from '../control/refresh-proofs.ts';
import type { PublicIdentity } from '../transport/identity.ts';

export type RefreshActivationsOptions = {
  /** Sends to a connected party; false when it is not connected (it is asked again when it connects). */
  send: (partyId: string, msg: CoordinatorToParty) => boolean;
  log?: (line: string) => void;
  /** A certificate found while settling a cut-off refresh: the key record follows its members (a refresh without some parties). */
  onCertified?: (keyId: string, members: string[], threshold?: number) => void;
  /**
   * The identity the gateway's configuration holds for a party: a certificate a party reports, or
   * one made of reported confirmations, is checked with these before it is carried or changes the
   * key record (so one party cannot shrink a key's party list with a forged one).
   */
  pinned?: (partyId: string) => PublicIdentity | undefined;
};

type Entry = {
  keyId: string;
  session: string;
  members?: string[];
  publicKey?: string;
  transcriptHash?: string;
  /** The new version's threshold as members report it (a reshare changes it). */
  threshold?: number;
  confirmations: Map<string, string>;
  certificate?: RefreshCertificate;
  statement?: AbandonStatement;
  /** Members that reported a final state (activated, rolled back, abandoned, or none after a rollback). */
  settled: Set<string>;
  /** What was last sent to each member since it (re)connected, so a refusal does not loop. */
  sent: Map<string, string>;
  waiters: (() => void)[];
};

export class RefreshActivations {
  private readonly entries = new Map<string, Entry>();

  constructor(protected readonly o: RefreshActivationsOptions) {}

  /** Refreshes not settled at every member yet (for health and tests). */
  get unsettled(): number {
    return this.entries.size;
  }

  /**
   * The refresh session is done at every member and each 'done' carried its confirmation (in
   * `members` order): the certificate goes to every member. Resolves when all activated, or after
   * `waitMs` (a member that missed it gets it when it connects again: it keeps both shares till then).
   */
  async certify(c: RefreshCertificate, waitMs: number): Promise<void> {
    this.remember(c);
    const e = this.entry(c.keyId, c.session);
    const done = new Promise<void>((resolve) => e.waiters.push(resolve));
    this.progress(e);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      done,
      new Promise<void>((r) => {
        timer = setTimeout(r, waitMs);
      }),
    ]);
    clearTimeout(timer);
  }

  /** Records a certificate (and its members) for the refresh it certifies. */
  protected remember(c: RefreshCertificate): void {
    const e = this.entry(c.keyId, c.session);
    e.members = c.members;
    e.certificate = c;
  }

  /** The refresh session failed: find out what each member holds and settle it (a rollback unless all confirmed). */
  settle(keyId: string, session: string, members: string[]): void {
    const e = this.entry(keyId, session);
    e.members ??= members;
    for (const m of members) this.ask(e, m, { type: 'refresh-query', keyId, session });
  }

  /** A party (re)connected: it reports every refresh it holds unsettled, and is asked about those it is a member of. */
  onConnect(partyId: string): void {
    for (const e of this.entries.values()) e.sent.delete(partyId);
    this.o.send(partyId, { type: 'refresh-query' });
    for (const e of this.entries.values()) if (e.members?.includes(partyId)) this.progress(e);
  }

  /** A member's report ('refresh-state'). */
  onState(partyId: string, msg: RefreshStateMessage): void {
    if (typeof msg.keyId !== 'string' || !KEY_ID_RE.test(msg.keyId) || typeof msg.session !== 'string' || !SESSION_ID_RE.test(msg.session)) return;
    if (msg.state === 'none' && !this.entries.has(msg.session)) return; // nothing of it anywhere we know of
    const e = this.entry(msg.keyId, msg.session);
    if (!e.members && Array.isArray(msg.members) && msg.members.every((m) => typeof m === 'string')) e.members = [...msg.members];
    if (e.members && !e.members.includes(partyId)) return;
    e.sent.delete(partyId);
    if (Number.isInteger(msg.threshold) && (msg.threshold as number) >= 1) e.threshold ??= msg.threshold;
    switch (msg.state) {
      case 'activated':
        e.settled.add(partyId);
        if (!e.certificate && msg.certificate && this.valid(msg.certificate)) {
          e.certificate = msg.certificate;
          this.o.log?.(`coordinator: key ${e.keyId}: refresh ${e.session.slice(0, 12)} was activated by ${partyId}; its certificate goes to the others`);
          this.o.onCertified?.(e.keyId, msg.certificate.members, e.threshold ?? msg.certificate.threshold);
        }
        break;
      case 'abandoned':
      case 'rolled-back':
        e.settled.add(partyId);
        if (!e.statement && msg.statement) {
          e.statement = msg.statement;
          this.o.log?.(`coordinator: key ${e.keyId}: refresh ${e.session.slice(0, 12)} was abandoned by ${msg.statement.partyId}; the others roll back`);
        }
        break;
      case 'none':
        if (e.statement) e.settled.add(partyId);
        break;
      case 'confirmed':
        if (typeof msg.confirmation === 'string') e.confirmations.set(partyId, msg.confirmation);
        if (typeof msg.publicKey === 'string') e.publicKey ??= msg.publicKey;
        if (typeof msg.transcriptHash === 'string') e.transcriptHash ??= msg.transcriptHash;
        break;
      default:
        break;
    }
    this.progress(e);
  }

  /** Sends each member what settles the refresh, as far as what is known allows. */
  private progress(e: Entry): void {
    const members = e.members;
    if (!members) return;
    if (!e.certificate && !e.statement && e.publicKey && e.transcriptHash && members.every((m) => e.confirmations.has(m))) {
      const certificate = {
        keyId: e.keyId,
        session: e.session,
        publicKey: e.publicKey,
        transcriptHash: e.transcriptHash,
        members,
        confirmations: members.map((m) => e.confirmations.get(m)!),
      };
      if (!this.valid(certificate)) {
        e.confirmations.clear(); // asked again on the members' next reports
        return;
      }
      e.certificate = certificate;
      this.o.log?.(`coordinator: key ${e.keyId}: every member confirmed refresh ${e.session.slice(0, 12)}; its certificate goes to all`);
      this.o.onCertified?.(e.keyId, members, e.threshold);
    }
    for (const m of members) {
      if (e.settled.has(m)) continue;
      if (e.certificate) this.ask(e, m, { type: 'refresh-certificate', certificate: e.certificate });
      else if (e.statement) this.ask(e, m, { type: 'refresh-rollback', statement: e.statement });
      else if (e.confirmations.has(m))
        continue; // confirmed: waits for the others
      else this.ask(e, m, { type: 'refresh-abandon', keyId: e.keyId, session: e.session });
    }
    if (members.every((m) => e.settled.has(m))) {
      this.entries.delete(e.session);
      this.o.log?.(`coordinator: key ${e.keyId}: refresh ${e.session.slice(0, 12)} settled at every member (${e.certificate ? 'activated' : 'rolled back'})`);
      for (const w of e.waiters) w();
    }
  }

  /**
   * Sends `msg` to member `m` unless the same kind was sent since its last report (a member that
   * refuses does not make a loop). Asking a member to abandon is safe on a guess: one that
   * confirmed refuses and reports its confirmation instead.
   */
  private ask(e: Entry, m: string, msg: CoordinatorToParty): void {
    if (e.sent.get(m) === msg.type) return;
    if (this.o.send(m, msg)) e.sent.set(m, msg.type);
  }

  private valid(c: RefreshCertificate): boolean {
    if (!this.o.pinned) return true;
    const problem = certificateSignatureProblem(c, (m) => this.o.pinned!(m));
    if (problem)
      this.o.log?.(`coordinator: key ${c.keyId}: a certificate for refresh ${String(c.session).slice(0, 12)} is not valid (${problem}): not carried`);
    return !problem;
  }

  private entry(keyId: string, session: string): Entry {
    let e = this.entries.get(session);
    if (!e) {
      e = { keyId, session, confirmations: new Map(), settled: new Set(), sent: new Map(), waiters: [] };
      this.entries.set(session, e);
    }
    return e;
  }
}
