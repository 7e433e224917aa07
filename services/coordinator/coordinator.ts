// The coordinator: the KMS front end's KeyService, wired to one file per use case. Untrusted for
// secrets: it handles public keys, signatures and opaque envelopes only.
//
//   create-key.ts   CreateKey: DKG with all n parties, creation receipts, revision-1 acknowledgements
//   sign.ts         Sign, top to bottom: checks, signer choice, the one-round pre-made FROST path and
//                   its two-round fallback, retries, verification; and the pre-made commitment stock
//   verify.ts       Verify
//   refresh.ts      the operator's refresh (with refresh-activation.ts)
//   reshare.ts      ReshareKey (Tutti extension): new holders and threshold, same public key
//   key-policy.ts   Get/Put/ListKeyPolicies and signing-policy revisions with the parties' acks
//   key-admin.ts    describe/list, public key, enable/disable, description, deletion scheduling, tags
//   aliases.ts      Create/Update/Delete/ListAliases
//
// Every one of them runs key-access.ts's checks first: resolve the KeyId → the key policy allows
// the caller → the key's state allows the operation → the operation's own checks → the change, in
// one transaction of the gateway store (services/storage/gateway-store.ts: SQLite or PostgreSQL). signer-bans.ts and premade-stock.ts hold what the coordinator learns
// from the parties (bans, pre-made commitments), shared by Sign and refresh.
import type { AliasRecord, Caller, KeyRecord, KeyService, Page, Tag } from '../kms-api/key-service.ts';
import type { StoredRevisionAck } from '../storage/revision-acks.ts';
import { PremadeStock } from './premade-stock.ts';
import { PresignStock } from './presign-stock.ts';
import { KeyAccess } from './key-access.ts';
import { SignerBans } from './signer-bans.ts';
import type { CoordinatorContext, CoordinatorOptions } from './context.ts';
import { createKey, type CreateKeyRequest } from './create-key.ts';
import { onPartyDisconnected, onPremade, sign, type SignRequest } from './sign.ts';
import { verify, type VerifyRequest } from './verify.ts';
import { refreshKey, type RefreshOptions, type RefreshOutcome } from './refresh.ts';
import { reshareKey, type ReshareRequest } from './reshare.ts';
import { getKeyPolicy, listKeyPolicies, putKeyPolicy, signingPolicyRevisions, type PutKeyPolicyRequest } from './key-policy.ts';
import * as admin from './key-admin.ts';
import * as aliases from './aliases.ts';
import { registerDeviceParty } from './register-device.ts';
import type { DeviceRegistration } from './device-parties.ts';
import type { PublicIdentity } from '../transport/identity.ts';

export type { CoordinatorOptions } from './context.ts';
export { MAX_ALIASES_PER_KEY } from './aliases.ts';

export class Coordinator implements KeyService {
  /** Pre-made FROST commitments per key and party (premade-stock.ts): a Sign with one for each signer runs in one round. */
  readonly premade = new PremadeStock();
  /** DKLs23 presignatures per key and signer set (presign-stock.ts): a Sign with one runs in one round. */
  readonly presigns: PresignStock;
  private readonly ctx: CoordinatorContext;

  constructor(o: CoordinatorOptions) {
    this.presigns = new PresignStock(o.presignStock ?? 0);
    this.ctx = { o, access: new KeyAccess(o), bans: new SignerBans(o), premade: this.premade, presigns: this.presigns };
  }

  /** A party published commitments of nonce pairs it made for a key ('premade'); see sign.ts. */
  onPremade(partyId: string, msg: { keyId?: unknown; commitments?: unknown }): Promise<void> {
    // Never rejects: a store that cannot be read (database unreachable) loses this stock only.
    return onPremade(this.ctx, partyId, msg).catch((err: unknown) =>
      this.ctx.o.log?.(`coordinator: premade of ${partyId} dropped: ${(err as Error)?.message}`),
    );
  }

  /** A party's link dropped: if it restarted, its pre-made pairs are gone. */
  onPartyDisconnected(partyId: string): void {
    onPartyDisconnected(this.ctx, partyId);
  }

  arnOf(keyId: string, accountId?: string): string {
    return this.ctx.access.arnOf(keyId, accountId);
  }

  aliasArnOf(aliasName: string, accountId?: string): string {
    return this.ctx.access.aliasArnOf(aliasName, accountId);
  }

  // --- keys and signing ------------------------------------------------------------------------

