// An in-memory KeyService standing in for the coordinator in the front end's tests. It holds plain
// (non-threshold) Ed25519 / Ed448 keys from noble so that signatures are real and verifiable; the
// rules it applies mirror what the coordinator is expected to do (kms-compat §2.5–2.7).
import { randomUUID } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ed448 } from '@noble/curves/ed448.js';
import {
  disabled, invalidKeyUsage, invalidMarker, invalidState, keyNotFound, notFound, unsupported, validation,
} from '../../../services/kms-api/errors.ts';
import type { Caller, KeyRecord, KeyService, MessageType, Tag } from '../../../services/kms-api/key-service.ts';

type Curve = typeof ed25519 | typeof ed448;
type Spec = { curve: Curve; algorithm: string; spkiPrefix: string };

const SPECS: Record<string, Spec> = {
  ECC_NIST_EDWARDS25519: { curve: ed25519, algorithm: 'ED25519_SHA_512', spkiPrefix: '302a300506032b6570032100' },
  ECC_NIST_EDWARDS448: { curve: ed448, algorithm: 'ED448_SHAKE_256', spkiPrefix: '3043300506032b6571033a00' },
};

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Entry = { record: KeyRecord; secretKey: Uint8Array; spec: Spec };

export class FakeKeyService implements KeyService {
  private readonly keys = new Map<string, Entry>();
  /** Every call, for assertions about what reached the service. */
  readonly calls: { method: string; caller: Caller; args: unknown }[] = [];
  /** When set, every method throws it (to test how the front end handles service faults). */
  fault: unknown = undefined;

  constructor(private readonly region: string, private readonly accountId: string) {}

  arnOf(keyId: string): string {
    return `arn:aws:kms:${this.region}:${this.accountId}:key/${keyId}`;
  }

  async createKey(req: { keySpec: string; keyUsage: string; description: string; tags: Tag[]; policy?: string }, caller: Caller): Promise<KeyRecord> {
    this.enter('createKey', caller, req);
    const spec = SPECS[req.keySpec];
    if (!spec) throw unsupported(`KeySpec ${req.keySpec} is not supported.`);
    if (req.keyUsage !== 'SIGN_VERIFY') throw validation(`KeyUsage ${req.keyUsage} is not compatible with KeySpec ${req.keySpec}`);
    const { secretKey, publicKey } = spec.curve.keygen();
    const keyId = randomUUID();
    const record: KeyRecord = {
      keyId, arn: this.arnOf(keyId), accountId: this.accountId, creationDate: new Date(), description: req.description,
      keyUsage: 'SIGN_VERIFY', keySpec: req.keySpec, keyState: 'Enabled', signingAlgorithms: [spec.algorithm],
      publicKeyDer: Uint8Array.from(Buffer.concat([Buffer.from(spec.spkiPrefix, 'hex'), publicKey])),
      threshold: 2, parties: ['p1', 'p2', 'p3'], tags: req.tags,
    };
    this.keys.set(keyId, { record, secretKey, spec });
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

  async sign(req: { keyId: string; message: Uint8Array; messageType: MessageType; signingAlgorithm: string }, caller: Caller): Promise<{ key: KeyRecord; signature: Uint8Array }> {
    this.enter('sign', caller, req);
    const e = this.usable(req.keyId);
    this.checkAlgorithm(e, req.signingAlgorithm, req.messageType);
    return { key: e.record, signature: e.spec.curve.sign(req.message, e.secretKey) };
  }

  async verify(req: { keyId: string; message: Uint8Array; messageType: MessageType; signature: Uint8Array; signingAlgorithm: string }, caller: Caller): Promise<{ key: KeyRecord; valid: boolean }> {
    this.enter('verify', caller, req);
    const e = this.usable(req.keyId);
    this.checkAlgorithm(e, req.signingAlgorithm, req.messageType);
    let valid: boolean;
    try {
      valid = e.spec.curve.verify(req.signature, req.message, e.spec.curve.getPublicKey(e.secretKey), { zip215: false });
    } catch {
      valid = false;
    }
    return { key: e.record, valid };
  }

  /** Test hook: move a key to another state. */
  setState(keyId: string, keyState: KeyRecord['keyState']): void {
    this.keys.get(keyId)!.record.keyState = keyState;
  }

  private enter(method: string, caller: Caller, args: unknown): void {
    this.calls.push({ method, caller, args });
    if (this.fault !== undefined) throw this.fault;
  }

  private resolve(keyIdOrArn: string): Entry {
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
