// Loaded into the gateway and party processes by the memory soak only (`npm run bench -- --soak`,
// scripts/bench/soak.ts), through NODE_OPTIONS=--import. Every TUTTI_BENCH_HEAP_INTERVAL_MS it
// writes this process's process.memoryUsage() (rss, heapTotal, heapUsed, external, arrayBuffers,
// in bytes) to TUTTI_BENCH_HEAP_DIR/<pid>.json, so the soak can tell heap growth from other RSS
// growth without any change to the services. Main thread only (worker threads share the pid).
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';

const dir = process.env.TUTTI_BENCH_HEAP_DIR;
if (dir && isMainThread) {
  const file = join(dir, `${process.pid}.json`);
  const write = () => {
    try {
      writeFileSync(`${file}.tmp`, JSON.stringify({ at: Date.now(), ...process.memoryUsage() }));
      renameSync(`${file}.tmp`, file);
    } catch {
      // The soak reads what it can; a missing sample only leaves a gap.
    }
  };
  write();
  setInterval(write, Number(process.env.TUTTI_BENCH_HEAP_INTERVAL_MS ?? 2000)).unref();
}
