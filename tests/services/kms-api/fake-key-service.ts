// An in-memory KeyService standing in for the coordinator in the front end's tests. It holds plain
// (non-threshold) Ed25519 / Ed448 keys from noble so that signatures are real and verifiable; the
// rules it applies mirror what the coordinator is expected to do (docs/kms-compatibility.md "Aliases", "Key state and deletion", "Operations").
import { randomUUID } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ed448 } from '@noble/curves/ed448.js';
import {
  alreadyExists,
  disabled,
  dryRun,
  invalidKeyUsage,
  invalidMarker,
  invalidState,
  keyNotFound,
  notFound,
  tagError,
  unsupported,
  validation,
} from '../../../services/kms-api/errors.ts';
import type { AliasRecord, Caller, KeyRecord, KeyService, MessageType, Page, Tag } from '../../../services/kms-api/key-service.ts';
import { defaultKeyPolicy } from '../../../policies/aws-key-policy.ts';

type Curve = typeof ed25519 | typeof ed448;
type Spec = { curve: Curve; algorithm: string; spkiPrefix: string };

const SPECS: Record<string, Spec> = {
  ECC_NIST_EDWARDS25519: { curve: ed25519, algorithm: 'ED25519_SHA_512', spkiPrefix: '302a300506032b6570032100' },
  ECC_NIST_EDWARDS448: { curve: ed448, algorithm: 'ED448_SHAKE_256', spkiPrefix: '3043300506032b6571033a00' },
};

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Entry = { record: KeyRecord; secretKey: Uint8Array; spec: Spec; policy: string };
type Alias = { keyId: string; creationDate: Date; lastUpdatedDate: Date };

export class FakeKeyService implements KeyService {
  private readonly keys = new Map<string, Entry>();
  private readonly aliases = new Map<string, Alias>();
  /** The clock for creation and deletion dates (tests may replace it). */
  now: () => Date = () => new Date();
  /** Every call, for assertions about what reached the service. */
  readonly calls: { method: string; caller: Caller; args: unknown }[] = [];
  /** When set, every method throws it (to test how the front end handles service faults). */
  fault: unknown = undefined;

  constructor(
    private readonly region: string,
    private readonly accountId: string,
  ) {}

  arnOf(keyId: string): string {
    return `arn:aws:kms:${this.region}:${this.accountId}:key/${keyId}`;
  }

  async createKey(
    req: { keySpec: string; keyUsage: string; description: string; tags: Tag[]; policy?: string; bypassPolicyLockoutSafetyCheck?: boolean },
    caller: Caller,
  ): Promise<KeyRecord> {
    this.enter('createKey', caller, req);
    const spec = SPECS[req.keySpec];
    if (!spec) throw unsupported(`KeySpec ${req.keySpec} is not supported.`);
    if (req.keyUsage !== 'SIGN_VERIFY') throw validation(`KeyUsage ${req.keyUsage} is not compatible with KeySpec ${req.keySpec}`);
    const { secretKey, publicKey } = spec.curve.keygen();
    const keyId = randomUUID();
    const record: KeyRecord = {
      keyId,
      arn: this.arnOf(keyId),
      accountId: this.accountId,
      creationDate: this.now(),
      description: req.description,
      keyUsage: 'SIGN_VERIFY',
      keySpec: req.keySpec,
      keyState: 'Enabled',
      signingAlgorithms: [spec.algorithm],
      publicKeyDer: Uint8Array.from(Buffer.concat([Buffer.from(spec.spkiPrefix, 'hex'), publicKey])),
      threshold: 2,
      parties: ['p1', 'p2', 'p3'],
      tags: req.tags,
    };
    this.keys.set(keyId, { record, secretKey, spec, policy: req.policy ?? defaultKeyPolicy(this.accountId) });
    return record;
  }

  async describeKey(keyId: string, caller: Caller): Promise<KeyRecord> {
    this.enter('describeKey', caller, keyId);
    return this.resolve(keyId).record;
  }

  async listKeys(limit: number, marker: string | undefined, caller: Caller): Promise<{ keys: KeyRecord[]; nextMarker?: string }> {
    this.enter('listKeys', caller, { limit, marker });
    const all = [...this.keys.values()].map((e) => e.record);
    let start = 0;
    if (marker !== undefined) {
      start = all.findIndex((k) => k.keyId === marker) + 1;
      if (start === 0) throw invalidMarker(`Marker '${marker}' is not valid.`);
    }
    const keys = all.slice(start, start + limit);
    return start + limit < all.length ? { keys, nextMarker: keys[keys.length - 1]!.keyId } : { keys };
  }

  async getPublicKey(keyId: string, caller: Caller): Promise<KeyRecord> {
    this.enter('getPublicKey', caller, keyId);
    return this.usable(keyId).record;
  }

