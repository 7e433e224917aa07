// Files a node keeps in its data folder, and the environment variables the README documents.
import { join } from 'node:path';
import { isPrincipalArn } from '../../policies/aws-key-policy.ts';
import type { PublicIdentity } from '../transport/identity.ts';
import type { CoordinatorPin } from '../transport/coordinator-identity.ts';

/**
 * One principal of the KMS API: a SigV4 access key pair and the IAM ARN requests signed with it act
 * as (what key policies name, e.g. `arn:aws:iam::111122223333:user/alice`). The account in the ARN
 * is the caller's account (`kms:CallerAccount`).
 */
export type Credential = { accessKeyId: string; secretAccessKey: string; principal: string };

export type GatewayConfig = {
  region: string;
  accountId: string;
  coordinatorId: string;
  credentials: Credential[];
  /** Every party the coordinator accepts, with its identity keys. */
  parties: PublicIdentity[];
};

/** `coordinator`: the gateway's pinned identity (coordinator-identity.ts); a party refuses to start without it. */
export type PeersConfig = { coordinator: CoordinatorPin; peers: PublicIdentity[] };

export const paths = {
  gatewayDir: (data: string) => join(data, 'gateway'),
  gatewayConfig: (data: string) => join(data, 'gateway', 'config.json'),
  keysDb: (gatewayDir: string) => join(gatewayDir, 'keys.db'),
  /** The operator's token for the gateway's admin calls (`cli.ts refresh`), created at the gateway's first start. */
  adminToken: (gatewayDir: string) => join(gatewayDir, 'admin.token'),
  /** The gateway's Ed25519 identity (0600), created at first start; parties pin its public half. */
  coordinatorIdentity: (gatewayDir: string) => join(gatewayDir, 'coordinator-identity.json'),
  partyDir: (data: string, partyId: string) => join(data, partyId),
  identity: (partyDir: string) => join(partyDir, 'identity.json'),
  peers: (partyDir: string) => join(partyDir, 'peers.json'),
  sharesDb: (partyDir: string) => join(partyDir, 'shares.db'),
};

/**
 * Extra principals for a local cluster, from `TUTTI_CREDENTIALS`: a JSON array of
 * `{"accessKeyId", "secretAccessKey", "principal"}`, where `principal` is an IAM ARN
 * (`arn:aws:iam::<account>:user/<name>`, any account) or a bare user name of the cluster's account.
 * They are added to the gateway's config.json next to the dev credential.
 */
export function parseCredentialsEnv(text: string | undefined, accountId: string): Credential[] {
  if (text === undefined || text.trim() === '') return [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`TUTTI_CREDENTIALS is not JSON (${(e as Error).message}); expected [{"accessKeyId":"…","secretAccessKey":"…","principal":"alice"}]`, {
      cause: e,
    });
  }
  if (!Array.isArray(raw)) throw new Error('TUTTI_CREDENTIALS must be a JSON array of {accessKeyId, secretAccessKey, principal}');
  const creds = raw.map((c: unknown, i) => {
    const o = c as Partial<Credential> | null;
    if (!o || typeof o.accessKeyId !== 'string' || typeof o.secretAccessKey !== 'string' || typeof o.principal !== 'string') {
      throw new Error(`TUTTI_CREDENTIALS[${i}] must have string accessKeyId, secretAccessKey and principal`);
    }
    const principal = o.principal.startsWith('arn:') ? o.principal : `arn:aws:iam::${accountId}:user/${o.principal}`;
    return { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey, principal };
  });
  checkCredentials(creds);
  return creds;
}

/** Access key ids are unique, secrets non-empty, principals IAM ARNs with an account. */
export function checkCredentials(creds: Credential[]): void {
  if (creds.length === 0) throw new Error('no credentials configured: the KMS API would accept no request');
  const seen = new Set<string>();
  for (const c of creds) {
    if (!/^[A-Z0-9]{16,128}$/.test(c.accessKeyId)) throw new Error(`access key id '${c.accessKeyId}' must be 16–128 characters A-Z, 0-9`);
    if (seen.has(c.accessKeyId)) throw new Error(`access key id ${c.accessKeyId} is configured twice`);
    seen.add(c.accessKeyId);
    if (!c.secretAccessKey) throw new Error(`access key id ${c.accessKeyId} has an empty secret`);
    if (!isPrincipalArn(c.principal))
      throw new Error(`principal '${c.principal}' of ${c.accessKeyId} is not an IAM ARN such as arn:aws:iam::111122223333:user/alice`);
  }
}

