// CPU time of the parts of one DKLs23 random VOLE (rvole.ts) and its OT extension (softspoken.ts),
// in process, one pair and direction, ℓ = 2 as in signing: where a signer's protocol CPU goes
// (issue 17). Medians over --runs after warm-up.
//
//   node --import tsx scripts/bench/dkls23-vole-parts.ts [--runs 50] [--curve secp256k1|p256] [--noble]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { dklsCurve, type DklsCurveName } from '../../protocols/dkls23/curve.ts';
import { voleReceive, voleReceiveFinish, voleSend } from '../../protocols/dkls23/rvole.ts';
import { oteReceive, oteSend } from '../../protocols/dkls23/softspoken.ts';
import { OTE_BLOCKS, SEED_BYTES, SOFTSPOKEN_Q } from '../../protocols/dkls23/params.ts';
import { installNativeCrypto } from '../../services/party/native-crypto.ts';

const { values } = parseArgs({ options: { runs: { type: 'string' }, curve: { type: 'string' }, noble: { type: 'boolean' } } });
if (!values.noble) installNativeCrypto();
const runs = Number(values.runs ?? 50);
const curve = dklsCurve((values.curve ?? 'secp256k1') as DklsCurveName);
const rng = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const cpuMs = (f: () => void): number => {
  const c = process.cpuUsage();
  f();
  const d = process.cpuUsage(c);
  return (d.user + d.system) / 1000;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// Correlated seeds as the DKG leaves them: the receiver has all 16 per block, the sender all but Δ_j's.
const recvSeeds = rng(OTE_BLOCKS * SOFTSPOKEN_Q * SEED_BYTES);
const delta = Uint8Array.from(rng(OTE_BLOCKS), (b) => b & 15);
const sendSeeds = recvSeeds.slice();
for (let j = 0; j < OTE_BLOCKS; j++) sendSeeds.fill(0, (SOFTSPOKEN_Q * j + delta[j]!) * SEED_BYTES, (SOFTSPOKEN_Q * j + delta[j]! + 1) * SEED_BYTES);
const own = { delta, seeds: sendSeeds };

const t: Record<string, number[]> = { oteReceive: [], oteSend: [], voleReceive: [], voleSend: [], voleReceiveFinish: [] };
for (let i = 0; i < runs + 5; i++) {
  const sid = rng(32);
  const inputs = [curve.Fn.create(BigInt('0x' + Buffer.from(rng(32)).toString('hex'))), 7n];
  let o!: ReturnType<typeof oteReceive>;
  const a = cpuMs(() => (o = oteReceive(sid, recvSeeds, rng(64), rng)));
  const b = cpuMs(() => oteSend(sid, own, o.message, 2));
  let r!: ReturnType<typeof voleReceive>;
  const c = cpuMs(() => (r = voleReceive(curve, sid, recvSeeds, rng)));
  let s!: ReturnType<typeof voleSend>;
  const d = cpuMs(() => (s = voleSend(curve, sid, own, r.message, inputs, rng, 2)));
  let fin!: bigint[];
  const e = cpuMs(() => (fin = voleReceiveFinish(curve, sid, r.state, s.message, 2, 1)));
  for (let k = 0; k < 2; k++) if (curve.Fn.add(s.shares[k]!, fin[k]!) !== curve.Fn.mul(inputs[k]!, r.chi)) throw new Error('VOLE mismatch');
  if (i >= 5) {
    t.oteReceive!.push(a);
    t.oteSend!.push(b);
    t.voleReceive!.push(c);
    t.voleSend!.push(d);
    t.voleReceiveFinish!.push(e);
  }
}
console.log(
  `${curve.name}, ${values.noble ? 'noble' : 'native'} SHA-256, CPU ms (median of ${runs}): ` +
    Object.entries(t)
      .map(([k, v]) => `${k} ${median(v).toFixed(2)}`)
      .join(', '),
);
