// `node scripts/at-priority.mjs CMD ARGS…`: runs CMD at the CPU priority (nice value) in $TUTTI_NICE
// (0 if unset), with this process's stdio. The priority is set on this process before CMD starts,
// so CMD and everything it starts (npm, jest and its workers) inherit it; setting it on a child
// after spawning would race the workers it forks. scripts/test.mjs runs the unit tier this way
// beside the e2e tier. Exits with CMD's exit code.
// Plain JavaScript: it runs before anything is type-checked.
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';

if (process.env.TUTTI_NICE) setPriority(Number(process.env.TUTTI_NICE));
const [cmd, ...args] = process.argv.slice(2);
if (!cmd) {
  process.stderr.write('usage: node scripts/at-priority.mjs CMD [ARGS…]\n');
  process.exit(2);
}
const child = spawn(cmd, args, { stdio: 'inherit' });
child.on('close', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
