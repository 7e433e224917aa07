// Relay building blocks for adversarial tests. The transport authenticates senders, so a relay
// that rewrites party j's messages models a malicious party j (its session otherwise honest).
import type { Envelope } from '../../protocols/core/envelope.ts';
import type { Delivery, Relay } from './simulator.ts';

export type Match = (e: Envelope, to: number) => boolean;

export const honest: Relay = (envelope, recipients) => recipients.map((to) => ({ to, envelope }));

/** Messages of `from` in `round` (and, if given, addressed to `to`: 0 = broadcast). */
export function from(party: number, round: number, to?: number): Match {
  return (e) => e.from === party && e.round === round && (to === undefined || e.to === to);
}

/** Delivers `f(envelope, receiver)` instead of matching envelopes (different per receiver = equivocation). */
export function rewrite(match: Match, f: (e: Envelope, to: number) => Envelope): Relay {
  return (envelope, recipients) => recipients.map((to): Delivery => ({ to, envelope: match(envelope, to) ? f(envelope, to) : envelope }));
}

/** Replaces the payload of matching envelopes. */
export function payload(match: Match, f: (p: Uint8Array, to: number, e: Envelope) => Uint8Array): Relay {
  return rewrite(match, (e, to) => ({ ...e, payload: f(e.payload, to, e) }));
}

/** Drops matching envelopes. */
export function drop(match: Match): Relay {
  return (envelope, recipients) => recipients.filter((to) => !match(envelope, to)).map((to) => ({ to, envelope }));
}

/** Delivers matching envelopes twice. */
export function duplicate(match: Match): Relay {
  return (envelope, recipients) =>
    recipients.flatMap((to) =>
      match(envelope, to)
        ? [
            { to, envelope },
            { to, envelope },
          ]
        : [{ to, envelope }],
    );
}

/** Runs relays one after another (each sees the previous one's deliveries). */
export function chain(...relays: Relay[]): Relay {
  return (envelope, recipients) => {
    let deliveries: Delivery[] = recipients.map((to) => ({ to, envelope }));
    for (const r of relays) deliveries = deliveries.flatMap((d) => r(d.envelope, [d.to]));
    return deliveries;
  };
}

export function flipByte(p: Uint8Array, at: number): Uint8Array {
  const out = p.slice();
  const k = at < 0 ? out.length + at : at;
  out[k] = out[k]! ^ 1;
  return out;
}
