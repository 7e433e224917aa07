// Key access: the checks every coordinator use case runs before it touches a key, in the order the
// coordinator applies them (docs/architecture.md "The coordinator's files"): resolve the KeyId (the forms the
// operation accepts, docs/kms-compatibility.md "Aliases") → the key policy allows the caller this action
// (policies/aws-key-policy.ts; AccessDeniedException) → the key's state allows the operation (docs/kms-compatibility.md "Key state and deletion")
// → the operation's own checks → the change, in one transaction of the gateway store
// (gateway-store.ts): the write re-reads the key under a row lock (`mutate`), so a replica's
// concurrent change is seen, not overwritten.
// Also here: the KMS records handed back to the front end, and the mapping of a failed session to
// the AWS-shaped error a caller gets.
import type { AliasRecord, Caller, KeyRecord, Page } from '../kms-api/key-service.ts';
import {
  KmsError,
  accessDenied,
  dependencyTimeout,
  disabled,
  internal,
  invalidKeyUsage,
  invalidState,
  keyNotFound,
  keyUnavailable,
  malformedPolicy,
  notFound,
  validation,
} from '../kms-api/errors.ts';
import {
  PolicyError,
  accessDeniedMessage,
  accountOf,
  defaultKeyPolicy,
  evaluate,
  parseKeyPolicy,
  type KeyPolicy,
  type PolicyRequest,
} from '../../policies/aws-key-policy.ts';
import { KeyRepositoryError, type StoredAlias, type StoredKey } from '../storage/key-repository.ts';
import { DIGEST_BYTES, DIGEST_ONLY_ALGORITHMS, KEY_SPECS, spkiDer, type KeySpecInfo } from './key-specs.ts';
import { decodeMarker, encodeMarker } from './markers.ts';
import { SessionFailed } from './session-runner.ts';
import type { CoordinatorOptions } from './context.ts';

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LOCKOUT = 'The new key policy will not allow you to update the key policy in the future.';

/** Which KeyId forms an operation accepts: 'any' adds alias names and alias ARNs to key ids and key ARNs. */
export type ResolveMode = 'any' | 'key';

export class KeyAccess {
  /** Parsed key policies by their text (bounded). */
  private readonly policies = new Map<string, KeyPolicy>();

  constructor(private readonly o: CoordinatorOptions) {}

  arnOf(keyId: string, accountId = this.o.accountId): string {
    return `arn:aws:kms:${this.o.region}:${accountId}:key/${keyId}`;
  }

  aliasArnOf(aliasName: string, accountId = this.o.accountId): string {
    return `arn:aws:kms:${this.o.region}:${accountId}:${aliasName}`;
  }

  now(): number {
    return this.o.now?.() ?? Date.now();
  }

  /**
   * Resolves a KeyId as AWS does: key id, key ARN and — where the operation accepts them ('any') —
   * alias name and alias ARN. A bare id or alias names a key of the caller's own account.
   */
  async resolve(input: string, caller: Caller, mode: ResolveMode): Promise<StoredKey> {
    const callerAccount = accountOf(caller.principal) ?? this.o.accountId;
    const arn = /^arn:aws:kms:([^:]*):([^:]*):(key|alias)\/(.*)$/.exec(input);
    const isAlias = input.startsWith('alias/') || arn?.[3] === 'alias';
    if (isAlias && mode === 'key') throw notFound(`Invalid keyId '${input}'`);
    if (arn && arn[1] !== this.o.region) throw notFound(`Invalid arn ${arn[1]}`);
    const account = arn ? arn[2]! : callerAccount;

    let id: string;
    if (isAlias) {
      const name = arn ? `alias/${arn[4]}` : input;
      const alias = account === this.o.accountId ? await this.o.keys.getAlias(name) : undefined;
      if (!alias) throw notFound(`Alias ${this.aliasArnOf(name, account)} is not found.`);
      id = alias.keyId;
    } else {
      id = arn ? arn[4]! : input;
      if (!UUID_RE.test(id)) throw notFound(`Invalid keyId '${input}'`);
      if (account !== this.o.accountId) throw keyNotFound(this.arnOf(id, account));
    }
    const k = await this.o.keys.get(id);
    if (!k || k.keyState === 'Creating') throw keyNotFound(this.arnOf(id));
    return k;
  }

  /** The key policy must allow `caller` kms:<action> on the key; otherwise AccessDeniedException. */
  authorize(k: StoredKey, action: string, caller: Caller, context: Record<string, string> = {}): void {
    const req = this.policyRequest(k.arn, action, caller, context);
    const decision = evaluate(this.policyOf(k), req);
    if (decision.effect !== 'Allow') throw accessDenied(accessDeniedMessage(req, decision));
  }

