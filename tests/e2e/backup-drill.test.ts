// The backup and recovery drill (issue 15 item 4; docs/operations.md "Backup and recovery drill"),
// end to end in real gateway and party processes and through the CLI an operator runs: an Ed25519
// key 2-of-3 on party-1..3; the operator makes a recovery seed; party-1 exports its backup, which
// anyone verifies against the key without the seed. Then party-1's machine is lost (kill -9, data
// folder wiped) while party-3 is down too: one holder is left, below the threshold, so ReshareKey
// cannot move the key. The backup is restored on a new machine (party-4: its own identity), which
// then deals as party-1 in a ReshareKey onto party-2 and party-4; the key signs again, under the
// same public key, verified by @noble from the SPKI alone; the restored share is re-dealt (the
// backup is stale). backup-verify also fetches what it checks against from the gateway itself
// (--endpoint with SigV4 credentials). The same drill for a DKLs23 key: backup-drill-dkls.slow.test.ts.
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { ed25519 } from '@noble/curves/ed25519.js';
import { CreateKeyCommand, GetPublicKeyCommand, SignCommand, type KMSClient } from '@aws-sdk/client-kms';
import { paths } from '../../services/main/config.ts';
import { REGION, TEST_CREDENTIALS, TestCluster } from '../support/cluster.ts';
import { rawRequest } from '../services/kms-api/support.ts';
import { tutti } from '../support/backup-cli.ts';

jest.setTimeout(180_000);

let cluster: TestCluster;
let kms: KMSClient;
let keyId = '';
let spki: Uint8Array;
const work = mkdtempSync(join(tmpdir(), 'tutti-backup-'));
const file = (name: string) => join(work, name);

