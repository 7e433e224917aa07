// The operator's backup commands (services/main/backup.ts) on real party stores: recovery-init
// writes a seed once and prints one public key per curve; backup-export writes every active share
// encrypted (never in clear) with its meta and policy history; backup-verify checks it without the
// seed and names what is wrong; backup-restore installs the share, active, in another party's
// store under that party's own identity, and refuses a wrong seed or a key it already holds.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { makeKeyShare, type FrostKeyShare } from '../../../protocols/frost/share.ts';
import { frostSuite } from '../../../protocols/frost/suite.ts';
import { initParty } from '../../../services/main/cluster.ts';
import { paths } from '../../../services/main/config.ts';
import { openDatabase } from '../../../services/storage/db.ts';
import { loadMasterKey } from '../../../services/storage/master-key.ts';
import { ShareStore } from '../../../services/storage/share-store.ts';
import { PolicyStore } from '../../../services/storage/policy-store.ts';
import {
  exportBackup,
  initRecovery,
  rawPublicKeyOfSpki,
  readBackup,
  restoreBackup,
  runBackupCommand,
  verifyBackup,
  type BackupFile,
} from '../../../services/main/backup.ts';

const KEY = '0f0f0f0f-1111-2222-3333-444444444444';
const root = mkdtempSync(join(tmpdir(), 'tutti-backup-unit-'));
const env = {} as Record<string, string | undefined>;
const dir = (id: string) => paths.partyDir(root, id);

function shares(): FrostKeyShare[] {
  const suite = frostSuite('ed25519');
  const q = ed25519.Point.Fn.ORDER;
  const a = [1n + (BigInt('0x' + randomBytes(40).toString('hex')) % (q - 1n)), 1n + (BigInt('0x' + randomBytes(40).toString('hex')) % (q - 1n))];
  const commitments = a.map((c) => ed25519.Point.BASE.multiply(c));
  return [1, 2, 3].map((j) => makeKeyShare(suite, j, 3, 2, (a[0]! + a[1]! * BigInt(j)) % q, commitments, new Uint8Array(64).fill(7)));
}

let backup: BackupFile;
let original: FrostKeyShare;
const identities = ['party-1', 'party-2', 'party-3', 'party-4'].map((id) => initParty(dir(id), id, env));

beforeAll(() => {
  const all = shares();
  original = all[0]!;
  // party-2 holds share 2 of the same key; party-3 a share of another polynomial under the same key id.
  put('party-1', all[0]!);
  put('party-2', all[1]!);
  put('party-3', shares()[2]!);
});

function put(partyId: string, share: FrostKeyShare): void {
  const db = openDatabase(paths.sharesDb(dir(partyId)));
  const store = new ShareStore(db, loadMasterKey({ dataDir: dir(partyId), env }));
  const meta = {
    keySpec: 'ECC_NIST_EDWARDS25519',
    protocol: 'frost-ed25519',
    suite: 'ed25519',
    threshold: 2,
    n: 3,
    parties: identities.slice(0, 3),
    publicKey: share.groupPublicKey,
    transcriptHash: share.transcriptHash,
    policyHash: null,
    self: share.index,
  };
  store.putPending({ keyId: KEY, protocol: 'frost-ed25519', version: 3, share, meta });
  store.activate(KEY, 3);
  db.close();
}

afterAll(() => rmSync(root, { recursive: true, force: true }));

const lines: string[] = [];
const print = (l: string) => lines.push(l);

test('recovery-init writes the seed once and prints a public key per curve', () => {
  expect(runBackupCommand('recovery-init', ['--seed', join(root, 'seed.json'), '--out', join(root, 'recovery.json')], print)).toBe(0);
  const pub = JSON.parse(lines.pop()!) as { keys: Record<string, string> };
  expect(Object.keys(pub.keys).sort()).toEqual(['ed25519', 'ed448', 'p256', 'secp256k1']);
  expect(() => initRecovery(join(root, 'seed.json'))).toThrow();
});

test('backup-export writes the share encrypted, with its meta; backup-verify accepts it without the seed', () => {
  const out = join(root, 'party-1.backup.json');
  expect(runBackupCommand('backup-export', ['--data', dir('party-1'), '--recovery', join(root, 'recovery.json'), '--out', out], print)).toBe(0);
  backup = readBackup(out);
  expect(backup.partyId).toBe('party-1');
  expect(backup.keys).toHaveLength(1);
  const e = backup.keys[0]!;
  expect(e.share).toMatchObject({ keyId: KEY, protocol: 'frost-ed25519', index: 1, shareVersion: 3, publicKey: original.groupPublicKey });
  expect(e.meta.self).toBe(1);
  expect(readFileSync(out, 'utf8')).not.toContain(original.signingShare);
  expect(
    runBackupCommand('backup-verify', ['--backup', out, '--recovery', join(root, 'recovery.json'), '--public-key', `${KEY}=${original.groupPublicKey}`], print),
  ).toBe(0);
  expect(JSON.parse(lines.pop()!)).toEqual([{ keyId: KEY, protocol: 'frost-ed25519', index: 1, shareVersion: 3, ok: true }]);
});

