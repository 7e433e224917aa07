// Test-only fault injection for a party (docs/operations.md "TUTTI_TEST_STALL", "TUTTI_TEST_TAMPER").
// party-daemon.ts builds one only when those variables are set and hands it to the party; the
// production code calls its hooks at fixed points (session-driver.ts before a step's messages
// leave, refresh.ts before a refresh confirmation leaves, activation.ts before a certificate is
// acted on) and behaves exactly as without it when none is given.
import type { Envelope } from '../../protocols/core/envelope.ts';

export type FaultInjectionOptions = {
  partyId: string;
  log?: (line: string) => void;
  /**
   * TUTTI_TEST_STALL: '<kind>:<round>' ('dkg:2' stops this party before it sends DKG round-2
   * messages), or a refresh point: 'refresh:confirm', 'refresh:activate'. Read at each use.
   */
  stallAt?: string[];
  /**
   * TUTTI_TEST_TAMPER: '<kind>:<round>' ('sign:2' makes this party cheat in signing round 2 — the
   * last byte of each of its point-to-point payloads is flipped before it is sealed). Read at each
   * use, so a test may change the list while the party runs.
   */
  tamperAt?: string[];
};

/** The hooks the party calls; every one is a no-op unless its variable names the point. */
export class FaultInjection {
  /** Sessions that stalled: silent from then on, but still connected. */
  private readonly stalled = new WeakSet<object>();

  constructor(private readonly o: FaultInjectionOptions) {}

  /**
   * Before a session's step sends `messages` (of round `round`): true if the session is to go
   * silent instead (it stalled before, or TUTTI_TEST_STALL names this kind and round).
   */
  silences(session: object, kind: string, messages: readonly Envelope[]): boolean {
    if (this.stalled.has(session)) return true;
    if (!messages.length || !this.o.stallAt?.includes(`${kind}:${messages[0]!.round}`)) return false;
    this.o.log?.(`party ${this.o.partyId}: stalling before ${kind} round ${messages[0]!.round} (TUTTI_TEST_STALL)`);
    this.stalled.add(session);
    return true;
  }

  /** A named point ('refresh:confirm', 'refresh:activate'): true if the party stops there; `what` is logged. */
  stopsAt(point: string, what: string): boolean {
    if (!this.o.stallAt?.includes(point)) return false;
    this.o.log?.(`party ${this.o.partyId}: stalling before ${what} (TUTTI_TEST_STALL)`);
    return true;
  }

  /** The messages of a step as they leave: p2p payloads altered when TUTTI_TEST_TAMPER names the kind and round. */
  outgoing(kind: string, messages: readonly Envelope[]): readonly Envelope[] {
    if (!this.o.tamperAt?.includes(`${kind}:${messages[0]?.round}`)) return messages;
    return messages.map((sent) => (sent.to !== 0 ? { ...sent, payload: flipLastByte(sent.payload) } : sent));
  }
}

/** A copy of the payload with its last byte flipped. */
function flipLastByte(payload: Uint8Array): Uint8Array {
  const out = Uint8Array.from(payload);
  if (out.length) out[out.length - 1]! ^= 0x01;
  return out;
}
