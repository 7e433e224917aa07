// CreateKey: check the request and the key policy → the signing policy every party will enforce →
// the key's parties and threshold (tags.ts) → a 'Creating' record → a DKG session with all n
// parties → the key exists only when all confirmed the same transcript, public key and policy hash
// → each party's signed creation receipt (GetKeyAttestation) and acknowledgement of signing-policy
// revision 1 are kept. On any failure the record is purged and every party told to drop its share.
import { randomUUID } from 'node:crypto';
import type { Caller, KeyRecord, Tag } from '../kms-api/key-service.ts';
import { KmsError, internal, keyUnavailable, validation } from '../kms-api/errors.ts';
import { defaultKeyPolicy, parseKeyPolicy } from '../../policies/aws-key-policy.ts';
import { policyHash as signingPolicyHash } from '../../policies/hash.ts';
import type { StoredKey } from '../storage/key-repository.ts';
import type { DkgResult } from '../control/messages.ts';
import { KEY_SPECS, spkiDer } from './key-specs.ts';
import { recordRevisionAcks } from './revision-acks.ts';
import { checkSignerOverlap, initialSigningPolicy, storedSigningPolicy } from './signing-policy.ts';
import { chooseParties } from './tags.ts';
import { awaitDevices, devicesOfflineMessage } from './device-parties.ts';
import { keyRecord } from './key-access.ts';
import type { CoordinatorContext } from './context.ts';
import { createDerivedKey, derivationRequest, rememberChainCode } from './derive-key.ts';
import { ORIGIN_TAG, importError, planImport, type ImportRequest } from './import-key.ts';

export type CreateKeyRequest = {
  keySpec: string;
  keyUsage: string;
  description: string;
  tags: Tag[];
  policy?: string;
  bypassPolicyLockoutSafetyCheck?: boolean;
  /** ImportKeyShares (import-key.ts): a key split offline; parties and threshold are the manifest's. */
  import?: ImportRequest;
};

