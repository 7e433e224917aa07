// DKLs23 key shares for tests that need a key but do not test the DKG (refresh, refresh without a
// party, parseKeyShare's memory, signing with 3-of-5 keys, party-service tests through
// installed-dkls-key.ts). A DKLs23 DKG costs seconds per pair of parties (the OT setup),
// and these files used to run one per describe block; now each key below is made once by the real
// DKG (createDklsDkg through the simulator, seeded test randomness) and kept in a cache folder.
//
// The cache is keyed by a fingerprint of everything that can change what the DKG outputs (every
// file under protocols/, this file, the simulator and the seeded rng), so a change to the protocol
// code makes new keys on the next run by itself: nothing checked in can go stale. Cold, the first
// test that asks for a key makes it (a lock file keeps two jest workers from making the same key
// twice); warm, loading is a JSON parse. `npm run fixtures` warms the cache ahead of a run.
//
// Folder: $TUTTI_TEST_KEYS_DIR, or <os tmpdir>/tutti-test-keys/<fingerprint>/<name>.json; folders
// of other fingerprints untouched for a week are removed when a key is made.
// The tests that test the DKG itself (honest cases and known answers, adversarial DKGs, the party
// service running a DKG) still run it every time. tests/protocols/dkls23/test-keys.test.ts checks
// every cached key: the shares parse, agree, and sign (node:crypto verifies).
//
// Not a test file, and free of @jest/globals so that scripts/test-keys.ts can import it.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDklsDkg } from '../../protocols/dkls23/dkg.ts';
import type { DklsCurveName } from '../../protocols/dkls23/curve.ts';
import type { DklsKeyShare } from '../../protocols/dkls23/keyshare.ts';
import type { Envelope } from '../../protocols/core/envelope.ts';
import { outputsOf, simulate } from './simulator.ts';
import { seededRng, sid } from '../protocols/dkls23/fixtures.ts';

/** The DKG context every test key is bound to (the same as session-fixtures.ts CONTEXT). */
export const TEST_KEY_CONTEXT = new TextEncoder().encode('key-id=test; policy=none');

/** Every cached key: its curve and (t, n). The name is also the DKG's session label. */
export const TEST_KEYS = {
  'secp256k1-2of2': { curve: 'secp256k1', t: 2, n: 2 },
  'secp256k1-2of3': { curve: 'secp256k1', t: 2, n: 3 },
  'secp256k1-2of4': { curve: 'secp256k1', t: 2, n: 4 },
  'secp256k1-3of5': { curve: 'secp256k1', t: 3, n: 5 },
  'p256-2of3': { curve: 'p256', t: 2, n: 3 },
  'p256-3of5': { curve: 'p256', t: 3, n: 5 },
} as const satisfies Record<string, { curve: DklsCurveName; t: number; n: number }>;

export type TestKeyName = keyof typeof TEST_KEYS;

export type TestKey = {
  name: TestKeyName;
  curve: DklsCurveName;
  t: number;
  n: number;
  /** The label the DKG ran under: its session id is sid(label), party p's rng seededRng(`${label}/dkg/${p}`). */
  label: string;
  publicKey: Uint8Array;
  /** Party index → its key share, as the DKG output it. */
  shares: Map<number, DklsKeyShare>;
  /** Every envelope the DKG's parties sent, in order (for tests that replay DKG messages). */
  sent: Envelope[];
};

type Stored = {
  name: TestKeyName;
  label: string;
  shares: DklsKeyShare[];
  sent: { protocol: string; session: string; round: number; from: number; to: number; payload: string }[];
};

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

