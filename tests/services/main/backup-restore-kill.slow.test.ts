// kill -9 of `cli.ts backup-restore` (services/main/backup.ts) at several moments: the new party's
// store then holds the restored share active with its meta, or nothing of the key — never a
// pending or partial one — and running the restore again ends with the share installed.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import Sqlite from 'better-sqlite3';
import { makeKeyShare } from '../../../protocols/frost/share.ts';
import { frostSuite } from '../../../protocols/frost/suite.ts';
import { cliArgs, initParty } from '../../../services/main/cluster.ts';
import { paths } from '../../../services/main/config.ts';
import { openDatabase } from '../../../services/storage/db.ts';
import { loadMasterKey } from '../../../services/storage/master-key.ts';
import { ShareStore } from '../../../services/storage/share-store.ts';
import { runBackupCommand } from '../../../services/main/backup.ts';

const KEY = '0e0e0e0e-1111-2222-3333-444444444444';
const root = mkdtempSync(join(tmpdir(), 'tutti-backup-kill-'));
const env = {} as Record<string, string | undefined>;
const dir = (id: string) => paths.partyDir(root, id);
const backup = join(root, 'party-1.backup.json');
const seed = join(root, 'seed.json');

beforeAll(async () => {
  const q = ed25519.Point.Fn.ORDER;
  const a = [1n + (BigInt('0x' + randomBytes(40).toString('hex')) % (q - 1n)), 1n + (BigInt('0x' + randomBytes(40).toString('hex')) % (q - 1n))];
  const commitments = a.map((c) => ed25519.Point.BASE.multiply(c));
  const share = makeKeyShare(frostSuite('ed25519'), 1, 3, 2, (a[0]! + a[1]!) % q, commitments, new Uint8Array(64).fill(3));
  const ids = ['party-1', 'party-2', 'party-3'].map((id) => initParty(dir(id), id, env));
  const db = openDatabase(paths.sharesDb(dir('party-1')));
  const store = new ShareStore(db, loadMasterKey({ dataDir: dir('party-1'), env }));
  const meta = {
    keySpec: 'ECC_NIST_EDWARDS25519',
    protocol: 'frost-ed25519',
    suite: 'ed25519',
    threshold: 2,
    n: 3,
    parties: ids,
    publicKey: share.groupPublicKey,
    transcriptHash: share.transcriptHash,
    policyHash: null,
    self: 1,
  };
  store.putPending({ keyId: KEY, protocol: 'frost-ed25519', version: 1, share, meta });
  store.activate(KEY, 1);
  db.close();
  const quiet = () => undefined;
  await runBackupCommand('recovery-init', ['--seed', seed, '--out', join(root, 'recovery.json')], quiet);
  await runBackupCommand('backup-export', ['--data', dir('party-1'), '--recovery', join(root, 'recovery.json'), '--out', backup], quiet);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const rows = (partyId: string) => {
  // Killed before the restore opened the store: no database yet.
  if (!existsSync(paths.sharesDb(dir(partyId)))) return [];
  const db = new Sqlite(paths.sharesDb(dir(partyId)), { readonly: true });
  try {
    return db.prepare(`SELECT version, state FROM shares WHERE key_id = ?`).all(KEY);
  } finally {
    db.close();
  }
};

test.each([300, 1500, 3000, 6000])(
  'kill -9 after %i ms: all or nothing, and the restore can be run again',
  async (ms) => {
    const partyId = `party-new-${ms}`;
    initParty(dir(partyId), partyId, env);
    const child = spawn(process.execPath, [...cliArgs(), 'backup-restore', '--backup', backup, '--seed', seed, '--data', dir(partyId)], { stdio: 'ignore' });
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    await new Promise((r) => setTimeout(r, ms));
    child.kill('SIGKILL');
    await exited;
    expect([[], [{ version: 1, state: 'active' }]]).toContainEqual(rows(partyId));
    const lines: string[] = [];
    await runBackupCommand('backup-restore', ['--backup', backup, '--seed', seed, '--data', dir(partyId)], (l) => lines.push(l));
    expect(rows(partyId)).toEqual([{ version: 1, state: 'active' }]);
    const [out] = JSON.parse(lines[0]!) as { restored: boolean; why?: string }[];
    expect(out!.restored || /already holds/.test(out!.why ?? '')).toBe(true);
  },
  180_000,
);
