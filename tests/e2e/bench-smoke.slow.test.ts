// Issue 6: "CI runs a short smoke of it". In the slow tier (`npm run test:slow`, which .ci/run runs
// after `npm test`): a load test of about a minute with two DKLs23 DKGs. Runs `npm run bench -- --smoke` the way a user would
// (a real cluster of gateway and party processes, driven through @aws-sdk/client-kms), with its
// output in a temporary folder, and checks what the user would look at: the exit code, a Sign row
// with figures and no errors for every 2-of-3 key spec the gateway offers, every signature
// verified by node:crypto, and the Markdown. The bench and every process it started run in their
// own process group, killed if the run takes too long or the test ends early.
import { afterAll, expect, jest, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEY_SPECS } from '../../services/coordinator/key-specs.ts';
import { SPECS } from '../../scripts/bench/specs.ts';
import type { BenchResult } from '../../scripts/bench/report.ts';

/** The smoke takes about a minute on a loaded 2-core machine; past this it is killed. */
const KILL_AFTER_MS = 240_000;
jest.setTimeout(KILL_AFTER_MS + 30_000);

const out = mkdtempSync(join(tmpdir(), 'tutti-bench-smoke-'));
let child: ChildProcess | undefined;

const killGroup = () => {
  if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
};

afterAll(() => {
  killGroup();
  rmSync(out, { recursive: true, force: true });
});

/** The files a full run writes: the smoke must leave them alone. */
const guarded = ['docs/benchmarks.md', 'scripts/bench/results/latest.json'];
const digest = (p: string) => (existsSync(p) ? createHash('sha256').update(readFileSync(p)).digest('hex') : 'absent');

test('npm run bench -- --smoke: exit 0, Sign figures for every 2-of-3 key spec, every signature verified, Markdown written', async () => {
  const json = join(out, 'smoke.json'),
    md = join(out, 'smoke.md');
  const before = guarded.map(digest);
  // The bench's cluster data goes under `out` too (TMPDIR), so a killed run leaves nothing behind.
  const tmp = join(out, 'tmp');
  mkdirSync(tmp);
  child = spawn('npm', ['run', '--silent', 'bench', '--', '--smoke', '--json', json, '--md', md], {
    cwd: process.cwd(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TMPDIR: tmp },
  });
  let log = '';
  const keep = (d: Buffer) => {
    log += d.toString();
    if (log.length > 100_000) log = log.slice(-50_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let timedOut = false;
  const exit = await new Promise<string>((resolve) => {
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, KILL_AFTER_MS);
    child!.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(String(code ?? signal));
    });
  });
  // On failure, the bench's own log says which measurement went wrong.
  if (exit !== '0' || timedOut) {
    const bench = log
      .split('\n')
      .filter((l) => l.startsWith('[bench]') || /Error/.test(l))
      .join('\n');
    throw new Error(`npm run bench -- --smoke ${timedOut ? `killed after ${KILL_AFTER_MS / 1000} s` : `exited ${exit}`}:\n${bench}`);
  }

  const result = JSON.parse(readFileSync(json, 'utf8')) as BenchResult;
  expect(result.mode).toBe('smoke');
  const offered = SPECS.filter((s) => KEY_SPECS[s.keySpec]).map((s) => s.keySpec);
  expect(offered).toEqual(expect.arrayContaining(['ECC_NIST_EDWARDS25519', 'ECC_NIST_EDWARDS448', 'ECC_SECG_P256K1', 'ECC_NIST_P256']));
  for (const keySpec of offered) {
    const row = result.e2e.find((r) => r.keySpec === keySpec && r.t === 2 && r.n === 3);
    expect(row).toBeDefined();
    const summary = {
      keySpec,
      skipped: row!.skipped,
      error: row!.error,
      createKeys: row!.createKey?.n,
      signP50Positive: (row!.sign?.p50 ?? 0) > 0,
      signSamples: (row!.sign?.n ?? 0) > 0,
      throughputErrors: row!.throughput?.map((t) => t.errors),
      throughputSigned: row!.throughput?.every((t) => t.signatures > 0),
      rejected: row!.signatures?.rejected,
      allVerified: row!.signatures !== undefined && row!.signatures.returned > 0 && row!.signatures.verified === row!.signatures.returned,
    };
    expect(summary).toEqual({
      keySpec,
      skipped: undefined,
      error: undefined,
      createKeys: 1,
      signP50Positive: true,
      signSamples: true,
      throughputErrors: row!.throughput!.map(() => 0),
      throughputSigned: true,
      rejected: 0,
      allVerified: true,
    });
    expect(row!.throughput!.length).toBeGreaterThan(0);
  }

  const markdown = readFileSync(md, 'utf8');
  expect(markdown).toContain('<!-- bench:begin');
  expect(markdown).toContain('`npm run bench -- --smoke`');
  for (const keySpec of offered) expect(markdown).toContain(`| ${keySpec} | 2-of-3 |`);
  expect(markdown).toMatch(/checked with node:crypto: \d+ verified, 0 rejected/);
  // The smoke wrote only where it was told to.
  expect(guarded.map(digest)).toEqual(before);
});
