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
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { GetPublicKeyCommand } from '@aws-sdk/client-kms';
import { REGION, TEST_CREDENTIALS } from '../support/cluster.ts';
import { tutti } from '../support/backup-cli.ts';
import { BackupDrill } from '../support/backup-drill.ts';

jest.setTimeout(180_000);

const drill = new BackupDrill('ECC_NIST_EDWARDS25519');
const file = (name: string) => drill.file(name);
const call = (target: string, body: object) => drill.call(target, body);
const signedAndVerified = (text: string) => drill.signedAndVerified(text);
const versions = (partyId: string) => drill.stored(partyId);
let keyId = '';
let spki: Uint8Array;

beforeAll(async () => {
  await drill.start({ parties: 4, partyEnv: { TUTTI_DELETION_WAIT_MS: '300' }, gatewayEnv: { TUTTI_ROUND_TIMEOUT_MS: '10000' } });
  ({ keyId, spki } = drill);
});

afterAll(() => drill.stop());

test('wipe a party, restore it from its verifiable backup onto a new machine, reshare, sign', async () => {
  await signedAndVerified('before the drill');

  // 1. The operator's recovery seed (kept offline) and its public keys (given to party operators).
  const init = await drill.recoveryInit();
  expect(init.code).toBe(0);
  expect(Object.keys((JSON.parse(init.out) as { keys: object }).keys).sort()).toEqual(['ed25519', 'ed448', 'p256', 'secp256k1']);

  // 2. party-1 exports its backup; it holds no share in clear.
  const partyDir = drill.partyDir('party-1');
  const exported = await drill.exportBackup('party-1');
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
    drill.partyDir('party-2'),
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
      drill.cluster.endpoint,
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
  await drill.cluster.kill('party-1');
  rmSync(partyDir, { recursive: true, force: true });
  await drill.cluster.kill('party-3');
  await drill.cluster.waitConnected((ids) => !ids.includes('party-1') && !ids.includes('party-3'));
  const before = await call('ReshareKey', { KeyId: keyId, Threshold: 2, Parties: ['party-2', 'party-4'] });
  expect([before.status, before.json.__type]).toEqual([500, 'KeyUnavailableException']);
  expect(String(before.json.message)).toMatch(/1 of its parties are connected/);

  // 5. The new machine (party-4, its own identity, already on every allowlist as operations.md
  // adds a party) restores party-1's share from the backup, with the seed; stopped meanwhile.
  await drill.cluster.kill('party-4');
  const restored = await drill.restore('party-1', 'party-4');
  expect(restored.code).toBe(0);
  expect(JSON.parse(restored.out)).toEqual([{ keyId, protocol: 'frost-ed25519', index: 1, restored: true }]);
  const backupVersion = backup.keys[0]!.share.shareVersion;
  await drill.cluster.startParty('party-4');
  await drill.cluster.waitConnected((ids) => ids.includes('party-4'));

  // 6. ReshareKey onto party-2 and party-4: party-4 deals as party-1 (the gateway finds it holds
  // party-1's share); the key's public key is unchanged and it signs.
  const out = await call('ReshareKey', { KeyId: keyId, Threshold: 2, Parties: ['party-2', 'party-4'] });
  expect(out.json).toMatchObject({ Threshold: 2, Parties: ['party-2', 'party-4'] });
  expect(out.status).toBe(200);
  expect((await drill.kms.send(new GetPublicKeyCommand({ KeyId: keyId }))).PublicKey).toEqual(spki);
  await signedAndVerified('after the restore');
  // The restored share was re-dealt: the backup no longer matches party-4's share.
  expect(versions('party-4')).toEqual([{ version: backupVersion + 1, state: 'active' }]);
});
