// CPU time per signer of one DKLs23 signature, in process, three ways (issue 17): the full
// four-round session (sign.ts), the presign session alone (R1–R3 run ahead, presign.ts), and the
// online round (the signer's share + the aggregator's combine and verify). process.cpuUsage()
// around each party's calls, so other processes on a shared machine do not count. Medians over
// --runs signatures after warm-up; A and B interleaved per run.
//
//   node --import tsx scripts/bench/dkls23-presign-cpu.ts [--t 2 --n 3] [--runs 20] [--curve secp256k1|p256] [--noble]
//
// As in the party daemons: SHA-256 is OpenSSL's (services/party/native-crypto.ts; --noble keeps
// @noble's, as in a browser) and the key shares are deep-frozen (the share store hands out frozen
// shares, which keyshare.ts parses once per process). The DKG's CPU per party is printed too.
import { randomBytes, createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Envelope } from '../../protocols/core/envelope.ts';
import type { Session } from '../../protocols/core/session.ts';
import { createDklsDkg, type DklsDkgOutput } from '../../protocols/dkls23/dkg.ts';
import { createDklsSign } from '../../protocols/dkls23/sign.ts';
import { combinePresignedShares, createDklsPresign, presignatureRecord, presignatureRecordPart, presignatureShare } from '../../protocols/dkls23/presign.ts';
import type { DklsCurveName } from '../../protocols/dkls23/curve.ts';
import { installNativeCrypto } from '../../services/party/native-crypto.ts';

const rng = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const cpuMs = (f: () => void): number => {
  const c = process.cpuUsage();
  f();
  const d = process.cpuUsage(c);
  return (d.user + d.system) / 1000;
};

/** Runs sessions to the end (synchronously, FIFO); returns the outputs and the total CPU ms over all parties. */
function run<O>(make: () => Session<O, unknown>[]): { outputs: Map<number, O>; ms: number } {
  let ms = 0;
  let sessions!: Session<O, unknown>[];
  ms += cpuMs(() => (sessions = make()));
  const outputs = new Map<number, O>();
  const queue: { to: number; e: Envelope }[] = [];
  const handle = (self: number, st: ReturnType<Session<O, unknown>['start']>) => {
    if (st.kind === 'abort') throw st.error;
    if (st.kind === 'done') outputs.set(self, st.output);
    if (st.kind === 'wait') return;
    for (const e of st.messages) for (const s of sessions) if (s.self !== self && (e.to === 0 || e.to === s.self)) queue.push({ to: s.self, e });
  };
  for (const s of sessions) {
    let st!: ReturnType<Session<O, unknown>['start']>;
    ms += cpuMs(() => (st = s.start()));
    handle(s.self, st);
  }
  while (queue.length) {
    const { to, e } = queue.shift()!;
    const s = sessions.find((x) => x.self === to)!;
    let st!: ReturnType<Session<O, unknown>['start']>;
    ms += cpuMs(() => (st = s.receive(e)));
    handle(to, st);
  }
  return { outputs, ms };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const { values } = parseArgs({
  options: { t: { type: 'string' }, n: { type: 'string' }, runs: { type: 'string' }, curve: { type: 'string' }, noble: { type: 'boolean' } },
});
if (!values.noble) installNativeCrypto();
const deepFreeze = <T>(o: T): T => {
  if (typeof o === 'object' && o !== null && !Object.isFrozen(o)) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
};
const t = Number(values.t ?? 2),
  n = Number(values.n ?? 3),
  runs = Number(values.runs ?? 20);
const curves: DklsCurveName[] = values.curve ? [values.curve as DklsCurveName] : ['secp256k1', 'p256'];
for (const curve of curves) {
  const dkgSid = rng(32);
  const dkg = run(() =>
    Array.from(
      { length: n },
      (_, k) => createDklsDkg({ curve, sessionId: dkgSid, self: k + 1, n, t, context: new Uint8Array(0), rng }) as Session<DklsDkgOutput, unknown>,
    ),
  );
  console.log(`${curve} ${t}-of-${n}: DKG CPU ms per party ${(dkg.ms / n).toFixed(0)} (one run)`);
  const shares = new Map([...dkg.outputs].map(([p, o]) => [p, deepFreeze(o.share)]));
  const signers = Array.from({ length: t }, (_, k) => k + 1);
  const full: number[] = [],
    pre: number[] = [],
    onl: number[] = [];
  for (let i = 0; i < runs + 3; i++) {
    const digest = createHash('sha256').update(`m${i}`).digest();
    const sid = rng(32);
    const a = run(() => signers.map((p) => createDklsSign({ curve, sessionId: sid, self: p, signers, share: shares.get(p)!, digest, rng })));
    const b = run(() => signers.map((p) => createDklsPresign({ curve, sessionId: sid, self: p, signers, share: shares.get(p)!, rng })));
    let ms = 0;
    ms += cpuMs(() => {
      const record = presignatureRecord(curve, shares.get(1)!.publicKey, [...b.outputs.values()].map(presignatureRecordPart));
      const answers = signers.map((p) => presignatureShare({ presignature: b.outputs.get(p)!, share: shares.get(p)!, sessionId: sid, signers, digest }));
      combinePresignedShares({ record, digest, answers });
    });
    if (i >= 3) {
      full.push(a.ms / t);
      pre.push(b.ms / t);
      onl.push(ms / t);
    }
  }
  console.log(
    `${curve} ${t}-of-${n}: CPU ms per signer (median of ${runs}): full sign ${median(full).toFixed(1)}, presign ${median(pre).toFixed(1)}, online round (share + 1/t of combine) ${median(onl).toFixed(2)}`,
  );
}