test('backup-verify --against another holder: its verification shares anchor the backup', () => {
  const out = join(root, 'party-1.backup.json');
  expect(runBackupCommand('backup-verify', ['--backup', out, '--against', dir('party-2')], print)).toBe(0);
  expect(runBackupCommand('backup-verify', ['--backup', out, '--against', dir('party-3')], print)).toBe(1);
  expect(JSON.parse(lines.pop()!)).toEqual([
    expect.objectContaining({ ok: false, why: expect.stringMatching(/another public key|verification shares are not the key/) }),
  ]);
  expect(runBackupCommand('backup-verify', ['--backup', out, '--against', dir('party-4')], print)).toBe(1);
  expect(JSON.parse(lines.pop()!)).toEqual([expect.objectContaining({ ok: false, why: expect.stringMatching(/holds no share/) })]);
});

test('backup-verify --endpoint reads GetPublicKey SPKIs as the parties write public keys (raw Ed25519; compressed secp256k1), and needs credentials', () => {
  const ed = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
  expect(rawPublicKeyOfSpki(ed)).toBe(Buffer.from(ed.subarray(ed.length - 32)).toString('hex'));
  const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey;
  const jwk = k1.export({ format: 'jwk' });
  const compressed = rawPublicKeyOfSpki(k1.export({ format: 'der', type: 'spki' }));
  expect(compressed).toMatch(/^0[23][0-9a-f]{64}$/);
  expect(compressed.slice(2)).toBe(Buffer.from(jwk.x!, 'base64url').toString('hex'));
  expect(
    createPublicKey({ key: Buffer.from('3036301006072a8648ce3d020106052b8104000a032200' + compressed, 'hex'), format: 'der', type: 'spki' }).export({
      format: 'jwk',
    }),
  ).toEqual(jwk);
  // No credentials anywhere: refused before any request.
  expect(() => runBackupCommand('backup-verify', ['--backup', join(root, 'party-1.backup.json'), '--endpoint', 'http://127.0.0.1:9'], print, {})).toThrow(
    /AWS_ACCESS_KEY_ID/,
  );
});

test('backup-verify names a backup of another key, for another recovery key, or whose meta lies', () => {
  const other = JSON.parse(JSON.stringify(backup)) as BackupFile;
  expect(verifyBackup(other, { publicKeys: { [KEY]: shares()[0]!.groupPublicKey } })[0]).toMatchObject({
    ok: false,
    why: expect.stringMatching(/another public key/),
  });
  const otherSeed = join(root, 'seed2.json');
  const pub2 = initRecovery(otherSeed);
  expect(verifyBackup(other, { recovery: pub2 })[0]).toMatchObject({ ok: false, why: expect.stringMatching(/another recovery key/) });
  other.keys[0]!.meta.self = 2;
  expect(verifyBackup(other)[0]).toMatchObject({ ok: false, why: expect.stringMatching(/meta/) });
  const moved = JSON.parse(JSON.stringify(backup)) as BackupFile;
  moved.keys[0]!.share.shareVersion = 4;
  moved.keys[0]!.share.index = 1;
  expect(verifyBackup(moved)[0]).toMatchObject({ ok: false, why: expect.stringMatching(/bit 0/) });
  writeFileSync(join(root, 'moved.json'), JSON.stringify(moved));
  expect(runBackupCommand('backup-verify', ['--backup', join(root, 'moved.json')], print)).toBe(1);
});

test('backup-restore refuses another seed, installs the share in the new party, and refuses a second time', () => {
  const wrong = restoreBackup(backup, join(root, 'seed2.json'), dir('party-4'), { env });
  expect(wrong).toEqual([expect.objectContaining({ keyId: KEY, restored: false, why: expect.stringMatching(/another recovery key/) })]);
  expect(
    runBackupCommand('backup-restore', ['--backup', join(root, 'party-1.backup.json'), '--seed', join(root, 'seed.json'), '--data', dir('party-4')], print),
  ).toBe(0);
  expect(JSON.parse(lines.pop()!)).toEqual([{ keyId: KEY, protocol: 'frost-ed25519', index: 1, restored: true }]);
  const db = openDatabase(paths.sharesDb(dir('party-4')));
  const mk = loadMasterKey({ dataDir: dir('party-4'), env });
  const got = new ShareStore(db, mk).getActive(KEY)!;
  expect(got.version).toBe(3);
  expect(got.share).toEqual(original);
  expect((got.meta as { self: number; parties: { partyId: string }[] }).parties.map((p) => p.partyId)).toEqual(['party-1', 'party-2', 'party-3']);
  expect(new PolicyStore(db, mk).revisions(KEY)).toEqual([]);
  db.close();
  expect(restoreBackup(backup, join(root, 'seed.json'), dir('party-4'), { env })).toEqual([
    expect.objectContaining({ restored: false, why: expect.stringMatching(/already holds/) }),
  ]);
  // Exporting from the restored party gives a backup of the same share (for its new holder).
  expect(verifyBackup(exportBackup(dir('party-4'), JSON.parse(readFileSync(join(root, 'recovery.json'), 'utf8')) as never, { env }))[0]!.ok).toBe(true);
});
