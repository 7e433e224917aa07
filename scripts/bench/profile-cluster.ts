// Where each process's CPU goes under a DKLs23 Sign load (issue 17): a 3-party cluster whose
// gateway and parties each load scripts/bench/cpu-profile-probe.mjs, one secp256k1 2-of-3 key,
// then `--count` Sign requests from 4 concurrent clients (presignatures on, the default stock);
// each process writes a .cpuprofile of its first `--ms` milliseconds into `--dir`. Summarise with
//   node scripts/bench/cpuprofile-summary.mjs <file> [--filter REGEX]
//
//   node --import tsx scripts/bench/profile-cluster.ts --dir /tmp/prof [--count 200] [--ms 60000]
import { pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CreateKeyCommand, SignCommand } from '@aws-sdk/client-kms';
import { BenchCluster } from './e2e.ts';

const { values } = parseArgs({ options: { dir: { type: 'string' }, count: { type: 'string' }, ms: { type: 'string' } } });
if (!values.dir) throw new Error('--dir is required');
mkdirSync(values.dir, { recursive: true });
const count = Number(values.count ?? 200);
const ms = Number(values.ms ?? 60_000);
const PROBE = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), 'cpu-profile-probe.mjs')).href;
const tStart = performance.now();
const cluster = await new BenchCluster(3, {
  NODE_OPTIONS: `--import ${PROBE}`,
  TUTTI_BENCH_PROF_DIR: values.dir,
  TUTTI_BENCH_PROF_MS: String(ms),
  TUTTI_DKG_ROUND_TIMEOUT_MS: '180000',
}).start();
try {
  const kms = cluster.client();
  const keyId = (await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!.KeyId!;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 4 }, async (_, c) => {
      for (let i = c; i < count; i += 4)
        await kms.send(new SignCommand({ KeyId: keyId, Message: Buffer.from(`m${i}`), MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }));
    }),
  );
  console.log(`signed ${count} in ${(performance.now() - t0).toFixed(0)} ms; profiles are written ${ms} ms after each process started`);
  // The probes write when their window ends; keep the processes up until then.
  await new Promise((r) => setTimeout(r, Math.max(0, ms - (performance.now() - tStart)) + 15_000));
} finally {
  await cluster.stop();
}
