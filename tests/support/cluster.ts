// Starts a real local cluster for end-to-end tests: the same data layout and the same processes
// `npm start` uses (services/main/cluster.ts), on a free port, with test credentials.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KMSClient } from '@aws-sdk/client-kms';
import Sqlite from 'better-sqlite3';
import { prepareCluster, spawnGateway, spawnParty, waitForParties, type Spawned } from '../../services/main/cluster.ts';
import { paths, type Credential, type GatewayConfig } from '../../services/main/config.ts';

export const TEST_CREDENTIALS = { accessKeyId: 'AKIATUTTITEST0000001', secretAccessKey: 'tutti-test-secret-key-0000000000000000000' };
export const REGION = 'eu-west-1';
export const ACCOUNT = '111122223333';

/**
 * What every test party runs with unless a test says otherwise: one session worker thread
 * (docs/operations.md "Worker threads"). Each worker loads the protocol code through tsx, about a
 * CPU-second, at every party start and restart; the default (the machine's parallelism, 2 on CI)
 * paid that twice per party, and three or four parties on two cores gain nothing from a second
 * worker. Party starts are most of what an e2e file spends (docs/benchmarks.md "Test suite time").
 */
export const TEST_PARTY_ENV: NodeJS.ProcessEnv = { TUTTI_SESSION_WORKERS: '1' };

/**
 * Polls `check` every 50 ms until it holds; throws after `ms`, naming `what` (e.g. a share version
 * that a party activates after the session's last message, on its own time).
 */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether a spawned process is still running. */
export function running(s: Spawned): boolean {
  return s.child.exitCode === null && s.child.signalCode === null;
}

/**
 * Stops a cluster's processes (SIGTERM, then SIGKILL after `graceMs`), resolves when every one has
 * exited, then removes its data folder. Shared by TestCluster and the benchmark's BenchCluster.
 */
export async function stopCluster(procs: readonly (Spawned | undefined)[], dataDir: string, graceMs = 3000): Promise<void> {
  await Promise.all(
    procs
      .filter((s): s is Spawned => s !== undefined)
      .map(
        (s) =>
          new Promise<void>((r) => {
            if (!running(s)) return r();
            s.child.once('exit', () => r());
            s.child.kill('SIGTERM');
            setTimeout(() => {
              if (running(s)) s.child.kill('SIGKILL');
            }, graceMs).unref();
          }),
      ),
  );
  rmSync(dataDir, { recursive: true, force: true });
}

