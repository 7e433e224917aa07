// End to end: a real local cluster started the way `npm start` starts it (services/main/cluster.ts:
// prepareCluster, spawnGateway, spawnParty, waitForParties; a free port, a temporary data folder)
// driven through @aws-sdk/client-kms. Every signature is checked with node:crypto against the
// key's SubjectPublicKeyInfo from GetPublicKey, outside the timed region.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';
import {
  CreateKeyCommand,
  DescribeKeyCommand,
  GetPublicKeyCommand,
  KMSClient,
  SignCommand,
  type KeySpec,
  type SigningAlgorithmSpec,
} from '@aws-sdk/client-kms';
import { prepareCluster, spawnGateway, spawnParty, waitForParties, type Spawned } from '../../services/main/cluster.ts';
import { stopCluster } from '../../tests/support/cluster.ts';
import { summarize, timeAsync, type Loop, type Summary } from './stats.ts';
import { MESSAGE_BYTES, type BenchSpec, type Config } from './specs.ts';

const CREDENTIALS = { accessKeyId: 'AKIATUTTIBENCH000001', secretAccessKey: 'tutti-bench-secret-key-00000000000000000' };
const REGION = 'us-east-1';

export type ProcessStats = { name: string; pid: number; cpuMs: number; peakRssMiB: number | null };

/** CPU time (user + system) and peak RSS of a process, from /proc (Linux); null where unavailable. */
function procStats(pid: number): { cpuMs: number; peakRssMiB: number | null } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15 of stat(5))
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    return { cpuMs: (ticks * 1000) / CLK_TCK, peakRssMiB: hwm ? Number(hwm[1]) / 1024 : null };
  } catch {
    return null;
  }
}
const CLK_TCK = 100; // USER_HZ on Linux (getconf CLK_TCK); /proc reports CPU time in these ticks.

/** CPU time the whole machine has spent busy (all cores, every process), from /proc/stat; null where unavailable. */
export function machineBusyMs(): number | null {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
    const busy = cpu[0]! + cpu[1]! + cpu[2]! + cpu[5]! + cpu[6]! + cpu[7]!;
    return (busy * 1000) / CLK_TCK;
  } catch {
    return null;
  }
}

export class BenchCluster {
  readonly dataDir = mkdtempSync(join(tmpdir(), 'tutti-bench-'));
  gateway!: Spawned;
  readonly parties: { id: string; proc: Spawned }[] = [];
  endpoint = '';
  private readonly clients: KMSClient[] = [];

  /** `env`: added to every process's environment (the soak's heap probe); empty for the normal run. */
  constructor(
    readonly n: number,
    private readonly env: NodeJS.ProcessEnv = {},
  ) {}

  async start(): Promise<this> {
    const config = prepareCluster({ dataDir: this.dataDir, parties: this.n, region: REGION, accountId: '111122223333', ...CREDENTIALS });
    // The gateway's environment is npm start's: default round deadline and sweep interval.
    this.gateway = spawnGateway(this.dataDir, '127.0.0.1', 0, this.env);
    const { port } = (await this.gateway.ready) as { port: number };
    this.endpoint = `http://127.0.0.1:${port}`;
    for (const p of config.parties) this.parties.push({ id: p.partyId, proc: spawnParty(this.dataDir, p.partyId, `ws://127.0.0.1:${port}/parties`, this.env) });
    await Promise.all(this.parties.map((p) => p.proc.ready));
    await waitForParties(this.endpoint, this.n);
    return this;
  }

  /**
   * With TUTTI_BENCH_LOGS=DIR, each process's last output (spawnNode keeps up to 200 KB) and how it
   * ended go to DIR/<name>.log before the cluster stops: a soak's connects, disconnects and
   * refusals, which the bench's numbers do not show.
   */
  private keepLogs(): void {
    const dir = process.env.TUTTI_BENCH_LOGS;
    if (!dir) return;
    mkdirSync(dir, { recursive: true });
    const all = [{ id: 'gateway', proc: this.gateway }, ...this.parties];
    for (const { id, proc } of all) {
      const { exitCode, signalCode } = proc.child;
      const ended = exitCode === null && signalCode === null ? 'running at the end' : `exited (${exitCode ?? signalCode})`;
      writeFileSync(join(dir, `${id}.log`), `# ${id}, pid ${proc.child.pid}: ${ended}\n${proc.output()}`);
    }
  }

