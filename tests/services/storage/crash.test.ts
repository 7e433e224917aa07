// Kill -9 a process that writes and activates shares in a tight loop, at random moments, and check
// after each kill that everything it reported as committed is there and readable, and that no row
// is torn: the store holds the old state or the new one, never something in between.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { createHash, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../../services/storage/db.ts';
import { loadMasterKey } from '../../../services/storage/master-key.ts';
import { ShareStore } from '../../../services/storage/share-store.ts';
import { ConsumedStore } from '../../../services/storage/consumed-store.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/share-writer.ts', import.meta.url));
const ROUNDS = 6;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tutti-storage-crash-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

type Reported = { committed: Map<string, number>; consumed: string[] };

/** Runs the writer until it has committed something, waits a random while longer, then SIGKILLs it. */
async function runAndKill(reported: Reported): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, dir], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let partial = '';
  let killTimer: NodeJS.Timeout | undefined;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      const [what, a, b] = line.split(' ');
      if (what === 'committed') {
        reported.committed.set(a!, Math.max(reported.committed.get(a!) ?? 0, Number(b)));
        killTimer ??= setTimeout(() => child.kill('SIGKILL'), randomInt(1, 250));
      } else if (what === 'consumed') {
        reported.consumed.push(a!);
      }
    }
  });
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  clearTimeout(killTimer);
  // Lines the child wrote before dying are still in the pipe after 'exit'; wait for its end.
  if (!child.stdout.readableEnded) await new Promise((resolve) => child.stdout.on('end', resolve));
  if (exit.signal !== 'SIGKILL') throw new Error(`writer exited on its own (${exit.code}): ${stderr}`);
}

function checkStore(reported: Reported): void {
  const db = openDatabase(join(dir, 'party.db'));
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.prepare(`SELECT count(*) FROM shares WHERE state = 'active' GROUP BY key_id HAVING count(*) > 1`).all()).toEqual([]);
    const shares = new ShareStore(db, loadMasterKey({ dataDir: dir, env: {} }));
    for (const [keyId, last] of reported.committed) {
      const active = shares.getActive(keyId);
      // The last reported commit, or the one after it if the kill fell between commit and print.
      expect([last, last + 1]).toContain(active?.version);
      const share = active!.share as { data: string; digest: string };
      expect(createHash('sha256').update(share.data).digest('hex')).toBe(share.digest);
      expect(active!.meta).toEqual({ keyId, version: active!.version, digest: share.digest });
    }
    // Every row, pending ones included, decrypts: nothing half-written.
    const rows = db.prepare(`SELECT key_id AS keyId, version FROM shares`).all() as { keyId: string; version: number }[];
    for (const { keyId, version } of rows) expect(shares.getVersion(keyId, version)).toBeDefined();
    const consumed = new ConsumedStore(db);
    for (const id of reported.consumed) expect(consumed.isConsumed(id)).toBe(true);
  } finally {
    db.close();
  }
}

describe('crash safety', () => {
  test(`a writer killed with SIGKILL ${ROUNDS} times loses no committed share and leaves no torn row`, async () => {
    const reported: Reported = { committed: new Map(), consumed: [] };
    for (let round = 0; round < ROUNDS; round++) {
      await runAndKill(reported);
      checkStore(reported);
    }
    expect(reported.committed.size).toBeGreaterThan(0);
  }, 60_000);
});
