// Runs one protocol session across parties: sends each its 'open', relays their protected
// envelopes (it can read neither sealed payloads nor forge signed ones), enforces a deadline per
// round, and propagates any abort to every participant. It sees no secret.
import { randomBytes } from 'node:crypto';
import type { AbortMessage, CoordinatorToParty, DoneMessage, EnvelopeMessage, OpenMessage, PartyToCoordinator } from '../control/messages.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { TuttiError, failureKindOf, type FailureKind } from '../../protocols/core/errors.ts';

export interface PartyNetwork {
  isConnected(partyId: string): boolean;
  send(partyId: string, msg: CoordinatorToParty): boolean;
}

export type SessionFailure = {
  kind: FailureKind;
  message: string;
  /** Key indices of parties blamed by a party's abort. */
  culprits: number[];
  /** Key indices of parties that did not answer in time or dropped off. */
  unresponsive: number[];
  /** Key index of the member whose abort this is (absent for timeouts and disconnects). */
  reporter?: number;
};

export class SessionFailed extends TuttiError {
  constructor(readonly failure: SessionFailure) {
    super(failure.kind, failure.message, failure.culprits);
    this.name = 'SessionFailed';
  }
}

type Running = {
  id: string;
  protocol: string;
  /** key index → party id, for the participants of this session only. */
  members: Map<number, string>;
  indexOf: Map<string, number>;
  outputs: Map<number, DoneMessage['output']>;
  /** Messages received from each member so far. */
  progress: Map<number, number>;
  timer: NodeJS.Timeout;
  /** This session's round deadline. */
  timeoutMs: number;
  resolve: (outputs: Map<number, DoneMessage['output']>) => void;
  reject: (err: SessionFailed) => void;
  startedAt: number;
  rounds: number;
};

/** One member's answer to ask(): its output, or why it did not give one. */
export type Answer = { ok: true; output: DoneMessage['output'] } | { ok: false; kind: FailureKind; message: string };

type Asking = {
  id: string;
  protocol: string;
  members: Map<number, string>;
  indexOf: Map<string, number>;
  answers: Map<number, Answer>;
  timer: NodeJS.Timeout;
  resolve: (answers: Map<number, Answer>) => void;
};

export type RunnerOptions = {
  roundTimeoutMs: number;
  metrics?: Metrics;
  log?: (line: string) => void;
  /**
   * Admission control: at most this many protocol sessions run at once in which a given party takes
   * part (0: no limit). Further sessions wait, first come first served, for every one of their
   * members to have room. Without it an overloaded party interleaves every session it was given,
   * all of them slow down together, and all miss their round deadline at once (seen with 64
   * clients on secp256k1: hundreds of timeouts where a queue would have served them all).
   */
  maxSessionsPerParty?: number;
  /** How long a session may wait for room before it fails as 'throttled' (default: 2 × roundTimeoutMs). */
  queueTimeoutMs?: number;
  /** Sessions waiting beyond this many fail as 'throttled' at once (default 4096). */
  maxQueued?: number;
};

/** A session waiting for room at its members (admission control). */
type Waiting = { members: Map<number, string>; start: () => void; timer: NodeJS.Timeout };

export class SessionRunner {
  private readonly running = new Map<string, Running>();
  private readonly asking = new Map<string, Asking>();
  /** party id → sessions running with it (admission control). */
  private readonly load = new Map<string, number>();
  private readonly waiting: Waiting[] = [];

  constructor(
    private readonly net: PartyNetwork,
    private readonly o: RunnerOptions,
  ) {}

  private hasRoom(members: Map<number, string>): boolean {
    const max = this.o.maxSessionsPerParty ?? 0;
    return max <= 0 || [...members.values()].every((p) => (this.load.get(p) ?? 0) < max);
  }

  private take(members: Map<number, string>, delta: 1 | -1): void {
    for (const p of members.values()) {
      const n = (this.load.get(p) ?? 0) + delta;
      if (n > 0) this.load.set(p, n);
      else this.load.delete(p);
    }
  }

  /**
   * Starts, in arrival order, every waiting session whose members all have room now and which does
   * not overtake an earlier waiting session at any of its parties (first come, first served per
   * party; a session on other parties is not held up).
   */
  private admit(): void {
    const blocked = new Set<string>();
    for (let k = 0; k < this.waiting.length;) {
      const w = this.waiting[k]!;
      const parties = [...w.members.values()];
      if (parties.some((p) => blocked.has(p)) || !this.hasRoom(w.members)) {
        parties.forEach((p) => blocked.add(p));
        k++;
        continue;
      }
      this.waiting.splice(k, 1);
      clearTimeout(w.timer);
      w.start();
    }
  }

