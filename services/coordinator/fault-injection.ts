// Test-only fault injection for the gateway, the coordinator's counterpart of
// services/party/fault-injection.ts. Nothing here runs in production: gateway.ts builds these
// decorations only when it is given `faults` (TUTTI_TEST_STALL from services/main/config.ts, or a
// test that starts the gateway in its own process), and uses the plain SessionRunner and
// RefreshActivations otherwise. They extend the production classes from outside, so those carry
// no test hook.
import type { EnvelopeMessage, PartyToCoordinator, RefreshCertificate } from '../control/messages.ts';
import { RefreshActivations, type RefreshActivationsOptions } from './refresh-activation.ts';
import { SessionRunner, type PartyNetwork, type RunnerOptions } from './session-runner.ts';

/** Watches (and may alter) an envelope a party sent, before the coordinator relays it. */
export type RelayTap = (msg: EnvelopeMessage, fromParty: string) => EnvelopeMessage;

export type CoordinatorFaults = {
  /**
   * Every envelope a party sends in a running session passes through this before the session runner sees it: what a
   * hostile network between the parties and the coordinator (or a hostile coordinator) could
   * read and alter. The runner's own checks (membership, `from`) still apply to what it returns.
   */
  tap?: RelayTap;
  /**
   * TUTTI_TEST_STALL at the gateway: 'refresh:certificate' keeps refresh certificates from the parties;
   * 'reshare:certificate' / 'reshare:record' stop the request before / after carrying one (docs/operations.md).
   */
  stallAt?: string[];
};

/** A SessionRunner whose incoming envelopes pass through a tap first. */
export class TappedSessionRunner extends SessionRunner {
  constructor(
    net: PartyNetwork,
    o: RunnerOptions,
    private readonly tap: RelayTap,
  ) {
    super(net, o);
  }

  override onMessage(partyId: string, msg: PartyToCoordinator): void {
    // Only the envelopes of this runner's own sessions: a test may feed one party's output to several runners.
    const tapped = msg?.type === 'envelope' && typeof msg.session === 'string' && this.isRunning(msg.session);
    super.onMessage(partyId, tapped ? this.tap(msg, partyId) : msg);
  }
}

/**
 * RefreshActivations that record a certificate but never carry it (TUTTI_TEST_STALL
 * 'refresh:certificate'): the gateway stops between gathering the confirmations and sending the
 * certificate, the kill point of tests/e2e/refresh-kill.test.ts. The certificate is remembered as
 * by the plain class, so a member that reconnects to this same gateway still receives it.
 */
export class CertificateWithholding extends RefreshActivations {
  override certify(c: RefreshCertificate, _waitMs?: number): Promise<void> {
    this.remember(c);
    this.o.log?.(`coordinator: keeping the certificate of refresh ${c.session.slice(0, 12)} to itself (TUTTI_TEST_STALL)`);
    return Promise.resolve();
  }
}

/**
 * RefreshActivations that stop a ReshareKey (or refresh) request where a gateway crash would
 * leave it (TUTTI_TEST_STALL; tests/support/reshare-kill.ts): 'reshare:certificate' records the
 * certificate and never sends it nor returns (every receiver confirmed, none activated);
 * 'reshare:record' carries it as the plain class does, then never returns (every receiver
 * activated, the gateway's key record not updated yet, no deletion record sent). Unlike
 * 'refresh:certificate', the request goes no further: what follows certify() is what the crash cuts.
 */
export class StoppingActivations extends RefreshActivations {
  constructor(
    o: RefreshActivationsOptions,
    private readonly at: 'reshare:certificate' | 'reshare:record',
  ) {
    super(o);
  }

  override async certify(c: RefreshCertificate, waitMs: number): Promise<void> {
    if (this.at === 'reshare:certificate') this.remember(c);
    else await super.certify(c, waitMs);
    this.o.log?.(
      `coordinator: stopping after ${this.at === 'reshare:certificate' ? 'gathering' : 'carrying'} the certificate of ${c.session.slice(0, 12)} (TUTTI_TEST_STALL)`,
    );
    return new Promise<void>(() => undefined);
  }
}

/** The session runner for these faults: tapped when a tap is given, plain otherwise. */
export function sessionRunner(net: PartyNetwork, o: RunnerOptions, faults?: CoordinatorFaults): SessionRunner {
  return faults?.tap ? new TappedSessionRunner(net, o, faults.tap) : new SessionRunner(net, o);
}

/** The refresh activations for these faults: withholding certificates when told to, plain otherwise. */
export function refreshActivations(o: RefreshActivationsOptions, faults?: CoordinatorFaults): RefreshActivations {
  const stop = faults?.stallAt?.find((p) => p === 'reshare:certificate' || p === 'reshare:record');
  if (stop) return new StoppingActivations(o, stop);
  return faults?.stallAt?.includes('refresh:certificate') ? new CertificateWithholding(o) : new RefreshActivations(o);
}
