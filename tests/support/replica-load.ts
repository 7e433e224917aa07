// The load-and-faults run across gateway replicas (issue 14 item 5; docs/reliability.md): N mixed
// operations (CreateKey, Sign on every key spec, alias and tag changes, key deletion) from
// concurrent clients spread over the gateways, while one gateway and one party are killed (kill -9)
// and restarted at random points. A client retries a failed call on the other gateway, as an SDK
// behind a load balancer would; every failed attempt is classified the way the AWS SDK's standard
// retry strategy classifies it (throttling or transient: 5xx, connection reset/refused).
// At the end: every key whose CreateKey was answered still exists (0 lost keys) and every
// signature answered verifies under an independent verifier, node:crypto (0 wrong signatures).
import { createPublicKey, randomBytes, verify as nodeVerify } from 'node:crypto';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  GetPublicKeyCommand,
  type KMSClient,
  ScheduleKeyDeletionCommand,
  SignCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAliasCommand,
} from '@aws-sdk/client-kms';
import { KEY_SPECS } from '../../services/coordinator/key-specs.ts';
import type { ReplicaCluster } from './replica-cluster.ts';

export type LoadCounts = {
  operations: number;
  succeeded: number;
  /** Operations that never succeeded within their attempts. */
  gaveUp: number;
  byOperation: Record<string, number>;
  failedAttempts: number;
  /** Calls on a key another client had just scheduled for deletion (KMSInvalidStateException, the right answer). */
  answeredPendingDeletion: number;
  /** Failed attempts the AWS SDK's standard retry strategy would retry. */
  failedRetryable: number;
  /** Failed attempts it would not retry (the goal: 0). */
  failedNotRetryable: number;
  failuresByError: Record<string, number>;
  notRetryableSamples: string[];
  keysCreated: number;
  keysLost: number;
  signatures: number;
  wrongSignatures: number;
  signaturesBySpec: Record<string, number>;
  gatewayKills: number;
  partyKills: number;
  durationMs: number;
};

const THROTTLING = new Set(['ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded', 'LimitExceededException', 'Throttling']);
const NODE_TRANSIENT = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** Whether the AWS SDK's standard retry strategy retries this error (@smithy service-error-classification). */
export function sdkRetries(e: unknown, depth = 0): boolean {
  const err = e as { name?: string; code?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number }; cause?: unknown } | undefined;
  if (!err || err.name === 'AbortError') return false;
  if (err.$retryable !== undefined || THROTTLING.has(err.name ?? '') || err.$metadata?.httpStatusCode === 429) return true;
  if (['TimeoutError', 'RequestTimeout', 'RequestTimeoutException'].includes(err.name ?? '')) return true;
  if (NODE_TRANSIENT.has(err.code ?? '')) return true;
  // Under jest (vm contexts) a Node network error is of another realm than the SDK's Error, and the
  // SDK wraps it as "AWS SDK error wrapper for Error: connect ECONNREFUSED …", losing its code.
  // Outside jest (scripts/replica-load.ts) the code is kept and the checks above apply.
  if (/^AWS SDK error wrapper for .*(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|socket hang up)/.test((e as Error).message ?? '')) return true;
  if ([500, 502, 503, 504].includes(err.$metadata?.httpStatusCode ?? 0)) return true;
  return err.cause !== undefined && depth < 10 && sdkRetries(err.cause, depth + 1);
}

/** A small seeded PRNG (mulberry32), so a run can be repeated. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type LiveKey = {
  keyId: string;
  spec: string;
  spki: Buffer;
  pendingDeletion: boolean;
  /** A ScheduleKeyDeletion that never got an answer: the key may be in either state. */
  deletionUnknown?: boolean;
  base: boolean;
};

