// The coordinator: key metadata, party selection and the CreateKey / Sign / Verify use cases.
// It implements the KMS front end's KeyService. Untrusted for secrets: it handles public keys,
// signatures and opaque envelopes only.
import { randomUUID } from 'node:crypto';
import type { Caller, KeyRecord, KeyService } from '../kms-api/key-service.ts';
import { KmsError, invalidMarker, dependencyTimeout, disabled, internal, invalidKeyUsage, invalidState, keyUnavailable, notFound, validation } from '../kms-api/errors.ts';
import type { KeyRepository, StoredKey } from '../storage/key-repository.ts';
import type { DkgResult, SignResult } from '../control/messages.ts';
import { KEY_SPECS, spkiDer, verifyWithSpki, type KeySpecInfo } from './key-specs.ts';
import { SessionFailed, type SessionRunner } from './session-runner.ts';
import { chooseParties } from './tags.ts';

export type CoordinatorOptions = {
  keys: KeyRepository;
  runner: SessionRunner;
  /** Every configured party id, in a stable order. */
  parties: string[];
  isConnected: (partyId: string) => boolean;
  region: string;
  accountId: string;
  log?: (line: string) => void;
};

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class Coordinator implements KeyService {
  constructor(private readonly o: CoordinatorOptions) {}

  arnOf(keyId: string): string {
    return `arn:aws:kms:${this.o.region}:${this.o.accountId}:key/${keyId}`;
  }

  async createKey(req: { keySpec: string; keyUsage: string; description: string; tags: { TagKey: string; TagValue: string }[]; policy?: string }, _caller: Caller): Promise<KeyRecord> {
    const spec = KEY_SPECS[req.keySpec];
    if (!spec) throw new KmsError('UnsupportedOperationException', `KeySpec ${req.keySpec} is not supported. Supported: ${Object.keys(KEY_SPECS).join(', ')}.`);
    if (req.keyUsage !== 'SIGN_VERIFY') throw validation(`KeyUsage ${req.keyUsage} is not compatible with KeySpec ${req.keySpec}`);
    const { parties, threshold } = chooseParties(req.tags, this.o.parties);
    const offline = parties.filter((p) => !this.o.isConnected(p));
    if (offline.length) throw keyUnavailable(`Cannot create the key: parties ${offline.join(', ')} are not connected; every party must take part in key generation.`);

    const keyId = randomUUID();
    const stored: StoredKey = {
      keyId, arn: this.arnOf(keyId), accountId: this.o.accountId, region: this.o.region, creationDate: Date.now(),
      description: req.description, keyUsage: 'SIGN_VERIFY', keySpec: spec.keySpec, keyState: 'Creating', protocol: spec.protocol,
      threshold, parties, publicKey: null, policyHash: null, tags: req.tags, deletionDate: null, pendingWindowInDays: null, policy: null,
    };
    this.o.keys.insert(stored);
    try {
      const members = new Map(parties.map((p, i) => [i + 1, p]));
      const outputs = await this.o.runner.run(`${spec.protocol}/dkg`, members, (session) => ({
        type: 'open', kind: 'dkg', session, keyId, keySpec: spec.keySpec, protocol: spec.protocol, threshold, parties, policyHash: null,
      }));
      // A key exists only when all n parties confirmed the same transcript and public key.
      const results = [...outputs.values()] as DkgResult[];
      const first = results[0]!;
      if (results.some((r) => r.publicKey !== first.publicKey || r.transcriptHash !== first.transcriptHash)) {
        throw internal('Key generation failed: the parties did not agree on the public key.');
      }
      spkiDer(spec, Buffer.from(first.publicKey, 'hex'));
      this.o.keys.update(keyId, { keyState: 'Enabled', publicKey: first.publicKey });
    } catch (err) {
      this.o.keys.delete(keyId);
      throw this.sessionError(err, 'CreateKey');
    }
    return this.record(this.o.keys.get(keyId)!);
  }

  async describeKey(keyId: string): Promise<KeyRecord> {
    return this.record(this.resolve(keyId));
  }

  async listKeys(limit: number, marker: string | undefined): Promise<{ keys: KeyRecord[]; nextMarker?: string }> {
    if (marker !== undefined && (!UUID_RE.test(marker) || !this.o.keys.get(marker))) throw invalidMarker('Invalid marker');
    const page = this.o.keys.list(limit, marker);
    const keys = page.keys.filter((k) => k.keyState !== 'Creating').map((k) => this.record(k));
    const last = page.keys[page.keys.length - 1];
    return page.more && last ? { keys, nextMarker: last.keyId } : { keys };
  }

  async getPublicKey(keyId: string): Promise<KeyRecord> {
    const k = this.resolve(keyId);
    this.requireUsable(k);
    return this.record(k);
  }

  async sign(req: { keyId: string; message: Uint8Array; messageType: 'RAW' | 'DIGEST'; signingAlgorithm: string }, caller: Caller): Promise<{ key: KeyRecord; signature: Uint8Array }> {
    const k = this.resolve(req.keyId);
    this.requireUsable(k);
    const spec = KEY_SPECS[k.keySpec]!;
    this.checkAlgorithm(spec, req.signingAlgorithm, req.messageType);
    const spki = spkiDer(spec, Buffer.from(k.publicKey!, 'hex'));

    // Pick t connected parties; if one does not answer, try again without it (design: Sign flow).
    const excluded = new Set<number>();
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const candidates = k.parties.map((p, i) => ({ p, i: i + 1 })).filter(({ p, i }) => !excluded.has(i) && this.o.isConnected(p));
      if (candidates.length < k.threshold) {
        throw keyUnavailable(`Only ${candidates.length} of the key's ${k.parties.length} parties are reachable; ${k.threshold} are needed to sign.`);
      }
      const signers = candidates.slice(0, k.threshold);
      const members = new Map(signers.map(({ p, i }) => [i, p]));
      const indices = signers.map(({ i }) => i);
      try {
        const outputs = await this.o.runner.run(`${spec.protocol}/sign`, members, (session) => ({
          type: 'open', kind: 'sign', session, keyId: k.keyId, signers: indices,
          request: { message: Buffer.from(req.message).toString('base64'), messageType: req.messageType, signingAlgorithm: req.signingAlgorithm, caller },
        }));
        // Every signature is checked by an independent verifier before it is returned.
        for (const out of outputs.values()) {
          const signature = new Uint8Array(Buffer.from((out as SignResult).signature, 'base64'));
          if (signature.length === spec.signatureBytes && verifyWithSpki(spki, req.message, signature)) {
            return { key: this.record(k), signature };
          }
        }
        throw internal('The parties returned no valid signature.');
      } catch (err) {
        lastError = err;
        if (err instanceof SessionFailed && (err.failure.kind === 'timeout' || err.failure.kind === 'unavailable') && err.failure.unresponsive.length) {
          for (const i of err.failure.unresponsive) excluded.add(i);
          this.o.log?.(`sign ${k.keyId}: retrying without parties ${[...excluded].join(', ')}`);
          continue;
        }
        throw this.sessionError(err, 'Sign');
      }
    }
    throw this.sessionError(lastError, 'Sign');
  }

  async verify(req: { keyId: string; message: Uint8Array; messageType: 'RAW' | 'DIGEST'; signature: Uint8Array; signingAlgorithm: string }): Promise<{ key: KeyRecord; valid: boolean }> {
    const k = this.resolve(req.keyId);
    this.requireUsable(k);
    const spec = KEY_SPECS[k.keySpec]!;
    this.checkAlgorithm(spec, req.signingAlgorithm, req.messageType);
    const spki = spkiDer(spec, Buffer.from(k.publicKey!, 'hex'));
    const valid = req.signature.length === spec.signatureBytes && verifyWithSpki(spki, req.message, req.signature);
    return { key: this.record(k), valid };
  }

  /** Key id or key ARN (aliases arrive with issue 3). */
  private resolve(keyIdOrArn: string): StoredKey {
    let id = keyIdOrArn;
    const arn = /^arn:aws:kms:([^:]*):([^:]*):key\/(.+)$/.exec(keyIdOrArn);
    if (arn) {
      if (arn[1] !== this.o.region) throw notFound(`Invalid arn ${arn[1]}`);
      if (arn[2] !== this.o.accountId) throw notFound(`Key '${keyIdOrArn}' does not exist`);
      id = arn[3]!;
    } else if (keyIdOrArn.startsWith('alias/') || keyIdOrArn.startsWith('arn:aws:kms:')) {
      throw notFound(`Alias ${keyIdOrArn.startsWith('arn:') ? keyIdOrArn : this.aliasArn(keyIdOrArn)} is not found.`);
    }
    if (!UUID_RE.test(id)) throw notFound(`Invalid keyId '${keyIdOrArn}'`);
    const k = this.o.keys.get(id);
    if (!k || k.keyState === 'Creating') throw notFound(`Key '${this.arnOf(id)}' does not exist`);
    return k;
  }

  private aliasArn(alias: string): string {
    return `arn:aws:kms:${this.o.region}:${this.o.accountId}:${alias}`;
  }

  private requireUsable(k: StoredKey): void {
    if (k.keyState === 'Disabled') throw disabled(k.arn);
    if (k.keyState === 'PendingDeletion') throw invalidState(`${k.arn} is pending deletion.`);
    if (k.keyState !== 'Enabled' || !k.publicKey) throw invalidState(`${k.arn} is not usable in state ${k.keyState}.`);
  }

  private checkAlgorithm(spec: KeySpecInfo, algorithm: string, messageType: string): void {
    if (!spec.signingAlgorithms.includes(algorithm)) {
      throw invalidKeyUsage(`Algorithm ${algorithm} is incompatible with key spec ${spec.keySpec}.`);
    }
    // Pure EdDSA (RFC 8032) signs the message itself; AWS requires RAW for ED25519_SHA_512.
    if (messageType !== 'RAW') throw validation(`MessageType ${messageType} is not supported for ${algorithm}; use RAW.`);
  }

  private sessionError(err: unknown, op: string): Error {
    if (err instanceof KmsError) return err;
    if (err instanceof SessionFailed) {
      const f = err.failure;
      if (f.kind === 'timeout') return dependencyTimeout(`${op} timed out waiting for the key's parties: ${f.message}`);
      if (f.kind === 'unavailable') return keyUnavailable(`${op} could not reach the key's parties: ${f.message}`);
      if (f.kind === 'policy') return new KmsError('AccessDeniedException', `${op} refused by a party: ${f.message}`);
      return internal(`${op} failed: the parties aborted the protocol (${f.kind}): ${f.message}`);
    }
    this.o.log?.(`${op} failed: ${(err as Error)?.stack ?? err}`);
    return internal(`${op} failed: ${(err as Error)?.message ?? 'unknown error'}`);
  }

  private record(k: StoredKey): KeyRecord {
    const spec = KEY_SPECS[k.keySpec];
    return {
      keyId: k.keyId, arn: k.arn, accountId: k.accountId, creationDate: new Date(k.creationDate), description: k.description,
      keyUsage: 'SIGN_VERIFY', keySpec: k.keySpec, keyState: k.keyState, signingAlgorithms: spec?.signingAlgorithms ?? [],
      publicKeyDer: k.publicKey && spec ? spkiDer(spec, Buffer.from(k.publicKey, 'hex')) : null,
      threshold: k.threshold, parties: k.parties, tags: k.tags,
    };
  }
}
