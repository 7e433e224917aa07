// What a Party is built from (party.ts) and the public facts it keeps beside each share: shared by
// the use cases (sign.ts, dkg.ts, refresh.ts, key-deletion.ts) and the session driver.
import type { Identity, PublicIdentity } from '../transport/identity.ts';
import type { ConsumedStore } from '../storage/consumed-store.ts';
import type { ShareStore } from '../storage/share-store.ts';
import type { BanStore } from '../storage/ban-store.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { PartyToCoordinator } from '../control/messages.ts';
import type { CoordinatorPin } from '../transport/coordinator-identity.ts';
import type { DeletionStore } from '../storage/deletion-store.ts';
import type { SessionStore } from '../storage/session-store.ts';
import type { RefreshStore } from '../storage/refresh-store.ts';
import type { KeyFacts, PolicyGate } from './policy-gate.ts';
import type { SessionHost } from './session-host.ts';
import type { FaultInjection } from './fault-injection.ts';
import { PROTOCOL_SUITES, RequestRefused } from './request-check.ts';
import { FAMILIES, type ProtocolFamily } from './protocol-families.ts';

/** Public facts a party keeps beside its (encrypted) share. */
export type KeyMeta = {
  keySpec: string;
  protocol: string;
  /** The FROST suite or the DKLs23 curve (request-check.ts PROTOCOL_SUITES). */
  suite: string;
  threshold: number;
  n: number;
  parties: PublicIdentity[];
  publicKey: string;
  transcriptHash: string;
  /** The signing policy's hash as this party computed it and bound it into the DKG (null: a key from before signing policies). */
  policyHash: string | null;
  /** Hex chain code for HD derivation, from the DKG transcript (derived-key.ts); absent for keys made before it. Kept through refreshes. */
  chainCode?: string;
  /** This party's index; stored in clear but bound into the share's at-rest AAD with the rest of meta. */
  self: number;
};

export type PartyOptions = {
  identity: Identity;
  allowlist: PublicIdentity[];
  shares: ShareStore;
  consumed: ConsumedStore;
  /** Called after each group commit of consumes with the number of sessions in it and its duration. */
  onConsumeBatch?: (sessions: number, ms: number) => void;
  /** The signing-policy gate: every sign request and policy change is decided there (issue 5). */
  policies: PolicyGate;
  /** Peers banned per key after a failed DKLs23 OT/VOLE check (ban-store.ts). */
  bans: BanStore;
  /**
   * The two-phase activation of refreshed shares (activation.ts, docs/protocols.md "Refresh
   * activation"); without it the party refuses to refresh.
   */
  refreshes?: RefreshStore;
  /** Worker threads for sessions whose family runs them there (DKLs23 DKG); without one they run inline. */
  sessionHost?: SessionHost;
  send: (msg: PartyToCoordinator) => void;
  metrics?: Metrics;
  log?: (line: string) => void;
  /** Tests only (TUTTI_TEST_STALL, TUTTI_TEST_TAMPER): fault-injection.ts; absent in production. */
  faults?: FaultInjection;
  /** Sessions idle longer than this are dropped (the coordinator aborts them long before). */
  sessionTtlMs?: number;
  /** The gateway's pinned key (peers.json `coordinator`): a share is deleted only on a record it signed (key-deletion.ts). */
  coordinator?: CoordinatorPin | readonly CoordinatorPin[];
  /** Deletion requests waiting out the party's own period, and tombstones of deleted key ids. */
  deletions?: DeletionStore;
  /** The waiting period before a signed deletion is carried out (default: the key's window, at least 7 days). */
  deletionWaitMs?: number;
  /**
   * Session ids opened here, durably: a session id never runs twice, also across restarts
   * (session-store.ts). Required: a party without it would refuse a replayed `open` only while the
   * process lives, and a coordinator could replay a captured one after a restart.
   */
  sessionIds: SessionStore;
};

/** The facts the policy gate needs about a key, from this party's own share record. */
export function keyFacts(keyId: string, meta: KeyMeta): KeyFacts {
  return {
    keyId,
    keySpec: meta.keySpec,
    protocol: meta.protocol,
    publicKey: meta.publicKey,
    policyHash: meta.policyHash ?? null,
    threshold: meta.threshold,
    n: meta.n,
  };
}

/** The protocol family of a key's protocol (request-check.ts PROTOCOL_SUITES). */
export function familyOf(protocol: string): ProtocolFamily {
  const suite =
    PROTOCOL_SUITES[protocol] ??
    (() => {
      throw new RequestRefused(`unsupported protocol '${protocol}'`);
    })();
  return FAMILIES[suite.family];
}