const SIGN: Record<string, { algorithm: string; verify: (spki: Buffer, msg: Uint8Array, sig: Uint8Array) => boolean }> = Object.fromEntries(
  Object.values(KEY_SPECS).map((s) => {
    const key = (spki: Buffer) => createPublicKey({ key: spki, format: 'der', type: 'spki' });
    return [
      s.keySpec,
      s.scheme === 'eddsa'
        ? { algorithm: s.signingAlgorithms[0]!, verify: (spki, msg, sig) => nodeVerify(null, msg, key(spki), sig) }
        : { algorithm: 'ECDSA_SHA_256', verify: (spki, msg, sig) => nodeVerify('sha256', msg, { key: key(spki), dsaEncoding: 'der' }, sig) },
    ];
  }),
);

export async function runReplicaLoad(
  cluster: ReplicaCluster,
  o: { operations?: number; concurrency?: number; seed?: number; log?: (line: string) => void } = {},
): Promise<LoadCounts> {
  const total = o.operations ?? 1000;
  const random = prng(o.seed ?? 14);
  const log = o.log ?? (() => {});
  const gateways = cluster.ports.length;
  const clients = Array.from({ length: gateways }, (_, i) => cluster.client(i));
  const counts: LoadCounts = {
    operations: 0,
    succeeded: 0,
    gaveUp: 0,
    byOperation: {},
    failedAttempts: 0,
    answeredPendingDeletion: 0,
    failedRetryable: 0,
    failedNotRetryable: 0,
    failuresByError: {},
    notRetryableSamples: [],
    keysCreated: 0,
    keysLost: 0,
    signatures: 0,
    wrongSignatures: 0,
    signaturesBySpec: {},
    gatewayKills: 0,
    partyKills: 0,
    durationMs: 0,
  };
  const started = Date.now();
  const keys: LiveKey[] = [];
  const aliases = new Map<string, string>(); // name → key id
  let aliasCounter = 0;
  const pick = <T>(xs: T[]): T | undefined => (xs.length ? xs[Math.floor(random() * xs.length)] : undefined);
  const usable = () => keys.filter((k) => !k.pendingDeletion);

  /**
   * Runs one operation: attempts on a random gateway, then the others in turn, with backoff.
   * `attempt` gets the client and whether an earlier attempt failed (its outcome is unknown then).
   */
  async function op<T>(name: string, attempt: (kms: KMSClient, retried: boolean) => Promise<T>, maxAttempts = 12): Promise<T | undefined> {
    counts.operations++;
    counts.byOperation[name] = (counts.byOperation[name] ?? 0) + 1;
    let g = Math.floor(random() * gateways);
    for (let i = 0; i < maxAttempts; i++) {
      try {
        const out = await attempt(clients[g]!, i > 0);
        counts.succeeded++;
        return out;
      } catch (e) {
        const err = e as { name?: string; code?: string; message?: string };
        // Another client scheduled this key's deletion while the call was in flight or being
        // retried: KMSInvalidStateException is the right answer, not a fault.
        if (err.name === 'KMSInvalidStateException' && keys.some((k) => k.pendingDeletion && err.message?.includes(k.keyId))) {
          counts.answeredPendingDeletion++;
          counts.succeeded++;
          return undefined;
        }
        counts.failedAttempts++;
        const label = `${name}: ${err.name ?? 'Error'}${err.code ? ` (${err.code})` : ''}`;
        counts.failuresByError[label] = (counts.failuresByError[label] ?? 0) + 1;
        if (sdkRetries(e)) counts.failedRetryable++;
        else {
          // Neither would an SDK retry it: the operation failed for good.
          counts.failedNotRetryable++;
          if (counts.notRetryableSamples.length < 20) counts.notRetryableSamples.push(`${label}: ${err.message ?? ''}`);
          counts.gaveUp++;
          return undefined;
        }
        g = (g + 1) % gateways;
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** i)));
      }
    }
    counts.gaveUp++;
    return undefined;
  }

  async function createKey(spec: string, base: boolean): Promise<void> {
    const k = await op(
      'CreateKey',
      async (kms) => {
        const created = await kms.send(new CreateKeyCommand({ KeySpec: spec as 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', Description: 'replica load' }));
        const keyId = created.KeyMetadata!.KeyId!;
        const spki = Buffer.from((await kms.send(new GetPublicKeyCommand({ KeyId: keyId }))).PublicKey!);
        return { keyId, spec, spki, pendingDeletion: false, base };
      },
      // Key generation needs every party: while one is down (the party fault lasts ~10% of the
      // run) it fails with KeyUnavailableException, retried here for up to ~2 minutes.
      70,
    );
    if (k) {
      keys.push(k);
      counts.keysCreated++;
    }
  }

  async function sign(): Promise<void> {
    const k = pick(usable());
    if (!k) return;
    // 40 bytes: not 32, which the default signing policy refuses to sign RAW under ECDSA_SHA_256 on
    // secp256k1 (it would be a Bitcoin sighash, docs/policies.md invariant I-2).
    const message = randomBytes(40);
    const { algorithm, verify } = SIGN[k.spec]!;
    const signature = await op(`Sign ${k.spec}`, async (kms) => {
      try {
        const out = await kms.send(new SignCommand({ KeyId: k.keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: algorithm as 'ECDSA_SHA_256' }));
        return out.Signature!;
      } catch (e) {
        // Another client scheduled the key's deletion while this Sign was being retried: the
        // right answer, not a fault.
        if (k.pendingDeletion && (e as Error).name === 'KMSInvalidStateException') return undefined;
        throw e;
      }
    });
    if (!signature) return;
    counts.signatures++;
    counts.signaturesBySpec[k.spec] = (counts.signaturesBySpec[k.spec] ?? 0) + 1;
    if (!verify(k.spki, message, signature)) counts.wrongSignatures++;
  }

  async function createAlias(): Promise<void> {
    const k = pick(usable());
    if (!k) return;
    const name = `alias/load-${++aliasCounter}`;
    const ok = await op('CreateAlias', async (kms, retried) => {
      try {
        await kms.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: k.keyId }));
      } catch (e) {
        // An earlier attempt whose answer was lost (its gateway died) may have created it.
        if (retried && (e as Error).name === 'AlreadyExistsException') {
          const target = (await kms.send(new DescribeKeyCommand({ KeyId: name }))).KeyMetadata?.KeyId;
          if (target === k.keyId) return true;
        }
        throw e;
      }
      return true;
    });
    if (ok) aliases.set(name, k.keyId);
  }

  async function updateAlias(): Promise<void> {
    const name = pick([...aliases.keys()]);
    const k = pick(usable());
    if (!name || !k) return;
    const ok = await op('UpdateAlias', async (kms) => {
      try {
        await kms.send(new UpdateAliasCommand({ AliasName: name, TargetKeyId: k.keyId }));
        return true;
      } catch (e) {
        // Another client deleted the alias meanwhile: NotFoundException is the right answer.
        if ((e as Error).name === 'NotFoundException' && !aliases.has(name)) return false;
        throw e;
      }
    });
    if (ok && aliases.has(name)) aliases.set(name, k.keyId);
  }

  async function deleteAlias(): Promise<void> {
    const name = pick([...aliases.keys()]);
    if (!name) return;
    aliases.delete(name); // no other worker picks it meanwhile
    await op('DeleteAlias', async (kms, retried) => {
      try {
        await kms.send(new DeleteAliasCommand({ AliasName: name }));
      } catch (e) {
        if (retried && (e as Error).name === 'NotFoundException') return true;
        throw e;
      }
      return true;
    });
  }

  async function tags(): Promise<void> {
    const k = pick(usable());
    if (!k) return;
    const tagKey = `t${Math.floor(random() * 5)}`;
    if (random() < 0.6) await op('TagResource', (kms) => kms.send(new TagResourceCommand({ KeyId: k.keyId, Tags: [{ TagKey: tagKey, TagValue: 'v' }] })));
    else await op('UntagResource', (kms) => kms.send(new UntagResourceCommand({ KeyId: k.keyId, TagKeys: [tagKey] })));
  }

  async function scheduleDeletion(): Promise<void> {
    const k = pick(usable().filter((x) => !x.base));
    if (!k) return;
    k.pendingDeletion = true; // no new signatures or aliases meanwhile
    for (const [name, target] of aliases) if (target === k.keyId) aliases.delete(name);
    const done = await op('ScheduleKeyDeletion', async (kms, retried) => {
      try {
        await kms.send(new ScheduleKeyDeletionCommand({ KeyId: k.keyId, PendingWindowInDays: 7 }));
      } catch (e) {
        if (retried && (e as Error).name === 'KMSInvalidStateException') {
          const state = (await kms.send(new DescribeKeyCommand({ KeyId: k.keyId }))).KeyMetadata?.KeyState;
          if (state === 'PendingDeletion') return true;
        }
        throw e;
      }
      return true;
    });
    if (!done) k.deletionUnknown = true;
  }

  // One key of every spec first (they stay: every spec is signed with throughout the run).
  for (const spec of Object.keys(KEY_SPECS)) await createKey(spec, true);
  log(`replica load: base keys ${keys.map((k) => k.spec).join(', ')}`);

  // The faults: one gateway and one party, each killed at a random point and restarted 10 % of the
  // run (by operations started) or 20 s later, whichever comes first.
  const gatewayAt = Math.floor(total * (0.15 + random() * 0.2));
  const partyAt = Math.floor(total * (0.5 + random() * 0.2));
  const victimGateway = Math.floor(random() * gateways);
  const victimParty = pick(cluster.config.parties.map((p) => p.partyId))!;
  const faults: Promise<void>[] = [];
  let next = 0;
  const onStart = (i: number) => {
    if (i === gatewayAt) {
      faults.push(
        (async () => {
          log(`replica load: kill -9 gateway ${victimGateway} at operation ${i}`);
          await cluster.killGateway(victimGateway);
          counts.gatewayKills++;
          await waitForOps(i + Math.floor(total * 0.1));
          await cluster.startGateway(victimGateway);
          log(`replica load: gateway ${victimGateway} restarted at operation ${next}`);
        })(),
      );
    }
    if (i === partyAt) {
      faults.push(
        (async () => {
          log(`replica load: kill -9 ${victimParty} at operation ${i}`);
          await cluster.killParty(victimParty);
          counts.partyKills++;
          await waitForOps(i + Math.floor(total * 0.1));
          await cluster.startParty(victimParty);
          log(`replica load: ${victimParty} restarted at operation ${next}`);
        })(),
      );
    }
  };
  /**
   * Until `n` operations have started, or 20 s passed: while a party is down every CreateKey is
   * retried, and clients stuck in those retries start no new operations.
   */
  async function waitForOps(n: number): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (next < n && next < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  }

  const remaining = total - counts.operations;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= remaining) return;
      onStart(i);
      const r = random();
      if (r < 0.55) await sign();
      else if (r < 0.63) await (usable().length < 40 ? createKey('ECC_NIST_EDWARDS25519', false) : sign());
      else if (r < 0.73) await createAlias();
      else if (r < 0.78) await updateAlias();
      else if (r < 0.83) await deleteAlias();
      else if (r < 0.95) await tags();
      else await scheduleDeletion();
      if ((i + 1) % 100 === 0) log(`replica load: ${i + 1} operations started, ${counts.failedAttempts} failed attempts so far`);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency ?? 6 }, worker));
  await Promise.all(faults);

  // No key lost: every key whose creation was answered is still there, in the state we left it.
  // (Not counted as operations; read through every gateway in turn until one answers.)
  for (const [i, k] of keys.entries()) {
    let state: string | undefined;
    for (let attempt = 0; attempt < 20 && state === undefined; attempt++) {
      try {
        state = (await clients[(i + attempt) % gateways]!.send(new DescribeKeyCommand({ KeyId: k.keyId }))).KeyMetadata?.KeyState ?? 'none';
      } catch (e) {
        if ((e as Error).name === 'NotFoundException') state = 'none';
        else await new Promise((r) => setTimeout(r, 500));
      }
    }
    const expected = k.deletionUnknown ? ['Enabled', 'PendingDeletion'] : [k.pendingDeletion ? 'PendingDeletion' : 'Enabled'];
    if (!expected.includes(state ?? 'none')) counts.keysLost++;
  }
  counts.durationMs = Date.now() - started;
  for (const c of clients) c.destroy();
  return counts;
}
