// Lays out a local cluster's data folder and starts its processes. Used by the `cluster`
// supervisor (npm start) and by the end-to-end tests, so tests start processes exactly the way a
// user does.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateIdentity, publicIdentity, type PublicIdentity } from '../transport/identity.ts';
import { writeSecretFile } from '../storage/secret-file.ts';
import { readPublicIdentityFile, writeIdentityFile } from '../storage/identity-file.ts';
import { loadMasterKey } from '../storage/master-key.ts';
import type { CoordinatorIdentity, CoordinatorPin } from '../transport/coordinator-identity.ts';
import {
  createCoordinatorIdentityFile,
  GATEWAY_MASTER_KEY_ENV,
  readCoordinatorIdentityFile,
  readCoordinatorPinFile,
} from '../storage/coordinator-identity-file.ts';
import { paths, type Credential, type GatewayConfig } from './config.ts';

export const CLI = resolve(dirname(fileURLToPath(import.meta.url)), 'cli.ts');

/** Defined by esbuild in the daemons' bundle (scripts/bundle-daemons.mjs): the bundled CLI, relative to the bundle's modules. */
declare const TUTTI_BUNDLED_CLI: string | undefined;

/**
 * Node's arguments that run the CLI in a child process: the CLI from source through tsx (npm
 * start), or a bundle of it — this process's own when it runs from one, else the one
 * `TUTTI_CLI_BUNDLE` names (the tests set it to the bundle their global setup made,
 * tests/support/global-setup.mjs). The bundle is the same code without tsx's load time (≈ 2 CPU-s
 * per process, docs/benchmarks.md "Test suite time").
 */
export function cliArgs(env: NodeJS.ProcessEnv = process.env): string[] {
  if (typeof TUTTI_BUNDLED_CLI === 'string') return [fileURLToPath(new URL(TUTTI_BUNDLED_CLI, import.meta.url))];
  if (env.TUTTI_CLI_BUNDLE) return [env.TUTTI_CLI_BUNDLE];
  return ['--import', 'tsx', CLI];
}

/**
 * Creates (or loads) a party's identity in its data folder and returns the public half. A new
 * identity is sealed under the party's master key (storage/identity-file.ts), loaded as the party
 * will load it: `TUTTI_MASTER_KEY` from `env`, else `master.key` in the folder (created if missing).
 */
export function initParty(partyDir: string, partyId: string, env: Record<string, string | undefined> = process.env): PublicIdentity {
  mkdirSync(partyDir, { recursive: true, mode: 0o700 });
  const file = paths.identity(partyDir);
  if (existsSync(file)) {
    const pub = readPublicIdentityFile(file);
    if (pub.partyId !== partyId) throw new Error(`${file} belongs to party '${pub.partyId}', not '${partyId}'`);
    return pub;
  }
  const id = generateIdentity(partyId);
  writeIdentityFile(file, id, loadMasterKey({ dataDir: partyDir, env }), { overwrite: false });
  return publicIdentity(id);
}

/**
 * Creates (or loads) the gateway's own identity in its data folder (paths.coordinatorIdentity,
 * 0600, sealed under the gateway's master key: TUTTI_GATEWAY_MASTER_KEY[_COMMAND] from `env`, else
 * `master.key` in the gateway folder) and returns it; an existing one must carry `coordinatorId`.
 */
export function initGateway(
  gatewayDir: string,
  coordinatorId: string,
  env: Record<string, string | undefined> = process.env,
  log?: (line: string) => void,
): CoordinatorIdentity {
  mkdirSync(gatewayDir, { recursive: true, mode: 0o700 });
  const file = paths.coordinatorIdentity(gatewayDir);
  const masterKey = loadMasterKey({ dataDir: gatewayDir, env, envName: GATEWAY_MASTER_KEY_ENV });
  if (existsSync(file)) {
    const { identity, migrated } = readCoordinatorIdentityFile(file, masterKey);
    if (identity.coordinatorId !== coordinatorId) throw new Error(`${file} belongs to coordinator '${identity.coordinatorId}', not '${coordinatorId}'`);
    if (migrated) log?.(`gateway: ${file} held its key in clear; it is now sealed under the gateway master key (same public key)`);
    return identity;
  }
  return createCoordinatorIdentityFile(file, coordinatorId, masterKey);
}

/** The gateway's pin from its folder without its master key, creating the identity if there is none. */
export function gatewayPin(gatewayDir: string, coordinatorId: string, env: Record<string, string | undefined> = process.env): CoordinatorPin {
  const file = paths.coordinatorIdentity(gatewayDir);
  if (existsSync(file)) {
    const pin = readCoordinatorPinFile(file);
    if (pin.coordinatorId !== coordinatorId) throw new Error(`${file} belongs to coordinator '${pin.coordinatorId}', not '${coordinatorId}'`);
    return pin;
  }
  return initGateway(gatewayDir, coordinatorId, env).pin;
}

