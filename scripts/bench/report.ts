// The benchmark's outputs: one JSON document with every figure, and a Markdown rendering of it
// for docs/benchmarks.md (between the "bench:begin" / "bench:end" markers, so the prose around
// the tables is kept).
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { round, type Summary } from './stats.ts';
import type { EnvelopeCost, InProcessResult, SingleKeyResult } from './unit.ts';
import type { ProcessStats, Throughput } from './e2e.ts';

export type Machine = {
  date: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  openssl: string;
  packages: Record<string, string>;
  commit: string;
  dirty: boolean;
  loadavg: { start: number[]; end?: number[] };
};

export type E2ERow = {
  keySpec: string;
  t: number;
  n: number;
  createKey?: Summary;
  sign?: Summary;
  /** Cores other processes on the machine kept busy while the latency was measured. */
  signNoise?: number;
  /** DKLs23: Sign latency with a warm presignature stock (e2e.ts signLatencyWarm), and the stock level it waited for. */
  signWarm?: Summary & { stock: number };
  throughput?: Throughput[];
  processes?: ProcessStats[];
  /**
   * Every Sign response of this row (warm-up and drained requests included): signatures returned,
   * accepted by node:crypto against GetPublicKey's SPKI, rejected (a rejection is also an error).
   */
  signatures?: { returned: number; verified: number; rejected: number };
  /** DescribeKey with 1 and 16 clients on the same cluster: the gateway + SDK cost without any party. */
  apiFloor?: Throughput[];
  skipped?: string;
  /** What went wrong, if the row could not be measured in full. */
  error?: string;
};

export type BenchResult = {
  mode: 'full' | 'smoke';
  machine: Machine;
  singleKey: SingleKeyResult[];
  envelope?: EnvelopeCost;
  inProcess: (InProcessResult | { keySpec: string; t: number; n: number; skipped: string })[];
  e2e: E2ERow[];
  durationS?: number;
};

const PACKAGES = ['@noble/curves', '@noble/hashes', '@aws-sdk/client-kms', 'ws', 'better-sqlite3', 'express', 'ajv', 'tsx'];

