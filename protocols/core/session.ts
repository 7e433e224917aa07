// The interface every protocol session implements (sans-I/O, in the style of round-based and
// ZF frost): a session is a pure state machine. Services feed it authenticated envelopes, one at a
// time, and act on the Step it returns. Randomness comes in through the constructor; sessions
// never touch sockets, clocks, storage or the environment.
import type { Envelope } from './envelope.ts';
import type { ProtocolError } from './errors.ts';

/** Cryptographically secure randomness, injected (services pass noble's randomBytes). */
export type Rng = (bytes: number) => Uint8Array;

/**
 * What must be made durable before the step's messages leave the party. The party service
 * commits this (SQLite, synchronous FULL) and only then sends; if it cannot, it aborts.
 */
export type Durable<S> = {
  /** Ids of single-use material (FROST nonces, DKLs23 pre-signatures) to mark consumed. Inserting an id twice must fail. */
  consume?: string[];
  /** A key share to store (as pending until the session is done). */
  share?: S;
};

export type Step<O, S = never> =
  /** Send these messages and keep waiting. */
  | { kind: 'send'; messages: Envelope[]; durable?: Durable<S> }
  /**
   * Nothing to send yet; wait for more messages. `dropped`: the envelope was refused without
   * ending the session, because nobody can be blamed for it (a relay's replay or misrouting;
   * TOB-SILA-14): the session keeps waiting for the real message until its deadline.
   */
  | { kind: 'wait'; dropped?: string }
  /** Finished: send the last messages (if any) and deliver the output. */
  | { kind: 'done'; messages: Envelope[]; output: O; durable?: Durable<S> }
  /** Stopped for good: no output, ever. The error names the culprits where the protocol can. */
  | { kind: 'abort'; error: ProtocolError };

export interface Session<O, S = never> {
  readonly protocol: string;
  readonly sessionId: Uint8Array;
  /** This party's 1-based index among the key's parties. */
  readonly self: number;
  /** First step: usually the round-1 messages. Call once. */
  start(): Step<O, S>;
  /**
   * One authenticated envelope in (the transport has already checked the sender's signature or
   * opened the seal). After an abort or done, every further call returns the same terminal step.
   */
  receive(envelope: Envelope): Step<O, S>;
  /** JSON-safe snapshot of the whole state; the protocol module offers a matching restore. */
  toJSON(): unknown;
}
