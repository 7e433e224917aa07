// The gateway process: the KMS API and the coordinator in one process, one port. HTTP for the
// KMS API (POST /), WebSocket upgrades on /parties for the party daemons.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import express from 'express';
import { createKmsApp } from '../kms-api/app.ts';
import { createMetrics } from '../metrics/metrics.ts';
import { openDatabase } from '../storage/db.ts';
import { KeyRepository } from '../storage/key-repository.ts';
import { readSecretFile } from '../storage/secret-file.ts';
import { CoordinatorHub } from '../transport/channel.ts';
import { Coordinator } from '../coordinator/coordinator.ts';
import { SessionRunner, type RelayTap } from '../coordinator/session-runner.ts';
import type { CoordinatorToParty, PartyToCoordinator } from '../control/messages.ts';
import { paths, type GatewayConfig } from './config.ts';

export type GatewayOptions = {
  host: string;
  port: number;
  roundTimeoutMs: number;
  /** Tests only: watch or alter every relayed envelope. */
  tap?: RelayTap;
  log?: (line: string) => void;
};

export type RunningGateway = { port: number; server: Server; coordinator: Coordinator; hub: CoordinatorHub; close: () => Promise<void> };

export async function startGatewayFromDir(dataDir: string, o: GatewayOptions): Promise<RunningGateway> {
  const config = JSON.parse(Buffer.from(readSecretFile(paths.gatewayConfig(dataDir))).toString('utf8')) as GatewayConfig;
  const env = process.env;
  if (env.TUTTI_ACCESS_KEY_ID && env.TUTTI_SECRET_ACCESS_KEY) {
    config.credentials = [{ accessKeyId: env.TUTTI_ACCESS_KEY_ID, secretAccessKey: env.TUTTI_SECRET_ACCESS_KEY, principal: `arn:aws:iam::${config.accountId}:user/tutti-dev` }];
  }
  return startGateway(config, paths.gatewayDir(dataDir), o);
}

export async function startGateway(config: GatewayConfig, gatewayDir: string, o: GatewayOptions): Promise<RunningGateway> {
  const log = o.log ?? ((line: string) => console.log(line));
  const metrics = createMetrics('gateway');
  const db = openDatabase(paths.keysDb(gatewayDir));
  const keys = new KeyRepository(db);
  const server = createServer();
  const hub = new CoordinatorHub({ server, coordinatorId: config.coordinatorId, parties: config.parties });
  const net = {
    isConnected: (id: string) => hub.isConnected(id),
    send: (id: string, msg: CoordinatorToParty) => hub.send(id, msg),
  };
  const runner = new SessionRunner(net, { roundTimeoutMs: o.roundTimeoutMs, metrics, tap: o.tap, log });
  hub.onMessage((id, msg) => runner.onMessage(id, msg as unknown as PartyToCoordinator));
  hub.onConnect((id) => { metrics.partyConnections.set({ party: id }, 1); log(`coordinator: ${id} connected`); });
  hub.onDisconnect((id) => { metrics.partyConnections.set({ party: id }, 0); log(`coordinator: ${id} disconnected`); runner.onDisconnect(id); });

  const coordinator = new Coordinator({
    keys, runner, parties: config.parties.map((p) => p.partyId), isConnected: (id) => hub.isConnected(id),
    region: config.region, accountId: config.accountId, log,
  });
  const kms = createKmsApp({ keyService: coordinator, credentials: config.credentials, region: config.region, accountId: config.accountId, metrics });
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', parties: config.parties.map((p) => p.partyId), connectedParties: hub.connectedParties(), sessions: runner.size });
  });
  app.use(kms);
  server.on('request', app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  log(`gateway: KMS API on http://${o.host}:${port}, parties connect to ws://${o.host}:${port}/parties`);
  return {
    port, server, coordinator, hub,
    close: async () => {
      await hub.close();
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections?.();
      db.close();
    },
  };
}
