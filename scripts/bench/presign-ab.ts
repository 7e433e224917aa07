// A/B of DKLs23 presignatures through the SDK (issue 17), for a shared machine: two clusters side
// by side, A with presigning off (TUTTI_PRESIGN_STOCK=0), B with it on (default stock), the same
// key spec and t-of-n; requests alternate A, B, A, B… one at a time (so load from other processes
// hits both alike), every signature verified with node:crypto. Reports p50/p90 per side, CPU per
// signature per process (from /proc, over the measured loop, refills included), and each party's
// RSS at the end (B: with a full stock).
//
//   node --import tsx scripts/bench/presign-ab.ts [--spec ECC_SECG_P256K1|ECC_NIST_P256] [--n 3] [--count 40]
import { createPublicKey, verify } from 'node:crypto';
import { parseArgs } from 'node:util';
import { CreateKeyCommand, GetPublicKeyCommand, SignCommand, type KeySpec } from '@aws-sdk/client-kms';
import { BenchCluster } from './e2e.ts';

const { values } = parseArgs({ options: { spec: { type: 'string' }, n: { type: 'string' }, count: { type: 'string' } } });
const spec = (values.spec ?? 'ECC_SECG_P256K1') as KeySpec;
const n = Number(values.n ?? 3);
const count = Number(values.count ?? 40);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

async function side(env: NodeJS.ProcessEnv) {
  const cluster = await new BenchCluster(n, env).start();
  const kms = cluster.client();
  const t0 = performance.now();
  let keyId: string;
  try {
    keyId = (await kms.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!.KeyId!;
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  const createMs = performance.now() - t0;
  const spki = createPublicKey({ key: Buffer.from((await kms.send(new GetPublicKeyCommand({ KeyId: keyId }))).PublicKey!), format: 'der', type: 'spki' });
  const sign = async (i: number) => {
    const message = Buffer.from(`presign A/B ${i}`);
    const t = performance.now();
    const out = await kms.send(new SignCommand({ KeyId: keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }));
    const ms = performance.now() - t;
    if (!verify('sha256', message, spki, out.Signature!)) throw new Error('signature does not verify');
    return ms;
  };
  return { cluster, sign, createMs, times: [] as number[] };
}

// A long DKG round deadline: on a loaded shared machine the base OTs alone can take longer than 30 s.
const DKG = { TUTTI_DKG_ROUND_TIMEOUT_MS: '180000' };
const a = await side({ ...DKG, TUTTI_PRESIGN_STOCK: '0' });
const b = await side({ ...DKG }).catch(async (err: unknown) => {
  await a.cluster.stop();
  throw err;
});
try {
  await a.sign(-1);
  await b.sign(-1); // starts B's refill
  await sleep(5_000);
  const before = [a.cluster.snapshot(), b.cluster.snapshot()];
  for (let i = 0; i < count; i++) {
    a.times.push(await a.sign(i));
    b.times.push(await b.sign(i));
  }
  await sleep(3_000); // B's refills of the last requests
  const after = [a.cluster.snapshot(), b.cluster.snapshot()];
  console.log(
    `${spec}, ${n} parties (CreateKey default threshold), ${count} signatures per side, interleaved A/B, load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)}`,
  );
  for (const [name, s, k] of [
    ['A presign off', a, 0],
    ['B presign on ', b, 1],
  ] as const) {
    const cpu = [...after[k]!.values()]
      .filter((p) => p.name !== 'machine' && p.name !== 'bench client')
      .map((p) => `${p.name} ${((p.cpuMs - (before[k]!.get(p.name)?.cpuMs ?? 0)) / count).toFixed(1)}`)
      .join(', ');
    const rss = [...after[k]!.values()].filter((p) => p.peakRssMiB !== null && p.name.startsWith('party')).map((p) => `${p.name} ${p.peakRssMiB!.toFixed(0)}`);
    console.log(
      `${name}: CreateKey ${s.createMs.toFixed(0)} ms; Sign p50 ${pct(s.times, 50).toFixed(1)} ms, p90 ${pct(s.times, 90).toFixed(1)} ms; CPU ms per signature: ${cpu}; peak RSS MiB: ${rss.join(', ')}`,
    );
  }
} finally {
  await a.cluster.stop();
  await b.cluster.stop();
}