/** SHA-256 over the sources that decide what the DKG outputs (file names and contents). */
function fingerprint(): string {
  const h = createHash('sha256');
  const files = [
    ...readdirSync(join(ROOT, 'protocols'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .sort()
      .map((f) => join('protocols', f)),
    'tests/support/dkls23-test-keys.ts',
    'tests/support/simulator.ts',
    'tests/protocols/dkls23/fixtures.ts',
  ];
  for (const f of files)
    h.update(`${f}\0`)
      .update(readFileSync(join(ROOT, f)))
      .update('\0');
  return h.digest('hex').slice(0, 16);
}

let dir: string | undefined;
/** The cache folder of this checkout's protocol code. */
export function testKeysDir(): string {
  dir ??= join(process.env.TUTTI_TEST_KEYS_DIR ?? join(tmpdir(), 'tutti-test-keys'), fingerprint());
  return dir;
}

/** Runs the real DKG for `name` (seconds to a minute). */
function generate(name: TestKeyName): Stored {
  const { curve, t, n } = TEST_KEYS[name];
  const label = `test-key/${name}`;
  const sim = simulate(
    Array.from({ length: n }, (_, k) =>
      createDklsDkg({ curve, sessionId: sid(label), self: k + 1, n, t, context: TEST_KEY_CONTEXT, rng: seededRng(`${label}/dkg/${k + 1}`) }),
    ),
  );
  const outputs = outputsOf(sim);
  if (outputs.size !== n) throw new Error(`test key ${name}: the DKG gave ${outputs.size} of ${n} outputs`);
  return {
    name,
    label,
    shares: Array.from({ length: n }, (_, k) => outputs.get(k + 1)!.share),
    sent: sim.sent.map((e) => ({ ...e, session: hex(e.session), payload: hex(e.payload) })),
  };
}

function read(file: string): Stored | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Stored;
  } catch {
    return undefined;
  }
}

/** Blocks the thread (the DKG in a test is synchronous too, so nothing else would run meanwhile). */
function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Whether the process that wrote `lock` is gone (it died while making the key). */
function staleLock(lock: string): boolean {
  try {
    process.kill(Number(readFileSync(lock, 'utf8')), 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'EPERM';
  }
}

/** The stored key `name`, made by the real DKG if no one made it yet for this fingerprint. */
function load(name: TestKeyName): Stored {
  const folder = testKeysDir();
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `${name}.json`);
  const lock = `${file}.lock`;
  for (;;) {
    const found = existsSync(file) ? read(file) : undefined;
    if (found) return found;
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (staleLock(lock)) rmSync(lock, { force: true });
      else sleep(100);
    }
  }
  try {
    const stored = generate(name);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(stored));
    renameSync(tmp, file);
    pruneOld(folder);
    return stored;
  } finally {
    rmSync(lock, { force: true });
  }
}

const WEEK_MS = 7 * 24 * 3600 * 1000;

/** Removes the key folders of other fingerprints untouched for a week (a few MB each). */
function pruneOld(current: string): void {
  const parent = dirname(current);
  for (const entry of readdirSync(parent)) {
    const other = join(parent, entry);
    if (other === current || !/^[0-9a-f]{16}$/.test(entry)) continue;
    try {
      if (Date.now() - statSync(other).mtimeMs > WEEK_MS) rmSync(other, { recursive: true, force: true });
    } catch {
      /* another process removed it */
    }
  }
}

const memo = new Map<TestKeyName, TestKey>();

/**
 * The key `name` made by the real DKG (from the cache when it is there). Each call returns fresh
 * share objects, so a test may change or freeze them without touching another test's.
 */
export function testKey(name: TestKeyName): TestKey {
  let key = memo.get(name);
  if (!key) {
    const s = load(name);
    const { curve, t, n } = TEST_KEYS[name];
    key = {
      name,
      curve,
      t,
      n,
      label: s.label,
      publicKey: bytes(s.shares[0]!.publicKey),
      shares: new Map(s.shares.map((share) => [share.index, share])),
      sent: s.sent.map((e) => ({ ...e, session: bytes(e.session), payload: bytes(e.payload) })),
    };
    memo.set(name, key);
  }
  return {
    ...key,
    publicKey: key.publicKey.slice(),
    shares: new Map([...key.shares].map(([p, share]) => [p, structuredClone(share)])),
    sent: key.sent.map((e) => ({ ...e, session: e.session.slice(), payload: e.payload.slice() })),
  };
}

/** Makes every key missing from the cache; returns the folder (used by scripts/test-keys.ts). */
export function warmTestKeys(log: (line: string) => void = () => {}): string {
  for (const name of Object.keys(TEST_KEYS) as TestKeyName[]) {
    const t0 = performance.now();
    load(name);
    log(`${name}: ${(performance.now() - t0).toFixed(0)} ms`);
  }
  return testKeysDir();
}
