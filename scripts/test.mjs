// `npm test`: the integration tier, then the e2e tier with the unit tier and the static checks
// (scripts/checks.mjs: typecheck, lint, format:check, wasm:check) beside it at the lowest CPU
// priority.
//
// Why beside the e2e tier: the integration tier keeps both cores busy, but the e2e tier runs one
// file at a time and leaves about 40 % of two cores idle (its processes wait on each other's rounds
// and deadlines: ≈ 295 CPU-s in ≈ 230 s). The unit tier (≈ 80 CPU-s) and the checks (≈ 55) fit in
// that idle time instead of adding their own minute and a half to the wall time (docs/benchmarks.md
// "Two in-process tiers, and the unit tier beside the e2e tier"). At the lowest priority
// (scripts/at-priority.mjs: the SCHED_IDLE class, else nice 19) they get a core only when the tests
// leave it idle, so the e2e tier's 2 s round deadlines see nearly the same machine as without them.
// The unit tier can run there because nothing in it waits on a clock (pure code, jest.config.js;
// tests/architecture/unit-tier.test.ts keeps it so); its tests get a longer timeout there
// (UNIT_TIMEOUT_MS), since a test may wait for a core while the e2e tier uses both.
//
// The exit code is 1 if anything failed. A failing integration tier skips the e2e tier (as `&&`
// did) and the unit tier and the checks then run alone at normal priority; their output is printed
// whole at the end, after the e2e tier's.
// Plain JavaScript: it runs before anything is type-checked.
import { spawn } from 'node:child_process';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const started = Date.now();
const seconds = (t) => ((Date.now() - t) / 1000).toFixed(1);
/** A unit test's timeout beside the e2e tier (jest's default is 5 s; no unit test waits on a clock). */
const UNIT_TIMEOUT_MS = 120_000;

/** Runs `node scripts/at-priority.mjs CMD…` (idle: at the lowest priority) with its output kept for the end: { name, ok, out }. */
function beside(name, cmd, idle) {
  return new Promise((resolve) => {
    const t = Date.now();
    const child = spawn(process.execPath, ['scripts/at-priority.mjs', ...cmd], {
      env: { ...process.env, TUTTI_IDLE: idle ? '1' : '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => {
      process.stderr.write(`\n[npm test] ${name} ${code === 0 ? 'passed' : 'FAILED'} in ${seconds(t)} s (output follows the e2e tier's)\n`);
      resolve({ name, ok: code === 0, out });
    });
  });
}

/** The checks and the unit tier (idle: at the lowest priority, beside the e2e tier). */
function besideTiers(idle) {
  return [
    beside('checks (typecheck, lint, format:check, wasm:check)', [process.execPath, 'scripts/checks.mjs'], idle),
    beside('unit', [npm, 'run', '--silent', 'test:unit', '--', `--testTimeout=${UNIT_TIMEOUT_MS}`], idle),
  ];
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

const integration = await tier('test:integration');
let e2e = false;
let others;
if (integration) {
  const running = besideTiers(true);
  e2e = await tier('test:e2e');
  others = await Promise.all(running);
} else {
  others = await Promise.all(besideTiers(false)); // the e2e tier is skipped: nothing to share the machine with
}
for (const { name, out } of others) process.stdout.write(`\n[npm test] ${name}:\n${out}`);
const verdict = integration && e2e && others.every((o) => o.ok);
const said = others.map((o) => `${o.name.split(' ')[0]} ${o.ok ? 'ok' : 'failed'}`).join(', ');
process.stderr.write(
  `\n[npm test] ${verdict ? 'passed' : 'FAILED'} in ${seconds(started)} s: integration ${integration ? 'ok' : 'failed'}, e2e ${integration ? (e2e ? 'ok' : 'failed') : 'not run'}, ${said}\n`,
);
process.exit(verdict ? 0 : 1);
