// The gateway process: the KMS API and the coordinator in one process, one port. HTTP for the
// KMS API (POST /), WebSocket upgrades on /parties for the party daemons.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import express from 'express';
import { createKmsApp } from '../kms-api/app.ts';
import { createMetrics } from '../metrics/metrics.ts';
import { openDatabase } from '../storage/db.ts';
import { KeyRepository } from '../storage/key-repository.ts';
import { readSecretFile, writeSecretFile } from '../storage/secret-file.ts';
import { KmsError } from '../kms-api/errors.ts';
import { CoordinatorHub } from '../transport/channel.ts';
import { Coordinator } from '../coordinator/coordinator.ts';
import { RevisionAckStore } from '../storage/revision-acks.ts';
import { SessionRunner, type RelayTap } from '../coordinator/session-runner.ts';
import { KeyDeletions } from '../coordinator/key-deletion.ts';
import { RefreshActivations } from '../coordinator/refresh-activation.ts';
import type { CoordinatorToParty, PartyToCoordinator } from '../control/messages.ts';
import { checkCredentials, paths, type GatewayConfig } from './config.ts';
import { initGateway } from './cluster.ts';
import { AttestationStore } from '../storage/attestation-store.ts';

export type GatewayOptions = {
  host: string;
  port: number;
  roundTimeoutMs: number;
  /** The round deadline of DKLs23 key generation (default 30 s): its base-OT rounds take seconds per party. */
  dkgRoundTimeoutMs?: number;
  /** How often keys whose deletion date passed are deleted and unconfirmed share deletions resent (default 60 s). */
  sweepIntervalMs?: number;
  /** Admission control: protocol sessions per party at once (default 32, 0 = no limit; session-runner.ts). */
  maxSessionsPerParty?: number;
  /** The key-lifecycle clock (creation and deletion dates), ms since the epoch. Tests move it. */
  now?: () => number;
  /** Tests only: watch or alter every relayed envelope. */
  tap?: RelayTap;
  /** Tests only (TUTTI_TEST_STALL): 'refresh:certificate' keeps refresh certificates from the parties (refresh-activation.ts). */
  stallAt?: string[];
  log?: (line: string) => void;
};

export type RunningGateway = {
  port: number;
  server: Server;
  coordinator: Coordinator;
  hub: CoordinatorHub;
  deletions: KeyDeletions;
  close: () => Promise<void>;
};

export const DEFAULT_SWEEP_INTERVAL_MS = 60_000;

export async function startGatewayFromDir(dataDir: string, o: GatewayOptions): Promise<RunningGateway> {
  const config = JSON.parse(Buffer.from(readSecretFile(paths.gatewayConfig(dataDir))).toString('utf8')) as GatewayConfig;
  const env = process.env;
  if (env.TUTTI_ACCESS_KEY_ID && env.TUTTI_SECRET_ACCESS_KEY) {
    // Replaces the dev credential (the first); other principals of the config stay.
    config.credentials = [
      { accessKeyId: env.TUTTI_ACCESS_KEY_ID, secretAccessKey: env.TUTTI_SECRET_ACCESS_KEY, principal: `arn:aws:iam::${config.accountId}:user/tutti-dev` },
      ...config.credentials.slice(1).filter((c) => c.accessKeyId !== env.TUTTI_ACCESS_KEY_ID),
    ];
  }
  return startGateway(config, paths.gatewayDir(dataDir), o);
}

