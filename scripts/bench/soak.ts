// `npm run bench -- --soak [SECONDS]`: issue 6 item 3, "no growth over a 10-minute run". A real
// cluster (as `npm start` starts it) under constant load: `clients` SDK clients (default 64) sign
// back to back for SECONDS (default 600), every signature checked with node:crypto. Every
// `intervalS` the soak samples each process's resident set (VmRSS, VmHWM from /proc/PID/status)
// and its V8 heap (process.memoryUsage(), written by scripts/bench/heap-probe.mjs, loaded into
// the gateway and parties through NODE_OPTIONS; no change to the services). It then reports per
// process: peak RSS, RSS at start (after the warm-up) and at the end, the medians of the first
// and last thirds after the warm-up, the slope of a least-squares line over the second half, and
// a verdict (see `verdict`). One fresh cluster per key spec and configuration.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BenchCluster, checksSince, createKeys, otherCores, signatureChecks, signOnce, type SignatureChecks } from './e2e.ts';
import { machine, type Machine } from './report.ts';
import { round, summarize, type Summary } from './stats.ts';
import type { BenchSpec, Config } from './specs.ts';

export const SOAK_DEFAULT_S = 600;
const PROBE = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), 'heap-probe.mjs')).href;
const MiB = 2 ** 20;

export type SoakOptions = {
  seconds: number;
  specs: BenchSpec[];
  configs: Config[];
  clients: number;
  intervalS: number;
  jsonPath: string;
  mdPath: string;
  log: (line: string) => void;
};

/** One sample of one process, MiB. Heap figures are absent where the probe has not written yet. */
export type MemSample = { rss: number; hwm?: number; heapUsed?: number; heapTotal?: number; external?: number; arrayBuffers?: number };
export type SoakSample = { t: number; signatures: number; errors: number; procs: Record<string, MemSample> };

/** Growth statistics of one series (MiB) over the samples after the warm-up. */
export type Trend = {
  start: number;
  end: number;
  min: number;
  max: number;
  firstThirdMedian: number;
  lastThirdMedian: number;
  /** Least-squares slope over the second half of the samples after the warm-up, MiB per minute. */
  slopeSecondHalf: number;
  /** Least-squares slope over all samples after the warm-up, MiB per minute. */
  slopeAll: number;
  verdict: 'flat' | 'grows' | 'unclear';
};

/** heapTotal: what V8 has reserved for the heap (it grows with the load even when heapUsed does not). */
export type SoakProcess = { name: string; pid: number; peakRss: number; hwm?: number; rss: Trend; heapUsed?: Trend; heapTotal?: Trend };

export type SoakRun = {
  keySpec: string;
  t: number;
  n: number;
  clients: number;
  durationS: number;
  warmupS: number;
  intervalS: number;
  /** Signatures completed after the warm-up, and per second. */
  signatures: number;
  perSecond: number;
  errors: number;
  firstError?: string;
  /** Every Sign response of the run, warm-up included, as checked with node:crypto. */
  checks: SignatureChecks;
  latency: Summary;
  /** Signatures per second in each full minute after the warm-up. */
  perMinute: number[];
  otherCores?: number;
  processes: SoakProcess[];
  samples: SoakSample[];
  error?: string;
};

export type SoakResult = { mode: 'soak'; machine: Machine; runs: SoakRun[]; durationS?: number };

/** Warm-up: the first tenth of the run, at least 10 s and at most 60 s (DKLs23 tables, JIT, pools). */
export function warmupSeconds(seconds: number): number {
  return Math.min(60, Math.max(10, seconds / 10), seconds / 2);
}

function statusMiB(pid: number): { rss: number; hwm?: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+) kB/.exec(s),
      hwm = /VmHWM:\s+(\d+) kB/.exec(s);
    if (!rss) return null;
    return { rss: Number(rss[1]) / 1024, ...(hwm ? { hwm: Number(hwm[1]) / 1024 } : {}) };
  } catch {
    return null;
  }
}

