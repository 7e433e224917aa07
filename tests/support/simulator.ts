// In-process network for protocol sessions: runs n Session objects to completion, delivering each
// broadcast to every other party and each point-to-point message to its addressee, through an
// optional `relay` that can tamper, drop, duplicate, reorder or equivocate. It also plays the
// party service where the protocol layer relies on it: it refuses a step whose durable part
// consumes an id already consumed (the service's unique index), and it turns "no more progress"
// into a 'timeout' abort (the service's round deadline).
import { BROADCAST, decodeEnvelope, encodeEnvelope, type Envelope } from '../../protocols/core/envelope.ts';
import { ProtocolError } from '../../protocols/core/errors.ts';
import type { Durable, Session, Step } from '../../protocols/core/session.ts';
import { sha256 } from '@noble/hashes/sha2.js';

export type Delivery = { to: number; envelope: Envelope };

/**
 * Sees every envelope a party sends, with the parties it is meant for, and returns what is
 * actually delivered: the default is one delivery per recipient. Return fewer to drop, more to
 * duplicate, different envelopes per recipient to equivocate.
 */
export type Relay = (envelope: Envelope, recipients: number[]) => Delivery[];

export type PartyResult<O> = { kind: 'done'; output: O } | { kind: 'abort'; error: ProtocolError };

export type SimulateOptions = {
  relay?: Relay;
  /** Delivery order: first in first out (default), last in first out, or seeded shuffle. */
  order?: 'fifo' | 'lifo' | { seed: number };
  /** Upper bound on deliveries (default 100 000). */
  maxDeliveries?: number;
  /** Consumed single-use ids shared across runs (default: a fresh set per run). */
  consumed?: Set<string>;
  /** Round-trip every envelope through the wire codec (default true). */
  wire?: boolean;
  /**
   * Called before each delivery with the receiving party's session; whatever it returns receives
   * the message from then on (e.g. a session restored from a snapshot of the old one).
   */
  intercept?: <O, S>(party: number, session: Session<O, S>, deliveries: number) => Session<O, S>;
};

export type Simulation<O, S> = {
  results: Map<number, PartyResult<O>>;
  /** Every envelope as sent by a session, before the relay. */
  sent: Envelope[];
  /** Every delivery the relay made. */
  relayed: Delivery[];
  durables: { party: number; durable: Durable<S> }[];
};

/** Deterministic test randomness (SHA-256 in counter mode over a seed). */
export function seededRng(seed: string | number): (n: number) => Uint8Array {
  let counter = 0;
  const key = new TextEncoder().encode(`tutti-test-rng/${seed}/`);
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 32) {
      const block = sha256(new Uint8Array([...key, ...new TextEncoder().encode(String(counter++))]));
      out.set(block.subarray(0, Math.min(32, n - off)), off);
    }
    return out;
  };
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function simulate<O, S>(sessions: Session<O, S>[], opts: SimulateOptions = {}): Simulation<O, S> {
  const byIndex = new Map<number, Session<O, S>>();
  for (const s of sessions) {
    if (byIndex.has(s.self)) throw new Error(`two sessions for party ${s.self}`);
    byIndex.set(s.self, s);
  }
  const parties = [...byIndex.keys()].sort((a, b) => a - b);
  const relay: Relay = opts.relay ?? ((envelope, recipients) => recipients.map((to) => ({ to, envelope })));
  const consumed = opts.consumed ?? new Set<string>();
  const maxDeliveries = opts.maxDeliveries ?? 100_000;
  const wire = opts.wire ?? true;
  const random = typeof opts.order === 'object' ? mulberry32(opts.order.seed) : null;

  const results = new Map<number, PartyResult<O>>();
  const sent: Envelope[] = [];
  const relayed: Delivery[] = [];
  const durables: Simulation<O, S>['durables'] = [];
  const queue: Delivery[] = [];

  const transmit = (e: Envelope) => {
    sent.push(e);
    const recipients = e.to === BROADCAST ? parties.filter((p) => p !== e.from) : byIndex.has(e.to) ? [e.to] : [];
    for (const d of relay(e, recipients)) {
      const envelope = wire ? decodeEnvelope(encodeEnvelope(d.envelope)).envelope : d.envelope;
      relayed.push({ to: d.to, envelope });
      queue.push({ to: d.to, envelope });
    }
  };

  const handle = (party: number, step: Step<O, S>) => {
    if (step.kind === 'abort') {
      results.set(party, { kind: 'abort', error: step.error });
      return;
    }
    if (step.kind === 'wait') return;
    if (step.durable) {
      durables.push({ party, durable: step.durable });
      const ids = step.durable.consume ?? [];
      // The service's consumed-id table has a unique index: a second insert fails, and then the
      // step's messages must not leave.
      if (ids.some((id) => consumed.has(id))) {
        results.set(party, { kind: 'abort', error: new ProtocolError('nonce-reuse', `durable store refused: id already consumed`) });
        return;
      }
      ids.forEach((id) => consumed.add(id));
    }
    step.messages.forEach(transmit);
    if (step.kind === 'done') results.set(party, { kind: 'done', output: step.output });
  };

  for (const p of parties) handle(p, byIndex.get(p)!.start());

  let deliveries = 0;
  while (queue.length && deliveries < maxDeliveries) {
    const k = opts.order === 'lifo' ? queue.length - 1 : random ? Math.floor(random() * queue.length) : 0;
    const d = queue.splice(k, 1)[0]!;
    deliveries++;
    let session = byIndex.get(d.to);
    if (!session || results.has(d.to)) continue;
    if (opts.intercept) {
      session = opts.intercept(d.to, session, deliveries);
      byIndex.set(d.to, session);
    }
    handle(d.to, session.receive(d.envelope));
  }
  for (const p of parties) if (!results.has(p)) results.set(p, { kind: 'abort', error: new ProtocolError('timeout', 'no progress: messages missing') });
  return { results, sent, relayed, durables };
}

/** The outputs of a run in which every party must have finished; throws with the errors otherwise. */
export function outputsOf<O, S>(sim: Simulation<O, S>): Map<number, O> {
  const out = new Map<number, O>();
  const errors: string[] = [];
  for (const [p, r] of sim.results) {
    if (r.kind === 'done') out.set(p, r.output);
    else errors.push(`party ${p}: ${r.error.kind}: ${r.error.message}`);
  }
  if (errors.length) throw new Error(`simulation did not finish:\n${errors.join('\n')}`);
  return out;
}