/** The admin token (32 random bytes, hex in the file), created once, 0600 like the other secrets. */
function loadAdminToken(gatewayDir: string): Buffer {
  const file = paths.adminToken(gatewayDir);
  if (!existsSync(file)) writeSecretFile(file, new TextEncoder().encode(randomBytes(32).toString('hex') + '\n'), { overwrite: false });
  const hex = Buffer.from(readSecretFile(file)).toString('utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`${file} must hold 64 hex digits`);
  return Buffer.from(hex, 'hex');
}

export async function startGateway(config: GatewayConfig, gatewayDir: string, o: GatewayOptions): Promise<RunningGateway> {
  const log = o.log ?? ((line: string) => console.log(line));
  checkCredentials(config.credentials);
  const now = o.now ?? (() => Date.now());
  const metrics = createMetrics('gateway');
  const db = openDatabase(paths.keysDb(gatewayDir));
  const keys = new KeyRepository(db);
  const evidence = new AttestationStore(db);
  // The gateway's own key (created at first start): parties pin it and accept only what it signs.
  const identity = initGateway(gatewayDir, config.coordinatorId);
  log(
    `gateway: coordinator ${config.coordinatorId}, key ${identity.pin.signPublic}; each party's peers.json pins it as ${JSON.stringify({ coordinator: identity.pin })}`,
  );
  const server = createServer();
  // Keep-alive: Node closes an idle connection after 5 s (keepAliveTimeout), and an SDK client
  // (@aws-sdk's agent keeps idle sockets with no timeout of its own) that sends on such a socket
  // just as the gateway closes it gets "socket hang up" (ECONNRESET) for a request that never
  // arrived. Idle connections are kept 65 s instead, longer than the 60 s idle timeout of an AWS
  // load balancer in front (targets behind an ALB should keep connections longer than it), so
  // that the balancer closes first; a direct client sees `Keep-Alive: timeout=65` (Node's agent
  // closes a second early when it has an idle timeout of its own) and meets the race only after
  // 65 s idle instead of after any 5 s pause.
  // headersTimeout must exceed keepAliveTimeout (Node's docs for http.Server.keepAliveTimeout).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const hub = new CoordinatorHub({ server, coordinatorId: config.coordinatorId, parties: config.parties, identity });
  const net = { isConnected: (id: string) => hub.isConnected(id), send: (id: string, msg: CoordinatorToParty) => hub.send(id, msg) };
  const runner = new SessionRunner(net, { roundTimeoutMs: o.roundTimeoutMs, maxSessionsPerParty: o.maxSessionsPerParty ?? 32, metrics, tap: o.tap, log });
  const deletions = new KeyDeletions({ keys, evidence, identity, send: net.send, now, log });
  const activations = new RefreshActivations({
    send: net.send,
    log,
    stallAt: o.stallAt,
    pinned: (id) => config.parties.find((p) => p.partyId === id),
    // A refresh without some parties certified while settling a cut-off one: the key record follows.
    onCertified: (keyId, members) => {
      const k = keys.get(keyId);
      if (!k || JSON.stringify(k.parties) === JSON.stringify(members)) return;
      try {
        keys.replaceParties(keyId, k.parties, members, now());
        deletions.resendAll();
      } catch (err) {
        log(`coordinator: key ${keyId}: could not record its parties after a refresh: ${(err as Error).message}`);
      }
    },
  });
  hub.onMessage((id, raw) => {
    const msg = raw as unknown as PartyToCoordinator;
    if (msg.type === 'key-deleted') deletions.onDeleted(id, msg.keyId);
    else if (msg.type === 'premade') coordinator.onPremade(id, msg);
    else if (msg.type === 'refresh-state') activations.onState(id, msg);
    else runner.onMessage(id, msg);
  });
  hub.onConnect((id) => {
    metrics.partyConnections.set({ party: id }, 1);
    log(`coordinator: ${id} connected`);
    deletions.onConnect(id);
    activations.onConnect(id);
  });
  hub.onDisconnect((id) => {
    metrics.partyConnections.set({ party: id }, 0);
    log(`coordinator: ${id} disconnected`);
    runner.onDisconnect(id);
    coordinator.onPartyDisconnected(id);
  });

  const coordinator = new Coordinator({
    keys,
    runner,
    parties: config.parties.map((p) => p.partyId),
    isConnected: (id) => hub.isConnected(id),
    send: net.send,
    dkgRoundTimeoutMs: o.dkgRoundTimeoutMs,
    acks: new RevisionAckStore(db),
    identities: config.parties,
    region: config.region,
    accountId: config.accountId,
    log,
    now,
    onShareDeletions: () => deletions.resendAll(),
    evidence,
    onDeletionCancelled: (keyId, parties) => deletions.cancelled(keyId, parties),
    onShareDeletionsScheduled: () => deletions.resendAll(),
    activations,
  });
  deletions.recoverInterrupted();
  deletions.sweep();
  const sweeper = setInterval(() => {
    try {
      deletions.sweep();
    } catch (err) {
      log(`coordinator: deletion sweep failed: ${(err as Error).stack ?? String(err)}`);
    }
  }, o.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS);
  sweeper.unref();
  const adminToken = loadAdminToken(gatewayDir);
  const kms = createKmsApp({ keyService: coordinator, credentials: config.credentials, region: config.region, accountId: config.accountId, metrics });
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({
      status: 'ok',
      parties: config.parties.map((p) => p.partyId),
      connectedParties: hub.connectedParties(),
      sessions: runner.size,
      pendingShareDeletions: deletions.pending().length,
      unsettledRefreshes: activations.unsettled,
    });
  });
  // Operator actions, not part of the KMS API (docs/operations.md "Refreshing a key"): loopback
  // only, and the bearer token from the gateway's data folder (whoever can read it runs the gateway).
  app.post('/admin/refresh-key', express.json({ limit: '4kb' }), async (req, res) => {
    const remote = req.socket.remoteAddress ?? '';
    const presented = Buffer.from(/^Bearer ([0-9a-f]{64})$/.exec(req.get('authorization') ?? '')?.[1] ?? '', 'hex');
    if (!['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(remote) || presented.length !== adminToken.length || !timingSafeEqual(presented, adminToken)) {
      res.status(403).json({ error: 'Forbidden', message: 'admin calls need the token in the gateway data folder (admin.token), from the gateway host' });
      return;
    }
    const body = (req.body ?? {}) as { keyId?: unknown; liftBans?: unknown; exclude?: unknown; withoutBanned?: unknown };
    const isFlag = (v: unknown) => v === undefined || typeof v === 'boolean';
    if (
      typeof body.keyId !== 'string' ||
      !isFlag(body.liftBans) ||
      !isFlag(body.withoutBanned) ||
      (body.exclude !== undefined && (!Array.isArray(body.exclude) || body.exclude.length > 16 || body.exclude.some((p) => typeof p !== 'string')))
    ) {
      res
        .status(400)
        .json({
          error: 'ValidationException',
          message: 'expected {"keyId": "<key id>", "liftBans": true|false, "exclude": ["<party id>", …], "withoutBanned": true|false} (the last two optional)',
        });
      return;
    }
    try {
      res.json(
        await coordinator.refreshKey(body.keyId, {
          liftBans: body.liftBans === true,
          exclude: (body.exclude as string[] | undefined) ?? [],
          withoutBanned: body.withoutBanned === true,
        }),
      );
    } catch (err) {
      const e = err instanceof KmsError ? err : undefined;
      if (!e) log(`admin: refresh of ${body.keyId} failed: ${(err as Error)?.stack ?? String(err)}`);
      res.status(e ? 409 : 500).json({ error: e?.type ?? 'KMSInternalException', message: (err as Error)?.message ?? String(err) });
    }
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
    port,
    server,
    coordinator,
    hub,
    deletions,
    close: async () => {
      clearInterval(sweeper);
      await hub.close();
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections?.();
      db.close();
    },
  };
}
