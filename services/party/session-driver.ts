// The party's running sessions, whatever opened them (sign.ts, dkg.ts, refresh.ts): runs each
// protocol state machine on authenticated envelopes, one input after another, makes what a step
// marks durable durable *before* the step's messages leave (docs/security.md "Nonce consumption"), sends them, and on
// the end of a session calls back the use case that opened it (Running.onDone, onEnded). Bans
// after a failed DKLs23 check are recorded here, since they stop other sessions too.
import { bytesToHex, hexToBytes } from '../../protocols/core/bytes.ts';
import { ProtocolError, failureOf, type FailureKind } from '../../protocols/core/errors.ts';
import type { Durable, Step } from '../../protocols/core/session.ts';
import type { Envelope } from '../../protocols/core/envelope.ts';
import { isBanError } from '../../protocols/dkls23/errors.ts';
import type { AbortMessage, EnvelopeMessage } from '../control/messages.ts';
import type { PublicIdentity } from '../transport/identity.ts';
import { open, protect, ReplayGuard } from '../transport/secure-envelope.ts';
import type { SessionKeys } from '../transport/session-keys.ts';
import { RequestRefused } from './request-check.ts';
import type { ProtocolFamily, SessionSpec } from './protocol-families.ts';
import { inlineSession, type HostedSession } from './session-host.ts';
import { ConsumeBatcher } from './consume-batcher.ts';
import { triageRejectedFrame } from './frame-triage.ts';
import type { KeyMeta, PartyOptions } from './party-options.ts';

/** One running session, as the use case that opened it set it up. */
export type Running = {
  kind: 'dkg' | 'sign' | 'refresh';
  keyId: string;
  session: HostedSession;
  family: ProtocolFamily;
  /** The session's steps are handled one after another, in the order its inputs arrived. */
  queue: Promise<void>;
  /** Sign, refresh: the version of the share it runs on (a ban records it). */
  shareVersion?: number;
  /**
   * Refresh: the old index of each session member (session index k → oldIndex[k−1]), which
   * differs from k only when the refresh leaves parties out (bans are recorded by old index).
   */
  oldIndex?: number[];
  /** Sign: the key indices of the signers. */
  signers?: number[];
  parties: PublicIdentity[];
  self: number;
  startedAt: number;
  /** The version of the share a step made durable (pending until the use case activates it). */
  pendingVersion?: number;
  meta?: KeyMeta;
  rounds: number;
  /**
   * The session's ephemeral X25519 keys, for a session that sends point-to-point frames (all but
   * FROST signing): they seal its p2p frames (forward secrecy) and are erased when it ends.
   */
  keys?: SessionKeys;
  /** DKG, refresh: a step made a new share: store it (pending) before the step's messages leave. */
  holdShare?: (share: unknown, meta: KeyMeta, version: number) => void;
  /** The protocol finished with `output` (the session is closed already): the use case reports it. */
  onDone: (id: string, output: unknown) => void;
  /** The session ended otherwise after a step made a share durable: the use case gives it up (`why`). */
  onEnded?: (id: string, why: string) => void;
};

export class SessionDriver {
  private readonly sessions = new Map<string, Running>();
  private readonly replay = new ReplayGuard();
  /** Group commit of the consumes that become due in one event-loop turn (consume-batcher.ts). */
  private readonly consumes: ConsumeBatcher;

  constructor(
    private readonly o: PartyOptions,
    private readonly partyId: string,
  ) {
    this.consumes = new ConsumeBatcher(o.consumed, (sessions, ms) => {
      o.metrics?.consumeBatchSessions.observe(sessions);
      o.onConsumeBatch?.(sessions, ms);
    });
  }

  get size(): number {
    return this.sessions.size;
  }

  get(id: string): Running | undefined {
    return this.sessions.get(id);
  }

  /** The session, on this thread or in a worker as its family says (inline when the party has no host). */
  host(spec: SessionSpec, placement: 'inline' | 'worker'): HostedSession {
    return placement === 'worker' && this.o.sessionHost ? this.o.sessionHost.open(spec) : inlineSession(spec);
  }

  /** Registers an opened session and starts it. */
  start(id: string, active: Running): void {
    this.sessions.set(id, active);
    this.advance(id, active, () => active.session.start());
  }