/** A free TCP port on loopback, so the gateway can be restarted on the same one. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export class TestCluster {
  readonly dataDir = mkdtempSync(join(tmpdir(), 'tutti-e2e-'));
  config!: GatewayConfig;
  gateway!: Spawned;
  endpoint = '';
  coordinatorUrl = '';
  readonly parties = new Map<string, Spawned>();
  port = 0;
  private gatewayEnv: NodeJS.ProcessEnv = {};
  /** Environment of every party process this cluster starts (startParty adds its own on top). */
  private partyEnv: NodeJS.ProcessEnv = {};

  /**
   * `credentials`: principals besides TEST_CREDENTIALS (written to the gateway's config.json, as
   * TUTTI_CREDENTIALS does for npm start). The gateway listens on a fixed free port so that
   * restartGateway() keeps the endpoint.
   */
  async start(opts: { parties?: number; gatewayEnv?: NodeJS.ProcessEnv; partyEnv?: NodeJS.ProcessEnv; credentials?: Credential[] } = {}): Promise<this> {
    this.partyEnv = { ...TEST_PARTY_ENV, ...opts.partyEnv };
    this.config = prepareCluster({
      dataDir: this.dataDir,
      parties: opts.parties ?? 3,
      region: REGION,
      accountId: ACCOUNT,
      ...TEST_CREDENTIALS,
      ...(opts.credentials ? { credentials: opts.credentials } : {}),
    });
    // A 2 s round deadline keeps the cases that wait for one short; TUTTI_TEST_ROUND_TIMEOUT_MS
    // raises it for a run on a machine so busy that an honest DKG round takes longer.
    this.gatewayEnv = { TUTTI_ROUND_TIMEOUT_MS: process.env.TUTTI_TEST_ROUND_TIMEOUT_MS ?? '2000', ...opts.gatewayEnv };
    this.port = await freePort();
    await this.startGateway();
    await Promise.all(this.config.parties.map((p) => this.startParty(p.partyId)));
    await waitForParties(this.endpoint, this.config.parties.length);
    return this;
  }

  private async startGateway(env: NodeJS.ProcessEnv = {}): Promise<void> {
    this.gateway = spawnGateway(this.dataDir, '127.0.0.1', this.port, { ...this.gatewayEnv, ...env });
    const { port } = (await this.gateway.ready) as { port: number };
    this.endpoint = `http://127.0.0.1:${port}`;
    this.coordinatorUrl = `ws://127.0.0.1:${port}/parties`;
  }

  /**
   * Stops the gateway (SIGKILL: no chance to clean up) and starts it again on the same port and
   * data folder; resolves when every running party has reconnected by itself.
   */
  async restartGateway(env: NodeJS.ProcessEnv = {}): Promise<void> {
    const gw = this.gateway;
    if (running(gw)) {
      await new Promise<void>((r) => {
        gw.child.once('exit', () => r());
        gw.child.kill('SIGKILL');
      });
    }
    await this.startGateway(env);
    const alive = [...this.parties.entries()].filter(([, p]) => running(p)).map(([id]) => id);
    await this.waitConnected((ids) => alive.every((id) => ids.includes(id)), 20_000);
  }

  async health(): Promise<{ connectedParties: string[]; pendingShareDeletions: number; sessions: number }> {
    return (await (await fetch(`${this.endpoint}/healthz`)).json()) as { connectedParties: string[]; pendingShareDeletions: number; sessions: number };
  }

  async startParty(partyId: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
    const p = spawnParty(this.dataDir, partyId, this.coordinatorUrl, { ...this.partyEnv, ...env });
    this.parties.set(partyId, p);
    await p.ready;
  }

  /** The port of a running party's /metrics and /healthz. */
  async partyPort(partyId: string): Promise<number> {
    const ready = (await this.parties.get(partyId)!.ready) as { metricsPort: number };
    return ready.metricsPort;
  }

  /** A party's own /healthz: its id, whether its link is up, and how many sessions it runs. */
  async partyHealth(partyId: string): Promise<{ partyId: string; connected: boolean; sessions: number }> {
    return (await (await fetch(`http://127.0.0.1:${await this.partyPort(partyId)}/healthz`)).json()) as {
      partyId: string;
      connected: boolean;
      sessions: number;
    };
  }

  /** kill -9 and start again (with `env`, e.g. test fault injection); resolves when it is connected again. */
  async restartParty(partyId: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
    await this.kill(partyId);
    await this.waitConnected((ids) => !ids.includes(partyId));
    await this.startParty(partyId, env);
    await this.waitConnected((ids) => ids.includes(partyId));
  }

  /** kill -9: no chance to clean up. Resolves when the process is gone. */
  async kill(partyId: string): Promise<void> {
    const p = this.parties.get(partyId);
    if (!p || !running(p)) return;
    await new Promise<void>((r) => {
      p.child.once('exit', () => r());
      p.child.kill('SIGKILL');
    });
  }

  async connectedParties(): Promise<string[]> {
    const body = (await (await fetch(`${this.endpoint}/healthz`)).json()) as { connectedParties: string[] };
    return body.connectedParties;
  }

  async waitConnected(predicate: (ids: string[]) => boolean, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (predicate(await this.connectedParties())) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`parties not as expected: ${await this.connectedParties()}`);
  }

  client(credentials: { accessKeyId: string; secretAccessKey: string } = TEST_CREDENTIALS): KMSClient {
    return new KMSClient({
      endpoint: this.endpoint,
      region: REGION,
      credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
      maxAttempts: 1,
    });
  }

  /** The versions and states of a key's shares in one party's store, read from its database (read-only). */
  shareVersions(partyId: string, keyId: string): { version: number; state: string }[] {
    const db = new Sqlite(paths.sharesDb(paths.partyDir(this.dataDir, partyId)), { readonly: true });
    try {
      return db.prepare(`SELECT version, state FROM shares WHERE key_id = ? ORDER BY version`).all(keyId) as { version: number; state: string }[];
    } finally {
      db.close();
    }
  }

  /** A KMS JSON request signed with TEST_CREDENTIALS outside the SDK (operations it does not have: ReshareKey, GetKeyAttestation). */
  async call(target: string, body: object): Promise<{ status: number; json: Record<string, unknown> }> {
    // Imported here: the signer's module brings the in-process KMS app, which no other e2e use needs.
    const { rawRequest } = await import('../services/kms-api/support.ts');
    const endpoint = { url: this.endpoint, host: this.endpoint.replace(/^http:\/\//, '') };
    const res = await rawRequest(endpoint, { target, body: JSON.stringify(body), region: REGION, ...TEST_CREDENTIALS });
    return { status: res.status, json: (res.json ?? {}) as Record<string, unknown> };
  }

  async stop(): Promise<void> {
    await stopCluster([this.gateway, ...this.parties.values()], this.dataDir);
  }
}

export { waitForParties };
