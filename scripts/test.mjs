// `npm test`: the integration tier, then the e2e tier, with the unit tier and the static checks
// (scripts/checks.mjs: typecheck, lint, format:check, wasm:check) beside them from the start at the
// lowest CPU priority.
//
// Why beside: the integration tier keeps both cores nearly busy, but the e2e tier runs one file at
// a time and leaves about 40 % of two cores idle (its processes wait on each other's rounds and
// deadlines: ≈ 295 CPU-s in ≈ 230 s). The unit tier (≈ 80 CPU-s) and the checks (≈ 55) fit in
// that idle time instead of adding their own minute and a half to the wall time (docs/benchmarks.md
// "Two in-process tiers, and the unit tier beside the e2e tier"). At the lowest priority
// (scripts/at-priority.mjs: the SCHED_IDLE class, else nice 19) they get a core only when the tests
// leave it idle, so the round deadlines of the other two tiers see nearly the same machine as
// without them. The unit tier can run there because nothing in it waits on a clock (pure code,
// jest.config.js; tests/architecture/unit-tier.test.ts keeps it so); its tests get a longer
// timeout there (UNIT_TIMEOUT_MS), since a test may wait for a core while the others use both.
//
// The exit code is 1 if anything failed. A failing integration tier skips the e2e tier (as `&&`
// did). The unit tier's and the checks' output is printed whole at the end, after jest's.
// Plain JavaScript: it runs before anything is type-checked.
import { spawn } from 'node:child_process';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const started = Date.now();
const seconds = (t) => ((Date.now() - t) / 1000).toFixed(1);
/** A unit test's timeout beside the other tiers (jest's default is 5 s; no unit test waits on a clock). */
const UNIT_TIMEOUT_MS = 120_000;

/** Runs `node scripts/at-priority.mjs CMD…` at the lowest priority, with its output kept for the end: { name, ok, out }. */
function beside(name, cmd) {
  return new Promise((resolve) => {
    const t = Date.now();
    const child = spawn(process.execPath, ['scripts/at-priority.mjs', ...cmd], { env: { ...process.env, TUTTI_IDLE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => {
      process.stderr.write(`\n[npm test] ${name} ${code === 0 ? 'passed' : 'FAILED'} in ${seconds(t)} s (output follows the e2e tier's)\n`);
      resolve({ name, ok: code === 0, out });
    });
  });
}

/** The checks and the unit tier, at the lowest priority beside the other two tiers. */
function besideTiers() {
  return [
    beside('checks (typecheck, lint, format:check, wasm:check)', [process.execPath, 'scripts/checks.mjs']),
    beside('unit', [npm, 'run', '--silent', 'test:unit', '--', `--testTimeout=${UNIT_TIMEOUT_MS}`]),
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

// Both from the start: the integration tier leaves a little idle CPU too (≈ 0.25 of two cores),
// which a first run spends making the cached DKLs23 test keys (tests/support/dkls23-test-keys.ts).
const running = besideTiers();
const integration = await tier('test:integration');
// A failing integration tier skips the e2e tier: the unit tier and the checks then have the
// machine to themselves (the idle class takes every core nothing else wants).
const e2e = integration ? await tier('test:e2e') : false;
const others = await Promise.all(running);
for (const { name, out } of others) process.stdout.write(`\n[npm test] ${name}:\n${out}`);
const verdict = integration && e2e && others.every((o) => o.ok);
const said = others.map((o) => `${o.name.split(' ')[0]} ${o.ok ? 'ok' : 'failed'}`).join(', ');
process.stderr.write(
  `\n[npm test] ${verdict ? 'passed' : 'FAILED'} in ${seconds(started)} s: integration ${integration ? 'ok' : 'failed'}, e2e ${integration ? (e2e ? 'ok' : 'failed') : 'not run'}, ${said}\n`,
);
process.exit(verdict ? 0 : 1);