  /** An envelope for a running session; false if none runs under its id. */
  receive(msg: EnvelopeMessage): boolean {
    const active = this.sessions.get(msg.session);
    if (!active) return false;
    let envelope;
    try {
      envelope = open(msg.data, this.o.identity, (i) => active.parties[i - 1], active.self, this.replay, active.keys);
    } catch (err) {
      // Inauthentic or replayed: dropped, the session waits for the real one; authentic but
      // undecodable: the sender's fault (frame-triage.ts, TOB-SILA-14).
      const t = triageRejectedFrame(err);
      if ('drop' in t) {
        this.o.log?.(`party ${this.partyId}: session ${msg.session.slice(0, 12)}: dropped ${t.drop}`);
        return true;
      }
      this.fail(msg.session, t.abort);
      return true;
    }
    if (bytesToHex(envelope.session) !== msg.session) {
      // Signed or sealed for another session and relayed into this one: the relay's doing.
      this.o.log?.(`party ${this.partyId}: session ${msg.session.slice(0, 12)}: dropped an envelope of another session from ${envelope.from}`);
      return true;
    }
    const received: Envelope = envelope;
    this.advance(msg.session, active, () => active.session.receive(received));
    return true;
  }

  /** Aborts every running session of `keyId` (the key is being deleted). */
  failKey(keyId: string, error: ProtocolError): void {
    for (const [id, active] of this.sessions) if (active.keyId === keyId) this.fail(id, error);
  }

  /** Ends `session` if it is the running refresh of `keyId` (the refresh was abandoned). */
  failRefresh(keyId: string, session: string, error: ProtocolError): void {
    const a = this.sessions.get(session);
    if (a?.kind === 'refresh' && a.keyId === keyId) this.fail(session, error);
  }

  /** An open this party will not run: the coordinator hears why. */
  refuseOpen(msg: { kind: string; session: string }, err: unknown): void {
    const kind = failureOf(err).kind;
    const culprits = err instanceof RequestRefused ? err.culprits : [];
    this.o.metrics?.aborts.inc({ protocol: msg.kind, kind });
    this.o.send({ type: 'abort', session: msg.session, kind, message: `${this.partyId} refused: ${(err as Error).message}`, culprits });
  }

  /**
   * Runs one input of a session (its start, or one envelope) after those before it, and acts on the
   * step it gives. A session that ended meanwhile (aborted, expired) ignores its later steps.
   */
  private advance(id: string, active: Running, input: () => Promise<Step<unknown, unknown>>): void {
    active.queue = active.queue
      .then(input)
      .then((step) => {
        if (this.sessions.get(id) !== active) return;
        // A step waiting for its group commit holds this session's later inputs until it is durable.
        return this.onStep(id, active, step);
      })
      .catch((err: unknown) => {
        if (this.sessions.get(id) !== active) return;
        this.o.log?.(`party ${this.partyId}: unexpected error in session ${id.slice(0, 12)}: ${(err as Error)?.stack ?? String(err)}`);
        this.fail(id, err instanceof ProtocolError ? err : new ProtocolError('internal', (err as Error)?.message ?? String(err)));
      });
  }