  /** Sessions waiting for room (admission control). */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Opens the session with every member and resolves with each member's output once all are done.
   * `members` maps key index → party id; `open(index)` builds that party's open message.
   * `roundTimeoutMs` overrides the runner's round deadline for this session (DKLs23 key generation,
   * whose base-OT rounds take seconds of CPU at each party).
   */
  run(
    protocol: string,
    members: Map<number, string>,
    open: (session: string, index: number) => OpenMessage,
    o: { roundTimeoutMs?: number } = {},
  ): Promise<Map<number, DoneMessage['output']>> {
    return new Promise((resolve, reject) => {
      const start = () => this.start(protocol, members, open, o, resolve, reject);
      if (this.waiting.length === 0 && this.hasRoom(members)) return start();
      if (this.waiting.length >= (this.o.maxQueued ?? 4096)) {
        return reject(
          new SessionFailed({
            kind: 'throttled',
            message: `${this.waiting.length} sessions are already waiting for the parties`,
            culprits: [],
            unresponsive: [],
          }),
        );
      }
      const waitMs = this.o.queueTimeoutMs ?? 2 * this.o.roundTimeoutMs;
      const w: Waiting = {
        members,
        start,
        timer: setTimeout(() => {
          const k = this.waiting.indexOf(w);
          if (k >= 0) this.waiting.splice(k, 1);
          reject(
            new SessionFailed({
              kind: 'throttled',
              message: `the key's parties had no room for another session within ${waitMs} ms`,
              culprits: [],
              unresponsive: [],
            }),
          );
        }, waitMs),
      };
      w.timer.unref?.();
      this.waiting.push(w);
      this.admit(); // it may not have to wait: its parties have room and nobody waits for them
    });
  }

  private start(
    protocol: string,
    members: Map<number, string>,
    open: (session: string, index: number) => OpenMessage,
    o: { roundTimeoutMs?: number },
    resolve: (outputs: Map<number, DoneMessage['output']>) => void,
    reject: (err: SessionFailed) => void,
  ): void {
    const id = randomBytes(32).toString('hex');
    {
      const r: Running = {
        id,
        protocol,
        members,
        indexOf: new Map([...members].map(([i, p]) => [p, i])),
        outputs: new Map(),
        progress: new Map(),
        timer: undefined as unknown as NodeJS.Timeout,
        timeoutMs: o.roundTimeoutMs ?? this.o.roundTimeoutMs,
        resolve,
        reject,
        startedAt: Date.now(),
        rounds: 0,
      };
      this.running.set(id, r);
      this.take(members, 1);
      this.arm(r);
      for (const [index, partyId] of members) {
        if (!this.net.send(partyId, open(id, index))) {
          return this.abort(r, { kind: 'unavailable', message: `party ${partyId} is not connected`, culprits: [], unresponsive: [index] });
        }
      }
    }
  }

  /**
   * A request that is not a protocol session (a signing-policy revision): sends each member its
   * message and resolves with every member's own answer — a refusal by one does not cut the others
   * short, so the caller can name each refusing party. Members that do not answer within the round
   * timeout, or drop off, answer { ok: false, kind: 'timeout' | 'unavailable' }. Never rejects.
   */
  ask(protocol: string, members: Map<number, string>, open: (session: string, index: number) => OpenMessage): Promise<Map<number, Answer>> {
    const id = randomBytes(32).toString('hex');
    return new Promise((resolve) => {
      const a: Asking = {
        id,
        protocol,
        members,
        indexOf: new Map([...members].map(([i, p]) => [p, i])),
        answers: new Map(),
        timer: setTimeout(() => {
          for (const i of members.keys())
            if (!a.answers.has(i)) a.answers.set(i, { ok: false, kind: 'timeout', message: `no answer within ${this.o.roundTimeoutMs} ms` });
          this.answered(a);
        }, this.o.roundTimeoutMs),
        resolve,
      };
      a.timer.unref?.();
      this.asking.set(id, a);
      for (const [index, partyId] of members) {
        if (!this.net.send(partyId, open(id, index))) a.answers.set(index, { ok: false, kind: 'unavailable', message: `party ${partyId} is not connected` });
      }
      this.answered(a);
    });
  }

  private answered(a: Asking): void {
    if (a.answers.size < a.members.size || !this.asking.has(a.id)) return;
    clearTimeout(a.timer);
    this.asking.delete(a.id);
    a.resolve(a.answers);
  }

  /** Wire this to the hub: every message a party sends. */
  onMessage(partyId: string, msg: PartyToCoordinator): void {
    if (!msg || typeof msg !== 'object' || !('session' in msg) || typeof msg.session !== 'string') return;
    const a = this.asking.get(msg.session);
    if (a) {
      const from = a.indexOf.get(partyId);
      if (from === undefined || a.answers.has(from)) return;
      if (msg.type === 'done') a.answers.set(from, { ok: true, output: msg.output });
      else if (msg.type === 'abort') a.answers.set(from, { ok: false, kind: failureKindOf(msg.kind), message: String(msg.message) });
      else return; // nothing else belongs to a request: never relayed
      this.answered(a);
      return;
    }
    const r = this.running.get(msg.session);
    if (!r) return;
    const from = r.indexOf.get(partyId);
    if (from === undefined) return; // not a member: ignore, never relay
    r.progress.set(from, (r.progress.get(from) ?? 0) + 1);
    switch (msg.type) {
      case 'envelope':
        return this.relay(r, from, msg);
      case 'done': {
        r.outputs.set(from, msg.output);
        if (r.outputs.size === r.members.size) {
          this.settle(r, 'done');
          r.resolve(r.outputs);
        }
        return;
      }
      case 'abort':
        return this.abort(r, {
          kind: failureKindOf(msg.kind),
          message: String(msg.message),
          culprits: Array.isArray(msg.culprits) ? msg.culprits.filter((c) => r.members.has(c)) : [],
          unresponsive: [],
          reporter: from,
        });
      default:
        return;
    }
  }

  /** Wire this to the hub: a party dropped. Its sessions cannot finish. */
  onDisconnect(partyId: string): void {
    for (const a of [...this.asking.values()]) {
      const index = a.indexOf.get(partyId);
      if (index !== undefined && !a.answers.has(index)) {
        a.answers.set(index, { ok: false, kind: 'unavailable', message: `party ${partyId} disconnected` });
        this.answered(a);
      }
    }
    for (const r of [...this.running.values()]) {
      const index = r.indexOf.get(partyId);
      if (index !== undefined && !r.outputs.has(index)) {
        this.abort(r, { kind: 'unavailable', message: `party ${partyId} disconnected`, culprits: [], unresponsive: [index] });
      }
    }
  }

  get size(): number {
    return this.running.size + this.asking.size + this.waiting.length;
  }

  /** Protocol sessions running now in which this party takes part (admission control counts these). */
  sessionsWith(partyId: string): number {
    return this.load.get(partyId) ?? 0;
  }

  /** Whether a protocol session with this id runs here now (one whose envelopes this runner relays). */
  isRunning(session: string): boolean {
    return this.running.has(session);
  }

  private relay(r: Running, from: number, msg: EnvelopeMessage): void {
    if (msg.from !== from || !(msg.data instanceof Uint8Array) || !Number.isInteger(msg.to)) return;
    const targets = msg.to === 0 ? [...r.members.keys()].filter((i) => i !== from) : [msg.to];
    for (const to of targets) {
      const target = r.members.get(to);
      if (!target) continue;
      this.net.send(target, { type: 'envelope', session: r.id, from, to: msg.to, data: msg.data });
      this.o.metrics?.relayedEnvelopes.inc({ protocol: r.protocol });
      this.o.metrics?.relayedBytes.inc({ protocol: r.protocol }, msg.data.length);
    }
    r.rounds++;
    this.arm(r);
  }

  /** A round deadline: any progress re-arms it. */
  private arm(r: Running): void {
    clearTimeout(r.timer);
    r.timer = setTimeout(() => {
      // Blame the laggards: members that sent fewer messages than the most active one. If all
      // sent as many, nobody can be singled out and every unfinished member is suspect.
      const pending = [...r.members.keys()].filter((i) => !r.outputs.has(i));
      const sent = (i: number) => r.progress.get(i) ?? 0;
      const most = Math.max(0, ...pending.map(sent));
      const laggards = pending.filter((i) => sent(i) < most);
      const unresponsive = laggards.length ? laggards : pending;
      this.abort(r, { kind: 'timeout', message: `session timed out after ${r.timeoutMs} ms without progress`, culprits: [], unresponsive });
    }, r.timeoutMs);
    r.timer.unref?.();
  }

  private abort(r: Running, failure: SessionFailure): void {
    if (!this.running.has(r.id)) return;
    this.settle(r, 'abort');
    this.o.metrics?.aborts.inc({ protocol: r.protocol, kind: failure.kind });
    const msg: AbortMessage = { type: 'abort', session: r.id, kind: failure.kind, message: failure.message, culprits: failure.culprits };
    for (const partyId of r.members.values()) this.net.send(partyId, msg);
    this.o.log?.(`session ${r.id.slice(0, 12)} (${r.protocol}) aborted: ${failure.kind}: ${failure.message}`);
    r.reject(new SessionFailed(failure));
  }

  private settle(r: Running, outcome: 'done' | 'abort'): void {
    clearTimeout(r.timer);
    this.running.delete(r.id);
    this.take(r.members, -1);
    // Let the caller see this outcome first; then start what waited for this room.
    queueMicrotask(() => this.admit());
    this.o.metrics?.sessionDuration.observe({ protocol: r.protocol, outcome }, (Date.now() - r.startedAt) / 1000);
    if (outcome === 'done') this.o.metrics?.sessionRounds.observe({ protocol: r.protocol }, r.rounds);
  }
}