/** The snippet a party's peers.json needs to pin this gateway. */
export function pinSnippet(pin: CoordinatorPin): string {
  return JSON.stringify({ coordinator: pin }, null, 2);
}

export type ClusterOptions = {
  dataDir: string;
  parties: number;
  region: string;
  accountId: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** More principals besides the dev credential; they replace those of an earlier run. */
  credentials?: Credential[];
};

/**
 * Prepares a data folder for a gateway and `parties` parties: identities, each party's allowlist
 * (all the others), and the gateway's config. Idempotent: an existing cluster keeps its keys.
 */
export function prepareCluster(o: ClusterOptions): GatewayConfig {
  const ids = Array.from({ length: o.parties }, (_, i) => `party-${i + 1}`);
  const identities = ids.map((id) => initParty(paths.partyDir(o.dataDir, id), id));
  const file = paths.gatewayConfig(o.dataDir);
  const previous: GatewayConfig | undefined = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as GatewayConfig) : undefined;
  const coordinatorId = previous?.coordinatorId ?? 'coordinator-' + randomBytes(4).toString('hex');
  // The gateway's key, pinned by every party beside its peers (docs/security.md "How a party knows its coordinator").
  const gateway = { pin: gatewayPin(paths.gatewayDir(o.dataDir), coordinatorId) };
  for (const id of ids) {
    writeFileSync(paths.peers(paths.partyDir(o.dataDir, id)), JSON.stringify({ coordinator: gateway.pin, peers: identities }, null, 2) + '\n');
  }
  const dev: Credential = previous?.credentials[0] ?? {
    accessKeyId: 'AKIATUTTI' + randomBytes(6).toString('hex').toUpperCase().slice(0, 11),
    secretAccessKey: randomBytes(30).toString('base64url').slice(0, 40),
    principal: `arn:aws:iam::${o.accountId}:user/tutti-dev`,
  };
  const credential: Credential = {
    accessKeyId: o.accessKeyId ?? dev.accessKeyId,
    secretAccessKey: o.secretAccessKey ?? dev.secretAccessKey,
    principal: `arn:aws:iam::${o.accountId}:user/tutti-dev`,
  };
  const config: GatewayConfig = {
    region: o.region,
    accountId: o.accountId,
    coordinatorId,
    credentials: [credential, ...(o.credentials ?? previous?.credentials.slice(1) ?? []).filter((c) => c.accessKeyId !== credential.accessKeyId)],
    parties: identities,
  };
  mkdirSync(paths.gatewayDir(o.dataDir), { recursive: true, mode: 0o700 });
  writeSecretFile(file, new TextEncoder().encode(JSON.stringify(config, null, 2) + '\n'));
  return config;
}

export type Spawned = { child: ChildProcess; ready: Promise<Record<string, unknown>>; output: () => string };

/**
 * Starts `node --import tsx services/main/cli.ts <args>` (or its bundle: cliArgs) and resolves
 * `ready` with the JSON the child prints on its `TUTTI_READY` line.
 */
export function spawnNode(args: string[], env: NodeJS.ProcessEnv = {}, echo?: (line: string) => void): Spawned {
  const child = spawn(process.execPath, [...cliArgs({ ...process.env, ...env }), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = new Promise<Record<string, unknown>>((resolveReady, reject) => {
    const onLine = (line: string) => {
      out += line + '\n';
      if (out.length > 200_000) out = out.slice(-100_000);
      echo?.(line);
      const m = /^TUTTI_READY (.*)$/.exec(line);
      if (m) resolveReady(JSON.parse(m[1]!) as Record<string, unknown>);
    };
    for (const stream of [child.stdout, child.stderr]) {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (d: string) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          onLine(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      });
    }
    child.once('exit', (code, signal) => reject(new Error(`${args[0]} exited (${code ?? signal}) before it was ready:\n${out}`)));
  });
  ready.catch(() => {});
  return { child, ready, output: () => out };
}

export function spawnGateway(dataDir: string, host: string, port: number, env: NodeJS.ProcessEnv = {}, echo?: (l: string) => void): Spawned {
  return spawnNode(['gateway', '--data', dataDir, '--host', host, '--port', String(port)], env, echo);
}

export function spawnParty(
  dataDir: string,
  partyId: string,
  coordinatorUrl: string,
  env: NodeJS.ProcessEnv = {},
  echo?: (l: string) => void,
  metricsPort = 0,
): Spawned {
  return spawnNode(['party', '--data', join(dataDir, partyId), '--coordinator', coordinatorUrl, '--metrics-port', String(metricsPort)], env, echo);
}

/** Polls the gateway's health endpoint until `n` parties are connected. */
export async function waitForParties(endpoint: string, n: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${endpoint}/healthz`);
      const body = (await res.json()) as { connectedParties?: string[] };
      last = JSON.stringify(body);
      if ((body.connectedParties?.length ?? 0) >= n) return;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`parties did not connect within ${timeoutMs} ms (last health: ${last})`);
}
