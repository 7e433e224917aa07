// Derived child keys (issue 15 item 3; docs/protocols.md "HD derivation", kms-compatibility.md
// "Derived keys"): CreateKey with the tags `tutti:derive-from` (the parent's key id, ARN or alias)
// and `tutti:path` (non-hardened, m/i/j/…) makes a key record with its own KeyId, ARN, key policy,
// aliases and tags, and the public key derived from the parent's public key and chain code — no
// DKG, no party involved. Sign on a child opens a session on the PARENT's share with the child's
// path (OpenSign.derive); every party derives the tweak itself and checks the path against the
// parent's signing policy. Here: the tags, the checks, the record, and the parent a Sign runs on.
import { randomUUID } from 'node:crypto';
import type { Caller, KeyRecord, Tag } from '../kms-api/key-service.ts';
import { KmsError, disabled, invalidState, validation } from '../kms-api/errors.ts';
import { defaultKeyPolicy, parseKeyPolicy } from '../../policies/aws-key-policy.ts';
import type { PolicyDocument } from '../../policies/types.ts';
import { derivationAllowed } from '../../policies/match/derivation.ts';
import { chainCodeOf, deriveChild, DerivationError, type HdCurve } from '../../protocols/core/hd-derivation.ts';
import type { StoredKey } from '../storage/key-repository.ts';
import { KEY_SPECS, spkiDer } from './key-specs.ts';
import { PARTIES_TAG, THRESHOLD_TAG } from './tags.ts';
import { keyRecord } from './key-access.ts';
import type { CoordinatorContext } from './context.ts';
import type { CreateKeyRequest } from './create-key.ts';

export const DERIVE_FROM_TAG = 'tutti:derive-from';
export const PATH_TAG = 'tutti:path';

/** The key specs whose keys can be derived from, and their HD curve. */
const HD_CURVES: Record<string, HdCurve> = { ECC_SECG_P256K1: 'secp256k1', ECC_NIST_P256: 'p256', ECC_NIST_EDWARDS25519: 'ed25519' };

/** The two derivation tags of a CreateKey, or undefined when it asks for a DKG. */
export function derivationRequest(tags: Tag[]): { from: string; path: string } | undefined {
  const from = tags.find((t) => t.TagKey === DERIVE_FROM_TAG)?.TagValue;
  const path = tags.find((t) => t.TagKey === PATH_TAG)?.TagValue;
  if (from === undefined && path === undefined) return undefined;
  if (from === undefined || path === undefined)
    throw validation(`Tags ${DERIVE_FROM_TAG} and ${PATH_TAG} go together: a derived key needs its parent and its path.`);
  if (tags.some((t) => t.TagKey === PARTIES_TAG || t.TagKey === THRESHOLD_TAG)) {
    throw validation(`A derived key has its parent's parties and threshold: ${PARTIES_TAG} and ${THRESHOLD_TAG} cannot be given with ${DERIVE_FROM_TAG}.`);
  }
  return { from, path };
}

/** The chain code every party stored at the DKG, recorded by the gateway from the confirmed transcript hash. */
export async function rememberChainCode(ctx: CoordinatorContext, keyId: string, transcriptHash: string): Promise<void> {
  ctx.o.derivations?.putChainCode(keyId, Buffer.from(chainCodeOf(Buffer.from(transcriptHash, 'hex'))).toString('hex'));
}