  /** A new SDK client with its own connection pool: one per simulated caller. */
  client(): KMSClient {
    const c = new KMSClient({ endpoint: this.endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
    this.clients.push(c);
    return c;
  }

  processes(): { name: string; pid: number }[] {
    return [{ name: 'gateway', pid: this.gateway.child.pid! }, ...this.parties.map((p) => ({ name: p.id, pid: p.proc.child.pid! }))];
  }

  snapshot(): Map<string, ProcessStats> {
    const out = new Map<string, ProcessStats>();
    const busy = machineBusyMs();
    if (busy !== null) out.set('machine', { name: 'machine', pid: 0, cpuMs: busy, peakRssMiB: null });
    for (const p of this.processes()) {
      const s = procStats(p.pid);
      if (s) out.set(p.name, { name: p.name, pid: p.pid, ...s });
    }
    const self = process.cpuUsage();
    out.set('bench client', {
      name: 'bench client',
      pid: process.pid,
      cpuMs: (self.user + self.system) / 1000,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
    });
    return out;
  }

  async stop(): Promise<void> {
    for (const c of this.clients) c.destroy();
    this.keepLogs();
    await stopCluster([this.gateway, ...this.parties.map((p) => p.proc)], this.dataDir);
  }
}

export type KeyHandle = { keyId: string; key: KeyObject };

function tags(cfg: Config, n: number): { TagKey: string; TagValue: string }[] {
  // Default tags give 2-of-3 on the first three parties; anything else is asked for explicitly.
  return cfg.t === 2 && cfg.n === 3 && n === 3
    ? []
    : [
        { TagKey: 'tutti:threshold', TagValue: String(cfg.t) },
        { TagKey: 'tutti:parties', TagValue: String(cfg.n) },
      ];
}

/** CreateKey one key, then more up to `count` while less than `maxMs` has passed. */
export async function createKeys(
  cluster: BenchCluster,
  spec: BenchSpec,
  cfg: Config,
  count: number,
  maxMs: number,
): Promise<{ latency: Summary; keys: KeyHandle[] }> {
  const kms = cluster.client();
  const keys: KeyHandle[] = [];
  const samples: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < count && (i === 0 || performance.now() - t0 < maxMs); i++) {
    const a = performance.now();
    const out = await kms.send(
      new CreateKeyCommand({ KeySpec: spec.keySpec as KeySpec, KeyUsage: 'SIGN_VERIFY', Description: 'bench', Tags: tags(cfg, cluster.n) }),
    );
    samples.push(performance.now() - a);
    if (out.KeyMetadata?.KeyState !== 'Enabled') throw new Error(`CreateKey ${spec.keySpec}: state ${out.KeyMetadata?.KeyState}`);
    const keyId = out.KeyMetadata.KeyId!;
    const pub = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
    keys.push({ keyId, key: createPublicKey({ key: Buffer.from(pub.PublicKey!), format: 'der', type: 'spki' }) });
  }
  return { latency: summarize(samples), keys };
}

/**
 * Every signature the service returned to this process (warm-up and drained requests included)
 * and what node:crypto said about it. The run records the difference per row, so a reader (and
 * the smoke test) can see that every returned signature was checked and accepted.
 */
export const signatureChecks = { returned: 0, verified: 0, rejected: 0 };
export type SignatureChecks = typeof signatureChecks;

export function checksSince(before: SignatureChecks): SignatureChecks {
  return {
    returned: signatureChecks.returned - before.returned,
    verified: signatureChecks.verified - before.verified,
    rejected: signatureChecks.rejected - before.rejected,
  };
}

/** One Sign through the SDK; returns its latency (ms). Throws if node:crypto rejects the signature. */
export async function signOnce(kms: KMSClient, spec: BenchSpec, key: KeyHandle): Promise<number> {
  const message = new Uint8Array(randomBytes(MESSAGE_BYTES));
  const a = performance.now();
  const out = await kms.send(
    new SignCommand({ KeyId: key.keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: spec.signingAlgorithm as SigningAlgorithmSpec }),
  );
  const dt = performance.now() - a;
  signatureChecks.returned++;
  const ok = out.Signature !== undefined && verify(spec.verifyDigest, message, key.key, out.Signature);
  if (!ok) {
    signatureChecks.rejected++;
    throw new Error(`${spec.keySpec}: node:crypto rejected a signature from the service`);
  }
  signatureChecks.verified++;
  return dt;
}

/** Cores kept busy by processes other than the cluster and this benchmark between two snapshots. */
export function otherCores(before: Map<string, ProcessStats>, after: Map<string, ProcessStats>, ms: number): number | undefined {
  const m0 = before.get('machine'),
    m1 = after.get('machine');
  if (!m0 || !m1) return undefined;
  let ours = 0;
  for (const [name, a] of after) if (name !== 'machine' && before.has(name)) ours += a.cpuMs - before.get(name)!.cpuMs;
  return Math.max(0, (m1.cpuMs - m0.cpuMs - ours) / ms);
}

/**
 * On a shared machine: waits (at most `maxWaitMs`) until processes other than the cluster and this
 * benchmark keep fewer than `cores` cores busy, measured over 1 s. Returns what it last measured.
 */
export async function waitQuiet(cluster: BenchCluster, cores: number, maxWaitMs: number): Promise<number | undefined> {
  const deadline = performance.now() + maxWaitMs;
  let noise: number | undefined;
  do {
    const before = cluster.snapshot();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 1000));
    noise = otherCores(before, cluster.snapshot(), performance.now() - t0);
    if (noise === undefined || noise < cores) return noise;
  } while (performance.now() < deadline);
  return noise;
}

