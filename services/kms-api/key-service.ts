// The boundary between the KMS front end and the coordinator. The front end knows no cryptography:
// it checks wire shapes and SigV4, decodes base64, and calls these methods; the coordinator
// resolves key ids, ARNs and aliases, checks key state, usage and algorithms, and runs the
// threshold protocols. Failures are thrown as KmsError (./errors.ts); anything else becomes a
// 500 KMSInternalException on the wire.

export type KeyState = 'Creating' | 'Enabled' | 'Disabled' | 'PendingDeletion';

export type Tag = { TagKey: string; TagValue: string };

export type KeyRecord = {
  /** Bare key id (a lowercase UUID). */
  keyId: string;
  /** `arn:aws:kms:<region>:<account>:key/<keyId>`. */
  arn: string;
  accountId: string;
  creationDate: Date;
  description: string;
  keyUsage: 'SIGN_VERIFY';
  keySpec: string;
  keyState: KeyState;
  /** As advertised in DescribeKey / GetPublicKey, AWS values first. */
  signingAlgorithms: string[];
  /** DER SubjectPublicKeyInfo; null only while Creating. */
  publicKeyDer: Uint8Array | null;
  threshold: number;
  parties: string[];
  tags: Tag[];
  /** Set while PendingDeletion: when the key (and every share) is deleted. */
  deletionDate?: Date | null;
  /** Set while PendingDeletion: the waiting period ScheduleKeyDeletion asked for (7–30). */
  pendingWindowInDays?: number | null;
};

/** Who sent the request, as established by SigV4. */
export type Caller = { accessKeyId: string; principal: string };

export type MessageType = 'RAW' | 'DIGEST';

export interface KeyService {
  /**
   * `keySpec` is `KeySpec ?? CustomerMasterKeySpec ?? 'SYMMETRIC_DEFAULT'` and `keyUsage` is
   * `KeyUsage ?? 'ENCRYPT_DECRYPT'` (AWS's defaults). The front end has already checked the AWS
   * enums, the tag rules and that `policy` is JSON; the coordinator decides which specs and usages
   * it supports (unsupported spec → UnsupportedOperationException, usage not valid for the spec →
   * ValidationException) and reads threshold and parties from the `tutti:*` tags.
   */
  createKey(req: { keySpec: string; keyUsage: string; description: string; tags: Tag[]; policy?: string }, caller: Caller): Promise<KeyRecord>;
  describeKey(keyId: string, caller: Caller): Promise<KeyRecord>;
  /** `marker` is the `nextMarker` of a previous page; a marker it did not issue → InvalidMarkerException. */
  listKeys(limit: number, marker: string | undefined, caller: Caller): Promise<{ keys: KeyRecord[]; nextMarker?: string }>;
  getPublicKey(keyId: string, caller: Caller): Promise<KeyRecord>;
  /** The algorithm is one the front end knows (AWS or Tutti extension) but may not suit the key. */
  sign(req: { keyId: string; message: Uint8Array; messageType: MessageType; signingAlgorithm: string }, caller: Caller): Promise<{ key: KeyRecord; signature: Uint8Array }>;
  /** `valid: false` (or throwing invalidSignature()) answers KMSInvalidSignatureException. */
  verify(req: { keyId: string; message: Uint8Array; messageType: MessageType; signature: Uint8Array; signingAlgorithm: string }, caller: Caller): Promise<{ key: KeyRecord; valid: boolean }>;
}
