// Warm-stock DKLs23 Sign (issue 17 "p50 with a warm stock"), for a shared machine: one cluster,
// one key, `signLatencyWarm`'s discipline (each Sign waits until the stock is back at its full
// level, so it is the one online round), more samples than the smoke bench, and CPU per Sign per
// process from /proc over the measured loop. That CPU includes the one presign session each Sign's
// refill runs (it is what a Sign costs with its stock kept warm); it carries over between machines
// and loads better than the latency does.
//
//   node --import tsx scripts/bench/presign-warm.ts [--spec ECC_SECG_P256K1|ECC_NIST_P256] [--t 2 --n 3] [--count 60]
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { BenchCluster, createKeys, signLatencyWarm } from './e2e.ts';
import { SPECS } from './specs.ts';

const { values } = parseArgs({ options: { spec: { type: 'string' }, t: { type: 'string' }, n: { type: 'string' }, count: { type: 'string' } } });
const spec = SPECS.find((s) => s.keySpec === (values.spec ?? 'ECC_SECG_P256K1'));
if (!spec) throw new Error(`--spec ${values.spec}: no such key spec`);
const cfg = { t: Number(values.t ?? 2), n: Number(values.n ?? 3) };
const count = Number(values.count ?? 60);

const cluster = await new BenchCluster(cfg.n, { TUTTI_DKG_ROUND_TIMEOUT_MS: '180000' }).start();
try {
  const { keys } = await createKeys(cluster, spec, cfg, 1, 0);
  const key = keys[0]!;
  // Warm-up: JIT, connection pools, a full stock.
  await signLatencyWarm(cluster, spec, key, 5);
  const load0 = loadavg()[0]!;
  const before = cluster.snapshot();
  const warm = await signLatencyWarm(cluster, spec, key, count);
  const after = cluster.snapshot();
  if (!warm) throw new Error('no presignature stock');
  const cpu = [...after.values()]
    .filter((p) => p.name !== 'machine')
    .map((p) => `${p.name} ${((p.cpuMs - (before.get(p.name)?.cpuMs ?? 0)) / count).toFixed(1)}`)
    .join(', ');
  const l = warm.latency;
  console.log(
    `${spec.keySpec} ${cfg.t}-of-${cfg.n}, ${count} warm Signs (stock ${warm.full}, ${warm.errors} errors), load average ${load0.toFixed(2)} → ${loadavg()[0]!.toFixed(2)}`,
  );
  console.log(`warm Sign p50 ${l.p50.toFixed(1)} ms, p95 ${l.p95.toFixed(1)} ms, min ${l.min.toFixed(1)} ms`);
  console.log(`CPU ms per warm Sign (its refill included): ${cpu}`);
} finally {
  await cluster.stop();
}