/** waitQuiet for measurements without a cluster: everything but this process counts as other. */
export async function waitQuietAlone(cores: number, maxWaitMs: number): Promise<number | undefined> {
  const self = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const deadline = performance.now() + maxWaitMs;
  let noise: number | undefined;
  do {
    const m0 = machineBusyMs(),
      s0 = self(),
      t0 = performance.now();
    await new Promise((r) => setTimeout(r, 1000));
    const m1 = machineBusyMs();
    if (m0 === null || m1 === null) return undefined;
    noise = Math.max(0, (m1 - m0 - (self() - s0)) / (performance.now() - t0));
    if (noise < cores) return noise;
  } while (performance.now() < deadline);
  return noise;
}

/** Sign latency with one client. A failed request is counted (and its time left out), not fatal. */
export async function signLatency(
  cluster: BenchCluster,
  spec: BenchSpec,
  key: KeyHandle,
  loop: Loop,
): Promise<{ latency: Summary; otherCores?: number; errors: number; firstError?: string }> {
  const kms = cluster.client();
  const before = cluster.snapshot();
  const t0 = performance.now();
  let errors = 0;
  let firstError: string | undefined;
  const samples = await timeAsync(loop, async () => {
    try {
      return await signOnce(kms, spec, key);
    } catch (e) {
      errors++;
      firstError ??= (e as Error).message;
      return NaN;
    }
  });
  const noise = otherCores(before, cluster.snapshot(), performance.now() - t0);
  return {
    latency: summarize(samples.filter((x) => !Number.isNaN(x))),
    errors,
    ...(firstError ? { firstError } : {}),
    ...(noise !== undefined ? { otherCores: noise } : {}),
  };
}

/** The gateway's DKLs23 presignature stock over all keys (its tutti_presign_stock gauge). */
export async function presignStock(cluster: BenchCluster): Promise<number> {
  const text = await (await fetch(`${cluster.endpoint}/metrics`)).text();
  const m = /^tutti_presign_stock(?:\{[^}]*\})? (\S+)$/m.exec(text);
  return m ? Number(m[1]) : 0;
}

/**
 * Sign latency with a warm presignature stock (issue 17's "p50 with a warm stock"): one Sign starts
 * the key's refill, the stock is left to fill until it stops growing, then each measured Sign waits
 * until the stock is back at that level before it goes. So every measured Sign takes the one-round
 * path with no refill running beside it: this is the latency of a caller whose signing rate the
 * refill keeps up with, not the throughput (the `throughput` rows measure that, refills included).
 * Returns undefined when the gateway keeps no stock (TUTTI_PRESIGN_STOCK=0, or an EdDSA key).
 */
export async function signLatencyWarm(
  cluster: BenchCluster,
  spec: BenchSpec,
  key: KeyHandle,
  count: number,
): Promise<{ latency: Summary; full: number; errors: number; firstError?: string } | undefined> {
  const kms = cluster.client();
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const base = await presignStock(cluster);
  await signOnce(kms, spec, key);
  let full = await presignStock(cluster);
  // Full: no change for 3 s (a quiet machine fills a 16-record stock in well under a second).
  for (let still = 0, end = performance.now() + 60_000; still < 30 && performance.now() < end;) {
    await sleep(100);
    const now = await presignStock(cluster);
    still = now === full ? still + 1 : 0;
    full = now;
  }
  // No stock at all: presignatures are off (TUTTI_PRESIGN_STOCK=0) or never filled. A stock that
  // was already full before this call (full === base) is warm all the same.
  if (full === 0 || full < base) return undefined;
  const samples: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  for (let i = 0; i < count; i++) {
    for (const end = performance.now() + 10_000; (await presignStock(cluster)) < full && performance.now() < end;) await sleep(10);
    try {
      samples.push(await signOnce(kms, spec, key));
    } catch (e) {
      errors++;
      firstError ??= (e as Error).message;
    }
  }
  return { latency: summarize(samples), full, errors, ...(firstError ? { firstError } : {}) };
}

