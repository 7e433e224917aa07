// Warm-stock DKLs23 Sign, two code trees side by side (a before/after on a shared machine): cluster
// A runs the tree given by --a (e.g. an export of the base commit with this repo's node_modules
// linked in), cluster B this tree; requests alternate A, B, each sent once its own cluster's stock
// is full again (e2e.ts signLatencyWarm's discipline), so load from other processes hits both
// alike. Reports each side's p50/p90 of the one online round.
//
//   node --import tsx scripts/bench/presign-warm-ab.ts --a /tmp/base-tree [--spec ECC_SECG_P256K1] [--count 60]
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import * as here from './e2e.ts';
import { SPECS } from './specs.ts';

const { values } = parseArgs({ options: { a: { type: 'string' }, spec: { type: 'string' }, count: { type: 'string' } } });
if (!values.a) throw new Error('--a <tree> is required');
const spec = SPECS.find((s) => s.keySpec === (values.spec ?? 'ECC_SECG_P256K1'))!;
const count = Number(values.count ?? 60);
const there = (await import(join(values.a, 'scripts/bench/e2e.ts'))) as typeof here;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

const env = { TUTTI_DKG_ROUND_TIMEOUT_MS: '180000' };
const sides = [
  { name: `A ${values.a}`, m: there },
  { name: `B ${fileURLToPath(new URL('../..', import.meta.url))}`, m: here },
];
const started = [];
try {
  for (const s of sides) {
    const cluster = await new s.m.BenchCluster(3, env).start();
    started.push(cluster);
    const { keys } = await s.m.createKeys(cluster, spec, { t: 2, n: 3 }, 1, 0);
    await s.m.signLatencyWarm(cluster, spec, keys[0]!, 3); // fills the stock
    Object.assign(s, { cluster, key: keys[0]!, kms: cluster.client(), full: await s.m.presignStock(cluster), times: [] as number[] });
  }
  const load0 = loadavg()[0]!;
  for (let i = 0; i < count; i++) {
    for (const s of sides as unknown as {
      m: typeof here;
      cluster: here.BenchCluster;
      key: here.KeyHandle;
      kms: ReturnType<here.BenchCluster['client']>;
      full: number;
      times: number[];
    }[]) {
      for (const end = performance.now() + 10_000; (await s.m.presignStock(s.cluster)) < s.full && performance.now() < end;) await sleep(10);
      s.times.push(await s.m.signOnce(s.kms, spec, s.key));
    }
  }
  console.log(`${spec.keySpec} 2-of-3, ${count} warm Signs per side, alternating; load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}`);
  for (const s of sides as unknown as { name: string; times: number[] }[])
    console.log(`${s.name}: warm p50 ${pct(s.times, 50).toFixed(1)} ms, p90 ${pct(s.times, 90).toFixed(1)} ms, min ${Math.min(...s.times).toFixed(1)} ms`);
} finally {
  for (const c of started) await c.stop();
}
