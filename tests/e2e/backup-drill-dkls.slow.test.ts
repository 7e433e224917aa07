// The backup and recovery drill (backup-drill.test.ts) for a DKLs23 key, through the AWS SDK and
// the operator's CLI: a secp256k1 key 2-of-3 on party-1..3; party-1 exports its backup; party-1's
// machine is lost (kill -9, data wiped) and party-3 is down. backup-restore installs party-1's
// share on party-4 DEALER-ONLY (a DKLs23 backup has no pairwise OT seeds: protocols/dkls23/keyshare.ts
// `dealerOnly`); party-4 deals as party-1 in a ReshareKey onto party-2 and party-4, which gives it a
// full share with fresh OT setup; the key signs under the same public key, verified by @noble from
// the SPKI alone. Slow: a DKLs23 DKG and reshare take tens of seconds on a loaded 2-core host.
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { sha256 } from '@noble/hashes/sha2.js';
import { CreateKeyCommand, GetPublicKeyCommand, SignCommand, type KMSClient } from '@aws-sdk/client-kms';
import { paths } from '../../services/main/config.ts';
import { REGION, TEST_CREDENTIALS, TestCluster } from '../support/cluster.ts';
import { rawRequest } from '../services/kms-api/support.ts';
import { tutti } from '../support/backup-cli.ts';
import { nobleVerifies } from '../support/ecdsa.ts';

jest.setTimeout(600_000);

let cluster: TestCluster;
let kms: KMSClient;
let keyId = '';
let spki: Uint8Array;
const work = mkdtempSync(join(tmpdir(), 'tutti-backup-dkls-'));
const file = (name: string) => join(work, name);

async function call(target: string, body: object): Promise<{ status: number; json: Record<string, unknown> }> {
  const endpoint = { url: cluster.endpoint, host: cluster.endpoint.replace(/^http:\/\//, '') };
  const res = await rawRequest(endpoint, { target, body: JSON.stringify(body), region: REGION, ...TEST_CREDENTIALS });
  return { status: res.status, json: (res.json ?? {}) as Record<string, unknown> };
}

async function signedAndVerified(text: string): Promise<void> {
  const message = new TextEncoder().encode(text);
  const out = await kms.send(new SignCommand({ KeyId: keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }));
  expect(nobleVerifies('secp256k1', spki, sha256(message), out.Signature!, true)).toBe(true);
}

/** party's stored shares of the key: version and state (the share itself is sealed under the master key). */
const stored = (partyId: string) => {
  const db = new Sqlite(paths.sharesDb(paths.partyDir(cluster.dataDir, partyId)), { readonly: true });
  try {
    return db.prepare(`SELECT version, state FROM shares WHERE key_id = ? ORDER BY version`).all(keyId) as { version: number; state: string }[];
  } finally {
    db.close();
  }
};

beforeAll(async () => {
  cluster = await new TestCluster().start({
    parties: 4,
    // A loaded host can take a minute per DKLs23 session: the parties keep theirs longer (as reshare-dkls.test.ts).
    partyEnv: { TUTTI_DELETION_WAIT_MS: '300', TUTTI_SESSION_TTL_MS: '300000' },
    gatewayEnv: { TUTTI_ROUND_TIMEOUT_MS: '60000', TUTTI_DKG_ROUND_TIMEOUT_MS: '120000' },
  });
  kms = cluster.client();
  const created = await kms.send(
    new CreateKeyCommand({
      KeySpec: 'ECC_SECG_P256K1',
      KeyUsage: 'SIGN_VERIFY',
      Tags: [
        { TagKey: 'tutti:parties', TagValue: 'party-1,party-2,party-3' },
        { TagKey: 'tutti:threshold', TagValue: '2' },
      ],
    }),
  );
  keyId = created.KeyMetadata!.KeyId!;
  spki = (await kms.send(new GetPublicKeyCommand({ KeyId: keyId }))).PublicKey!;
});

afterAll(async () => {
  kms?.destroy();
  await cluster?.stop();
  rmSync(work, { recursive: true, force: true });
});

test('DKLs23: wipe a party, restore its share dealer-only on a new machine, reshare, sign', async () => {
  await signedAndVerified('before the drill');

  // 1. The recovery seed and its public keys; party-1 exports its backup: no scalar, no OT seeds.
  expect((await tutti(['recovery-init', '--seed', file('recovery-seed.json'), '--out', file('recovery-public.json')])).code).toBe(0);
  const partyDir = paths.partyDir(cluster.dataDir, 'party-1');
  const exported = await tutti(['backup-export', '--data', partyDir, '--recovery', file('recovery-public.json'), '--out', file('party-1.backup.json')]);
  expect(exported.code).toBe(0);
  const backup = JSON.parse(readFileSync(file('party-1.backup.json'), 'utf8')) as {
    keys: { share: { keyId: string; shareVersion: number; publicShare: object } }[];
  };
  expect(backup.keys.map((k) => k.share.keyId)).toEqual([keyId]);
  expect(backup.keys[0]!.share.publicShare).not.toHaveProperty('secretShare');
  expect(backup.keys[0]!.share.publicShare).not.toHaveProperty('peers');
  const verified = await tutti([
    'backup-verify',
    '--backup',
    file('party-1.backup.json'),
    '--recovery',
    file('recovery-public.json'),
    '--against',
    paths.partyDir(cluster.dataDir, 'party-2'),
  ]);
  expect(JSON.parse(verified.out)).toEqual([expect.objectContaining({ keyId, ok: true })]);

  // 2. party-1's machine is lost; party-3 is down: one holder left, below the threshold.
  await cluster.kill('party-1');
  rmSync(partyDir, { recursive: true, force: true });
  await cluster.kill('party-3');
  await cluster.waitConnected((ids) => !ids.includes('party-1') && !ids.includes('party-3'));

  // 3. party-4 (stopped meanwhile) restores party-1's share: dealer-only, restored all the same.
  await cluster.kill('party-4');
  const restored = await tutti([
    'backup-restore',
    '--backup',
    file('party-1.backup.json'),
    '--seed',
    file('recovery-seed.json'),
    '--data',
    paths.partyDir(cluster.dataDir, 'party-4'),
  ]);
  expect(restored.code).toBe(0);
  expect(JSON.parse(restored.out)).toEqual([{ keyId, protocol: 'dkls23-secp256k1', index: 1, restored: true }]);
  const backupVersion = backup.keys[0]!.share.shareVersion;
  expect(stored('party-4')).toEqual([{ version: backupVersion, state: 'active' }]);
  await cluster.startParty('party-4');
  await cluster.waitConnected((ids) => ids.includes('party-4'));

  // 4. ReshareKey onto party-2 and party-4: party-4 deals as party-1 and receives a full share.
  const started = Date.now();
  const out = await call('ReshareKey', { KeyId: keyId, Threshold: 2, Parties: ['party-2', 'party-4'] });
  console.log(`DKLs23 drill ReshareKey: ${Date.now() - started} ms`);
  expect(out.status === 200 ? 200 : out.json).toBe(200);
  expect(out.json).toMatchObject({ Threshold: 2, Parties: ['party-2', 'party-4'] });
  expect((await kms.send(new GetPublicKeyCommand({ KeyId: keyId }))).PublicKey).toEqual(spki);
  // party-2 and party-4 (over its fresh OT setup with party-2) sign.
  await signedAndVerified('after the restore');
  expect(stored('party-4')).toEqual([{ version: backupVersion + 1, state: 'active' }]);
});
