// Wire shapes and rules shared by several operations: AWS enums, member schemas with the model's limits
// (botocore kms/2014-11-01), the KeyMetadata structure, tag rules and the Sign/Verify members settled here.
import type { SchemaObject } from 'ajv';
import { PolicyError, parseKeyPolicy } from '../../policies/aws-key-policy.ts';
import { limitExceeded, malformedPolicy, notAuthorized, tagError, validation } from './errors.ts';
import type { AliasRecord, KeyRecord, MessageType, Page, Tag } from './key-service.ts';
import { patterned } from './validation.ts';
import { EXTENSION_KEY_SPECS, EXTENSION_SIGNING_ALGORITHMS as TABLE_EXTENSION_ALGORITHMS } from '../../protocols/core/key-specs.ts';

/** AWS KeySpec values (@aws-sdk/client-kms 3.1164). */
export const AWS_KEY_SPECS = [
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  'ECC_NIST_P256',
  'ECC_NIST_P384',
  'ECC_NIST_P521',
  'ECC_SECG_P256K1',
  'ECC_NIST_EDWARDS25519',
  'SYMMETRIC_DEFAULT',
  'HMAC_224',
  'HMAC_256',
  'HMAC_384',
  'HMAC_512',
  'SM2',
  'ML_DSA_44',
  'ML_DSA_65',
  'ML_DSA_87',
  'ML_KEM_512',
  'ML_KEM_768',
  'ML_KEM_1024',
];
/** AWS's KeySpec values plus the Tutti extension key specs of protocols/core/key-specs.ts (ECC_NIST_EDWARDS448, docs/kms-compatibility.md "Key specs and algorithms"). */
export const KEY_SPECS: string[] = [...AWS_KEY_SPECS, ...EXTENSION_KEY_SPECS];
/** The deprecated CustomerMasterKeySpec member never gained the newer specs. */
export const CUSTOMER_MASTER_KEY_SPECS = [
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  'ECC_NIST_P256',
  'ECC_NIST_P384',
  'ECC_NIST_P521',
  'ECC_SECG_P256K1',
  'SYMMETRIC_DEFAULT',
  'HMAC_224',
  'HMAC_256',
  'HMAC_384',
  'HMAC_512',
  'SM2',
];
export const KEY_USAGES = ['SIGN_VERIFY', 'ENCRYPT_DECRYPT', 'GENERATE_VERIFY_MAC', 'KEY_AGREEMENT', 'ENCAPSULATE_DECAPSULATE'];
export const ORIGINS = ['AWS_KMS', 'EXTERNAL', 'AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'];
/** AWS SigningAlgorithmSpec values (@aws-sdk/client-kms 3.1164). */
export const AWS_SIGNING_ALGORITHMS = [
  'RSASSA_PSS_SHA_256',
  'RSASSA_PSS_SHA_384',
  'RSASSA_PSS_SHA_512',
  'RSASSA_PKCS1_V1_5_SHA_256',
  'RSASSA_PKCS1_V1_5_SHA_384',
  'RSASSA_PKCS1_V1_5_SHA_512',
  'ECDSA_SHA_256',
  'ECDSA_SHA_384',
  'ECDSA_SHA_512',
  'SM2DSA',
  'ML_DSA_SHAKE_256',
  'ED25519_SHA_512',
  'ED25519_PH_SHA_512',
];
/** AWS's values plus the Tutti extension algorithms of protocols/core/key-specs.ts (ECDSA_KECCAK_256, ED448_SHAKE_256; docs/kms-compatibility.md "Key specs and algorithms"). */
export const SIGNING_ALGORITHMS: string[] = [...AWS_SIGNING_ALGORITHMS, ...TABLE_EXTENSION_ALGORITHMS];
export const MESSAGE_TYPES = ['RAW', 'DIGEST', 'EXTERNAL_MU'];

