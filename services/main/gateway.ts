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
import { sqliteGatewayStore, type GatewayStore } from '../storage/gateway-store.ts';
import { openPostgresGatewayStore } from '../storage/postgres/postgres-gateway-store.ts';
import { readSecretFile, writeSecretFile } from '../storage/secret-file.ts';
import { KmsError } from '../kms-api/errors.ts';
import { CoordinatorHub } from '../transport/channel.ts';
import { Coordinator } from '../coordinator/coordinator.ts';
import { SessionRunner, type RelayTap } from '../coordinator/session-runner.ts';
import { KeyDeletions } from '../coordinator/key-deletion.ts';
import { RefreshActivations } from '../coordinator/refresh-activation.ts';
import type { CoordinatorToParty, PartyToCoordinator } from '../control/messages.ts';
import { checkCredentials, paths, type GatewayConfig } from './config.ts';
import { initGateway } from './cluster.ts';

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
  /**
   * postgres://… (TUTTI_DATABASE_URL): the gateway's state lives in PostgreSQL, shared with any other
   * gateway replica given the same URL (docs/operations.md "Gateway replicas"). Without it: the
   * embedded SQLite file keys.db in the gateway's folder.
   */
  databaseUrl?: string;
};

export type RunningGateway = {
  port: number;
  server: Server;
  coordinator: Coordinator;
  store: GatewayStore;
  hub: CoordinatorHub;
  deletions: KeyDeletions;
  close: () => Promise<void>;
};

export const DEFAULT_SWEEP_INTERVAL_MS = 60_000;
/** Replicas: a key still Creating after this long was left by a gateway that died mid-DKG. */
export const STALE_CREATING_MS = 10 * 60_000;

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
  return startGateway(config, paths.gatewayDir(dataDir), { ...o, databaseUrl: o.databaseUrl ?? (env.TUTTI_DATABASE_URL || undefined) });
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
  const store = o.databaseUrl ? await openPostgresGatewayStore(o.databaseUrl) : sqliteGatewayStore(openDatabase(paths.keysDb(gatewayDir)), { closeDb: true });
  const { keys, evidence } = store;
  if (store.kind === 'postgres') log(`gateway: state in PostgreSQL (TUTTI_DATABASE_URL), shared with any other gateway replica using it`);
  /** Runs background store work (resends, confirmations): a failure is logged, never crashes the gateway. */
  const background = (what: string, p: Promise<unknown>) =>
    void p.catch((err: unknown) => log(`coordinator: ${what} failed: ${(err as Error)?.message ?? String(err)}`));
  // The gateway's own key (created at first start): parties pin it and accept only what it signs.
  const identity = initGateway(gatewayDir, config.coordinatorId);
  log(
    `gateway: coordinator ${config.coordinatorId}, key ${identity.pin.signPublic}; each party's peers.json pins it as ${JSON.stringify({ coordinator: identity.pin })}`,
  );
  const server = createServer();
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
    onCertified: (keyId, members) =>
      background(
        `key ${keyId}: recording its parties after a refresh`,
        (async () => {
          const k = await keys.get(keyId);
          if (!k || JSON.stringify(k.parties) === JSON.stringify(members)) return;
          await keys.replaceParties(keyId, k.parties, members, now());
          await deletions.resendAll();
        })(),
      ),
  });
  hub.onMessage((id, raw) => {
    const msg = raw as unknown as PartyToCoordinator;
    if (msg.type === 'key-deleted') background(`confirmation of ${id}'s share deletion`, deletions.onDeleted(id, msg.keyId));
    else if (msg.type === 'premade') void coordinator.onPremade(id, msg);
    else if (msg.type === 'refresh-state') activations.onState(id, msg);
    else runner.onMessage(id, msg);
  });
  hub.onConnect((id) => {
    metrics.partyConnections.set({ party: id }, 1);
    log(`coordinator: ${id} connected`);
    background(`share deletions for ${id}`, deletions.onConnect(id));
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
    acks: store.acks,
    identities: config.parties,
    region: config.region,
    accountId: config.accountId,
    log,
    now,
    onShareDeletions: () => background('resending share deletions', deletions.resendAll()),
    evidence,
    onDeletionCancelled: (keyId, parties) => background(`cancel of ${keyId}'s deletion`, deletions.cancelled(keyId, parties)),
    onShareDeletionsScheduled: () => background('resending share deletions', deletions.resendAll()),
    activations,
  });
  // With replicas, "still Creating at start" is not "interrupted": another replica may be running
  // that DKG now. The embedded (single-gateway) store recovers every such key at start; on
  // PostgreSQL only keys whose creation began more than STALE_CREATING_MS ago (far beyond any DKG's
  // round deadlines), at start and on every sweep. Meanwhile such a key is invisible (resolve and
  // ListKeys treat Creating as not found).
  const recover = () => deletions.recoverInterrupted(store.kind === 'sqlite' ? Infinity : now() - STALE_CREATING_MS);
  await recover();
  await deletions.sweep();
  const sweeper = setInterval(
    () => background('deletion sweep', store.kind === 'postgres' ? recover().then(() => deletions.sweep()) : deletions.sweep()),
    o.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS,
  );
  sweeper.unref();
  const adminToken = loadAdminToken(gatewayDir);
  const kms = createKmsApp({ keyService: coordinator, credentials: config.credentials, region: config.region, accountId: config.accountId, metrics });
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', async (_req, res) => {
    let pendingShareDeletions: number | null = null;
    try {
      pendingShareDeletions = (await deletions.pending()).length;
    } catch {
      // the store is unreachable: health says so by the null
    }
    res.json({
      status: 'ok',
      parties: config.parties.map((p) => p.partyId),
      connectedParties: hub.connectedParties(),
      sessions: runner.size,
      pendingShareDeletions,
      store: store.kind,
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
    store,
    hub,
    deletions,
    close: async () => {
      clearInterval(sweeper);
      await hub.close();
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections?.();
      await store.close();
    },
  };
}
