// The DKLs23 sessions' round machine: protocols/core/round-machine.ts with the curve in the state,
// and the running transcript that every later round's randomness is bound to.
//
// Transcript-bound randomness (dkls23-review F1): the state carries `sessionTranscript`, a hash
// chain over every message the session received and sent so far. Before a round's messages are
// computed, the round's received payloads are absorbed; after, the messages it produced. Every
// secret value drawn after creation comes from transcriptRng(seed, step, round, transcript), so a
// session restored from a snapshot and fed different peer messages draws fresh, unrelated values
// (the values drawn at creation, fixed by round 1, are protected otherwise: see sign.ts on the
// presignature). One SHA-256 per direction and round, over payloads already in memory, and only
// when it is needed: the absorbed messages wait (as references, not copies) until the next draw or
// snapshot, so signing never hashes its 49 KB round-3 messages (nothing is drawn after round 2).
import type { Envelope } from '../core/envelope.ts';
import { ProtocolError } from '../core/errors.ts';
import { bytesToHex, fromHex, utf8ToBytes } from '../core/bytes.ts';
import { LABELS } from '../core/labels.ts';
import type { Rng } from '../core/session.ts';
import { RoundMachine, checkCommonInputs, checkRoundState, type Progress, type RoundShape, type RoundState } from '../core/round-machine.ts';
import { dklsCurve, isDklsCurveName, type DklsCurve, type DklsCurveName } from './curve.ts';
import { partyByte, tagged, taggedParts } from './hash.ts';
import { transcriptRng } from './random.ts';

export { errorFromJSON, errorToJSON, type ErrorJSON, type Progress, type RoundShape } from '../core/round-machine.ts';

export type MachineState = RoundState & {
  curve: DklsCurveName;
  /** Secret seed of this session's later randomness (random.ts transcriptRng); '' once it ended. */
  seed: string;
  /** Running hash of every message received and sent so far (lowercase hex, 32 bytes). */
  sessionTranscript: string;
};

/** The transcript before any message: H(SessionTranscript, protocol, session id, u8 self). */
export function initialTranscript(protocol: string, sessionId: Uint8Array, self: number): string {
  return bytesToHex(tagged(LABELS.dkls23SessionTranscript, utf8ToBytes(protocol), sessionId, partyByte(self)));
}

const RECEIVED = Uint8Array.of(0);
const SENT = Uint8Array.of(1);
const BC = Uint8Array.of(0);
const P2P = Uint8Array.of(1);

/** Checks the parts of a snapshot every DKLs23 session has; the session checks its own fields. */
export function checkMachineState(json: unknown, type: string): MachineState {
  const s = checkRoundState(json, type) as MachineState;
  if (!isDklsCurveName(s.curve)) throw new ProtocolError('malformed', 'snapshot: unknown curve');
  if (typeof s.seed !== 'string') throw new ProtocolError('malformed', 'snapshot: bad seed');
  // A snapshot without it comes from before transcript-bound randomness: refused, never guessed.
  if (typeof s.sessionTranscript !== 'string' || fromHex(s.sessionTranscript, 'snapshot transcript').length !== 32)
    throw new ProtocolError('malformed', 'snapshot: no session transcript');
  return s;
}

export abstract class DklsMachine<O, S, St extends MachineState> extends RoundMachine<O, S, St> {
  protected readonly curve: DklsCurve;
  private readonly roundShapes: readonly RoundShape[];
  /** Absorbs not yet folded into `sessionTranscript`, oldest first (flushTranscript). */
  private readonly pending: Uint8Array[][] = [];

  protected constructor(state: St, shapes: readonly RoundShape[]) {
    super(state, shapes);
    this.curve = dklsCurve(state.curve);
    this.roundShapes = shapes;
  }

  /** Round-1 messages (values drawn at creation). */
  protected abstract firstMessages(): Envelope[];
  /** Called once when every message of `round` is in; draws its randomness with stepRng. */
  protected abstract completeRound(round: number): Progress<O, S>;

  protected begin(): Envelope[] {
    const messages = this.firstMessages();
    this.absorb(
      SENT,
      1,
      messages.map((m) => [m.to, m.to !== 0, m.payload]),
    );
    return messages;
  }

  protected complete(round: number): Progress<O, S> {
    const shape = this.roundShapes[round - 1]!;
    const received: [number, boolean, Uint8Array][] = [];
    for (const p of this.others) {
      if (shape.broadcast) received.push([p, false, this.payloadView(round, false, p)]);
      if (shape.p2p) received.push([p, true, this.payloadView(round, true, p)]);
    }
    this.absorb(RECEIVED, round, received);
    const progress = this.completeRound(round);
    this.absorb(
      SENT,
      round + 1,
      progress.messages.map((m) => [m.to, m.to !== 0, m.payload]),
    );
    return progress;
  }

  /**
   * transcript ← H(SessionTranscript, transcript, u8 direction, u8 round, then per message:
   * u8 peer (sender or addressee, 0 = broadcast), u8 p2p, payload).
   */
  private absorb(direction: Uint8Array, round: number, messages: [number, boolean, Uint8Array][]): void {
    const parts: Uint8Array[] = [direction, Uint8Array.of(round)];
    for (const [peer, p2p, payload] of messages) parts.push(Uint8Array.of(peer), p2p ? P2P : BC, payload);
    this.pending.push(parts);
  }

  /** Folds the pending absorbs into `sessionTranscript`, in order (the same chain as folding each at once). */
  private flushTranscript(): Uint8Array {
    let t = fromHex(this.st.sessionTranscript);
    if (!this.pending.length) return t;
    for (const parts of this.pending) t = taggedParts(LABELS.dkls23SessionTranscript, [t, ...parts]);
    this.pending.length = 0;
    this.st.sessionTranscript = bytesToHex(t);
    return t;
  }

  /** The randomness of one step of the round being completed, bound to the transcript so far. */
  protected stepRng(step: string): Rng {
    if (!this.st.seed) throw new ProtocolError('internal', 'the session has ended: no more randomness');
    return transcriptRng(fromHex(this.st.seed), `${this.protocol}/${step}`, this.st.round, this.flushTranscript());
  }

  /** A snapshot holds the transcript of everything absorbed so far. */
  override toJSON(): unknown {
    this.flushTranscript();
    return super.toJSON();
  }
}

/** Input checks every factory shares; anything wrong is 'bad-parameters'. */
export function checkSessionInputs(o: { curve: unknown; sessionId: unknown; rng: unknown }): void {
  if (!isDklsCurveName(o.curve)) throw new ProtocolError('bad-parameters', `unknown DKLs23 curve '${String(o.curve)}'`);
  checkCommonInputs(o);
}