  private onStep(id: string, active: Running, step: Step<unknown, unknown>): void | Promise<void> {
    if (step.kind === 'wait') {
      if (step.dropped) this.o.log?.(`party ${this.partyId}: session ${id.slice(0, 12)}: dropped ${step.dropped}`);
      return;
    }
    if (step.kind === 'abort') {
      if (isBanError(step.error)) return this.ban(id, active, step.error);
      return this.fail(id, step.error);
    }
    const messages = step.messages;
    if (this.o.faults?.silences(active, active.kind, messages)) return;
    const durable = step.durable;
    if (durable?.consume?.length && !durable.share) {
      // Group commit: the step's messages (and anything later of this session) go out only once
      // the consume is durable; if the commit fails, the session aborts and nothing of it is sent.
      return this.consumes.consume(durable.consume, `${active.kind} ${active.keyId} session ${id.slice(0, 16)}`).then(
        () => {
          if (this.sessions.get(id) === active) this.emit(id, active, step, messages);
        },
        (err: unknown) => {
          if (this.sessions.get(id) === active) this.fail(id, durableFailure(err));
        },
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
  private emit(id: string, active: Running, step: Step<unknown, unknown>, messages: readonly Envelope[]): void {
    active.rounds++;
    const outgoing = this.o.faults ? this.o.faults.outgoing(active.kind, messages) : messages;
    for (const env of outgoing) {
      const recipient = env.to === 0 ? undefined : active.parties[env.to - 1];
      const data = protect(env, this.o.identity, recipient, active.keys);
      this.o.send({ type: 'envelope', session: id, from: env.from, to: env.to, data });
    }
    if (step.kind === 'done') this.complete(id, active, step.output);
  }

  /** Commit what must survive a crash before any message that depends on it leaves. */
  private makeDurable(active: Running, durable: Durable<unknown> | undefined): void {
    if (!durable) return;
    if (durable.consume?.length) this.o.consumed.consumeAll(durable.consume, `${active.kind} ${active.keyId}`);
    if (durable.share) {
      if (!active.holdShare) throw new ProtocolError('internal', `a ${active.kind} session produced a share`);
      const facts = active.family.shareFacts(durable.share);
      const meta: KeyMeta = { ...active.meta!, self: active.self, publicKey: facts.publicKey, transcriptHash: facts.transcriptHash };
      const version = (this.o.shares.activeVersion(active.keyId) ?? 0) + 1;
      active.holdShare(durable.share, meta, version);
      active.pendingVersion = version;
      active.meta = meta;
    }
  }

  private complete(id: string, active: Running, output: unknown): void {
    this.sessions.delete(id);
    active.session.close();
    active.keys?.erase();
    this.o.metrics?.sessionDuration.observe({ protocol: active.session.protocol, outcome: 'done' }, (Date.now() - active.startedAt) / 1000);
    this.o.metrics?.sessionRounds.observe({ protocol: active.session.protocol }, active.rounds);
    active.onDone(id, output);
  }

  /**
   * A peer failed an OT-extension, all-but-one OT, VOLE or Γ check in this session: the ban is
   * committed before the abort leaves (so no retry can reach this party first), and the abort says
   * 'banned', naming the peer, so the coordinator signs with others from now on.
   */
  private ban(id: string, active: Running, error: ProtocolError): void {
    const culprit = error.culprits[0]!;
    const peer = active.parties[culprit - 1];
    // Bans are recorded by the peer's index in the active share (a refresh without some parties
    // numbers its session differently); the abort names the session index, as every abort does.
    let peerIndex = active.oldIndex ? active.oldIndex[culprit - 1]! : culprit;
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

  /** Ends the session and tells the coordinator why (an abort of `kind`). */
  fail(id: string, error: ProtocolError, kind: FailureKind = error.kind): void {
    const active = this.sessions.get(id);
    this.finish(id, error.message);
    if (!active) return;
    this.o.metrics?.aborts.inc({ protocol: active.session.protocol, kind });
    this.o.metrics?.sessionDuration.observe({ protocol: active.session.protocol, outcome: 'abort' }, (Date.now() - active.startedAt) / 1000);
    const msg: AbortMessage = { type: 'abort', session: id, kind, message: `${this.partyId}: ${error.message}`, culprits: error.culprits };
    this.o.send(msg);
  }

  /** Drops a session; a share a step made durable is given up by its use case (onEnded). */
  finish(id: string, why: string): void {
    const active = this.sessions.get(id);
    if (!active) return;
    this.sessions.delete(id);
    active.session.close();
    active.keys?.erase();
    this.replay.forget(hexToBytes(id));
    if (active.pendingVersion !== undefined) active.onEnded?.(id, why);
    this.o.log?.(`party ${this.partyId}: session ${id.slice(0, 12)} ended: ${why}`);
  }

  /** Drops sessions nobody finished within `ttlMs`. */
  sweep(now: number, ttlMs: number): void {
    for (const [id, a] of this.sessions) if (now - a.startedAt > ttlMs) this.fail(id, new ProtocolError('timeout', 'session expired at the party'));
  }
}

/** A durable write failed: an id already consumed is nonce reuse; anything else (I/O, a crash) is internal. */
function durableFailure(err: unknown): ProtocolError {
  if (err instanceof ProtocolError) return err;
  const message = (err as Error)?.message ?? String(err);
  return new ProtocolError((err as Error)?.name === 'ConsumedError' ? 'nonce-reuse' : 'internal', `durable write failed: ${message}`);
}
