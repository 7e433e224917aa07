import { BenchCluster, createKeys, signLatencyWarm } from './e2e.ts';
import { SPECS } from './specs.ts';
const spec = SPECS.find((s) => s.keySpec === 'ECC_SECG_P256K1')!;
const cluster = await new BenchCluster(3, { NODE_OPTIONS: '--import /tmp/pf-profile.mjs' }).start();
try {
  const { keys } = await createKeys(cluster, spec, { t: 2, n: 3 }, 1, 0);
  await signLatencyWarm(cluster, spec, keys[0]!, 5);
  for (const p of cluster.processes()) process.kill(p.pid, 'SIGUSR2');
  const w = await signLatencyWarm(cluster, spec, keys[0]!, 80);
  for (const p of cluster.processes()) process.kill(p.pid, 'SIGUSR2');
  await new Promise((r) => setTimeout(r, 2000));
  console.log('p50', w?.latency.p50, 'p95', w?.latency.p95);
} finally {
  await cluster.stop();
}
