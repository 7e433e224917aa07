// The round machinery every session of every protocol here shares (sans-I/O, in the style of ZF
// frost's part1/part2/part3 and round-based's state machines): intake checks on each envelope,
// buffering of early messages, duplicate and equivocation detection, terminal-step handling, and a
// JSON-safe state so a session can be snapshotted and restored between any two messages. The
// protocol's group (FROST ciphersuite, DKLs23 curve) is its subclass's business
// (protocols/frost/machine.ts, protocols/dkls23/machine.ts).
//
// A round is complete when every other participant's messages for it are in: one broadcast
// (to = 0) and/or one point-to-point message (to = self), as the round's shape says.
import { BROADCAST, SESSION_ID_BYTES, type Envelope } from './envelope.ts';
import { ProtocolError, type AbortKind } from './errors.ts';
import { bytesToHex, equalBytes, fromHex } from './bytes.ts';
import type { Durable, Session, Step } from './session.ts';

export type RoundShape = { readonly broadcast: boolean; readonly p2p: boolean };

export type ErrorJSON = { kind: AbortKind; message: string; culprits: number[] };

/** The JSON-safe part every session's state has (the protocol adds its group's name). Bytes are lowercase hex. */
export type RoundState = {
  v: 1;
  type: string;
  protocol: string;
  sessionId: string;
  self: number;
  /** Every participant's index (including self), ascending. */
  parties: number[];
  started: boolean;
  /** The round whose messages are being collected; rounds.length + 1 once finished. */
  round: number;
  /** `${round}:${'b' | 'p'}:${from}` → payload hex, for every accepted message. */
  inbox: Record<string, string>;
  outcome: null | { kind: 'done'; output: unknown } | { kind: 'abort'; error: ErrorJSON };
};

/** What completing a round produced. */
export type Progress<O, S> = { messages: Envelope[]; durable?: Durable<S>; done?: { output: O } };

const slotKey = (round: number, p2p: boolean, from: number) => `${round}:${p2p ? 'p' : 'b'}:${from}`;

export function errorToJSON(e: ProtocolError): ErrorJSON {
  const suffix = e.culprits.length ? ` (culprit: ${e.culprits.join(', ')})` : '';
  const message = suffix && e.message.endsWith(suffix) ? e.message.slice(0, -suffix.length) : e.message;
  return { kind: e.kind, message, culprits: [...e.culprits] };
}

export function errorFromJSON(j: ErrorJSON): ProtocolError {
  return new ProtocolError(j.kind, j.message, j.culprits);
}

function toProtocolError(e: unknown): ProtocolError {
  if (e instanceof ProtocolError) return e;
  return new ProtocolError('internal', e instanceof Error ? e.message : String(e));
}

/** Checks the parts of a snapshot every session has; the protocol and the session check their own fields. */
export function checkRoundState(json: unknown, type: string): RoundState {
  const bad = (why: string): never => {
    throw new ProtocolError('malformed', `snapshot: ${why}`);
  };
  if (typeof json !== 'object' || json === null) return bad('not an object');
  const s = json as RoundState;
  if (s.v !== 1 || s.type !== type) bad(`not a version-1 ${type} snapshot`);
  if (typeof s.protocol !== 'string' || fromHex(s.sessionId).length !== SESSION_ID_BYTES) bad('bad protocol or session id');
  if (!Array.isArray(s.parties) || !s.parties.includes(s.self)) bad('bad parties');
  if (typeof s.started !== 'boolean' || !Number.isInteger(s.round)) bad('bad round');
  if (typeof s.inbox !== 'object' || s.inbox === null) bad('bad inbox');
  return s;
}

export abstract class RoundMachine<O, S, St extends RoundState> implements Session<O, S> {
  readonly protocol: string;
  readonly sessionId: Uint8Array;
  readonly self: number;
  protected readonly st: St;
  /** Decoded payloads, keyed like the inbox; a cache only (rebuilt from the inbox after restore). */
  private readonly decoded = new Map<string, unknown>();
  /**
   * Accepted payloads as bytes, keyed like the inbox. They join `st.inbox` (as hex) only when a
   * snapshot is taken (toJSON): hex-encoding the ~60 KB a DKLs23 signer receives per peer on every
   * message, for snapshots the service does not take, was a measurable share of a signature.
   */
  private readonly payloads = new Map<string, Uint8Array>();
  private terminalStep: Step<O, S> | null = null;