export async function createKey(ctx: CoordinatorContext, req: CreateKeyRequest, caller: Caller): Promise<KeyRecord> {
  const { o, access } = ctx;
  access.requireAccountPrincipal(caller, 'CreateKey');
  // tutti:derive-from + tutti:path: a child of an existing key, no DKG (derive-key.ts).
  const derive = req.import ? undefined : derivationRequest(req.tags);
  if (!req.import && req.tags.some((t) => t.TagKey === ORIGIN_TAG)) throw validation(`Tag ${ORIGIN_TAG} is set by ImportKeyShares only.`);
  if (derive) return createDerivedKey(ctx, req, caller, derive);
  const spec = KEY_SPECS[req.keySpec];
  if (!spec) throw new KmsError('UnsupportedOperationException', `KeySpec ${req.keySpec} is not supported. Supported: ${Object.keys(KEY_SPECS).join(', ')}.`);
  if (req.keyUsage !== 'SIGN_VERIFY') throw validation(`KeyUsage ${req.keyUsage} is not compatible with KeySpec ${req.keySpec}`);
  let keyId = randomUUID();
  // A key id names one key for ever (docs/security.md "Deleting a key"): never one deleted before.
  while (await o.evidence?.wasDeleted(keyId)) keyId = randomUUID();
  const arn = access.arnOf(keyId);
  const policy = req.policy ?? defaultKeyPolicy(o.accountId);
  if (req.policy !== undefined) access.checkNewPolicy(req.policy, arn, caller, req.bypassPolicyLockoutSafetyCheck === true);
  // The signing policy every party will enforce: TuttiSigningPolicy, or the default. Checked here
  // for a good error; each party checks it again and computes its hash itself.
  const signingPolicy = initialSigningPolicy(req.policy === undefined ? undefined : parseKeyPolicy(req.policy), spec);
  const policyHash = signingPolicyHash(signingPolicy);
  const imported = req.import ? planImport(req.import, spec.keySpec, req.tags, o.parties, o.identities) : undefined;
  const { parties, threshold } = imported ?? chooseParties(req.tags, o.parties, o.devices?.ids());
  checkSignerOverlap(signingPolicy, threshold, parties.length);
  // A device party takes part only while its app is open: wait for it, bounded (docs/waas.md).
  const waitMs = o.deviceWaitMs ?? 10_000;
  const devicesOffline = await awaitDevices(parties, o.devices, o.isConnected, waitMs);
  if (devicesOffline.length) throw keyUnavailable(devicesOfflineMessage('CreateKey', devicesOffline, waitMs));
  const devices = parties.flatMap((p) => o.devices?.get(p) ?? []);
  const offline = parties.filter((p) => !o.isConnected(p));
  if (offline.length)
    throw keyUnavailable(`Cannot create the key: parties ${offline.join(', ')} are not connected; every party must take part in key generation.`);

  const stored: StoredKey = {
    keyId,
    arn,
    accountId: o.accountId,
    region: o.region,
    creationDate: access.now(),
    description: req.description,
    keyUsage: 'SIGN_VERIFY',
    keySpec: spec.keySpec,
    keyState: 'Creating',
    protocol: spec.protocol,
    threshold,
    parties,
    publicKey: null,
    policyHash,
    tags: imported ? [...req.tags, imported.tag] : req.tags,
    deletionDate: null,
    pendingWindowInDays: null,
    policy,
    signingPolicy: storedSigningPolicy(signingPolicy),
    policyRevision: 1,
  };
  await o.keys.insert(stored);
  try {
    const members = new Map(parties.map((p, i) => [i + 1, p]));
    const outputs = await o.runner.run(
      `${spec.protocol}/dkg`,
      members,
      (session, index) => ({
        type: 'open',
        kind: 'dkg',
        session,
        keyId,
        keySpec: spec.keySpec,
        protocol: spec.protocol,
        threshold,
        parties,
        policy: signingPolicy,
        ...(devices.length ? { devices } : {}),
        ...(imported ? { import: imported.open(index) } : {}),
      }),
      spec.scheme === 'ecdsa' ? { roundTimeoutMs: o.dkgRoundTimeoutMs ?? 30_000 } : {},
    );
    // A key exists only when all n parties confirmed the same transcript and public key.
    const results = [...outputs.values()] as DkgResult[];
    const first = results[0]!;
    if (results.some((r) => r.publicKey !== first.publicKey || r.transcriptHash !== first.transcriptHash)) {
      throw internal('Key generation failed: the parties did not agree on the public key.');
    }
    if (imported && first.publicKey !== imported.publicKey) throw internal('Key import failed: the parties did not make the key of the manifest.');
    if (results.some((r) => r.policyHash !== policyHash)) {
      throw internal(`Key generation failed: the parties bound another signing policy than ${policyHash}.`);
    }
    spkiDer(spec, Buffer.from(first.publicKey, 'hex'));
    // Each party's signed creation receipt, for GetKeyAttestation (services/control/receipts.ts).
    await o.evidence?.putReceipts(
      keyId,
      [...outputs.entries()].flatMap(([index, r]) => {
        const receipt = (r as DkgResult).receipt;
        return receipt ? [{ partyId: parties[index - 1]!, receipt }] : [];
      }),
    );
    // The chain code of HD derivation, as every party stored it beside its share.
    await rememberChainCode(ctx, keyId, first.transcriptHash);
    await o.keys.update(keyId, { keyState: 'Enabled', publicKey: first.publicKey });
    // Each party's signed acknowledgement of revision 1 (GetKeyPolicy TuttiRevisions).
    const unacknowledged = await recordRevisionAcks(
      o.acks,
      o.identities && [...o.identities, ...devices],
      keyId,
      [...outputs].map(([i, r]) => ({ partyId: members.get(i)!, revision: 1, policyHash, acknowledgement: (r as DkgResult).acknowledgement })),
    );
    if (unacknowledged.length) o.log?.(`coordinator: ${keyId}: no valid acknowledgement of signing-policy revision 1 from ${unacknowledged.join(', ')}`);
  } catch (err) {
    // Parties that finished their part may hold a share of a key that now never exists: each is
    // told to delete it (durably recorded, resent until confirmed).
    await o.keys.purge(keyId, (k) => k.keyState === 'Creating', access.now());
    o.onShareDeletions?.();
    throw (imported && importError(err)) || access.sessionError(err, imported ? 'ImportKeyShares' : 'CreateKey');
  }
  return keyRecord((await o.keys.get(keyId))!);
}
