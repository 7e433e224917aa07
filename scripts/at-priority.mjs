// `node scripts/at-priority.mjs CMD ARGS…`: runs CMD at the lowest CPU priority when $TUTTI_IDLE
// is 1 (else as is), with this process's stdio, and exits with CMD's exit code. scripts/test.mjs
// runs the unit tier and the checks this way beside the integration and e2e tiers.
//
// Lowest priority: the scheduling class SCHED_IDLE (sched(7)) through util-linux's `chrt --idle 0`
// where it exists (every Linux with util-linux), else nice 19. Both take only CPU that the
// normal-priority processes leave idle, but SCHED_IDLE interferes less: the scheduler preempts an
// idle-class task at once when a normal one wakes, and places a waking task on a CPU that runs
// only idle-class work as if that CPU were idle, where a nice-19 task still holds its CPU for a
// moment (docs/benchmarks.md "Two in-process tiers, and the unit tier beside the e2e tier": the
// e2e tier took ≈ 25 s longer beside nice-19 work). Either is set here, before CMD starts, so CMD
// and everything it starts (npm, jest and its workers, tsc, eslint) inherit it; setting it on a
// child after spawning would race the workers it forks.
// Plain JavaScript: it runs before anything is type-checked.
import { spawn, spawnSync } from 'node:child_process';
import { setPriority } from 'node:os';

const [cmd, ...args] = process.argv.slice(2);
if (!cmd) {
  process.stderr.write('usage: TUTTI_IDLE=1 node scripts/at-priority.mjs CMD [ARGS…]\n');
  process.exit(2);
}
let argv = [cmd, ...args];
if (process.env.TUTTI_IDLE === '1') {
  setPriority(19); // kept under SCHED_IDLE too (it has no effect there), and the fallback without chrt
  const chrt = process.platform === 'linux' && spawnSync('chrt', ['--idle', '0', 'true']).status === 0;
  if (chrt) argv = ['chrt', '--idle', '0', ...argv];
}
const child = spawn(argv[0], argv.slice(1), { stdio: 'inherit' });
child.on('close', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
