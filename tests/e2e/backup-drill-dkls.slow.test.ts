// The backup and recovery drill (backup-drill.test.ts) for a DKLs23 key, through the AWS SDK and
// the operator's CLI: a secp256k1 key 2-of-3 on party-1..3; party-1 exports its backup; party-1's
// machine is lost (kill -9, data wiped) and party-3 is down. backup-restore installs party-1's
// share on party-4 DEALER-ONLY (a DKLs23 backup has no pairwise OT seeds: protocols/dkls23/keyshare.ts
// `dealerOnly`); party-4 deals as party-1 in a ReshareKey onto party-2 and party-4, which gives it a
// full share with fresh OT setup; the key signs under the same public key, verified by @noble from
// the SPKI alone. Slow: a DKLs23 DKG and reshare take tens of seconds on a loaded 2-core host.
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import { readFileSync, rmSync } from 'node:fs';
import { GetPublicKeyCommand } from '@aws-sdk/client-kms';
import { tutti } from '../support/backup-cli.ts';
import { BackupDrill } from '../support/backup-drill.ts';

jest.setTimeout(600_000);

const drill = new BackupDrill('ECC_SECG_P256K1');
const file = (name: string) => drill.file(name);
const call = (target: string, body: object) => drill.call(target, body);
const signedAndVerified = (text: string) => drill.signedAndVerified(text);
/** party's stored shares of the key: version and state (the share itself is sealed under the master key). */
const stored = (partyId: string) => drill.stored(partyId);
let keyId = '';
let spki: Uint8Array;

beforeAll(async () => {
  await drill.start({
    parties: 4,
    // A loaded host can take a minute per DKLs23 session: the parties keep theirs longer (as reshare-dkls.test.ts).
    partyEnv: { TUTTI_DELETION_WAIT_MS: '300', TUTTI_SESSION_TTL_MS: '300000' },
    gatewayEnv: { TUTTI_ROUND_TIMEOUT_MS: '60000', TUTTI_DKG_ROUND_TIMEOUT_MS: '120000' },
  });
  ({ keyId, spki } = drill);
});

afterAll(() => drill.stop());

test('DKLs23: wipe a party, restore its share dealer-only on a new machine, reshare, sign', async () => {
  await signedAndVerified('before the drill');

  // 1. The recovery seed and its public keys; party-1 exports its backup: no scalar, no OT seeds.
  expect((await drill.recoveryInit()).code).toBe(0);
  const partyDir = drill.partyDir('party-1');
  const exported = await drill.exportBackup('party-1');
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
    drill.partyDir('party-2'),
  ]);
  expect(JSON.parse(verified.out)).toEqual([expect.objectContaining({ keyId, ok: true })]);

  // 2. party-1's machine is lost; party-3 is down: one holder left, below the threshold.
  await drill.cluster.kill('party-1');
  rmSync(partyDir, { recursive: true, force: true });
  await drill.cluster.kill('party-3');
  await drill.cluster.waitConnected((ids) => !ids.includes('party-1') && !ids.includes('party-3'));

  // 3. party-4 (stopped meanwhile) restores party-1's share: dealer-only, restored all the same.
  await drill.cluster.kill('party-4');
  const restored = await drill.restore('party-1', 'party-4');
  expect(restored.code).toBe(0);
  expect(JSON.parse(restored.out)).toEqual([{ keyId, protocol: 'dkls23-secp256k1', index: 1, restored: true }]);
  const backupVersion = backup.keys[0]!.share.shareVersion;
  expect(stored('party-4')).toEqual([{ version: backupVersion, state: 'active' }]);
  await drill.cluster.startParty('party-4');
  await drill.cluster.waitConnected((ids) => ids.includes('party-4'));

  // 4. ReshareKey onto party-2 and party-4: party-4 deals as party-1 and receives a full share.
  const started = Date.now();
  const out = await call('ReshareKey', { KeyId: keyId, Threshold: 2, Parties: ['party-2', 'party-4'] });
  console.log(`DKLs23 drill ReshareKey: ${Date.now() - started} ms`);
  expect(out.status === 200 ? 200 : out.json).toBe(200);
  expect(out.json).toMatchObject({ Threshold: 2, Parties: ['party-2', 'party-4'] });
  expect((await drill.kms.send(new GetPublicKeyCommand({ KeyId: keyId }))).PublicKey).toEqual(spki);
  // party-2 and party-4 (over its fresh OT setup with party-2) sign.
  await signedAndVerified('after the restore');
  expect(stored('party-4')).toEqual([{ version: backupVersion + 1, state: 'active' }]);
});