export type Throughput = {
  clients: number;
  windowMs: number;
  signatures: number;
  perSecond: number;
  errors: number;
  firstError?: string;
  latency: Summary;
  cpuMsPerSignature: Record<string, number>;
  /** Cores that processes other than the cluster and this benchmark kept busy during the window (noise). */
  otherCores?: number;
};

export type ThroughputBudget = {
  /** Warm up at least this long (and, with `warmupAll`, until every client has finished one request). */
  warmupMs: number;
  warmupAll: boolean;
  /** Measure at least this long, and until at least `minPerClient` × clients signatures completed... */
  durationMs: number;
  minPerClient: number;
  /** ...but never longer than this (warm-up and window each). */
  maxMs: number;
};

/**
 * `clients` callers, each with its own SDK client, sign back to back, first to warm up, then for
 * the measured window. Throughput counts the signatures that completed inside the window;
 * requests still in flight at its end are awaited but not counted. CPU per signature is each
 * process's CPU time over the window divided by the signatures counted.
 */
export function throughput(cluster: BenchCluster, spec: BenchSpec, key: KeyHandle, clients: number, b: ThroughputBudget): Promise<Throughput> {
  return load(cluster, clients, b, (kms) => signOnce(kms, spec, key));
}

/**
 * The API floor: DescribeKey goes through everything a Sign goes through in the gateway and the
 * SDK (HTTP, SigV4, the ajv request schema, JSON, a key lookup in keys.db) but contacts no party.
 */
export function apiFloor(cluster: BenchCluster, keyId: string, clients: number, b: ThroughputBudget): Promise<Throughput> {
  return load(cluster, clients, b, async (kms) => {
    const a = performance.now();
    const out = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    const dt = performance.now() - a;
    if (out.KeyMetadata?.KeyId !== keyId) throw new Error('DescribeKey returned another key');
    return dt;
  });
}

async function load(cluster: BenchCluster, clients: number, b: ThroughputBudget, op: (kms: KMSClient) => Promise<number>): Promise<Throughput> {
  const sdk = Array.from({ length: clients }, () => cluster.client());
  const latencies: number[] = [];
  const warmedUp = new Array<boolean>(clients).fill(false);
  let errors = 0;
  let firstError: string | undefined;
  let phase: 'warmup' | 'window' | 'drain' = 'warmup';
  let counted = 0;
  const workers = Promise.all(
    sdk.map(async (kms, k) => {
      while (phase !== 'drain') {
        try {
          const dt = await op(kms);
          warmedUp[k] = true;
          if (phase === 'window') {
            counted++;
            latencies.push(dt);
          }
        } catch (e) {
          errors++;
          firstError ??= (e as Error).message;
          warmedUp[k] = true;
        }
      }
    }),
  );
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const w0 = performance.now();
  while (performance.now() - w0 < b.maxMs && (performance.now() - w0 < b.warmupMs || (b.warmupAll && !warmedUp.every(Boolean)))) await sleep(10);
  const before = cluster.snapshot();
  const windowStart = performance.now();
  phase = 'window';
  while (performance.now() - windowStart < b.maxMs && (performance.now() - windowStart < b.durationMs || counted < b.minPerClient * clients)) await sleep(10);
  phase = 'drain';
  const windowMs = performance.now() - windowStart;
  const signatures = counted;
  const after = cluster.snapshot();
  await workers;
  const cpuMsPerSignature: Record<string, number> = {};
  for (const [name, a] of after) {
    const bf = before.get(name);
    if (bf && name !== 'machine' && signatures > 0) cpuMsPerSignature[name] = (a.cpuMs - bf.cpuMs) / signatures;
  }
  const noise = otherCores(before, after, windowMs);
  return {
    clients,
    windowMs,
    signatures,
    perSecond: (signatures * 1000) / windowMs,
    errors,
    ...(firstError ? { firstError } : {}),
    latency: summarize(latencies.slice(0, signatures)),
    cpuMsPerSignature,
    ...(noise !== undefined ? { otherCores: noise } : {}),
  };
}
