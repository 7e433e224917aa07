// Trust review E8 (L3): secure_delete overwrites a deleted row in the database pages, but in WAL
// mode the pages that held it stay in shares.db-wal until a checkpoint copies them back and the log
// is truncated. A deleted share's ciphertext must be in neither file afterwards (read raw).
import { expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../../services/storage/db.ts';
import { masterKeyFromBytes } from '../../../services/storage/master-key.ts';
import { ShareStore } from '../../../services/storage/share-store.ts';

test('E8: after delete, no ciphertext of the deleted share is left in shares.db or shares.db-wal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tutti-wal-'));
  const file = join(dir, 'shares.db');
  const db = openDatabase(file);
  try {
    const store = new ShareStore(db, masterKeyFromBytes(randomBytes(32)));
    const KEY = '9a0e0d0c-0b0a-4908-8706-050403020100';
    const KEPT = '9a0e0d0c-0b0a-4908-8706-050403020101';
    for (const keyId of [KEY, KEPT]) {
      store.putPending({ keyId, protocol: 'frost-ed25519', version: 1, share: { signingShare: randomBytes(32).toString('hex') }, meta: { m: 1 } });
      store.activate(keyId, 1);
    }
    const sealed = (keyId: string) => Buffer.from((db.prepare('SELECT sealed FROM shares WHERE key_id = ?').get(keyId) as { sealed: Uint8Array }).sealed);
    const probe = sealed(KEY).subarray(13, 45); // 32 bytes of ciphertext
    const keptProbe = sealed(KEPT).subarray(13, 45);
    const found = (bytes: Buffer) => ['', '-wal'].some((s) => existsSync(file + s) && readFileSync(file + s).includes(bytes));
    expect(found(probe)).toBe(true);

    store.delete(KEY);
    expect(found(probe)).toBe(false);
    expect(existsSync(file + '-wal') ? readFileSync(file + '-wal').length : 0).toBe(0);
    // The other share is intact, in the database file itself.
    expect(found(keptProbe)).toBe(true);
    expect(store.getActive(KEPT)).toBeDefined();
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