export function machine(): Machine {
  const version = (p: string) => {
    try {
      return (JSON.parse(readFileSync(new URL(`../../node_modules/${p}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      return '?';
    }
  };
  const git = (cmd: string) => {
    try {
      return execSync(`git ${cmd}`, { stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim();
    } catch {
      return '';
    }
  };
  return {
    date: new Date().toISOString(),
    cpu: os.cpus()[0]?.model ?? '?',
    cores: os.cpus().length,
    memoryGiB: round(os.totalmem() / 2 ** 30, 3),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    openssl: process.versions.openssl ?? '?',
    packages: Object.fromEntries(PACKAGES.map((p) => [p, version(p)])),
    // An export of a commit (git archive) has no .git: it names its commit in TUTTI_BENCH_COMMIT.
    commit: git('rev-parse --short HEAD') || (process.env.TUTTI_BENCH_COMMIT ?? '?'),
    dirty: git('rev-parse --short HEAD') ? git('status --porcelain -- protocols services scripts').length > 0 : false,
    loadavg: { start: os.loadavg().map((x) => round(x, 2)) },
  };
}

const ms = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const rate = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || !(b > 0) ? '–' : `${(a / b).toFixed(1)}×`);

export function markdown(r: BenchResult): string {
  const m = r.machine;
  const L: string[] = [];
  L.push(
    `Run: ${m.date}, \`npm run bench${r.mode === 'smoke' ? ' -- --smoke' : ''}\`, commit ${m.commit}${m.dirty ? ' (with uncommitted changes)' : ''}, ${r.durationS ?? '?'} s.`,
  );
  L.push('');
  L.push(
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB; ${m.os}; Node ${m.node} (OpenSSL ${m.openssl}); ` +
      Object.entries(m.packages)
        .map(([p, v]) => `${p} ${v}`)
        .join(', ') +
      `. Load average (1/5/15 min) at start ${m.loadavg.start.join(' / ')}${m.loadavg.end ? `, at end ${m.loadavg.end.join(' / ')}` : ''}.`,
  );
  L.push('');
  const single = new Map(r.singleKey.map((s) => [s.curve, s]));
  const inproc = (k: string, t: number, n: number) => r.inProcess.find((x) => x.keySpec === k && x.t === t && x.n === n);
  const curveOf: Record<string, string> = {
    ECC_NIST_EDWARDS25519: 'ed25519',
    ECC_NIST_EDWARDS448: 'ed448',
    ECC_SECG_P256K1: 'secp256k1',
    ECC_NIST_P256: 'p256',
  };

  // The concurrencies measured (1, 16, 64 in the full run; the smoke uses fewer clients).
  const found = [...new Set(r.e2e.flatMap((row) => row.throughput?.map((x) => x.clients) ?? []))].sort((a, b) => a - b);
  const levels = found.length ? found : [1, 16, 64];
  L.push('### Sign: latency (one client) and throughput');
  L.push('');
  L.push(
    'Latency in ms. "single-key" is noble signing with one ordinary key; "in-process" is the threshold protocol with every party in one process (simulator, no network, no transport authentication, no storage); "e2e" is `Sign` through `@aws-sdk/client-kms` against the gateway and party processes. ' +
      `Throughput in signatures per second with ${levels.join(', ').replace(/, (\d+)$/, ' and $1')} concurrent clients; "noise n" means other processes on the machine kept n cores busy meanwhile.`,
  );
  L.push('');
  L.push(
    `| key spec | t-of-n | single-key p50 | in-process p50 | e2e p50 | e2e p95 | e2e p99 | ${levels.map((c) => `${c} client${c === 1 ? '' : 's'} /s`).join(' | ')} | e2e / single-key | e2e / in-process |`,
  );
  L.push(`|---|---|---:|---:|---:|---:|---:|${levels.map(() => '---:|').join('')}---:|---:|`);
  for (const row of r.e2e) {
    const sk = single.get(curveOf[row.keySpec] as SingleKeyResult['curve'])?.sign.p50;
    const ip = inproc(row.keySpec, row.t, row.n);
    const ipP50 = ip && 'sign' in ip ? ip.sign.p50 : undefined;
    if (row.skipped) {
      L.push(
        `| ${row.keySpec} | ${row.t}-of-${row.n} | ${ms(sk)} | ${ip && 'skipped' in ip ? ip.skipped : ms(ipP50)} | ${row.skipped} | | |${levels.map(() => ' |').join('')} | |`,
      );
      continue;
    }
    const tp = (c: number) => {
      const x = row.throughput?.find((y) => y.clients === c);
      return x ? `${rate(x.perSecond)}${x.otherCores !== undefined && x.otherCores >= 0.25 ? ` (noise ${x.otherCores.toFixed(1)})` : ''}` : '–';
    };
    if (row.error && !row.sign) {
      L.push(
        `| ${row.keySpec} | ${row.t}-of-${row.n} | ${ms(sk)} | ${ms(ipP50)} | failed: ${row.error.replace(/\|/g, '/').slice(0, 160)} | | |${levels.map(() => ' |').join('')} | |`,
      );
      continue;
    }
    const noisy = row.signNoise !== undefined && row.signNoise >= 0.25 ? ` (noise ${row.signNoise.toFixed(1)})` : '';
    L.push(
      `| ${row.keySpec} | ${row.t}-of-${row.n} | ${ms(sk)} | ${ms(ipP50)} | ${ms(row.sign?.p50)}${noisy} | ${ms(row.sign?.p95)} | ${ms(row.sign?.p99)} | ${levels.map(tp).join(' | ')} | ${ratio(row.sign?.p50, sk)} | ${ratio(row.sign?.p50, ipP50)} |`,
    );
  }
  for (const row of r.e2e) if (row.error && row.sign) L.push(`\n${row.keySpec} ${row.t}-of-${row.n}: ${row.error}`);
  const checked = r.e2e.filter((row) => row.signatures);
  if (checked.length) {
    const sum = (k: 'returned' | 'verified' | 'rejected') => checked.reduce((a, row) => a + row.signatures![k], 0);
    L.push('');
    L.push(
      `Signatures returned by the service in this run (warm-up included): ${sum('returned')}; checked with node:crypto: ${sum('verified')} verified, ${sum('rejected')} rejected.`,
    );
  }
  L.push('');

  const warm = r.e2e.filter((row) => row.signWarm);
  if (warm.length) {
    L.push('### DKLs23 Sign with a warm presignature stock');
    L.push('');
    L.push(
      'One client; before each Sign the stock is back at its full level, so every Sign is the one online round (e2e.ts `signLatencyWarm`). The Sign table above is a caller signing back to back, whose stock runs dry.',
    );
    L.push('');
    L.push('| key spec | t-of-n | stock | p50 | p95 | Sign p50 back to back | n |');
    L.push('|---|---|---:|---:|---:|---:|---:|');
    for (const row of warm)
      L.push(
        `| ${row.keySpec} | ${row.t}-of-${row.n} | ${row.signWarm!.stock} | ${ms(row.signWarm!.p50)} | ${ms(row.signWarm!.p95)} | ${ms(row.sign?.p50)} | ${row.signWarm!.n} |`,
      );
    L.push('');
  }
  L.push('### CreateKey');
  L.push('');
  L.push('| key spec | t-of-n | in-process DKG p50 | e2e p50 | e2e min | e2e max | keys | e2e / in-process |');
  L.push('|---|---|---:|---:|---:|---:|---:|---:|');
  for (const row of r.e2e) {
    const ip = inproc(row.keySpec, row.t, row.n);
    const kg = ip && 'keygen' in ip ? ip.keygen.p50 : undefined;
    if (row.skipped) {
      L.push(`| ${row.keySpec} | ${row.t}-of-${row.n} | ${ip && 'skipped' in ip ? ip.skipped : ms(kg)} | ${row.skipped} | | | | |`);
      continue;
    }
    L.push(
      `| ${row.keySpec} | ${row.t}-of-${row.n} | ${ms(kg)} | ${ms(row.createKey?.p50)} | ${ms(row.createKey?.min)} | ${ms(row.createKey?.max)} | ${row.createKey?.n ?? 0} | ${ratio(row.createKey?.p50, kg)} |`,
    );
  }
  L.push('');

  L.push('### The unit: single-key noble signing and the in-process protocol');
  L.push('');
  L.push('| what | p50 | p95 | p99 | samples |');
  L.push('|---|---:|---:|---:|---:|');
  for (const s of r.singleKey) L.push(`| noble ${s.curve} sign (one key) | ${ms(s.sign.p50)} | ${ms(s.sign.p95)} | ${ms(s.sign.p99)} | ${s.sign.n} |`);
  if (r.envelope) {
    const e = r.envelope;
    L.push(
      `| envelope: protect (signed broadcast frame, ${e.frameBytes} B) | ${ms(e.protect.p50)} | ${ms(e.protect.p95)} | ${ms(e.protect.p99)} | ${e.protect.n} |`,
    );
    L.push(`| envelope: open (signature check) | ${ms(e.open.p50)} | ${ms(e.open.p95)} | ${ms(e.open.p99)} | ${e.open.n} |`);
    L.push(
      `| envelope: binary control frame, encode and decode (${e.controlBytes} B) | ${e.control.p50.toFixed(4)} | ${e.control.p95.toFixed(4)} | ${e.control.p99.toFixed(4)} | ${e.control.n} |`,
    );
  }
  for (const x of r.inProcess) {
    if ('skipped' in x) {
      L.push(`| ${x.keySpec} ${x.t}-of-${x.n} in-process sign | ${x.skipped} | | | |`);
      continue;
    }
    L.push(`| ${x.keySpec} ${x.t}-of-${x.n} in-process sign (all ${x.t} signers) | ${ms(x.sign.p50)} | ${ms(x.sign.p95)} | ${ms(x.sign.p99)} | ${x.sign.n} |`);
    L.push(
      `| ${x.keySpec} ${x.t}-of-${x.n} in-process DKG (all ${x.n} parties) | ${ms(x.keygen.p50)} | ${ms(x.keygen.p95)} | ${ms(x.keygen.p99)} | ${x.keygen.n} |`,
    );
  }
  L.push('');

  const floors = r.e2e.filter((row) => row.apiFloor?.length);
  if (floors.length) {
    L.push('### The API floor: DescribeKey');
    L.push('');
    L.push(
      'DescribeKey takes the same path as Sign through the SDK and the gateway (HTTP, SigV4, the ajv request schema, JSON, a key lookup in keys.db) but contacts no party.',
    );
    L.push('');
    L.push('| cluster | clients | p50 ms | p99 ms | requests /s | gateway CPU ms / request | bench client CPU ms / request |');
    L.push('|---|---:|---:|---:|---:|---:|---:|');
    for (const row of floors)
      for (const f of row.apiFloor!)
        L.push(
          `| ${row.n} parties | ${f.clients} | ${ms(f.latency.p50)} | ${ms(f.latency.p99)} | ${rate(f.perSecond)} | ${ms(f.cpuMsPerSignature['gateway'])} | ${ms(f.cpuMsPerSignature['bench client'])} |`,
        );
    L.push('');
  }

  const top = levels[levels.length - 1]!;
  L.push(`### Under load: latency and CPU per signature at ${top} clients, peak memory`);
  L.push('');
  L.push(
    `CPU ms per signature is each process's user + system CPU time over the measured window divided by the signatures completed in it (the bench client runs the ${top} SDK clients). Peak RSS (VmHWM) is per process over its whole life.`,
  );
  L.push('');
  for (const row of r.e2e) {
    const t64 = row.throughput?.find((x) => x.clients === top);
    if (!t64 || row.skipped) continue;
    const names = Object.keys(t64.cpuMsPerSignature).filter((k) => k !== 'machine');
    const total = names.reduce((a, k) => a + t64.cpuMsPerSignature[k]!, 0);
    const capacity = total > 0 ? (os.cpus().length * 1000) / total : undefined;
    L.push(
      `**${row.keySpec} ${row.t}-of-${row.n}**, ${top} clients: ${rate(t64.perSecond)} signatures/s, latency p50 ${ms(t64.latency.p50)} / p95 ${ms(t64.latency.p95)} / p99 ${ms(t64.latency.p99)} ms, ${t64.errors} errors${t64.firstError ? ` (first: ${t64.firstError})` : ''}. ` +
        `CPU capacity at ${os.cpus().length} cores: ${rate(capacity)} signatures/s${t64.otherCores !== undefined ? `; other processes on the machine kept ${t64.otherCores.toFixed(2)} cores busy during the window` : ''}.`,
    );
    L.push('');
    L.push(`| | ${names.join(' | ')} | all |`);
    L.push(`|---|${names.map(() => '---:').join('|')}|---:|`);
    L.push(`| CPU ms / signature | ${names.map((k) => ms(t64.cpuMsPerSignature[k])).join(' | ')} | ${ms(total)} |`);
    const rss = new Map((row.processes ?? []).map((p) => [p.name, p.peakRssMiB]));
    L.push(`| peak RSS MiB | ${names.map((k) => (rss.get(k) == null ? '–' : rss.get(k)!.toFixed(0))).join(' | ')} | |`);
    L.push('');
  }
  return L.join('\n');
}

export const BEGIN = '<!-- bench:begin (generated by npm run bench; edits between these markers are overwritten) -->';
export const END = '<!-- bench:end -->';

/** Puts the generated section into `doc` between the markers (appending them if absent). */
export function splice(doc: string, generated: string): string {
  const block = `${BEGIN}\n${generated}\n${END}`;
  const a = doc.indexOf(BEGIN),
    b = doc.indexOf(END);
  if (a >= 0 && b > a) return doc.slice(0, a) + block + doc.slice(b + END.length);
  return `${doc.trimEnd()}\n\n${block}\n`;
}
