// Starts a real local cluster for end-to-end tests: the same data layout and the same processes
// `npm start` uses (services/main/cluster.ts), on a free port, with test credentials.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KMSClient } from '@aws-sdk/client-kms';
import { prepareCluster, spawnGateway, spawnParty, waitForParties, type Spawned } from '../../services/main/cluster.ts';
import type { GatewayConfig } from '../../services/main/config.ts';

export const TEST_CREDENTIALS = { accessKeyId: 'AKIATUTTITEST0000001', secretAccessKey: 'tutti-test-secret-key-0000000000000000000' };
export const REGION = 'eu-west-1';

export class TestCluster {
  readonly dataDir = mkdtempSync(join(tmpdir(), 'tutti-e2e-'));
  config!: GatewayConfig;
  gateway!: Spawned;
  endpoint = '';
  coordinatorUrl = '';
  readonly parties = new Map<string, Spawned>();

  async start(opts: { parties?: number; gatewayEnv?: NodeJS.ProcessEnv } = {}): Promise<this> {
    this.config = prepareCluster({ dataDir: this.dataDir, parties: opts.parties ?? 3, region: REGION, accountId: '111122223333', ...TEST_CREDENTIALS });
    this.gateway = spawnGateway(this.dataDir, '127.0.0.1', 0, { TUTTI_ROUND_TIMEOUT_MS: '2000', ...opts.gatewayEnv });
    const { port } = (await this.gateway.ready) as { port: number };
    this.endpoint = `http://127.0.0.1:${port}`;
    this.coordinatorUrl = `ws://127.0.0.1:${port}/parties`;
    await Promise.all(this.config.parties.map((p) => this.startParty(p.partyId)));
    await waitForParties(this.endpoint, this.config.parties.length);
    return this;
  }

  async startParty(partyId: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
    const p = spawnParty(this.dataDir, partyId, this.coordinatorUrl, env);
    this.parties.set(partyId, p);
    await p.ready;
  }

  /** kill -9: no chance to clean up. Resolves when the process is gone. */
  async kill(partyId: string): Promise<void> {
    const p = this.parties.get(partyId);
    if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
    await new Promise<void>((r) => { p.child.once('exit', () => r()); p.child.kill('SIGKILL'); });
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

  client(credentials = TEST_CREDENTIALS): KMSClient {
    return new KMSClient({ endpoint: this.endpoint, region: REGION, credentials, maxAttempts: 1 });
  }

  async stop(): Promise<void> {
    const all = [this.gateway, ...this.parties.values()].filter(Boolean);
    await Promise.all(all.map((s) => new Promise<void>((r) => {
      if (s.child.exitCode !== null || s.child.signalCode !== null) return r();
      s.child.once('exit', () => r());
      s.child.kill('SIGTERM');
      setTimeout(() => s.child.kill('SIGKILL'), 3000).unref();
    })));
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export { waitForParties };