type Usage = { rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number };
function heapMiB(u: Usage | null): Partial<MemSample> {
  if (!u) return {};
  return { heapUsed: u.heapUsed / MiB, heapTotal: u.heapTotal / MiB, external: u.external / MiB, arrayBuffers: u.arrayBuffers / MiB };
}
function readProbe(dir: string, pid: number): Usage | null {
  try {
    return JSON.parse(readFileSync(join(dir, `${pid}.json`), 'utf8')) as Usage;
  } catch {
    return null;
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};

/** Least-squares slope of y over x. */
export function slope(x: number[], y: number[]): number {
  const n = x.length;
  if (n < 2) return NaN;
  const mx = x.reduce((a, b) => a + b, 0) / n,
    my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0,
    sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : NaN;
}

/**
 * The verdict on one series. "grows": the second half's slope is at least 1 MiB/min (and 0.2 % of
 * the level per minute) AND the last third's median is above the first third's by at least 8 MiB
 * (and 2 %). "flat": neither. "unclear": one of the two. Thresholds sit above a garbage-collected
 * heap's saw-tooth, and over ten minutes they flag anything that would add ≳ 60 MiB an hour.
 */
export function trend(t: number[], y: number[]): Trend {
  const n = y.length;
  const third = Math.max(1, Math.floor(n / 3));
  const half = Math.floor(n / 2);
  const first = median(y.slice(0, third)),
    last = median(y.slice(n - third));
  const slopeSecondHalf = slope(
    t.slice(half).map((s) => s / 60),
    y.slice(half),
  );
  const slopeAll = slope(
    t.map((s) => s / 60),
    y,
  );
  const level = Math.max(first, 1);
  const bySlope = slopeSecondHalf >= Math.max(1, 0.002 * level);
  const byThirds = last - first >= Math.max(8, 0.02 * level);
  return {
    start: y[0]!,
    end: y[n - 1]!,
    min: Math.min(...y),
    max: Math.max(...y),
    firstThirdMedian: first,
    lastThirdMedian: last,
    slopeSecondHalf,
    slopeAll,
    verdict: bySlope && byThirds ? 'grows' : bySlope || byThirds ? 'unclear' : 'flat',
  };
}

function roundTrend(x: Trend): Trend {
  const r = (v: number) => round(v, 4);
  return {
    ...x,
    start: r(x.start),
    end: r(x.end),
    min: r(x.min),
    max: r(x.max),
    firstThirdMedian: r(x.firstThirdMedian),
    lastThirdMedian: r(x.lastThirdMedian),
    slopeSecondHalf: r(x.slopeSecondHalf),
    slopeAll: r(x.slopeAll),
  };
}

async function soakOne(spec: BenchSpec, cfg: Config, o: SoakOptions): Promise<SoakRun> {
  const name = `${spec.keySpec} ${cfg.t}-of-${cfg.n}`;
  const probeDir = mkdtempSync(join(tmpdir(), 'tutti-soak-heap-'));
  const env = {
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${PROBE}`.trim(),
    TUTTI_BENCH_HEAP_DIR: probeDir,
    TUTTI_BENCH_HEAP_INTERVAL_MS: String(Math.max(500, Math.min(2000, (o.intervalS * 1000) / 2))),
  };
  o.log(`soak ${name}: starting a cluster with ${cfg.n} parties`);
  const cluster = await new BenchCluster(cfg.n, env).start();
  const warmupS = warmupSeconds(o.seconds);
  const run: SoakRun = {
    keySpec: spec.keySpec,
    ...cfg,
    clients: o.clients,
    durationS: o.seconds,
    warmupS,
    intervalS: o.intervalS,
    signatures: 0,
    perSecond: 0,
    errors: 0,
    checks: { returned: 0, verified: 0, rejected: 0 },
    latency: summarize([]),
    perMinute: [],
    processes: [],
    samples: [],
  };
  const checks0 = { ...signatureChecks };
  try {
    const { keys } = await createKeys(cluster, spec, cfg, 1, 0);
    const key = keys[0]!;
    o.log(`soak ${name}: ${o.clients} clients for ${o.seconds} s (warm-up ${warmupS} s), a sample every ${o.intervalS} s`);
    const procs = [...cluster.processes(), { name: 'bench client', pid: process.pid }];
    const sdk = Array.from({ length: o.clients }, () => cluster.client());
    const t0 = performance.now();
    const elapsedS = () => (performance.now() - t0) / 1000;
    let stop = false,
      done = 0,
      errors = 0;
    let firstError: string | undefined;
    const latencies: number[] = [];
    const completions: number[] = [];
    const workers = Promise.all(
      sdk.map(async (kms) => {
        while (!stop) {
          try {
            const dt = await signOnce(kms, spec, key);
            const at = elapsedS();
            if (at >= warmupS && !stop) {
              done++;
              latencies.push(dt);
              completions.push(at);
            }
          } catch (e) {
            errors++;
            firstError ??= (e as Error).message;
            if (errors === 1 || errors % 100 === 0) o.log(`soak ${name}: ${errors} failed Sign requests (first: ${firstError})`);
            // A failing cluster must not turn into a busy loop.
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      }),
    );
    const sample = () => {
      const s: SoakSample = { t: round(elapsedS(), 4), signatures: done, errors, procs: {} };
      for (const p of procs) {
        if (p.pid === process.pid) {
          const u = process.memoryUsage();
          s.procs[p.name] = { rss: u.rss / MiB, hwm: process.resourceUsage().maxRSS / 1024, ...heapMiB(u) };
          continue;
        }
        const st = statusMiB(p.pid);
        if (st) s.procs[p.name] = { ...st, ...heapMiB(readProbe(probeDir, p.pid)) };
      }
      run.samples.push(s);
      return s;
    };
    let before: ReturnType<BenchCluster['snapshot']> | undefined;
    let windowStart = 0;
    let next = 0;
    let lastLog = 0;
    while (elapsedS() < o.seconds) {
      if (!before && elapsedS() >= warmupS) {
        before = cluster.snapshot();
        windowStart = performance.now();
      }
      if (elapsedS() >= next) {
        const s = sample();
        next += o.intervalS;
        if (s.t - lastLog >= 60 || lastLog === 0) {
          lastLog = s.t || 1e-9;
          o.log(
            `soak ${name}: ${s.t.toFixed(0)} s, ${done} signatures after warm-up, ${errors} errors; RSS MiB ${Object.entries(s.procs)
              .map(([k, v]) => `${k} ${v.rss.toFixed(0)}${v.heapUsed !== undefined ? ` (heap ${v.heapUsed.toFixed(0)})` : ''}`)
              .join(', ')}`,
          );
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    stop = true;
    const windowMs = performance.now() - windowStart;
    const after = cluster.snapshot();
    sample();
    await workers;
    run.signatures = done;
    run.perSecond = round((done * 1000) / windowMs, 4);
    run.errors = errors;
    if (firstError) run.firstError = firstError;
    run.latency = summarize(latencies);
    for (let m = 0; warmupS + (m + 1) * 60 <= o.seconds + 0.5; m++) {
      const a = warmupS + m * 60;
      run.perMinute.push(round(completions.filter((x) => x >= a && x < a + 60).length / 60, 3));
    }
    if (before) {
      const noise = otherCores(before, after, windowMs);
      if (noise !== undefined) run.otherCores = round(noise, 3);
    }

    const measured = run.samples.filter((s) => s.t >= warmupS);
    for (const p of procs) {
      const rows = measured.filter((s) => s.procs[p.name]);
      if (rows.length < 2) continue;
      const t = rows.map((s) => s.t - warmupS);
      const rss = roundTrend(
        trend(
          t,
          rows.map((s) => s.procs[p.name]!.rss),
        ),
      );
      const heapRows = rows.filter((s) => s.procs[p.name]!.heapUsed !== undefined);
      const heap =
        heapRows.length >= 2
          ? roundTrend(
              trend(
                heapRows.map((s) => s.t - warmupS),
                heapRows.map((s) => s.procs[p.name]!.heapUsed!),
              ),
            )
          : undefined;
      const heapTotal =
        heapRows.length >= 2
          ? roundTrend(
              trend(
                heapRows.map((s) => s.t - warmupS),
                heapRows.map((s) => s.procs[p.name]!.heapTotal!),
              ),
            )
          : undefined;
      const all = run.samples.map((s) => s.procs[p.name]).filter((x): x is MemSample => !!x);
      const hwm = all[all.length - 1]?.hwm;
      run.processes.push({
        name: p.name,
        pid: p.pid,
        peakRss: round(Math.max(...all.map((x) => x.rss)), 4),
        ...(hwm !== undefined ? { hwm: round(hwm, 4) } : {}),
        rss,
        ...(heap ? { heapUsed: heap } : {}),
        ...(heapTotal ? { heapTotal } : {}),
      });
    }
    for (const s of run.samples) for (const v of Object.values(s.procs)) for (const k of Object.keys(v) as (keyof MemSample)[]) v[k] = round(v[k]!, 4);
    for (const c of sdk) c.destroy();
  } catch (e) {
    run.error = (e as Error).message;
    o.log(`soak ${name} failed: ${run.error}`);
  } finally {
    run.checks = checksSince(checks0);
    await cluster.stop();
    rmSync(probeDir, { recursive: true, force: true });
  }
  o.log(
    `soak ${name}: ${run.signatures} signatures after warm-up (${run.perSecond.toFixed(1)}/s), ${run.errors} errors; ${run.checks.returned} returned in all, ${run.checks.verified} verified, ${run.checks.rejected} rejected`,
  );
  for (const p of run.processes)
    o.log(
      `soak ${name}: ${p.name}: RSS ${p.rss.start.toFixed(0)} → ${p.rss.end.toFixed(0)} MiB, peak ${p.peakRss.toFixed(0)}, slope ${p.rss.slopeSecondHalf.toFixed(2)} MiB/min, thirds ${p.rss.firstThirdMedian.toFixed(0)} → ${p.rss.lastThirdMedian.toFixed(0)}: ${p.rss.verdict}${p.heapUsed ? `; heap ${p.heapUsed.firstThirdMedian.toFixed(0)} → ${p.heapUsed.lastThirdMedian.toFixed(0)} MiB, ${p.heapUsed.slopeSecondHalf.toFixed(2)} MiB/min: ${p.heapUsed.verdict}` : ''}${p.heapTotal ? `; heapTotal ${p.heapTotal.firstThirdMedian.toFixed(0)} → ${p.heapTotal.lastThirdMedian.toFixed(0)} MiB` : ''}`,
    );
  return run;
}

/** Runs the soak for every spec and configuration; writes JSON and Markdown; false if anything failed or grew. */
export async function soak(o: SoakOptions): Promise<boolean> {
  const t0 = performance.now();
  const result: SoakResult = { mode: 'soak', machine: machine(), runs: [] };
  for (const cfg of o.configs) for (const spec of o.specs) result.runs.push(await soakOne(spec, cfg, o));
  result.machine.loadavg.end = os.loadavg().map((x) => round(x, 2));
  result.durationS = Math.round((performance.now() - t0) / 1000);
  mkdirSync(dirname(o.jsonPath), { recursive: true });
  writeFileSync(o.jsonPath, JSON.stringify(result, null, 2) + '\n');
  mkdirSync(dirname(o.mdPath), { recursive: true });
  const md = soakMarkdown(result);
  writeFileSync(o.mdPath, md + '\n');
  o.log(`wrote ${o.jsonPath} and ${o.mdPath} in ${result.durationS} s`);
  process.stdout.write(md + '\n');
  let ok = true;
  for (const r of result.runs) {
    if (r.error || r.errors || r.checks.rejected || r.checks.verified !== r.checks.returned || r.signatures === 0) ok = false;
    for (const p of r.processes)
      if (p.rss.verdict === 'grows') {
        ok = false;
        o.log(`${r.keySpec} ${r.t}-of-${r.n}: ${p.name}'s RSS grows`);
      }
  }
  return ok;
}

