// Files a node keeps in its data folder, and the environment variables the README documents.
import { join } from 'node:path';
import type { PublicIdentity } from '../transport/identity.ts';

export type Credential = { accessKeyId: string; secretAccessKey: string; principal: string };

export type GatewayConfig = {
  region: string;
  accountId: string;
  coordinatorId: string;
  credentials: Credential[];
  /** Every party the coordinator accepts, with its identity keys. */
  parties: PublicIdentity[];
};

export type PeersConfig = { peers: PublicIdentity[] };

export const paths = {
  gatewayDir: (data: string) => join(data, 'gateway'),
  gatewayConfig: (data: string) => join(data, 'gateway', 'config.json'),
  keysDb: (gatewayDir: string) => join(gatewayDir, 'keys.db'),
  partyDir: (data: string, partyId: string) => join(data, partyId),
  identity: (partyDir: string) => join(partyDir, 'identity.json'),
  peers: (partyDir: string) => join(partyDir, 'peers.json'),
  sharesDb: (partyDir: string) => join(partyDir, 'shares.db'),
};

/** Environment variables, with their defaults (README "Configuration"). */
export function envSettings(env: NodeJS.ProcessEnv = process.env) {
  return {
    dataDir: env.TUTTI_DATA_DIR ?? '.tutti',
    host: env.TUTTI_HOST ?? '127.0.0.1',
    port: Number(env.TUTTI_PORT ?? 4599),
    region: env.TUTTI_REGION ?? 'us-east-1',
    accountId: env.TUTTI_ACCOUNT_ID ?? '111122223333',
    accessKeyId: env.TUTTI_ACCESS_KEY_ID,
    secretAccessKey: env.TUTTI_SECRET_ACCESS_KEY,
    parties: Number(env.TUTTI_PARTIES ?? 3),
    roundTimeoutMs: Number(env.TUTTI_ROUND_TIMEOUT_MS ?? 5000),
    partyMetricsPort: env.TUTTI_PARTY_METRICS_PORT === undefined ? undefined : Number(env.TUTTI_PARTY_METRICS_PORT),
    stall: env.TUTTI_TEST_STALL ? env.TUTTI_TEST_STALL.split(',') : undefined,
  };
}