  createKey(req: CreateKeyRequest, caller: Caller): Promise<KeyRecord> {
    return createKey(this.ctx, req, caller);
  }
  importKeyShares(req: Omit<CreateKeyRequest, 'import'> & { manifest: unknown; bundles: unknown }, caller: Caller): Promise<KeyRecord> {
    const { manifest, bundles, ...rest } = req;
    return createKey(this.ctx, { ...rest, import: { manifest, bundles } }, caller);
  }
  sign(req: SignRequest, caller: Caller): Promise<{ key: KeyRecord; signature: Uint8Array }> {
    return sign(this.ctx, req, caller);
  }
  verify(req: VerifyRequest, caller: Caller): Promise<{ key: KeyRecord; valid: boolean }> {
    return verify(this.ctx, req, caller);
  }
  describeKey(keyId: string, caller: Caller): Promise<KeyRecord> {
    return admin.describeKey(this.ctx, keyId, caller);
  }
  registerDeviceParty(identity: PublicIdentity, caller: Caller): Promise<DeviceRegistration> {
    return Promise.resolve().then(() => registerDeviceParty(this.ctx, identity, caller));
  }
  getKeyAttestation(keyId: string, caller: Caller): ReturnType<typeof admin.getKeyAttestation> {
    return admin.getKeyAttestation(this.ctx, keyId, caller);
  }
  listKeys(limit: number, marker: string | undefined, caller: Caller): Promise<{ keys: KeyRecord[]; nextMarker?: string }> {
    return admin.listKeys(this.ctx, limit, marker, caller);
  }
  getPublicKey(keyId: string, caller: Caller): Promise<KeyRecord> {
    return admin.getPublicKey(this.ctx, keyId, caller);
  }

  /** ReshareKey (Tutti extension): see reshare.ts. */
  reshareKey(keyId: string, req: ReshareRequest, caller: Caller): Promise<KeyRecord> {
    return reshareKey(this.ctx, keyId, req, caller);
  }

  /** The operator's refresh (`cli.ts refresh`, docs/operations.md "Refreshing a key"); see refresh.ts. */
  refreshKey(keyId: string, o: RefreshOptions): Promise<RefreshOutcome> {
    return refreshKey(this.ctx, keyId, o);
  }

  // --- key state -------------------------------------------------------------------------------

  enableKey(keyId: string, caller: Caller): Promise<void> {
    return admin.enableKey(this.ctx, keyId, caller);
  }
  disableKey(keyId: string, caller: Caller): Promise<void> {
    return admin.disableKey(this.ctx, keyId, caller);
  }
  scheduleKeyDeletion(keyId: string, pendingWindowInDays: number, caller: Caller): Promise<KeyRecord> {
    return admin.scheduleKeyDeletion(this.ctx, keyId, pendingWindowInDays, caller);
  }
  cancelKeyDeletion(keyId: string, caller: Caller): Promise<KeyRecord> {
    return admin.cancelKeyDeletion(this.ctx, keyId, caller);
  }
  updateKeyDescription(keyId: string, description: string, caller: Caller): Promise<void> {
    return admin.updateKeyDescription(this.ctx, keyId, description, caller);
  }

  // --- aliases and tags ------------------------------------------------------------------------

  createAlias(aliasName: string, targetKeyId: string, caller: Caller): Promise<void> {
    return aliases.createAlias(this.ctx, aliasName, targetKeyId, caller);
  }
  updateAlias(aliasName: string, targetKeyId: string, caller: Caller): Promise<void> {
    return aliases.updateAlias(this.ctx, aliasName, targetKeyId, caller);
  }
  deleteAlias(aliasName: string, caller: Caller): Promise<void> {
    return aliases.deleteAlias(this.ctx, aliasName, caller);
  }
  listAliases(req: { keyId?: string; limit: number; marker?: string }, caller: Caller): Promise<Page<AliasRecord>> {
    return aliases.listAliases(this.ctx, req, caller);
  }
  tagResource(keyId: string, tags: Tag[], caller: Caller): Promise<void> {
    return admin.tagResource(this.ctx, keyId, tags, caller);
  }
  untagResource(keyId: string, tagKeys: string[], caller: Caller): Promise<void> {
    return admin.untagResource(this.ctx, keyId, tagKeys, caller);
  }
  listResourceTags(req: { keyId: string; limit: number; marker?: string }, caller: Caller): Promise<Page<Tag>> {
    return admin.listResourceTags(this.ctx, req, caller);
  }

  // --- key policy ------------------------------------------------------------------------------

  getKeyPolicy(keyId: string, policyName: string, caller: Caller): Promise<string> {
    return getKeyPolicy(this.ctx, keyId, policyName, caller);
  }
  putKeyPolicy(req: PutKeyPolicyRequest, caller: Caller): Promise<void> {
    return putKeyPolicy(this.ctx, req, caller);
  }
  signingPolicyRevisions(keyId: string, caller: Caller): Promise<StoredRevisionAck[]> {
    return signingPolicyRevisions(this.ctx, keyId, caller);
  }
  listKeyPolicies(req: { keyId: string; limit: number; marker?: string }, caller: Caller): Promise<Page<string>> {
    return listKeyPolicies(this.ctx, req, caller);
  }
}