  /** A new key policy must parse and, unless the caller bypasses the check, let them put a policy again. */
  checkNewPolicy(text: string, keyArn: string, caller: Caller, bypass: boolean): void {
    let policy: KeyPolicy;
    try {
      policy = parseKeyPolicy(text);
    } catch (e) {
      if (e instanceof PolicyError) throw malformedPolicy(e.message);
      throw e;
    }
    if (!bypass && evaluate(policy, this.policyRequest(keyArn, 'PutKeyPolicy', caller, {})).effect !== 'Allow') throw malformedPolicy(LOCKOUT);
  }

  /**
   * Account-level operations (CreateKey, ListKeys, ListAliases) are governed by IAM in AWS. Tutti
   * has no IAM: every configured principal of the service's account may call them, principals of
   * other accounts may not (they reach keys here only through key policies, by key ARN).
   */
  requireAccountPrincipal(caller: Caller, action: string): void {
    if (accountOf(caller.principal) === this.o.accountId) return;
    throw accessDenied(
      `User: ${caller.principal} is not authorized to perform: kms:${action} on resource: arn:aws:kms:${this.o.region}:${this.o.accountId}:key/* because no identity-based policy allows the kms:${action} action`,
    );
  }

  /** resolve (key id or ARN) → authorize → `fn` decides the patch, in one transaction; returns the updated key. */
  async change(
    keyId: string,
    action: string,
    caller: Caller,
    fn: (k: StoredKey) => Partial<StoredKey>,
    context: Record<string, string> = {},
  ): Promise<KeyRecord> {
    const k = await this.resolve(keyId, caller, 'key');
    this.authorize(k, action, caller, context);
    return this.o.keys.mutate(k.keyId, (cur) => {
      const patch = fn(cur);
      return { patch, result: keyRecord({ ...cur, ...patch }) };
    });
  }

  /** The AWS-shaped error for a failed session (session-runner.ts) or anything else thrown in `op`. */
  sessionError(err: unknown, op: string): Error {
    if (err instanceof KmsError) return err;
    if (err instanceof SessionFailed) {
      const f = err.failure;
      // Admission control (session-runner.ts): the parties are saturated. SDKs retry this with backoff.
      if (f.kind === 'throttled') return new KmsError('ThrottlingException', `${op} was not started: ${f.message}. Retry later.`);
      if (f.kind === 'timeout') return dependencyTimeout(`${op} timed out waiting for the key's parties: ${f.message}`);
      if (f.kind === 'unavailable') return keyUnavailable(`${op} could not reach the key's parties: ${f.message}`);
      if (f.kind === 'policy') return accessDenied(`${op} refused by a party: ${f.message}`);
      if (f.kind === 'banned') return keyUnavailable(`${op} refused: ${f.message}`);
      return internal(`${op} failed: the parties aborted the protocol (${f.kind}): ${f.message}`);
    }
    this.o.log?.(`${op} failed: ${(err as Error)?.stack ?? String(err)}`);
    return internal(`${op} failed: ${(err as Error)?.message ?? 'unknown error'}`);
  }

  aliasRecord(a: StoredAlias): AliasRecord {
    return {
      aliasName: a.aliasName,
      aliasArn: this.aliasArnOf(a.aliasName),
      targetKeyId: a.keyId,
      creationDate: new Date(a.creationDate),
      lastUpdatedDate: new Date(a.lastUpdatedDate),
    };
  }

  private policyRequest(resource: string, action: string, caller: Caller, context: Record<string, string>): PolicyRequest {
    const account = accountOf(caller.principal) ?? '';
    return {
      principal: caller.principal,
      action: `kms:${action}`,
      resource,
      context: { 'kms:CallerAccount': account, 'aws:PrincipalAccount': account, 'aws:PrincipalArn': caller.principal, ...context },
    };
  }

  private policyOf(k: StoredKey): KeyPolicy {
    const text = k.policy ?? defaultKeyPolicy(this.o.accountId);
    let p = this.policies.get(text);
    if (!p) {
      p = parseKeyPolicy(text);
      if (this.policies.size > 1000) this.policies.clear();
      this.policies.set(text, p);
    }
    return p;
  }
}

/** Sign, Verify and GetPublicKey need an Enabled key with a public key (docs/kms-compatibility.md "Key state and deletion"). */
/**
 * What Sign and Verify both run first: resolve → the key policy allows `op` with this algorithm and
 * message type → the key is usable → the algorithm and message suit its spec. Returns the key, its
 * spec and its public key as SPKI DER.
 */
