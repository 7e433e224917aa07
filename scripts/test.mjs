// `npm test`: the unit tier, then the e2e tier with the static checks (scripts/checks.mjs:
// typecheck, lint, format:check, wasm:check) beside it at the lowest CPU priority.
//
// Why beside the e2e tier: the unit tier keeps both cores busy, but the e2e tier runs one file at
// a time and leaves about a third of two cores idle (its processes wait on each other's rounds and
// deadlines); the checks need ≈ 55 CPU-seconds (lint alone ≈ 40) and fit in that idle time instead
// of adding their own half-minute or more to the wall time (docs/benchmarks.md "npm test beside
// the checks"). At nice 19 the checks get a core only when the tests leave it idle (a CFS weight
// of 15 against 1024), so the e2e tier's 2 s round deadlines see the same machine as without them.
//
// The exit code is 1 if anything failed. A failing unit tier skips the e2e tier (as `&&` did) and
// the checks then run alone; their output is printed whole at the end, after jest's.
// Plain JavaScript: it runs before anything is type-checked.
import { spawn } from 'node:child_process';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const started = Date.now();
const seconds = (t) => ((Date.now() - t) / 1000).toFixed(1);

/** The checks, at `nice` (19: only CPU the tests leave idle; 0 when nothing else runs). */
function checks(nice) {
  return new Promise((resolve) => {
    const t = Date.now();
    const child = spawn(process.execPath, ['scripts/checks.mjs'], {
      env: { ...process.env, TUTTI_CHECKS_NICE: String(nice) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => {
      process.stderr.write(`\n[npm test] checks ${code === 0 ? 'passed' : 'FAILED'} in ${seconds(t)} s (their output follows the tests)\n`);
      resolve({ ok: code === 0, out });
    });
  });
}

function tier(script) {
  return new Promise((resolve) => {
    const t = Date.now();
    const child = spawn(npm, ['run', '--silent', script], { stdio: 'inherit' });
    child.on('close', (code) => {
      process.stderr.write(`\n[npm test] ${script} ${code === 0 ? 'passed' : 'FAILED'} in ${seconds(t)} s\n`);
      resolve(code === 0);
    });
  });
}

const unit = await tier('test:unit');
let e2e = false;
let checked;
if (unit) {
  const beside = checks(19);
  e2e = await tier('test:e2e');
  checked = await beside;
} else {
  checked = await checks(0); // the e2e tier is skipped: nothing to share the machine with
}
const { ok, out } = checked;
process.stdout.write(`\n[npm test] checks (typecheck, lint, format:check, wasm:check):\n${out}`);
const verdict = unit && e2e && ok;
process.stderr.write(
  `\n[npm test] ${verdict ? 'passed' : 'FAILED'} in ${seconds(started)} s: unit ${unit ? 'ok' : 'failed'}, e2e ${unit ? (e2e ? 'ok' : 'failed') : 'not run'}, checks ${ok ? 'ok' : 'failed'}\n`,
);
process.exit(verdict ? 0 : 1);
