// The setup the backup and recovery drills share (tests/e2e/backup-drill.test.ts,
// backup-drill-dkls.slow.test.ts, backup-drill-kill.slow.test.ts; docs/operations.md "Backup and
// recovery drill"): a cluster, a 2-of-3 key on party-1..3, a work folder for the operator's files,
// signed calls to the Tutti extensions, Sign through the SDK verified by @noble from the SPKI alone,
// and the CLI steps an operator runs (tutti(), backup-cli.ts). Not a test file.
import { expect } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { CreateKeyCommand, GetPublicKeyCommand, SignCommand, type KMSClient } from '@aws-sdk/client-kms';
import { paths } from '../../services/main/config.ts';
import { rawRequest } from '../services/kms-api/support.ts';
import { tutti } from './backup-cli.ts';
import { REGION, TEST_CREDENTIALS, TestCluster } from './cluster.ts';
import { nobleVerifies } from './ecdsa.ts';

export type DrillKeySpec = 'ECC_NIST_EDWARDS25519' | 'ECC_SECG_P256K1';

export class BackupDrill {
  cluster!: TestCluster;
  kms!: KMSClient;
  keyId = '';
  spki!: Uint8Array;
  readonly work = mkdtempSync(join(tmpdir(), 'tutti-backup-'));

  constructor(readonly keySpec: DrillKeySpec) {}

  /** Starts the cluster and makes the 2-of-3 key on party-1..3. */
  async start(o: { parties: number; partyEnv?: NodeJS.ProcessEnv; gatewayEnv?: NodeJS.ProcessEnv }): Promise<this> {
    this.cluster = await new TestCluster().start(o);
    this.kms = this.cluster.client();
    const created = await this.kms.send(
      new CreateKeyCommand({
        KeySpec: this.keySpec,
        KeyUsage: 'SIGN_VERIFY',
        Tags: [
          { TagKey: 'tutti:parties', TagValue: 'party-1,party-2,party-3' },
          { TagKey: 'tutti:threshold', TagValue: '2' },
        ],
      }),
    );
    this.keyId = created.KeyMetadata!.KeyId!;
    this.spki = (await this.kms.send(new GetPublicKeyCommand({ KeyId: this.keyId }))).PublicKey!;
    return this;
  }

  async stop(): Promise<void> {
    this.kms?.destroy();
    await this.cluster?.stop();
    rmSync(this.work, { recursive: true, force: true });
  }

  /** A file in the operator's work folder. */
  file(name: string): string {
    return join(this.work, name);
  }

  /** A party's data folder. */
  partyDir(partyId: string): string {
    return paths.partyDir(this.cluster.dataDir, partyId);
  }

  /** A SigV4-signed call to the KMS endpoint (the Tutti extensions the SDK does not know). */
  async call(target: string, body: object): Promise<{ status: number; json: Record<string, unknown> }> {
    const endpoint = { url: this.cluster.endpoint, host: this.cluster.endpoint.replace(/^http:\/\//, '') };
    const res = await rawRequest(endpoint, { target, body: JSON.stringify(body), region: REGION, ...TEST_CREDENTIALS });
    return { status: res.status, json: (res.json ?? {}) as Record<string, unknown> };
  }

  /** Sign through the SDK, verified by @noble from GetPublicKey's SPKI alone. */
  async signedAndVerified(text: string): Promise<void> {
    const message = new TextEncoder().encode(text);
    if (this.keySpec === 'ECC_NIST_EDWARDS25519') {
      const out = await this.kms.send(new SignCommand({ KeyId: this.keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ED25519_SHA_512' }));
      expect(ed25519.verify(out.Signature!, message, this.spki.subarray(this.spki.length - 32))).toBe(true);
    } else {
      const out = await this.kms.send(new SignCommand({ KeyId: this.keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }));
      expect(nobleVerifies('secp256k1', this.spki, sha256(message), out.Signature!, true)).toBe(true);
    }
  }

  /** A party's stored shares of the key: version and state (the share itself is sealed under the master key). */
  stored(partyId: string): { version: number; state: string }[] {
    const db = new Sqlite(paths.sharesDb(this.partyDir(partyId)), { readonly: true });
    try {
      return db.prepare(`SELECT version, state FROM shares WHERE key_id = ? ORDER BY version`).all(this.keyId) as { version: number; state: string }[];
    } finally {
      db.close();
    }
  }

  /** cli.ts recovery-init: the seed (offline) and its public keys, in the work folder. */
  recoveryInit(): Promise<{ code: number; out: string; err: string }> {
    return tutti(['recovery-init', '--seed', this.file('recovery-seed.json'), '--out', this.file('recovery-public.json')]);
  }

  /** cli.ts backup-export of `partyId`'s data folder to `<partyId>.backup.json`. */
  exportBackup(partyId: string): Promise<{ code: number; out: string; err: string }> {
    return tutti([
      'backup-export',
      '--data',
      this.partyDir(partyId),
      '--recovery',
      this.file('recovery-public.json'),
      '--out',
      this.file(`${partyId}.backup.json`),
    ]);
  }

  /** cli.ts backup-restore of `from`'s backup into `into`'s (stopped) data folder, with the seed. */
  restore(from: string, into: string): Promise<{ code: number; out: string; err: string }> {
    return tutti(['backup-restore', '--backup', this.file(`${from}.backup.json`), '--seed', this.file('recovery-seed.json'), '--data', this.partyDir(into)]);
  }
}
