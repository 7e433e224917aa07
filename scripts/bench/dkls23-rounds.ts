// DKLs23 per party and per round: compute time (ms on this thread) and bytes sent, for the DKG and
// for one signature, every party in this process (no network, no transport, no storage) — the
// table in docs/protocols.md "DKLs23: cost per party and round".
//
//   node --import tsx scripts/bench/dkls23-rounds.ts [--t 2 --n 3] [--runs 3] [--curve secp256k1|p256]
//
// "time" is the party's own work for the round: the session's receive() calls for the round's
// incoming messages, the last of which completes it and produces the next round's messages (the
// session's creation — randomness, commitments, parsing the share — and start() count as round 1). "bytes" are the payloads the party sends in that
// round (a broadcast counted once; each point-to-point message counted). The median over --runs is
// shown, with the same party (the first) reported.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Envelope } from '../../protocols/core/envelope.ts';
import type { Session, Step } from '../../protocols/core/session.ts';
import { createDklsDkg, type DklsDkgOutput } from '../../protocols/dkls23/dkg.ts';
import { createDklsSign } from '../../protocols/dkls23/sign.ts';
import type { DklsCurveName } from '../../protocols/dkls23/curve.ts';

const rng = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

type RoundCost = { ms: number; bcBytes: number; p2pBytes: number; p2pCount: number };

/**
 * Runs sessions to the end in process; returns, per party, per round of outgoing messages, the
 * time spent producing them and their sizes, and each party's last step.
 */
function run<O, S>(sessions: Session<O, S>[], createMs: Map<number, number>): { cost: Map<number, Map<number, RoundCost>>; last: Map<number, Step<O, S>> } {
  const cost = new Map(sessions.map((s) => [s.self, new Map<number, RoundCost>()]));
  const last = new Map<number, Step<O, S>>();
  const queue: { to: number; e: Envelope }[] = [];
  // Time spent in receive() since the party last sent: charged to the round it sends next.
  const pendingMs = new Map(sessions.map((s) => [s.self, createMs.get(s.self) ?? 0]));
  const take = (self: number, step: Step<O, S>, ms: number) => {
    last.set(self, step);
    pendingMs.set(self, pendingMs.get(self)! + ms);
    if (step.kind === 'abort') throw step.error;
    if (step.kind === 'wait' || step.messages.length === 0) return;
    const round = step.messages[0]!.round;
    const c = cost.get(self)!.get(round) ?? { ms: 0, bcBytes: 0, p2pBytes: 0, p2pCount: 0 };
    c.ms += pendingMs.get(self)!;
    pendingMs.set(self, 0);
    for (const e of step.messages) {
      if (e.to === 0) c.bcBytes += e.payload.length;
      else {
        c.p2pBytes += e.payload.length;
        c.p2pCount++;
      }
      for (const s of sessions) if (s.self !== self && (e.to === 0 || e.to === s.self)) queue.push({ to: s.self, e });
    }
    cost.get(self)!.set(round, c);
  };
  for (const s of sessions) {
    const t0 = performance.now();
    const step = s.start();
    take(s.self, step, performance.now() - t0);
  }
  while (queue.length) {
    const { to, e } = queue.shift()!;
    const s = sessions.find((x) => x.self === to)!;
    const t0 = performance.now();
    const step = s.receive(e);
    take(to, step, performance.now() - t0);
  }
  // The final round's work (after the last message in) has no outgoing round: charge it as "finish".
  for (const s of sessions) {
    const rest = pendingMs.get(s.self)!;
    if (rest > 0) cost.get(s.self)!.set(0, { ms: rest, bcBytes: 0, p2pBytes: 0, p2pCount: 0 });
  }
  return { cost, last };
}

function timed<T>(into: Map<number, number>, party: number, f: () => T): T {
  const t0 = performance.now();
  const v = f();
  into.set(party, performance.now() - t0);
  return v;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function table(title: string, runs: Map<number, RoundCost>[]): string {
  const rounds = [...new Set(runs.flatMap((r) => [...r.keys()]))].sort((a, b) => (a === 0 ? 1 : b === 0 ? -1 : a - b));
  const lines = [`${title}`, '| round | party 1 time (ms, median) | broadcast bytes | point-to-point bytes (messages) |', '|---|---:|---:|---:|'];
  let total = 0;
  for (const r of rounds) {
    const ms = median(runs.map((x) => x.get(r)?.ms ?? 0));
    total += ms;
    const c = runs[0]!.get(r)!;
    lines.push(`| ${r === 0 ? 'finish' : r} | ${ms.toFixed(1)} | ${c.bcBytes || '—'} | ${c.p2pCount ? `${c.p2pBytes} (${c.p2pCount})` : '—'} |`);
  }
  lines.push(`| total | ${total.toFixed(1)} | | |`);
  return lines.join('\n');
}

const { values } = parseArgs({ options: { t: { type: 'string' }, n: { type: 'string' }, runs: { type: 'string' }, curve: { type: 'string' } } });
const t = Number(values.t ?? 2);
const n = Number(values.n ?? 3);
const runsN = Number(values.runs ?? 3);
const curves: DklsCurveName[] = values.curve ? [values.curve as DklsCurveName] : ['secp256k1', 'p256'];

for (const curve of curves) {
  const dkgRuns: Map<number, RoundCost>[] = [];
  const signRuns: Map<number, RoundCost>[] = [];
  let shares: Map<number, DklsDkgOutput> | undefined;
  for (let k = 0; k < runsN; k++) {
    const sid = rng(32);
    const createMs = new Map<number, number>();
    const sessions = Array.from({ length: n }, (_, i) =>
      timed(createMs, i + 1, () => createDklsDkg({ curve, sessionId: sid, self: i + 1, n, t, context: new Uint8Array(8), rng })),
    );
    const { cost, last } = run(sessions, createMs);
    dkgRuns.push(cost.get(1)!);
    shares = new Map([...last].map(([p, s]) => [p, (s as { output: DklsDkgOutput }).output]));
  }
  const signers = Array.from({ length: t }, (_, i) => i + 1);
  for (let k = 0; k < Math.max(runsN, 5) + 2; k++) {
    const sid = rng(32);
    const digest = rng(32);
    const createMs = new Map<number, number>();
    const sessions = signers.map((p) =>
      timed(createMs, p, () => createDklsSign({ curve, sessionId: sid, self: p, signers, share: shares!.get(p)!.share, digest, rng })),
    );
    const { cost } = run(sessions, createMs);
    if (k >= 2) signRuns.push(cost.get(1)!); // two warm-up signatures (first-use parsing of the share)
  }
  console.log(table(`### ${curve}, ${t}-of-${n} DKG (party 1 of ${n})`, dkgRuns));
  console.log();
  console.log(table(`### ${curve}, ${t}-of-${n} signature (party 1 of ${t} signers)`, signRuns));
  console.log();
}
