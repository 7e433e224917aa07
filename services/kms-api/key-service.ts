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

/** An alias as ListAliases returns it. */
export type AliasRecord = {
  /** `alias/<name>` */
  aliasName: string;
  /** `arn:aws:kms:<region>:<account>:alias/<name>` */
  aliasArn: string;
  /** Bare key id of the key it points to. */
  targetKeyId: string;
  creationDate: Date;
  lastUpdatedDate: Date;
};

/** Who sent the request, as established by SigV4. */
export type Caller = { accessKeyId: string; principal: string };

export type MessageType = 'RAW' | 'DIGEST';

/** One page of a List operation; `nextMarker` is set when there is more. */
export type Page<T> = { items: T[]; nextMarker?: string };

export interface KeyService {
  /**
   * `keySpec` is `KeySpec ?? CustomerMasterKeySpec ?? 'SYMMETRIC_DEFAULT'` and `keyUsage` is
   * `KeyUsage ?? 'ENCRYPT_DECRYPT'` (AWS's defaults). The front end has already checked the AWS
   * enums, the tag rules and that `policy` is JSON; the coordinator decides which specs and usages
   * it supports (unsupported spec → UnsupportedOperationException, usage not valid for the spec →
   * ValidationException) and reads threshold and parties from the `tutti:*` tags.
   */
  createKey(
    req: { keySpec: string; keyUsage: string; description: string; tags: Tag[]; policy?: string; bypassPolicyLockoutSafetyCheck?: boolean },
    caller: Caller,
  ): Promise<KeyRecord>;
  /**
   * ImportKeyShares (Tutti extension): CreateKey for a key split offline (`cli.ts import-split`);
   * `manifest` and `bundles` are the splitter's files, relayed as they are.
   */
  importKeyShares?(
    req: {
      keySpec: string;
      keyUsage: string;
      description: string;
      tags: Tag[];
      policy?: string;
      bypassPolicyLockoutSafetyCheck?: boolean;
      manifest: unknown;
      bundles: unknown;
    },
    caller: Caller,
  ): Promise<KeyRecord>;
  describeKey(keyId: string, caller: Caller): Promise<KeyRecord>;
  /** GetKeyAttestation (Tutti extension): the parties' signed creation receipts, authorised like DescribeKey. */
  getKeyAttestation?(
    keyId: string,
    caller: Caller,
  ): Promise<{ key: KeyRecord; receipts: unknown[]; verification?: { verificationShares: Record<string, string>; reportedBy: string[] } }>;
  /**
   * ReshareKey (Tutti extension; every key spec): the key's shares move to `parties` under `threshold`,
   * the public key unchanged; authorised by the key policy (kms:ReshareKey). Returns the key as now recorded.
   */
  reshareKey?(keyId: string, req: { threshold: unknown; parties: unknown; grantTokens?: unknown }, caller: Caller): Promise<KeyRecord>;
  /** RegisterDeviceParty (Tutti extension, docs/waas.md): a device party's identity, so CreateKey can name it. */
  registerDeviceParty?(
    identity: { partyId: string; signPublic: string; kexPublic: string },
    caller: Caller,
  ): Promise<{
    created: boolean;
    coordinator: { coordinatorId: string; signPublic: string } | undefined;
    parties: { partyId: string; signPublic: string; kexPublic: string }[];
  }>;
  /** `marker` is the `nextMarker` of a previous page; a marker it did not issue → InvalidMarkerException. */
  listKeys(limit: number, marker: string | undefined, caller: Caller): Promise<{ keys: KeyRecord[]; nextMarker?: string }>;
  getPublicKey(keyId: string, caller: Caller): Promise<KeyRecord>;
  /**
   * The algorithm is one the front end knows (AWS or Tutti extension) but may not suit the key.
   * `grantTokens`: Sign's GrantTokens, verbatim — they reach every party, which reads the signing
   * policy's approvals from them (docs/policies.md "Approvals").
   * `dryRun`: check everything a real call would (key, permission, state, algorithm, message, that
   * enough parties are connected), then throw DryRunOperationException; never sign.
   */
  sign(
    req: { keyId: string; message: Uint8Array; messageType: MessageType; signingAlgorithm: string; grantTokens?: string[]; dryRun?: boolean },
    caller: Caller,
  ): Promise<{ key: KeyRecord; signature: Uint8Array }>;
  /**
   * `valid: false` (or throwing invalidSignature()) answers KMSInvalidSignatureException. `dryRun`:
   * every check including the signature itself, then DryRunOperationException instead of the answer.
   */
  verify(
    req: { keyId: string; message: Uint8Array; messageType: MessageType; signature: Uint8Array; signingAlgorithm: string; dryRun?: boolean },
    caller: Caller,
  ): Promise<{ key: KeyRecord; valid: boolean }>;

  // Key state. Key id or key ARN only (no aliases), docs/kms-compatibility.md "Aliases"; state rules: "Key state and deletion".
  enableKey(keyId: string, caller: Caller): Promise<void>;
  disableKey(keyId: string, caller: Caller): Promise<void>;
  /** `pendingWindowInDays` is 7–30 (checked by the front end). Returns the key in PendingDeletion. */
  scheduleKeyDeletion(keyId: string, pendingWindowInDays: number, caller: Caller): Promise<KeyRecord>;
  /** Returns the key, now Disabled. */
  cancelKeyDeletion(keyId: string, caller: Caller): Promise<KeyRecord>;
  updateKeyDescription(keyId: string, description: string, caller: Caller): Promise<void>;

  // Aliases. `aliasName` is already known to be `alias/…` and not reserved; targets are key id or ARN.
  createAlias(aliasName: string, targetKeyId: string, caller: Caller): Promise<void>;
  updateAlias(aliasName: string, targetKeyId: string, caller: Caller): Promise<void>;
  deleteAlias(aliasName: string, caller: Caller): Promise<void>;
  /** All aliases, or those of one key (id or ARN), by name. */
  listAliases(req: { keyId?: string; limit: number; marker?: string }, caller: Caller): Promise<Page<AliasRecord>>;

  // Tags. The request's own tags already passed the front end's checks (checkTagRules).
  tagResource(keyId: string, tags: Tag[], caller: Caller): Promise<void>;
  untagResource(keyId: string, tagKeys: string[], caller: Caller): Promise<void>;
  listResourceTags(req: { keyId: string; limit: number; marker?: string }, caller: Caller): Promise<Page<Tag>>;

  // The key policy. The front end has checked the document's grammar (MalformedPolicyDocumentException).
  getKeyPolicy(keyId: string, policyName: string, caller: Caller): Promise<string>;
  /** Tutti: each party's signed acknowledgement of the signing-policy revision it holds (GetKeyPolicy `TuttiRevisions`). */
  signingPolicyRevisions?(keyId: string, caller: Caller): Promise<{ partyId: string; revision: number; policyHash: string; signature: string }[]>;
  putKeyPolicy(req: { keyId: string; policyName: string; policy: string; bypassPolicyLockoutSafetyCheck: boolean }, caller: Caller): Promise<void>;
  listKeyPolicies(req: { keyId: string; limit: number; marker?: string }, caller: Caller): Promise<Page<string>>;
}