const f0 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(0));
const f2 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : (x >= 0 ? '+' : '') + x.toFixed(2));

export function soakMarkdown(r: SoakResult): string {
  const m = r.machine;
  const L: string[] = [];
  L.push(`Run: ${m.date}, \`npm run bench -- --soak\`, commit ${m.commit}${m.dirty ? ' (with uncommitted changes)' : ''}, ${r.durationS ?? '?'} s.`);
  L.push('');
  L.push(
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB; ${m.os}; Node ${m.node} (OpenSSL ${m.openssl}); ` +
      Object.entries(m.packages)
        .map(([p, v]) => `${p} ${v}`)
        .join(', ') +
      `. Load average (1/5/15 min) at start ${m.loadavg.start.join(' / ')}${m.loadavg.end ? `, at end ${m.loadavg.end.join(' / ')}` : ''}.`,
  );
  for (const run of r.runs) {
    L.push('');
    L.push(`### ${run.keySpec} ${run.t}-of-${run.n}: ${run.clients} clients for ${run.durationS} s`);
    L.push('');
    if (run.error) {
      L.push(`Failed: ${run.error}`);
      continue;
    }
    L.push(
      `Warm-up ${run.warmupS} s, then ${run.signatures} signatures (${run.perSecond.toFixed(1)}/s; per minute: ${run.perMinute.map((x) => x.toFixed(1)).join(', ')}), ` +
        `latency p50 ${f0(run.latency.p50)} / p95 ${f0(run.latency.p95)} / p99 ${f0(run.latency.p99)} ms, ${run.errors} errors${run.firstError ? ` (first: ${run.firstError})` : ''}. ` +
        `Every signature returned (${run.checks.returned}, warm-up included) checked with node:crypto: ${run.checks.verified} verified, ${run.checks.rejected} rejected.` +
        (run.otherCores !== undefined ? ` Other processes on the machine kept ${run.otherCores.toFixed(2)} cores busy on average.` : ''),
    );
    L.push('');
    L.push(
      `Memory in MiB, sampled every ${run.intervalS} s. "start" is the first sample after the warm-up; thirds and slope are over the samples after it; the slope is a least-squares line over the second half. Heap is V8's heapUsed, heapTotal what V8 has reserved for it (process.memoryUsage()).`,
    );
    L.push('');
    L.push(
      '| process | RSS start | RSS end | RSS peak (sampled) | VmHWM | RSS first third → last third (median) | RSS slope MiB/min | heap start → end | heap thirds | heap slope MiB/min | heapTotal thirds | verdict RSS / heap |',
    );
    L.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const p of run.processes) {
      const h = p.heapUsed;
      L.push(
        `| ${p.name} | ${f0(p.rss.start)} | ${f0(p.rss.end)} | ${f0(p.peakRss)} | ${f0(p.hwm)} | ${f0(p.rss.firstThirdMedian)} → ${f0(p.rss.lastThirdMedian)} | ${f2(p.rss.slopeSecondHalf)} | ` +
          `${h ? `${f0(h.start)} → ${f0(h.end)}` : '–'} | ${h ? `${f0(h.firstThirdMedian)} → ${f0(h.lastThirdMedian)}` : '–'} | ${f2(h?.slopeSecondHalf)} | ${p.heapTotal ? `${f0(p.heapTotal.firstThirdMedian)} → ${f0(p.heapTotal.lastThirdMedian)}` : '–'} | ${p.rss.verdict} / ${h?.verdict ?? '–'} |`,
      );
    }
    // RSS at each full minute (the sample nearest to it), for a reader who wants the curve.
    const names = run.processes.map((p) => p.name);
    const rows: string[] = [];
    for (let minute = 0; minute * 60 <= run.durationS; minute++) {
      const want = minute * 60;
      const s = run.samples.reduce((best, x) => (Math.abs(x.t - want) < Math.abs(best.t - want) ? x : best), run.samples[0]!);
      if (!s || Math.abs(s.t - want) > run.intervalS) continue;
      rows.push(`| ${minute} | ${names.map((k) => f0(s.procs[k]?.rss)).join(' | ')} | ${names.map((k) => f0(s.procs[k]?.heapUsed)).join(' | ')} |`);
    }
    if (rows.length) {
      L.push('');
      L.push(`| minute | ${names.map((k) => `${k} RSS`).join(' | ')} | ${names.map((k) => `${k} heap`).join(' | ')} |`);
      L.push(`|---:|${names.map(() => '---:|').join('')}${names.map(() => '---:|').join('')}`);
      L.push(...rows);
    }
  }
  L.push('');
  L.push(
    'Verdict per series: "grows" if the second half\'s slope is ≥ 1 MiB/min (and ≥ 0.2 % of the level per minute) and the last third\'s median is ≥ 8 MiB (and ≥ 2 %) above the first third\'s; "flat" if neither; "unclear" if one of the two.',
  );
  return L.join('\n');
}