export async function keyForMessage(
  access: KeyAccess,
  op: 'Sign' | 'Verify',
  caller: Caller,
  req: { keyId: string; signingAlgorithm: string; messageType: string; message: Uint8Array },
): Promise<{ k: StoredKey; spec: KeySpecInfo; spki: Uint8Array }> {
  const k = await access.resolve(req.keyId, caller, 'any');
  access.authorize(k, op, caller, { 'kms:SigningAlgorithm': req.signingAlgorithm, 'kms:MessageType': req.messageType });
  requireUsable(k);
  const spec = KEY_SPECS[k.keySpec]!;
  checkAlgorithm(spec, req.signingAlgorithm, req.messageType, req.message.length);
  return { k, spec, spki: spkiDer(spec, Buffer.from(k.publicKey!, 'hex')) };
}

export function requireUsable(k: StoredKey): void {
  if (k.keyState === 'Disabled') throw disabled(k.arn);
  requireNotPendingDeletion(k);
  if (k.keyState !== 'Enabled' || !k.publicKey) throw invalidState(`${k.arn} is not usable in state ${k.keyState}.`);
}

export function requireNotPendingDeletion(k: StoredKey): void {
  if (k.keyState === 'PendingDeletion') throw invalidState(`${k.arn} is pending deletion.`);
}

/** The signing algorithm suits the key spec, and the message type and length suit the algorithm. */
export function checkAlgorithm(spec: KeySpecInfo, algorithm: string, messageType: string, messageLength: number): void {
  if (!spec.signingAlgorithms.includes(algorithm)) {
    throw invalidKeyUsage(`Algorithm ${algorithm} is incompatible with key spec ${spec.keySpec}.`);
  }
  // AWS: ED25519_PH_SHA_512 requires DIGEST, ED25519_SHA_512 RAW ("cannot be used interchangeably").
  if (messageType === 'RAW') {
    if (DIGEST_ONLY_ALGORITHMS.includes(algorithm)) throw validation(`MessageType RAW is not supported for ${algorithm}; use DIGEST.`);
    return;
  }
  // ECDSA: a DIGEST is exactly the hash's length, signed as given (docs/kms-compatibility.md "Sign", "Key specs and algorithms");
  // Ed25519ph: 64 bytes, which are hashed again (docs/kms-compatibility.md "Key specs and algorithms").
  const digestBytes = DIGEST_BYTES[algorithm];
  if (digestBytes !== undefined) {
    if (messageLength !== digestBytes) throw validation(`Digest is invalid length for algorithm ${algorithm}.`);
    return;
  }
  // Pure EdDSA (RFC 8032) signs the message itself; AWS requires RAW for ED25519_SHA_512.
  throw validation(`MessageType ${messageType} is not supported for ${algorithm}; use RAW.`);
}

/** A repository's not-found (the key was deleted meanwhile) as the KMS error for `k`. */
export function repositoryError(e: unknown, k: StoredKey): unknown {
  if (e instanceof KeyRepositoryError && e.code === 'not-found') return keyNotFound(k.arn);
  return e;
}

/** The KMS view of a stored key (KeyService's KeyRecord). */
export function keyRecord(k: StoredKey): KeyRecord {
  const spec = KEY_SPECS[k.keySpec];
  return {
    keyId: k.keyId,
    arn: k.arn,
    accountId: k.accountId,
    creationDate: new Date(k.creationDate),
    description: k.description,
    keyUsage: 'SIGN_VERIFY',
    keySpec: k.keySpec,
    keyState: k.keyState,
    signingAlgorithms: spec?.signingAlgorithms ?? [],
    publicKeyDer: k.publicKey && spec ? spkiDer(spec, Buffer.from(k.publicKey, 'hex')) : null,
    threshold: k.threshold,
    parties: k.parties,
    tags: k.tags,
    deletionDate: k.deletionDate === null ? null : new Date(k.deletionDate),
    pendingWindowInDays: k.pendingWindowInDays,
  };
}

/** A page of a short in-memory list; the marker carries the offset. */
export function offsetPage<T>(kind: 'tags' | 'policies', all: T[], limit: number, marker: string | undefined): Page<T> {
  const start = marker === undefined ? 0 : decodeMarker(kind, marker, isOffset);
  const items = all.slice(start, start + limit);
  return start + limit < all.length ? { items, nextMarker: encodeMarker(kind, start + limit) } : { items };
}

function isOffset(p: unknown): p is number {
  return Number.isSafeInteger(p) && (p as number) > 0;
}
