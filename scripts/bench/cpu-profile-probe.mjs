// Loaded into the gateway and party processes by scripts/bench/profile-cluster.ts only, through
// NODE_OPTIONS=--import (node refuses --cpu-prof there). Samples this process's main thread with
// the inspector's profiler from load for TUTTI_BENCH_PROF_MS and then writes
// TUTTI_BENCH_PROF_DIR/<pid>-<role>.cpuprofile (Chrome DevTools format; summarise with
// scripts/bench/cpuprofile-summary.mjs). Worker threads (the DKG's session workers) are not sampled.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';

const dir = process.env.TUTTI_BENCH_PROF_DIR;
if (dir && isMainThread) {
  const s = new Session();
  s.connect();
  s.post('Profiler.enable', () => s.post('Profiler.setSamplingInterval', { interval: 500 }, () => s.post('Profiler.start')));
  const data = process.argv[process.argv.indexOf('--data') + 1] ?? '';
  const role = process.argv.includes('party') ? `party-${data.split('/').pop()}` : 'gateway';
  const timer = setTimeout(
    () => {
      s.post('Profiler.stop', (err, r) => {
        if (!err) writeFileSync(join(dir, `${process.pid}-${role.replace(/[^a-z0-9-]/gi, '')}.cpuprofile`), JSON.stringify(r.profile));
      });
    },
    Number(process.env.TUTTI_BENCH_PROF_MS ?? 60000),
  );
  timer.unref();
}