  protected constructor(
    state: St,
    private readonly shapes: readonly RoundShape[],
  ) {
    this.st = state;
    this.protocol = state.protocol;
    this.sessionId = fromHex(state.sessionId);
    this.self = state.self;
  }

  /** Round-1 messages (randomness was drawn at creation, so this is deterministic). */
  protected abstract begin(): Envelope[];
  /**
   * Strict decoding and every check that needs only this one message. Throws a ProtocolError
   * naming `from` ('malformed', 'invalid-proof', …); the result is cached for complete().
   */
  protected abstract decode(round: number, p2p: boolean, from: number, payload: Uint8Array): unknown;
  /** Called once when every message of `round` is in. */
  protected abstract complete(round: number): Progress<O, S>;
  protected abstract outputToJSON(o: O): unknown;
  protected abstract outputFromJSON(j: unknown): O;
  /** Drops secret working material (polynomials, nonces) from the state once the session ends. */
  protected abstract wipe(): void;

  protected get others(): number[] {
    return this.st.parties.filter((p) => p !== this.self);
  }

  protected envelope(round: number, to: number, payload: Uint8Array): Envelope {
    return { protocol: this.protocol, session: this.sessionId.slice(), round, from: this.self, to, payload };
  }

  /** The decoded message of `from` for a round that is complete. */
  protected message<T>(round: number, p2p: boolean, from: number): T {
    const key = slotKey(round, p2p, from);
    if (!this.decoded.has(key)) this.decoded.set(key, this.decode(round, p2p, from, this.stored(key)));
    return this.decoded.get(key) as T;
  }

  /** The payload of `from` for a round, not copied: read only (for hashing into a transcript). */
  protected payloadView(round: number, p2p: boolean, from: number): Uint8Array {
    return this.stored(slotKey(round, p2p, from));
  }

  /** The raw payload of `from` for a round (for echoes and transcripts): a copy. */
  protected raw(round: number, p2p: boolean, from: number): Uint8Array {
    return this.stored(slotKey(round, p2p, from)).slice();
  }

  private has(key: string): boolean {
    return this.payloads.has(key) || this.st.inbox[key] !== undefined;
  }

  /** An accepted payload (from this run, or from the snapshot's hex after a restore). */
  private stored(key: string): Uint8Array {
    let b = this.payloads.get(key);
    if (!b) {
      const hex = this.st.inbox[key];
      if (hex === undefined) throw new ProtocolError('internal', `no message ${key}`);
      this.payloads.set(key, (b = fromHex(hex)));
    }
    return b;
  }

  start(): Step<O, S> {
    if (this.st.outcome) return this.terminal();
    return this.guard(() => {
      if (this.st.started) throw new ProtocolError('internal', 'start() called twice');
      this.st.started = true;
      return this.pump(this.begin());
    });
  }

  receive(envelope: Envelope): Step<O, S> {
    if (this.st.outcome) return this.terminal();
    return this.guard(() => {
      const dropped = this.accept(envelope);
      if (dropped !== undefined) return { kind: 'wait', dropped };
      return this.st.started ? this.pump([]) : { kind: 'wait' };
    });
  }

  toJSON(): unknown {
    const inbox = { ...this.st.inbox };
    for (const [key, b] of this.payloads) inbox[key] ??= bytesToHex(b);
    return JSON.parse(JSON.stringify({ ...this.st, inbox }));
  }