export async function createDerivedKey(ctx: CoordinatorContext, req: CreateKeyRequest, caller: Caller, d: { from: string; path: string }): Promise<KeyRecord> {
  const { o, access } = ctx;
  access.requireAccountPrincipal(caller, 'CreateKey');
  const store = o.derivations;
  if (!store) throw new KmsError('UnsupportedOperationException', 'This gateway does not derive keys.');
  const parent = await access.resolve(d.from, caller, 'any');
  // Deriving lets the child's key policy, not the parent's, say who signs with the parent's secret
  // moved by a public tweak: the parent's key policy must allow it (a Tutti action, kms:DeriveKey).
  access.authorize(parent, 'DeriveKey', caller, { 'tutti:DerivationPath': d.path });
  if (store.child(parent.keyId)) throw validation(`Key ${parent.keyId} is itself derived: derive from its parent with the longer path.`);
  if (parent.keyState === 'Disabled') throw disabled(parent.arn);
  if (parent.keyState !== 'Enabled' || !parent.publicKey) throw invalidState(`${parent.arn} is ${parent.keyState}.`);
  const curve = HD_CURVES[parent.keySpec];
  const spec = KEY_SPECS[parent.keySpec]!;
  if (!curve) throw new KmsError('UnsupportedOperationException', `Keys of spec ${parent.keySpec} are not derived (secp256k1, P-256 and Ed25519 are).`);
  if (req.keySpec !== parent.keySpec) throw validation(`KeySpec ${req.keySpec} is not the parent's ${parent.keySpec}: a derived key has its parent's spec.`);
  if (req.keyUsage !== 'SIGN_VERIFY') throw validation(`KeyUsage ${req.keyUsage} is not compatible with KeySpec ${req.keySpec}`);
  const chainCode = store.chainCode(parent.keyId);
  if (!chainCode) throw validation(`Key ${parent.keyId} was created before HD derivation and has no chain code; it cannot be derived from.`);
  let publicKey: Uint8Array;
  try {
    publicKey = deriveChild(curve, Buffer.from(parent.publicKey, 'hex'), Buffer.from(chainCode, 'hex'), d.path).publicKey;
  } catch (e) {
    if (e instanceof DerivationError) throw validation(e.message);
    throw e;
  }
  // Every party checks the path against the parent's signing policy on every Sign; checked here
  // too, so that a key that could never sign is not created.
  const signingPolicy = parent.signingPolicy ? (JSON.parse(parent.signingPolicy) as PolicyDocument) : undefined;
  if (signingPolicy && !derivationAllowed(d.path, signingPolicy.derivation?.allowedPaths)) {
    throw validation(`The signing policy of key ${parent.keyId} does not allow path ${d.path} (derivation.allowedPaths).`);
  }
  const policy = req.policy ?? defaultKeyPolicy(o.accountId);
  let keyId = randomUUID();
  while ((await o.evidence?.wasDeleted(keyId)) || (await o.keys.get(keyId))) keyId = randomUUID();
  const arn = access.arnOf(keyId);
  if (req.policy !== undefined) {
    access.checkNewPolicy(req.policy, arn, caller, req.bypassPolicyLockoutSafetyCheck === true);
    if (parseKeyPolicy(req.policy).tuttiSigningPolicy !== undefined) {
      throw validation(`A derived key signs under its parent's signing policy: give TuttiSigningPolicy to key ${parent.keyId}, not here.`);
    }
  }
  spkiDer(spec, publicKey);
  const stored: StoredKey = {
    keyId,
    arn,
    accountId: o.accountId,
    region: o.region,
    creationDate: access.now(),
    description: req.description,
    keyUsage: 'SIGN_VERIFY',
    keySpec: parent.keySpec,
    keyState: 'Enabled',
    protocol: parent.protocol,
    threshold: parent.threshold,
    parties: [...parent.parties],
    publicKey: Buffer.from(publicKey).toString('hex'),
    policyHash: parent.policyHash,
    tags: req.tags,
    deletionDate: null,
    pendingWindowInDays: null,
    policy,
    ...(parent.signingPolicy ? { signingPolicy: parent.signingPolicy } : {}),
    ...(parent.policyRevision !== undefined ? { policyRevision: parent.policyRevision } : {}),
  };
  // The derivation first: a child record never exists without it.
  store.putChild({ keyId, parentKeyId: parent.keyId, path: d.path });
  await o.keys.insert(stored);
  o.log?.(`coordinator: ${keyId}: derived from ${parent.keyId} at ${d.path}`);
  return keyRecord((await o.keys.get(keyId))!);
}

/**
 * The key whose shares a Sign on `k` runs on: k itself, or — for a derived key — its parent, which
 * must be usable too, with the child's path for the parties.
 */
export async function signingTarget(ctx: CoordinatorContext, k: StoredKey): Promise<{ shareKey: StoredKey; derive?: { keyId: string; path: string } }> {
  const child = ctx.o.derivations?.child(k.keyId);
  if (!child) return { shareKey: k };
  const parent = await ctx.o.keys.get(child.parentKeyId);
  if (!parent || parent.keyState === 'Creating') throw invalidState(`${k.arn} is derived from key ${child.parentKeyId}, which no longer exists.`);
  if (parent.keyState === 'Disabled') throw disabled(`${k.arn} is derived from ${parent.arn}, which`);
  if (parent.keyState !== 'Enabled') throw invalidState(`${k.arn} is derived from ${parent.arn}, which is ${parent.keyState}.`);
  return { shareKey: parent, derive: { keyId: k.keyId, path: child.path } };
}