/** Environment variables, with their defaults (README "Configuration"). */
export function envSettings(env: NodeJS.ProcessEnv = process.env) {
  const accountId = env.TUTTI_ACCOUNT_ID ?? '111122223333';
  return {
    dataDir: env.TUTTI_DATA_DIR ?? '.tutti',
    host: env.TUTTI_HOST ?? '127.0.0.1',
    port: Number(env.TUTTI_PORT ?? 4599),
    region: env.TUTTI_REGION ?? 'us-east-1',
    accountId,
    accessKeyId: env.TUTTI_ACCESS_KEY_ID,
    secretAccessKey: env.TUTTI_SECRET_ACCESS_KEY,
    /** More principals besides the dev credential (see parseCredentialsEnv). */
    credentials: parseCredentialsEnv(env.TUTTI_CREDENTIALS, accountId),
    parties: Number(env.TUTTI_PARTIES ?? 3),
    roundTimeoutMs: Number(env.TUTTI_ROUND_TIMEOUT_MS ?? 5000),
    /** How often the gateway deletes keys whose deletion date passed and resends unconfirmed share deletions. */
    sweepIntervalMs: Number(env.TUTTI_SWEEP_INTERVAL_MS ?? 60_000),
    partyMetricsPort: env.TUTTI_PARTY_METRICS_PORT === undefined ? undefined : Number(env.TUTTI_PARTY_METRICS_PORT),
    stall: env.TUTTI_TEST_STALL ? env.TUTTI_TEST_STALL.split(',') : undefined,
    tamper: env.TUTTI_TEST_TAMPER ? env.TUTTI_TEST_TAMPER.split(',') : undefined,
    /** Worker threads per party for DKLs23 sessions (default: the machine's parallelism, at most 4). */
    sessionWorkers: env.TUTTI_SESSION_WORKERS === undefined ? undefined : Number(env.TUTTI_SESSION_WORKERS),
    /** The round deadline of DKLs23 key generation, whose base-OT rounds take seconds of CPU per party. */
    dkgRoundTimeoutMs: Number(env.TUTTI_DKG_ROUND_TIMEOUT_MS ?? 30_000),
    /** How long CreateKey and Sign wait for an offline device party (docs/waas.md). */
    deviceWaitMs: Number(env.TUTTI_DEVICE_WAIT_MS ?? 10_000),
    /** Admission control at the coordinator: protocol sessions per party at once (0 = no limit). */
    maxSessionsPerParty: Number(env.TUTTI_MAX_SESSIONS_PER_PARTY ?? 32),
    /**
     * A party's own waiting period between receiving a signed deletion record and deleting its share
     * (default: the key's deletion window, at least 7 days; docs/security.md "Deleting a key").
     */
    deletionWaitMs: env.TUTTI_DELETION_WAIT_MS === undefined ? undefined : Number(env.TUTTI_DELETION_WAIT_MS),
    /**
     * How long a party keeps a protocol session it has not finished (default 60 s): a DKLs23 DKG or
     * reshare of many parties on a loaded host can need more (docs/operations.md "Changing a key's quorum").
     */
    sessionTtlMs: env.TUTTI_SESSION_TTL_MS === undefined ? undefined : Number(env.TUTTI_SESSION_TTL_MS),
    /** The gateway's certificate (chain) and key, PEM files: HTTPS and wss:// (required off loopback; tls-config.ts). */
    tlsCert: env.TUTTI_TLS_CERT || undefined,
    tlsKey: env.TUTTI_TLS_KEY || undefined,
    /** For a party: the CA bundle (PEM file) the gateway's certificate must chain to (default: the system's). */
    tlsCa: env.TUTTI_TLS_CA || undefined,
    /** text (default) or json: one JSON object per line, with request ids (log.ts). */
    logFormat: env.TUTTI_LOG_FORMAT,
    /** How long a stopping gateway or party lets requests and sessions in flight finish (default 10 s). */
    shutdownGraceMs: Number(env.TUTTI_SHUTDOWN_GRACE_MS ?? 10_000),
  };
}
