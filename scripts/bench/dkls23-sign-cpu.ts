// CPU time of one DKLs23 signature per signer, in process: process.cpuUsage() around every
// party's session calls (creation, start, receive), summed per party and per round of outgoing
// messages (like dkls23-rounds.ts, but CPU time rather than wall time, so other processes on a
// shared machine do not count). Medians over --runs signatures after warm-up.
//
//   node --import tsx scripts/bench/dkls23-sign-cpu.ts [--t 2 --n 3] [--runs 30] [--curve secp256k1|p256] [--noble]
//
// By default SHA-256 is OpenSSL's, as in the party daemons (services/party/native-crypto.ts);
// --noble keeps protocols/' own @noble/hashes, as in a browser (the embedded party).
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Envelope } from '../../protocols/core/envelope.ts';
import type { Session } from '../../protocols/core/session.ts';
import { createDklsDkg, type DklsDkgOutput } from '../../protocols/dkls23/dkg.ts';
import { createDklsSign, type DklsSignOutput } from '../../protocols/dkls23/sign.ts';
import type { DklsCurveName } from '../../protocols/dkls23/curve.ts';
import { installNativeCrypto } from '../../services/party/native-crypto.ts';

const rng = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const cpuMs = (f: () => void): number => {
  const c = process.cpuUsage();
  f();
  const d = process.cpuUsage(c);
  return (d.user + d.system) / 1000;
};

/** Runs sessions to the end; per party, per round it sends next (0 = finish), CPU ms. */
function run<O, S>(sessions: Session<O, S>[], createMs: Map<number, number>): Map<number, Map<number, number>> {
  const cost = new Map(sessions.map((s) => [s.self, new Map<number, number>()]));
  const pending = new Map(sessions.map((s) => [s.self, createMs.get(s.self) ?? 0]));
  const queue: { to: number; e: Envelope }[] = [];
  const step = (self: number, f: () => ReturnType<Session<O, S>['start']>) => {
    let st!: ReturnType<Session<O, S>['start']>;
    const ms = cpuMs(() => {
      st = f();
    });
    pending.set(self, pending.get(self)! + ms);
    if (st.kind === 'abort') throw st.error;
    if (st.kind === 'wait' || st.messages.length === 0) return;
    const round = st.messages[0]!.round;
    const c = cost.get(self)!;
    c.set(round, (c.get(round) ?? 0) + pending.get(self)!);
    pending.set(self, 0);
    for (const e of st.messages) for (const s of sessions) if (s.self !== self && (e.to === 0 || e.to === s.self)) queue.push({ to: s.self, e });
  };
  for (const s of sessions) step(s.self, () => s.start());
  while (queue.length) {
    const { to, e } = queue.shift()!;
    const s = sessions.find((x) => x.self === to)!;
    step(to, () => s.receive(e));
  }
  for (const s of sessions) cost.get(s.self)!.set(0, pending.get(s.self)!);
  return cost;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const { values } = parseArgs({
  options: { t: { type: 'string' }, n: { type: 'string' }, runs: { type: 'string' }, curve: { type: 'string' }, noble: { type: 'boolean' } },
});
if (!values.noble) installNativeCrypto();
const t = Number(values.t ?? 2),
  n = Number(values.n ?? 3),
  runs = Number(values.runs ?? 30);
const curves: DklsCurveName[] = values.curve ? [values.curve as DklsCurveName] : ['secp256k1', 'p256'];
for (const curve of curves) {
  const sid = rng(32);
  const dkg = Array.from({ length: n }, (_, i) => createDklsDkg({ curve, sessionId: sid, self: i + 1, n, t, context: new Uint8Array(8), rng }));
  const last = new Map<number, DklsDkgOutput>();
  {
    const q: { to: number; e: Envelope }[] = [];
    const push = (self: number, st: ReturnType<(typeof dkg)[0]['start']>) => {
      if (st.kind === 'abort') throw st.error;
      if (st.kind === 'done') last.set(self, st.output);
      if (st.kind === 'wait') return;
      for (const e of st.messages) for (const s of dkg) if (s.self !== self && (e.to === 0 || e.to === s.self)) q.push({ to: s.self, e });
    };
    for (const s of dkg) push(s.self, s.start());
    while (q.length) {
      const { to, e } = q.shift()!;
      push(to, dkg.find((x) => x.self === to)!.receive(e));
    }
  }
  const signers = Array.from({ length: t }, (_, i) => i + 1);
  const perRound = new Map<number, number[]>();
  const totals: number[] = [];
  for (let k = 0; k < runs + 3; k++) {
    const sid2 = rng(32),
      digest = rng(32);
    const createMs = new Map<number, number>();
    const sessions: Session<DklsSignOutput>[] = [];
    for (const p of signers)
      createMs.set(
        p,
        cpuMs(() => {
          sessions.push(createDklsSign({ curve, sessionId: sid2, self: p, signers, share: last.get(p)!.share, digest, rng }));
        }),
      );
    const w0 = process.cpuUsage();
    const cost = run(sessions, createMs);
    const wd = process.cpuUsage(w0);
    if (process.env.DEBUG)
      console.log(
        'whole',
        ((wd.user + wd.system) / 1000).toFixed(1),
        [...cost].map(([p, c]) => `${p}: ${[...c.values()].reduce((a, b) => a + b, 0).toFixed(1)}`).join(' '),
      );
    if (k < 3) continue;
    const c = cost.get(1)!;
    let tot = 0;
    for (const [r, ms] of c) {
      (perRound.get(r) ?? perRound.set(r, []).get(r)!).push(ms);
      tot += ms;
    }
    totals.push(tot);
  }
  const rounds = [...perRound.keys()].sort((a, b) => (a === 0 ? 1 : b === 0 ? -1 : a - b));
  console.log(
    `${curve} ${t}-of-${n} signature, party 1, CPU ms (median of ${runs}): ` +
      rounds.map((r) => `${r === 0 ? 'finish' : 'R' + r} ${median(perRound.get(r)!).toFixed(2)}`).join(', ') +
      `; total ${median(totals).toFixed(2)}`,
  );
}