async function call(target: string, body: object): Promise<{ status: number; json: Record<string, unknown> }> {
  const endpoint = { url: cluster.endpoint, host: cluster.endpoint.replace(/^http:\/\//, '') };
  const res = await rawRequest(endpoint, { target, body: JSON.stringify(body), region: REGION, ...TEST_CREDENTIALS });
  return { status: res.status, json: (res.json ?? {}) as Record<string, unknown> };
}

async function signedAndVerified(text: string): Promise<void> {
  const message = new TextEncoder().encode(text);
  const out = await kms.send(new SignCommand({ KeyId: keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ED25519_SHA_512' }));
  expect(ed25519.verify(out.Signature!, message, spki.subarray(spki.length - 32))).toBe(true);
}

const versions = (partyId: string) => {
  const db = new Sqlite(paths.sharesDb(paths.partyDir(cluster.dataDir, partyId)), { readonly: true });
  try {
    return db.prepare(`SELECT version, state FROM shares WHERE key_id = ? ORDER BY version`).all(keyId) as { version: number; state: string }[];
  } finally {
    db.close();
  }
};

beforeAll(async () => {
  cluster = await new TestCluster().start({ parties: 4, partyEnv: { TUTTI_DELETION_WAIT_MS: '300' }, gatewayEnv: { TUTTI_ROUND_TIMEOUT_MS: '10000' } });
  kms = cluster.client();
  const created = await kms.send(
    new CreateKeyCommand({
      KeySpec: 'ECC_NIST_EDWARDS25519',
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

test('wipe a party, restore it from its verifiable backup onto a new machine, reshare, sign', async () => {
  await signedAndVerified('before the drill');

  // 1. The operator's recovery seed (kept offline) and its public keys (given to party operators).
  const init = await tutti(['recovery-init', '--seed', file('recovery-seed.json'), '--out', file('recovery-public.json')]);
  expect(init.code).toBe(0);
  expect(Object.keys((JSON.parse(init.out) as { keys: object }).keys).sort()).toEqual(['ed25519', 'ed448', 'p256', 'secp256k1']);

  // 2. party-1 exports its backup; it holds no share in clear.
  const partyDir = paths.partyDir(cluster.dataDir, 'party-1');
  const exported = await tutti(['backup-export', '--data', partyDir, '--recovery', file('recovery-public.json'), '--out', file('party-1.backup.json')]);
  expect(exported.code).toBe(0);
  const backup = JSON.parse(readFileSync(file('party-1.backup.json'), 'utf8')) as {
    keys: { share: { keyId: string; shareVersion: number; publicShare: object } }[];
  };
  expect(backup.keys.map((k) => k.share.keyId)).toEqual([keyId]);
  expect(backup.keys[0]!.share.publicShare).not.toHaveProperty('signingShare');

  // 3. Anyone checks it against the key, without the seed (and party-2's operator against party-2's
  // own verification shares); a tampered copy is refused.
  const publicKeyHex = Buffer.from(spki.subarray(spki.length - 32)).toString('hex');
  const verified = await tutti([
    'backup-verify',
    '--backup',
    file('party-1.backup.json'),
    '--recovery',
    file('recovery-public.json'),
    '--public-key',
    `${keyId}=${publicKeyHex}`,
    '--against',
    paths.partyDir(cluster.dataDir, 'party-2'),
  ]);
  expect(verified.code).toBe(0);
  expect(JSON.parse(verified.out)).toEqual([expect.objectContaining({ keyId, ok: true })]);
  const tampered = JSON.parse(readFileSync(file('party-1.backup.json'), 'utf8')) as { keys: { share: { encrypted: { bits: { b: string }[] } } }[] };
  const bits = tampered.keys[0]!.share.encrypted.bits;
  [bits[0]!.b, bits[1]!.b] = [bits[1]!.b, bits[0]!.b];
  writeFileSync(file('tampered.json'), JSON.stringify(tampered));
  const refused = await tutti(['backup-verify', '--backup', file('tampered.json')]);
  expect(refused.code).toBe(1);
  expect(JSON.parse(refused.out)).toEqual([expect.objectContaining({ keyId, ok: false, why: expect.stringMatching(/bit 0/) })]);
  // With nothing at hand but the gateway: --endpoint fetches GetPublicKey and the key's verification
  // shares (GetKeyAttestation's VerificationShares, every connected holder agreeing) with SigV4.
  const attestation = await call('GetKeyAttestation', { KeyId: keyId });
  expect(Object.keys(attestation.json.VerificationShares as object).sort()).toEqual(['1', '2', '3']);
  expect(attestation.json.VerificationSharesReportedBy).toEqual(['party-1', 'party-2', 'party-3']);
  const viaGateway = (backupFile: string) =>
    tutti([
      'backup-verify',
      '--backup',
      backupFile,
      '--endpoint',
      cluster.endpoint,
      '--region',
      REGION,
      '--access-key-id',
      TEST_CREDENTIALS.accessKeyId,
      '--secret-access-key',
      TEST_CREDENTIALS.secretAccessKey,
    ]);
  const fetched = await viaGateway(file('party-1.backup.json'));
  expect([fetched.code, JSON.parse(fetched.out)]).toEqual([0, [expect.objectContaining({ keyId, ok: true })]]);
  const fetchedTampered = await viaGateway(file('tampered.json'));
  expect([fetchedTampered.code, JSON.parse(fetchedTampered.out)]).toEqual([1, [expect.objectContaining({ keyId, ok: false })]]);

  // 4. party-1's machine is lost; party-3 is down too: one holder left, below the threshold.
  await cluster.kill('party-1');
  rmSync(partyDir, { recursive: true, force: true });
  await cluster.kill('party-3');
  await cluster.waitConnected((ids) => !ids.includes('party-1') && !ids.includes('party-3'));
  const before = await call('ReshareKey', { KeyId: keyId, Threshold: 2, Parties: ['party-2', 'party-4'] });
  expect([before.status, before.json.__type]).toEqual([500, 'KeyUnavailableException']);
  expect(String(before.json.message)).toMatch(/1 of its parties are connected/);

  // 5. The new machine (party-4, its own identity, already on every allowlist as operations.md
  // adds a party) restores party-1's share from the backup, with the seed; stopped meanwhile.
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
  expect(JSON.parse(restored.out)).toEqual([{ keyId, protocol: 'frost-ed25519', index: 1, restored: true }]);
  const backupVersion = backup.keys[0]!.share.shareVersion;
  await cluster.startParty('party-4');
  await cluster.waitConnected((ids) => ids.includes('party-4'));

  // 6. ReshareKey onto party-2 and party-4: party-4 deals as party-1 (the gateway finds it holds
  // party-1's share); the key's public key is unchanged and it signs.
  const out = await call('ReshareKey', { KeyId: keyId, Threshold: 2, Parties: ['party-2', 'party-4'] });
  expect(out.json).toMatchObject({ Threshold: 2, Parties: ['party-2', 'party-4'] });
  expect(out.status).toBe(200);
  expect((await kms.send(new GetPublicKeyCommand({ KeyId: keyId }))).PublicKey).toEqual(spki);
  await signedAndVerified('after the restore');
  // The restored share was re-dealt: the backup no longer matches party-4's share.
  expect(versions('party-4')).toEqual([{ version: backupVersion + 1, state: 'active' }]);
});
