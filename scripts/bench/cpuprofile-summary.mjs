// Summary of a .cpuprofile (node --cpu-prof, or scripts/bench/cpu-profile-probe.mjs): the top
// functions by self time and by inclusive time, in ms and % of the sampled time. With --filter,
// only samples whose stack holds a frame matching the regex (function name + script URL) count,
// e.g. --filter 'sign\.ts|presign\.ts' for the DKLs23 signing sessions alone.
//
//   node scripts/bench/cpuprofile-summary.mjs <file.cpuprofile> [--filter REGEX] [--top 40]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { filter: { type: 'string' }, top: { type: 'string' } } });
const profile = JSON.parse(readFileSync(positionals[0], 'utf8'));
const top = Number(values.top ?? 40);
const filter = values.filter ? new RegExp(values.filter) : null;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const name = (n) => `${n.callFrame.functionName} ${n.callFrame.url.split('/').slice(-2).join('/')}`;

const perNode = new Map();
profile.samples.forEach((id, i) => perNode.set(id, (perNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const self = new Map(),
  incl = new Map();
let total = 0;
for (const [id, us] of perNode) {
  const stack = [];
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) stack.push(byId.get(cur));
  if (filter && !stack.some((n) => filter.test(`${n.callFrame.functionName} ${n.callFrame.url}`))) continue;
  total += us;
  self.set(name(stack[0]), (self.get(name(stack[0])) ?? 0) + us);
  for (const k of new Set(stack.map(name))) incl.set(k, (incl.get(k) ?? 0) + us);
}
const print = (title, m) => {
  console.log(`--- ${title}`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}`);
};
console.log(`sampled ${(total / 1000).toFixed(0)} ms${filter ? ` (stacks matching ${filter})` : ''}`);
print('self', self);
print('inclusive', incl);
