// Gateway replicas for end-to-end tests: N gateway processes against one PostgreSQL database
// (TUTTI_DATABASE_URL), and parties connected to every gateway (one pinned link each, peers.json
// "coordinators"). Each gateway has its own data folder (its own coordinator identity and admin
// token) and its own coordinator id; the parties' folders live in the first one.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KMSClient } from '@aws-sdk/client-kms';
import { initGateway, prepareCluster, spawnGateway, spawnParty, waitForParties, type Spawned } from '../../services/main/cluster.ts';
import { paths, type GatewayConfig } from '../../services/main/config.ts';
import { writeSecretFile } from '../../services/storage/secret-file.ts';
import { ACCOUNT, REGION, TEST_CREDENTIALS, freePort, running, stopCluster, TEST_PARTY_ENV } from './cluster.ts';

export class ReplicaCluster {
  readonly dataDirs: string[] = [];
  readonly gateways: (Spawned | undefined)[] = [];
  readonly ports: number[] = [];
  readonly parties = new Map<string, Spawned>();
  config!: GatewayConfig;
  private gatewayEnv: NodeJS.ProcessEnv = {};
  private partyEnv: NodeJS.ProcessEnv = {};

  constructor(readonly databaseUrl: string) {}

  endpoint(i: number): string {
    return `http://127.0.0.1:${this.ports[i]}`;
  }

  get coordinatorUrls(): string {
    return this.ports.map((p) => `ws://127.0.0.1:${p}/parties`).join(',');
  }

  async start(opts: { gateways?: number; parties?: number; gatewayEnv?: NodeJS.ProcessEnv; partyEnv?: NodeJS.ProcessEnv } = {}): Promise<this> {
    const n = opts.gateways ?? 2;
    this.gatewayEnv = { TUTTI_ROUND_TIMEOUT_MS: '2000', TUTTI_DATABASE_URL: this.databaseUrl, ...opts.gatewayEnv };
    this.partyEnv = { ...TEST_PARTY_ENV, ...opts.partyEnv };
    const first = mkdtempSync(join(tmpdir(), 'tutti-replicas-'));
    this.dataDirs.push(first);
    this.config = prepareCluster({ dataDir: first, parties: opts.parties ?? 3, region: REGION, accountId: ACCOUNT, ...TEST_CREDENTIALS });
    const pins = [initGateway(paths.gatewayDir(first), this.config.coordinatorId).pin];
    for (let i = 1; i < n; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'tutti-replicas-'));
      this.dataDirs.push(dir);
      // The same service (credentials, parties, account); its own coordinator id and key.
      const config: GatewayConfig = { ...this.config, coordinatorId: `${this.config.coordinatorId}-r${i}` };
      writeSecretFile(paths.gatewayConfig(dir), new TextEncoder().encode(JSON.stringify(config, null, 2) + '\n'));
      pins.push(initGateway(paths.gatewayDir(dir), config.coordinatorId).pin);
    }
    for (const p of this.config.parties) {
      writeFileSync(paths.peers(paths.partyDir(first, p.partyId)), JSON.stringify({ coordinators: pins, peers: this.config.parties }, null, 2) + '\n');
    }
    for (let i = 0; i < n; i++) this.ports.push(await freePort());
    // Together: the first to take the schema's advisory lock creates the tables, the others wait
    // for it and find nothing to do (services/storage/postgres/schema.ts).
    await Promise.all(this.ports.map((_, i) => this.startGateway(i)));
    await Promise.all(this.config.parties.map((p) => this.startParty(p.partyId)));
    for (let i = 0; i < n; i++) await waitForParties(this.endpoint(i), this.config.parties.length);
    return this;
  }

  async startGateway(i: number): Promise<void> {
    const gw = spawnGateway(this.dataDirs[i]!, '127.0.0.1', this.ports[i]!, this.gatewayEnv);
    this.gateways[i] = gw;
    await gw.ready;
  }

  /** kill -9 of gateway i; resolves when it is gone. */
  async killGateway(i: number): Promise<void> {
    const gw = this.gateways[i];
    if (!gw || !running(gw)) return;
    await new Promise<void>((r) => {
      gw.child.once('exit', () => r());
      gw.child.kill('SIGKILL');
    });
  }

  /** Starts gateway i again on its port; resolves when every running party has reconnected to it. */
  async restartGateway(i: number): Promise<void> {
    await this.killGateway(i);
    await this.startGateway(i);
    const alive = [...this.parties.entries()].filter(([, p]) => running(p)).length;
    await waitForParties(this.endpoint(i), alive);
  }

  async startParty(partyId: string): Promise<void> {
    const p = spawnParty(this.dataDirs[0]!, partyId, this.coordinatorUrls, this.partyEnv);
    this.parties.set(partyId, p);
    await p.ready;
  }

  async killParty(partyId: string): Promise<void> {
    const p = this.parties.get(partyId);
    if (!p || !running(p)) return;
    await new Promise<void>((r) => {
      p.child.once('exit', () => r());
      p.child.kill('SIGKILL');
    });
  }

  async restartParty(partyId: string): Promise<void> {
    await this.killParty(partyId);
    await this.startParty(partyId);
  }

  /** One KMS client per gateway (no SDK retries: callers count and retry themselves). */
  client(i: number, maxAttempts = 1): KMSClient {
    return new KMSClient({ endpoint: this.endpoint(i), region: REGION, credentials: TEST_CREDENTIALS, maxAttempts });
  }

  async stop(): Promise<void> {
    const [first, ...rest] = this.dataDirs;
    await stopCluster([...this.gateways, ...this.parties.values()], first!);
    for (const d of rest) rmSync(d, { recursive: true, force: true });
  }
}