  /**
   * Intake: everything that can be checked before the message is stored. What no participant can
   * be blamed for (a relay's replay or misrouting) is dropped, returning why, and the session goes
   * on waiting for the real message (TOB-SILA-14: an inauthentic or misdelivered message must not
   * end a session the honest parties can still finish); what an authenticated sender did wrong
   * throws, naming it.
   */
  private accept(e: Envelope): string | undefined {
    if (typeof e !== 'object' || e === null || !(e.payload instanceof Uint8Array) || !(e.session instanceof Uint8Array)) return 'not an envelope';
    // A message of another session or protocol may be a replay by the relay: no culprit.
    if (e.protocol !== this.protocol || !equalBytes(e.session, this.sessionId))
      return `message for ${String(e.protocol)} session ${bytesToHex(e.session).slice(0, 16)}…, not this session`;
    if (!this.st.parties.includes(e.from) || e.from === this.self) return `message from ${e.from}, who is not another participant`;
    // The header (to included) is authenticated, so a wrong addressee means a misrouting relay.
    if (e.to !== BROADCAST && e.to !== this.self) return `message addressed to ${e.to}`;
    const p2p = e.to !== BROADCAST;
    const shape = Number.isInteger(e.round) ? this.shapes[e.round - 1] : undefined;
    // Authenticated and bound to this session: a message for a round that does not exist, for a
    // round more than one ahead (which no honest party can have reached), or of the wrong kind
    // can only come from a misbehaving sender.
    if (!shape || e.round > this.st.round + 1) throw new ProtocolError('unexpected', `round ${e.round} message during round ${this.st.round}`, [e.from]);
    if ((p2p && !shape.p2p) || (!p2p && !shape.broadcast))
      throw new ProtocolError('unexpected', `round ${e.round} has no ${p2p ? 'point-to-point' : 'broadcast'} message`, [e.from]);
    const key = slotKey(e.round, p2p, e.from);
    if (this.has(key)) {
      // The same bytes again can be a network or relay replay; different bytes were signed by
      // the sender, who therefore sent two versions of one message.
      if (equalBytes(this.stored(key), e.payload)) return `second copy of round ${e.round} message from ${e.from}`;
      throw new ProtocolError('equivocation', `two different round ${e.round} messages from ${e.from}`, [e.from]);
    }
    if (e.round < this.st.round) throw new ProtocolError('unexpected', `late round ${e.round} message from ${e.from}`, [e.from]);
    const value = this.decode(e.round, p2p, e.from, e.payload);
    // A copy: the caller may reuse the envelope's buffer.
    this.payloads.set(key, e.payload.slice());
    this.decoded.set(key, value);
    return undefined;
  }

  private roundComplete(round: number): boolean {
    const shape = this.shapes[round - 1];
    if (!shape) return false;
    return this.others.every((p) => (!shape.broadcast || this.has(slotKey(round, false, p))) && (!shape.p2p || this.has(slotKey(round, true, p))));
  }

  /** Completes every round whose messages are all in; a single message can finish several. */
  private pump(initial: Envelope[]): Step<O, S> {
    const messages = [...initial];
    let durable: Durable<S> | undefined;
    while (this.roundComplete(this.st.round)) {
      const p = this.complete(this.st.round);
      this.st.round += 1;
      messages.push(...p.messages);
      if (p.durable) durable = mergeDurable(durable, p.durable);
      if (p.done) {
        this.st.outcome = { kind: 'done', output: this.outputToJSON(p.done.output) };
        this.wipe();
        const step: Step<O, S> = { kind: 'done', messages, output: p.done.output };
        if (durable) step.durable = durable;
        return step;
      }
    }
    if (messages.length === 0 && !durable) return { kind: 'wait' };
    const step: Step<O, S> = { kind: 'send', messages };
    if (durable) step.durable = durable;
    return step;
  }

  private guard(f: () => Step<O, S>): Step<O, S> {
    try {
      return f();
    } catch (e) {
      const error = toProtocolError(e);
      this.st.outcome = { kind: 'abort', error: errorToJSON(error) };
      this.decoded.clear();
      this.wipe();
      this.terminalStep = { kind: 'abort', error };
      return this.terminalStep;
    }
  }

  /**
   * The terminal step again. A done step is repeated without its messages and durable part: they
   * were handed over once already, and sending them twice would make peers abort 'duplicate'.
   */
  private terminal(): Step<O, S> {
    if (!this.terminalStep) {
      const o = this.st.outcome!;
      this.terminalStep =
        o.kind === 'abort' ? { kind: 'abort', error: errorFromJSON(o.error) } : { kind: 'done', messages: [], output: this.outputFromJSON(o.output) };
    }
    return this.terminalStep;
  }
}

function mergeDurable<S>(a: Durable<S> | undefined, b: Durable<S>): Durable<S> {
  if (!a) return { ...b };
  const out: Durable<S> = { ...a };
  if (b.consume) out.consume = [...(a.consume ?? []), ...b.consume];
  if (b.share !== undefined) out.share = b.share;
  return out;
}

/** Input checks every factory shares besides its group; anything wrong is 'bad-parameters'. */
export function checkCommonInputs(o: { sessionId: unknown; rng: unknown }): void {
  if (!(o.sessionId instanceof Uint8Array) || o.sessionId.length !== SESSION_ID_BYTES)
    throw new ProtocolError('bad-parameters', `session id must be ${SESSION_ID_BYTES} bytes`);
  if (typeof o.rng !== 'function') throw new ProtocolError('bad-parameters', 'rng must be a function');
}
