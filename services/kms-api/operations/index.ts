// The operations this front end implements, and every operation KMS has: a KMS operation we do not
// implement is UnsupportedOperationException, a name KMS does not have is UnknownOperationException.
import type { Operation } from '../operation.ts';
import { createAlias, deleteAlias, listAliases, updateAlias } from './aliases.ts';
import { createKey } from './create-key.ts';
import { describeKey } from './describe-key.ts';
import { getPublicKey } from './get-public-key.ts';
import { getKeyPolicy, listKeyPolicies, putKeyPolicy } from './key-policy.ts';
import { cancelKeyDeletion, disableKey, enableKey, scheduleKeyDeletion, updateKeyDescription } from './key-state.ts';
import { listKeys } from './list-keys.ts';
import { sign } from './sign.ts';
import { listResourceTags, tagResource, untagResource } from './tags.ts';
import { verify } from './verify.ts';
import { getKeyAttestation } from './get-key-attestation.ts';
import { registerDeviceParty } from './register-device-party.ts';
import { importKeyShares } from './import-key-shares.ts';
import { reshareKey } from './reshare-key.ts';

export const OPERATIONS: ReadonlyMap<string, Operation> = new Map(
  [
    createKey,
    describeKey,
    listKeys,
    getPublicKey,
    sign,
    verify,
    createAlias,
    updateAlias,
    deleteAlias,
    listAliases,
    enableKey,
    disableKey,
    scheduleKeyDeletion,
    cancelKeyDeletion,
    updateKeyDescription,
    tagResource,
    untagResource,
    listResourceTags,
    getKeyPolicy,
    putKeyPolicy,
    listKeyPolicies,
    getKeyAttestation,
    registerDeviceParty,
    importKeyShares,
    reshareKey,
  ].map((op) => [op.name, op]),
);

/** Tutti's own operations, beside KMS's (docs/kms-compatibility.md "Extensions"). */
export const TUTTI_OPERATIONS: ReadonlySet<string> = new Set(['GetKeyAttestation', 'RegisterDeviceParty', 'ImportKeyShares', 'ReshareKey']);

/** Every operation of TrentService (@aws-sdk/client-kms 3.1164). */
export const KMS_OPERATIONS: ReadonlySet<string> = new Set([
  'CancelKeyDeletion',
  'ConnectCustomKeyStore',
  'CreateAlias',
  'CreateCustomKeyStore',
  'CreateGrant',
  'CreateKey',
  'Decapsulate',
  'Decrypt',
  'DeleteAlias',
  'DeleteCustomKeyStore',
  'DeleteImportedKeyMaterial',
  'DeriveSharedSecret',
  'DescribeCustomKeyStores',
  'DescribeKey',
  'DisableKey',
  'DisableKeyRotation',
  'DisconnectCustomKeyStore',
  'EnableKey',
  'EnableKeyRotation',
  'Encapsulate',
  'Encrypt',
  'GenerateDataKey',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
  'GenerateDataKeyWithoutPlaintext',
  'GenerateMac',
  'GenerateRandom',
  'GetKeyLastUsage',
  'GetKeyPolicy',
  'GetKeyRotationStatus',
  'GetParametersForImport',
  'GetPublicKey',
  'ImportKeyMaterial',
  'ListAliases',
  'ListGrants',
  'ListKeyPolicies',
  'ListKeyRotations',
  'ListKeys',
  'ListResourceTags',
  'ListRetirableGrants',
  'PutKeyPolicy',
  'ReEncrypt',
  'ReplicateKey',
  'RetireGrant',
  'RevokeGrant',
  'RotateKeyOnDemand',
  'ScheduleKeyDeletion',
  'Sign',
  'TagResource',
  'UntagResource',
  'UpdateAlias',
  'UpdateCustomKeyStore',
  'UpdateKeyDescription',
  'UpdatePrimaryRegion',
  'Verify',
  'VerifyMac',
]);