/** AWS's limit on Sign/Verify `Message` (PlaintextType, sensitive), kept for AWS's algorithms. */
export const MAX_MESSAGE_BYTES = 4096;
/**
 * Sign/Verify `Message` under the Tutti extension algorithms (ECDSA_KECCAK_256, ED448_SHAKE_256):
 * EIP-712 JSON or a reward payload may exceed AWS's 4096 bytes. The key's signing policy sets its
 * own limit (`limits.maxMessageBytes`, default the same 131072), enforced by every party.
 */
export const MAX_EXTENSION_MESSAGE_BYTES = 131072;
export const EXTENSION_SIGNING_ALGORITHMS: readonly string[] = TABLE_EXTENSION_ALGORITHMS;
/** AWS's limit on Verify `Signature` (CiphertextType). */
export const MAX_SIGNATURE_BYTES = 6144;

export const keyIdSchema: SchemaObject = { type: 'string', minLength: 1, maxLength: 2048 };
/** MarkerType: opaque paging token. */
export const markerSchema: SchemaObject = patterned('[\\u0020-\\u00FF]*', { minLength: 1, maxLength: 1024 });
/** LimitType with the range AWS documents for the operation (the model allows 1–1000 everywhere). */
export const limitSchema = (max: number): SchemaObject => ({ type: 'integer', minimum: 1, maximum: max });
export const aliasNameSchema: SchemaObject = patterned('^[a-zA-Z0-9:/_-]+$', { minLength: 1, maxLength: 256 });
export const policyNameSchema: SchemaObject = patterned('[\\w]+', { minLength: 1, maxLength: 128 });
export const policySchema: SchemaObject = patterned('[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+', { minLength: 1, maxLength: 131072 });
export const descriptionSchema: SchemaObject = { type: 'string', minLength: 0, maxLength: 8192 };
export const grantTokensSchema: SchemaObject = { type: 'array', maxItems: 10, items: { type: 'string', minLength: 1, maxLength: 8192 } };
export const tagsSchema: SchemaObject = {
  type: 'array',
  items: {
    type: 'object',
    required: ['TagKey', 'TagValue'],
    properties: { TagKey: { type: 'string', minLength: 1, maxLength: 128 }, TagValue: { type: 'string', minLength: 0, maxLength: 256 } },
  },
};

/** JSON timestamps are epoch seconds (docs/kms-compatibility.md "Members, field by field"). */
export function epochSeconds(d: Date): number {
  return d.getTime() / 1000;
}

/** KeyMetadata as CreateKey and DescribeKey return it (docs/kms-compatibility.md "Operations"). */
export function keyMetadata(k: KeyRecord): Record<string, unknown> {
  return {
    AWSAccountId: k.accountId,
    KeyId: k.keyId,
    Arn: k.arn,
    CreationDate: epochSeconds(k.creationDate),
    Enabled: k.keyState === 'Enabled',
    Description: k.description,
    KeyUsage: k.keyUsage,
    KeyState: k.keyState,
    ...(k.keyState === 'PendingDeletion' && k.deletionDate ? { DeletionDate: epochSeconds(k.deletionDate) } : {}),
    ...(k.keyState === 'PendingDeletion' && k.pendingWindowInDays ? { PendingDeletionWindowInDays: k.pendingWindowInDays } : {}),
    // An imported key (ImportKeyShares, services/coordinator/import-key.ts) is EXTERNAL, as AWS says of imported material.
    Origin: k.tags.some((t) => t.TagKey === 'tutti:origin' && t.TagValue.startsWith('imported:')) ? 'EXTERNAL' : 'AWS_KMS',
    KeyManager: 'CUSTOMER',
    CustomerMasterKeySpec: k.keySpec,
    KeySpec: k.keySpec,
    SigningAlgorithms: k.signingAlgorithms,
    MultiRegion: false,
  };
}

