// Wire shapes and rules shared by several operations: AWS enums, member schemas with the model's limits
// (botocore kms/2014-11-01), the KeyMetadata structure, tag rules and the Sign/Verify members settled here.
import type { SchemaObject } from 'ajv';
import { tagError, unsupported, validation } from './errors.ts';
import type { KeyRecord, MessageType, Tag } from './key-service.ts';

/** AWS KeySpec values (@aws-sdk/client-kms 3.1164) plus the Tutti extension ECC_NIST_EDWARDS448 (kms-compat §3.5). */
export const KEY_SPECS = [
  'RSA_2048', 'RSA_3072', 'RSA_4096',
  'ECC_NIST_P256', 'ECC_NIST_P384', 'ECC_NIST_P521', 'ECC_SECG_P256K1', 'ECC_NIST_EDWARDS25519',
  'SYMMETRIC_DEFAULT', 'HMAC_224', 'HMAC_256', 'HMAC_384', 'HMAC_512', 'SM2',
  'ML_DSA_44', 'ML_DSA_65', 'ML_DSA_87', 'ML_KEM_512', 'ML_KEM_768', 'ML_KEM_1024',
  'ECC_NIST_EDWARDS448',
];
/** The deprecated CustomerMasterKeySpec member never gained the newer specs. */
export const CUSTOMER_MASTER_KEY_SPECS = [
  'RSA_2048', 'RSA_3072', 'RSA_4096', 'ECC_NIST_P256', 'ECC_NIST_P384', 'ECC_NIST_P521', 'ECC_SECG_P256K1',
  'SYMMETRIC_DEFAULT', 'HMAC_224', 'HMAC_256', 'HMAC_384', 'HMAC_512', 'SM2',
];
export const KEY_USAGES = ['SIGN_VERIFY', 'ENCRYPT_DECRYPT', 'GENERATE_VERIFY_MAC', 'KEY_AGREEMENT', 'ENCAPSULATE_DECAPSULATE'];
export const ORIGINS = ['AWS_KMS', 'EXTERNAL', 'AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'];
/** AWS SigningAlgorithmSpec values plus the Tutti extensions ECDSA_KECCAK_256 and ED448_SHAKE_256 (kms-compat §3.5). */
export const SIGNING_ALGORITHMS = [
  'RSASSA_PSS_SHA_256', 'RSASSA_PSS_SHA_384', 'RSASSA_PSS_SHA_512',
  'RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_384', 'RSASSA_PKCS1_V1_5_SHA_512',
  'ECDSA_SHA_256', 'ECDSA_SHA_384', 'ECDSA_SHA_512', 'SM2DSA', 'ML_DSA_SHAKE_256',
  'ED25519_SHA_512', 'ED25519_PH_SHA_512',
  'ECDSA_KECCAK_256', 'ED448_SHAKE_256',
];
export const MESSAGE_TYPES = ['RAW', 'DIGEST', 'EXTERNAL_MU'];

/** AWS's limit on Sign/Verify `Message` (PlaintextType, sensitive). */
export const MAX_MESSAGE_BYTES = 4096;
/** AWS's limit on Verify `Signature` (CiphertextType). */
export const MAX_SIGNATURE_BYTES = 6144;

export const keyIdSchema: SchemaObject = { type: 'string', minLength: 1, maxLength: 2048 };
export const grantTokensSchema: SchemaObject = { type: 'array', maxItems: 10, items: { type: 'string', minLength: 1, maxLength: 8192 } };
export const tagsSchema: SchemaObject = {
  type: 'array',
  items: {
    type: 'object',
    required: ['TagKey', 'TagValue'],
    properties: { TagKey: { type: 'string', minLength: 1, maxLength: 128 }, TagValue: { type: 'string', minLength: 0, maxLength: 256 } },
  },
};

/** JSON timestamps are epoch seconds (kms-compat §0.4). */
export function epochSeconds(d: Date): number {
  return d.getTime() / 1000;
}

/** KeyMetadata as CreateKey and DescribeKey return it (kms-compat §2.7). */
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
    Origin: 'AWS_KMS',
    KeyManager: 'CUSTOMER',
    CustomerMasterKeySpec: k.keySpec,
    KeySpec: k.keySpec,
    SigningAlgorithms: k.signingAlgorithms,
    MultiRegion: false,
  };
}

/** At most this many tags per key (AWS quota). */
export const MAX_TAGS = 50;

/** AWS's tag rules beyond member lengths (kms-compat CK-16…18, TG-09…11). */
export function checkTagRules(tags: Tag[]): void {
  if (tags.some((t) => /^aws:/i.test(t.TagKey))) throw tagError('Tags beginning with aws: are reserved');
  if (new Set(tags.map((t) => t.TagKey)).size !== tags.length) throw tagError('Duplicate tag keys');
  if (tags.length > MAX_TAGS) throw tagError('Too many tags');
}

/**
 * Sign/Verify members the front end settles itself. DryRun:true is refused rather than ignored:
 * a dry run must never sign, and only the coordinator could tell whether the real call would succeed.
 * EXTERNAL_MU is for ML-DSA only, which Tutti does not offer.
 */
export function signingMessageType(op: string, input: { MessageType?: string; DryRun?: boolean }): MessageType {
  if (input.DryRun) throw unsupported(`DryRun is not supported for ${op}.`);
  if (input.MessageType === 'EXTERNAL_MU') throw validation('MessageType EXTERNAL_MU is only valid with ML-DSA keys, which this service does not offer.');
  return (input.MessageType ?? 'RAW') as MessageType;
}