  async sign(
    req: { keyId: string; message: Uint8Array; messageType: MessageType; signingAlgorithm: string; dryRun?: boolean },
    caller: Caller,
  ): Promise<{ key: KeyRecord; signature: Uint8Array }> {
    this.enter('sign', caller, req);
    const e = this.usable(req.keyId);
    this.checkAlgorithm(e, req.signingAlgorithm, req.messageType);
    if (req.dryRun) throw dryRun();
    this.signatures++;
    return { key: e.record, signature: e.spec.curve.sign(req.message, e.secretKey) };
  }

  async verify(
    req: { keyId: string; message: Uint8Array; messageType: MessageType; signature: Uint8Array; signingAlgorithm: string; dryRun?: boolean },
    caller: Caller,
  ): Promise<{ key: KeyRecord; valid: boolean }> {
    this.enter('verify', caller, req);
    const e = this.usable(req.keyId);
    this.checkAlgorithm(e, req.signingAlgorithm, req.messageType);
    let valid: boolean;
    try {
      valid = e.spec.curve.verify(req.signature, req.message, e.spec.curve.getPublicKey(e.secretKey), { zip215: false });
    } catch {
      valid = false;
    }
    if (req.dryRun && valid) throw dryRun();
    return { key: e.record, valid };
  }

  async enableKey(keyId: string, caller: Caller): Promise<void> {
    this.enter('enableKey', caller, keyId);
    const e = this.notPending(keyId);
    e.record.keyState = 'Enabled';
  }

  async disableKey(keyId: string, caller: Caller): Promise<void> {
    this.enter('disableKey', caller, keyId);
    const e = this.notPending(keyId);
    e.record.keyState = 'Disabled';
  }

  async scheduleKeyDeletion(keyId: string, pendingWindowInDays: number, caller: Caller): Promise<KeyRecord> {
    this.enter('scheduleKeyDeletion', caller, { keyId, pendingWindowInDays });
    const e = this.notPending(keyId);
    Object.assign(e.record, {
      keyState: 'PendingDeletion',
      pendingWindowInDays,
      deletionDate: new Date(this.now().getTime() + pendingWindowInDays * 86_400_000),
    });
    return e.record;
  }

  async cancelKeyDeletion(keyId: string, caller: Caller): Promise<KeyRecord> {
    this.enter('cancelKeyDeletion', caller, keyId);
    const e = this.resolve(keyId, false);
    if (e.record.keyState !== 'PendingDeletion') throw invalidState(`${e.record.arn} is not pending deletion.`);
    Object.assign(e.record, { keyState: 'Disabled', pendingWindowInDays: null, deletionDate: null });
    return e.record;
  }

  async updateKeyDescription(keyId: string, description: string, caller: Caller): Promise<void> {
    this.enter('updateKeyDescription', caller, { keyId, description });
    this.notPending(keyId).record.description = description;
  }

  async createAlias(aliasName: string, targetKeyId: string, caller: Caller): Promise<void> {
    this.enter('createAlias', caller, { aliasName, targetKeyId });
    const e = this.notPending(targetKeyId);
    if (this.aliases.has(aliasName)) throw alreadyExists(`An alias with the name ${this.aliasArn(aliasName)} already exists`);
    const now = this.now();
    this.aliases.set(aliasName, { keyId: e.record.keyId, creationDate: now, lastUpdatedDate: now });
  }

  async updateAlias(aliasName: string, targetKeyId: string, caller: Caller): Promise<void> {
    this.enter('updateAlias', caller, { aliasName, targetKeyId });
    const a = this.aliases.get(aliasName);
    if (!a) throw notFound(`Alias ${this.aliasArn(aliasName)} is not found.`);
    Object.assign(a, { keyId: this.notPending(targetKeyId).record.keyId, lastUpdatedDate: this.now() });
  }

  async deleteAlias(aliasName: string, caller: Caller): Promise<void> {
    this.enter('deleteAlias', caller, aliasName);
    if (!this.aliases.delete(aliasName)) throw notFound(`Alias ${this.aliasArn(aliasName)} is not found.`);
  }

  async listAliases(req: { keyId?: string; limit: number; marker?: string }, caller: Caller): Promise<Page<AliasRecord>> {
    this.enter('listAliases', caller, req);
    const keyId = req.keyId === undefined ? undefined : this.resolve(req.keyId, false).record.keyId;
    const all = [...this.aliases.entries()]
      .filter(([, a]) => keyId === undefined || a.keyId === keyId)
      .sort(([x], [y]) => (x < y ? -1 : 1))
      .map(([name, a]): AliasRecord => ({
        aliasName: name,
        aliasArn: this.aliasArn(name),
        targetKeyId: a.keyId,
        creationDate: a.creationDate,
        lastUpdatedDate: a.lastUpdatedDate,
      }));
    return this.page(all, req.limit, req.marker);
  }

