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
import type { DerivationStore } from '../storage/derivation-store.ts';
import type { DeviceParties } from './device-parties.ts';
import type { PresignStock } from './presign-stock.ts';

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
  /**
   * DKLs23 presignatures kept per key and signer set (presign-stock.ts); 0 or absent: off. The
   * gateway sets it (TUTTI_PRESIGN_STOCK, default 16); tests that script the session runner leave
   * it off, since refills are sessions of their own.
   */
  presignStock?: number;
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
  /** Chain codes and derived child keys (derive-key.ts); without it CreateKey derives nothing. */
  derivations?: DerivationStore;
  /** Registered device parties (device-parties.ts, docs/waas.md); without it no key can name one. */
  devices?: DeviceParties;
  /** How long CreateKey and Sign wait for an offline device party of the key to connect (default 10 s). */
  deviceWaitMs?: number;
  /** ReshareKey onto new parties: a holder's public package of the key (key-packages.ts). */
  askKeyPackage?: (partyId: string, keyId: string) => Promise<{ package: unknown; chainCode?: string; holds?: string; policyChain?: unknown } | undefined>;
  /** The gateway's public key as parties pin it: RegisterDeviceParty hands it to the device. */
  coordinatorPin?: { coordinatorId: string; signPublic: string };
};

export type CoordinatorContext = {
  o: CoordinatorOptions;
  /** Resolve → authorize → state checks, key records, error mapping (key-access.ts). */
  access: KeyAccess;
  /** Per key, the pairs of parties that will not sign together, and the signer choice that avoids them. */
  bans: SignerBans;
  /** Pre-made FROST commitments per key and party: a Sign with one for each signer runs in one round. */
  premade: PremadeStock;
  /** DKLs23 presignatures per key and signer set (presign-stock.ts): a Sign with one runs in one round. */
  presigns: PresignStock;
};
