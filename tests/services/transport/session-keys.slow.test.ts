// A session's ephemeral X25519 keys (services/transport/session-keys.ts), made the way a busy party
// makes them: tens of thousands in a row while the garbage collector runs often (≈ 4 s: the slow
// tier; session-keys.test.ts checks the keys themselves in `npm test`, and every DKG and
// signature of the other tiers makes them through the same constructor).
//
// Why: on Node 20, exporting a freshly generated X25519 KeyObject as JWK could deadlock its thread
// when a garbage collection ran inside the export (the collected key-generation job takes the key's
// mutex that the export holds). The constructor did exactly that, and a party under a 64-client
// soak stopped answering for good about once in ten minutes. The old constructor hung within
// ≈ 14,000 keys in this harness on Node 20.20; the child below makes 40,000 with a 1 MiB young
// generation (a scavenge every few hundred keys) and must finish.
import { describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';

const CHILD = `
import { SessionKeys } from './services/transport/session-keys.ts';
const peer = new SessionKeys();
for (let i = 0; i < 40000; i++) {
  const k = new SessionKeys();
  k.learn(1, peer.publicKey);
  k.erase();
}
console.log('made 40000');
`;

function runChild(timeoutMs: number): Promise<{ code: number | null; out: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--max-semi-space-size=1', '--import', 'tsx', '--input-type=module', '-e', CHILD], {
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, timedOut });
    });
  });
}

describe('session keys', () => {
  test('40,000 key pairs under constant garbage collection: none blocks the thread', async () => {
    const r = await runChild(40_000);
    expect({ timedOut: r.timedOut, code: r.code }).toEqual({ timedOut: false, code: 0 });
    expect(r.out).toContain('made 40000');
  }, 60_000);
});