  async tagResource(keyId: string, tags: Tag[], caller: Caller): Promise<void> {
    this.enter('tagResource', caller, { keyId, tags });
    const e = this.notPending(keyId);
    const merged = [...e.record.tags.filter((t) => !tags.some((n) => n.TagKey === t.TagKey)), ...tags];
    if (merged.length > 50) throw tagError('Too many tags');
    e.record.tags = merged;
  }

  async untagResource(keyId: string, tagKeys: string[], caller: Caller): Promise<void> {
    this.enter('untagResource', caller, { keyId, tagKeys });
    const e = this.notPending(keyId);
    e.record.tags = e.record.tags.filter((t) => !tagKeys.includes(t.TagKey));
  }

  async listResourceTags(req: { keyId: string; limit: number; marker?: string }, caller: Caller): Promise<Page<Tag>> {
    this.enter('listResourceTags', caller, req);
    return this.page(this.resolve(req.keyId, false).record.tags, req.limit, req.marker);
  }

  async getKeyPolicy(keyId: string, policyName: string, caller: Caller): Promise<string> {
    this.enter('getKeyPolicy', caller, { keyId, policyName });
    const e = this.resolve(keyId, false);
    if (policyName !== 'default') throw notFound(`No policy named '${policyName}'.`);
    return e.policy;
  }

  async putKeyPolicy(req: { keyId: string; policyName: string; policy: string; bypassPolicyLockoutSafetyCheck: boolean }, caller: Caller): Promise<void> {
    this.enter('putKeyPolicy', caller, req);
    const e = this.notPending(req.keyId);
    if (req.policyName !== 'default') throw validation(`PolicyName must be 'default'.`);
    e.policy = req.policy;
  }

  async listKeyPolicies(req: { keyId: string; limit: number; marker?: string }, caller: Caller): Promise<Page<string>> {
    this.enter('listKeyPolicies', caller, req);
    this.resolve(req.keyId, false);
    return this.page(['default'], req.limit, req.marker);
  }

  /** How many real (not dry-run) signatures were made. */
  signatures = 0;

  private aliasArn(aliasName: string): string {
    return `arn:aws:kms:${this.region}:${this.accountId}:${aliasName}`;
  }

  /** Offset paging; the marker is `o<offset>`. */
  private page<T>(all: T[], limit: number, marker: string | undefined): Page<T> {
    let start = 0;
    if (marker !== undefined) {
      const m = /^o(\d+)$/.exec(marker);
      if (!m) throw invalidMarker(`Marker '${marker}' is not valid.`);
      start = Number(m[1]);
    }
    const items = all.slice(start, start + limit);
    return start + limit < all.length ? { items, nextMarker: `o${start + limit}` } : { items };
  }

  private notPending(keyId: string): Entry {
    const e = this.resolve(keyId, false);
    if (e.record.keyState === 'PendingDeletion') throw invalidState(`${e.record.arn} is pending deletion.`);
    return e;
  }

  /** Test hook: move a key to another state. */
  setState(keyId: string, keyState: KeyRecord['keyState']): void {
    this.keys.get(keyId)!.record.keyState = keyState;
  }

  private enter(method: string, caller: Caller, args: unknown): void {
    this.calls.push({ method, caller, args });
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- a test may set any value, Error or not
    if (this.fault !== undefined) throw this.fault;
  }

  private resolve(keyIdOrArn: string, aliases = true): Entry {
    if (keyIdOrArn.startsWith('alias/')) {
      if (!aliases) throw notFound(`Invalid keyId '${keyIdOrArn}'`);
      const a = this.aliases.get(keyIdOrArn);
      if (!a) throw notFound(`Alias ${this.aliasArn(keyIdOrArn)} is not found.`);
      return this.keys.get(a.keyId)!;
    }
    const arn = /^arn:aws:kms:([^:]+):(\d{12}):key\/(.+)$/.exec(keyIdOrArn);
    if (arn && arn[1] !== this.region) throw notFound(`Invalid arn ${arn[1]}`);
    const id = arn ? arn[3]! : keyIdOrArn;
    if (!UUID_RE.test(id)) throw notFound(`Invalid keyId '${keyIdOrArn}'`);
    const e = this.keys.get(id);
    if (!e) throw keyNotFound(this.arnOf(id));
    return e;
  }

  private usable(keyId: string): Entry {
    const e = this.resolve(keyId);
    if (e.record.keyState === 'Disabled') throw disabled(e.record.arn);
    if (e.record.keyState === 'PendingDeletion') throw invalidState(`${e.record.arn} is pending deletion.`);
    return e;
  }

  private checkAlgorithm(e: Entry, algorithm: string, messageType: MessageType): void {
    if (algorithm !== e.spec.algorithm) throw invalidKeyUsage(`Algorithm ${algorithm} is incompatible with key spec ${e.record.keySpec}.`);
    if (messageType !== 'RAW') throw validation(`MessageType ${messageType} is not supported for ${algorithm}; use RAW.`);
  }
}
