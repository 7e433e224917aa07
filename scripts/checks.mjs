// `npm run checks`: the static steps of `npm test` — typecheck, lint, format:check, and that the
// committed WebAssembly is its compiled source (scripts/build-wasm.mjs --check) — at the same
// time. ESLint runs on one core for about 90 CPU-seconds (its type-aware rules need the whole
// program), so on two cores prettier (≈ 28 CPU-s) and tsc (≈ 10) fit beside it instead of after it
// (docs/benchmarks.md "Test suite time"). Each step's output is printed whole when it ends, in the
// order they end; the exit code is 1 if any step failed.
// Plain JavaScript: it runs before anything is type-checked.
import { spawn } from 'node:child_process';

// `npm test` (scripts/test.mjs) runs the checks beside the other tiers at the lowest priority
// (through scripts/at-priority.mjs); the steps inherit it from this process.

const steps = ['typecheck', 'lint', 'format:check', 'wasm:check'];
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const results = await Promise.all(
  steps.map(
    (step) =>
      new Promise((resolve) => {
        const started = Date.now();
        const child = spawn(npm, ['run', '--silent', step], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (out += d));
        child.on('close', (code) => {
          const s = ((Date.now() - started) / 1000).toFixed(1);
          process.stdout.write(`--- ${step}: ${code === 0 ? 'ok' : `failed (${code})`} in ${s} s\n${out}`);
          resolve(code === 0);
        });
      }),
  ),
);
process.exit(results.every(Boolean) ? 0 : 1);