/** A List operation's answer: `Truncated` always, `NextMarker` when there is more. */
export function paged<T>(member: string, page: Page<T>, shape: (item: T) => unknown = (x) => x): Record<string, unknown> {
  return {
    [member]: page.items.map(shape),
    ...(page.nextMarker !== undefined ? { NextMarker: page.nextMarker } : {}),
    Truncated: page.nextMarker !== undefined,
  };
}

/** An AliasListEntry. */
export function aliasEntry(a: AliasRecord): Record<string, unknown> {
  return {
    AliasName: a.aliasName,
    AliasArn: a.aliasArn,
    TargetKeyId: a.targetKeyId,
    CreationDate: epochSeconds(a.creationDate),
    LastUpdatedDate: epochSeconds(a.lastUpdatedDate),
  };
}

export const ALIAS_PREFIX = 'alias/';
/** AWS-managed aliases live under this prefix; nobody else may create or delete them. */
export const RESERVED_ALIAS_PREFIX = 'alias/aws/';

/**
 * AWS's rules for an alias name beyond its pattern (conformance cases AL-03, AL-04): it starts with
 * `alias/`, names something, and is not under `alias/aws/`.
 */
export function checkAliasName(name: string): void {
  if (!name.startsWith(ALIAS_PREFIX)) {
    throw validation('Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html');
  }
  if (name === ALIAS_PREFIX) throw validation('Alias name must have at least one character after the prefix "alias/".');
  if (name.startsWith(RESERVED_ALIAS_PREFIX)) {
    throw notAuthorized(`The alias prefix "${RESERVED_ALIAS_PREFIX}" is reserved for AWS managed keys: ${name} cannot be created, updated or deleted.`);
  }
}

/** AWS's key policy size quota (32 KiB); larger documents within the model's 131072 are LimitExceededException. */
export const MAX_POLICY_BYTES = 32768;

/** A key policy document: valid grammar (MalformedPolicyDocumentException) and within the size quota. */
export function checkPolicyDocument(policy: string): void {
  if (Buffer.byteLength(policy, 'utf8') > MAX_POLICY_BYTES) {
    throw limitExceeded(`The key policy is ${Buffer.byteLength(policy, 'utf8')} bytes; the quota is ${MAX_POLICY_BYTES} bytes.`);
  }
  try {
    parseKeyPolicy(policy);
  } catch (e) {
    if (e instanceof PolicyError) throw malformedPolicy(e.message);
    throw e;
  }
}

/** At most this many tags per key (AWS quota). */
export const MAX_TAGS = 50;

/** AWS's tag rules beyond member lengths (conformance cases CK-16…18, TG-09…11). */
export function checkTagRules(tags: Tag[]): void {
  if (tags.some((t) => /^aws:/i.test(t.TagKey))) throw tagError('Tags beginning with aws: are reserved');
  if (new Set(tags.map((t) => t.TagKey)).size !== tags.length) throw tagError('Duplicate tag keys');
  if (tags.length > MAX_TAGS) throw tagError('Too many tags');
}

/**
 * Sign/Verify `Message` lengths: the schema admits up to MAX_EXTENSION_MESSAGE_BYTES; AWS's own
 * algorithms keep AWS's 4096, with AWS's wording.
 */
export function checkMessageLength(input: { Message: Uint8Array; SigningAlgorithm: string }): void {
  if (input.Message.length > MAX_MESSAGE_BYTES && !EXTENSION_SIGNING_ALGORITHMS.includes(input.SigningAlgorithm)) {
    throw validation(
      `1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length less than or equal to ${MAX_MESSAGE_BYTES}`,
    );
  }
}

/**
 * The Sign/Verify MessageType the front end settles itself: EXTERNAL_MU is for ML-DSA only, which
 * Tutti does not offer. (DryRun goes to the KeyService, which checks everything and never signs.)
 */
export function signingMessageType(input: { MessageType?: string }): MessageType {
  if (input.MessageType === 'EXTERNAL_MU') throw validation('MessageType EXTERNAL_MU is only valid with ML-DSA keys, which this service does not offer.');
  return (input.MessageType ?? 'RAW') as MessageType;
}
