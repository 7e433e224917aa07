// CPU of the DKLs23 DKG and of one presign session with the WebAssembly kernels on and off
// (protocols/dkls23/kernel/: the VOLE rows, the OT extension's columns, secp256k1's k·P and the
// hash-to-curve powers), interleaved in one process so that the machine's load hits both alike:
// A = kernels off (the TypeScript code, as before them), B = on. As in the daemons, OpenSSL's
// SHA-256 and P-256 products are installed (services/party/native-crypto.ts). Medians.
//
//   node --import tsx scripts/bench/dkls23-kernel-ab.ts [--t 2 --n 3] [--curve secp256k1|p256] [--dkgs 4] [--signs 20]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Envelope } from '../../protocols/core/envelope.ts';
import type { Session } from '../../protocols/core/session.ts';
import { createDklsDkg, type DklsDkgOutput } from '../../protocols/dkls23/dkg.ts';
import { createDklsPresign } from '../../protocols/dkls23/presign.ts';
import type { DklsCurveName } from '../../protocols/dkls23/curve.ts';
import { setKernelEnabled } from '../../protocols/dkls23/kernel/module.ts';
import { installNativeCrypto } from '../../services/party/native-crypto.ts';

const rng = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

/** Runs sessions to the end (synchronously, FIFO); the outputs and the CPU ms over all parties. */
function run<O>(make: () => Session<O, unknown>[]): { outputs: Map<number, O>; ms: number } {
  const c = process.cpuUsage();
  const sessions = make();
  const outputs = new Map<number, O>();
  const queue: { to: number; e: Envelope }[] = [];
  const handle = (self: number, st: ReturnType<Session<O, unknown>['start']>) => {
    if (st.kind === 'abort') throw st.error;
    if (st.kind === 'done') outputs.set(self, st.output);
    if (st.kind === 'wait') return;
    for (const e of st.messages) for (const s of sessions) if (s.self !== self && (e.to === 0 || e.to === s.self)) queue.push({ to: s.self, e });
  };
  for (const s of sessions) handle(s.self, s.start());
  while (queue.length) {
    const { to, e } = queue.shift()!;
    handle(to, sessions.find((x) => x.self === to)!.receive(e));
  }
  const d = process.cpuUsage(c);
  return { outputs, ms: (d.user + d.system) / 1000 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const { values } = parseArgs({
  options: { t: { type: 'string' }, n: { type: 'string' }, curve: { type: 'string' }, dkgs: { type: 'string' }, signs: { type: 'string' } },
});
installNativeCrypto();
const t = Number(values.t ?? 2),
  n = Number(values.n ?? 3);
const curve = (values.curve ?? 'secp256k1') as DklsCurveName;
const dkgs = Number(values.dkgs ?? 4),
  signs = Number(values.signs ?? 20);
const dkgMs: Record<'off' | 'on', number[]> = { off: [], on: [] };
let shares: Map<number, DklsDkgOutput> | undefined;
for (let i = 0; i < 2 * dkgs; i++) {
  const on = i % 2 === 1;
  setKernelEnabled(on);
  // One session id for all parties of a run.
  const sid = rng(32);
  const r = run(() =>
    Array.from(
      { length: n },
      (_, k) => createDklsDkg({ curve, sessionId: sid, self: k + 1, n, t, context: new Uint8Array(0), rng }) as Session<DklsDkgOutput, unknown>,
    ),
  );
  dkgMs[on ? 'on' : 'off'].push(r.ms / n);
  shares ??= r.outputs;
}
const signers = Array.from({ length: t }, (_, k) => k + 1);
const preMs: Record<'off' | 'on', number[]> = { off: [], on: [] };
for (let i = 0; i < 2 * (signs + 2); i++) {
  const on = i % 2 === 1;
  setKernelEnabled(on);
  const sid = rng(32);
  const r = run(() => signers.map((p) => createDklsPresign({ curve, sessionId: sid, self: p, signers, share: shares!.get(p)!.share, rng })));
  if (i >= 4) preMs[on ? 'on' : 'off'].push(r.ms / t);
}
setKernelEnabled(true);
const f = (x: number) => x.toFixed(1);
console.log(
  `${curve} ${t}-of-${n}: DKG CPU ms per party, median of ${dkgs}: kernels off ${f(median(dkgMs.off))}, on ${f(median(dkgMs.on))}; ` +
    `presign CPU ms per signer, median of ${signs}: off ${f(median(preMs.off))}, on ${f(median(preMs.on))}`,
);
