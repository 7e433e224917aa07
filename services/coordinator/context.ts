// What every coordinator use case works with: the gateway's wiring (CoordinatorOptions) and the few
// shared pieces built once per Coordinator — key access (key-access.ts), the bans learned from the
// parties (signer-bans.ts) and the stock of pre-made FROST commitments (premade-stock.ts). Each use
// case (create-key.ts, sign.ts, verify.ts, refresh.ts, key-policy.ts, key-admin.ts, aliases.ts) is a
// set of functions over this context; coordinator.ts only wires them to the KeyService port.
import type { AckStore, EvidenceStore, KeyStore } from '../storage/gateway-store.ts';
import type { CoordinatorToParty } from '../control/messages.ts';
import type { SessionRunner } from './session-runner.ts';
import type { PublicIdentity } from '../transport/identity.ts';
import type { RefreshActivations } from './refresh-activation.ts';
import type { KeyAccess } from './key-access.ts';
import type { SignerBans } from './signer-bans.ts';
import type { PremadeStock } from './premade-stock.ts';

export type CoordinatorOptions = {
  /** The gateway's state (gateway-store.ts): SQLite, or PostgreSQL shared by replicas. */
  keys: KeyStore;
  runner: SessionRunner;
  /** Every configured party id, in a stable order. */
  parties: string[];
  isConnected: (partyId: string) => boolean;
  region: string;
  accountId: string;
  /** The key-lifecycle clock (creation and deletion dates), ms since the epoch. Tests move it. */
  now?: () => number;
  /** Called when key shares were recorded for deletion, so they can be sent out at once. */
  onShareDeletions?: () => void;
  /** Sends a message to a connected party (false if it is not connected); pre-made commitments go ahead to their likely co-signers. */
  send?: (partyId: string, msg: CoordinatorToParty) => boolean;
  /** The round deadline of DKLs23 key generation (default 30 s): its base-OT rounds take seconds of CPU per party. */
  dkgRoundTimeoutMs?: number;
  /** Where the parties' signed signing-policy revision acknowledgements are kept (revision-acks.ts). */
  acks?: AckStore;
  /** The parties' public identities (the gateway's configuration), to check their acknowledgements. */
  identities?: PublicIdentity[];
  log?: (line: string) => void;
  /** Key creation receipts (GetKeyAttestation) and deleted key ids (attestation-store.ts). */
  evidence?: EvidenceStore;
  /** After ScheduleKeyDeletion: the parties get the signed deletion record now (their wait starts). */
  onShareDeletionsScheduled?: () => void;
  /** CancelKeyDeletion succeeded: the key's parties get a signed cancel. */
  onDeletionCancelled?: (keyId: string, parties: string[]) => void;
  /** Two-phase activation of refreshed shares (refresh-activation.ts); without it parties are not told to activate. */
  activations?: RefreshActivations;
};

export type CoordinatorContext = {
  o: CoordinatorOptions;
  /** Resolve → authorize → state checks, key records, error mapping (key-access.ts). */
  access: KeyAccess;
  /** Per key, the pairs of parties that will not sign together, and the signer choice that avoids them. */
  bans: SignerBans;
  /** Pre-made FROST commitments per key and party: a Sign with one for each signer runs in one round. */
  premade: PremadeStock;
};
