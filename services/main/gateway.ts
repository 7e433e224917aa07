// The gateway process: the KMS API and the coordinator in one process, one port. HTTPS (or HTTP on
// loopback, tls-config.ts) for the KMS API (POST /), WebSocket upgrades on /parties for the party
// daemons (wss:// under TLS). /healthz (alive) and /readyz (able to serve) for orchestrators.
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import express from 'express';
import { createKmsApp } from '../kms-api/app.ts';
import { createMetrics } from '../metrics/metrics.ts';
import { openDatabase } from '../storage/db.ts';
import { PRESIGN_TARGET } from '../coordinator/presign-stock.ts';
import { sqliteGatewayStore, type GatewayStore } from '../storage/gateway-store.ts';
import { openPostgresGatewayStore } from '../storage/postgres/postgres-gateway-store.ts';
import { readSecretFile, writeSecretFile } from '../storage/secret-file.ts';
import { KmsError } from '../kms-api/errors.ts';
import { CoordinatorHub } from '../transport/coordinator-hub.ts';
import { Coordinator } from '../coordinator/coordinator.ts';
import { KeyDeletions } from '../coordinator/key-deletion.ts';
import { refreshActivations, sessionRunner, type CoordinatorFaults } from '../coordinator/fault-injection.ts';
import type { CoordinatorToParty, PartyToCoordinator } from '../control/messages.ts';
import { checkCredentials, paths, type GatewayConfig } from './config.ts';
import { initGateway } from './cluster.ts';
import { DerivationStore } from '../storage/derivation-store.ts';
import type { ServerTls } from './tls-config.ts';
import { installNativeCrypto } from '../party/native-crypto.ts';
import { DeviceParties } from '../coordinator/device-parties.ts';
import { join as joinPath } from 'node:path';
import { consoleRouter } from '../console/console-api.ts';
import { AuditQueries } from '../console/audit-queries.ts';
import { KeyPackageQueries } from '../coordinator/key-packages.ts';
import { recordHolders } from '../coordinator/record-holders.ts';
import { RecentSignatures, recordingSigns } from '../console/recent-signatures.ts';

export type GatewayOptions = {
  host: string;
  port: number;
  roundTimeoutMs: number;
  /** The round deadline of DKLs23 key generation (default 30 s): its base-OT rounds take seconds per party. */
  dkgRoundTimeoutMs?: number;
  /** How long CreateKey and Sign wait for an offline device party (default 10 s; TUTTI_DEVICE_WAIT_MS). */
  deviceWaitMs?: number;
  /** How often keys whose deletion date passed are deleted and unconfirmed share deletions resent (default 60 s). */
  sweepIntervalMs?: number;
  /** Admission control: protocol sessions per party at once (default 32, 0 = no limit; session-runner.ts). */
  maxSessionsPerParty?: number;
  /** The key-lifecycle clock (creation and deletion dates), ms since the epoch. Tests move it. */
  now?: () => number;
  /**
   * Tests only: a tap on every envelope, or TUTTI_TEST_STALL points (services/coordinator/fault-injection.ts).
   * Without it the gateway runs the plain SessionRunner and RefreshActivations.
   */
  faults?: CoordinatorFaults;
  /** The read-only operator console at /console (docs/console.md); default on. */
  console?: boolean;
  log?: (line: string, fields?: Record<string, string | number | boolean | undefined>) => void;
  /** Certificate and key (PEM) to serve HTTPS and wss://; without them plain HTTP (loopback only: tls-config.ts). */
  tls?: ServerTls;
  /** One log line per KMS request (TUTTI_LOG_FORMAT=json). */
  accessLog?: boolean;
  /** On close: how long in-flight KMS requests may take to finish before connections are cut (default 10 s). */
  shutdownGraceMs?: number;
  /**
   * postgres://… (TUTTI_DATABASE_URL): the gateway's state lives in PostgreSQL, shared with any other
   * gateway replica given the same URL (docs/operations.md "Gateway replicas"). Without it: the
   * embedded SQLite file keys.db in the gateway's folder.
   */
  databaseUrl?: string;
};

export type RunningGateway = {
  port: number;
  /** 'https' or 'http'. */
  scheme: string;
  server: Server | HttpsServer;
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
  installNativeCrypto(); // pre-made FROST aggregation verifies with OpenSSL (native-crypto.ts)
  const log = o.log ?? ((line: string) => console.log(line));
  checkCredentials(config.credentials);
  const now = o.now ?? (() => Date.now());
  const metrics = createMetrics('gateway');
  // The gateway's state: embedded SQLite (keys.db) by default, PostgreSQL shared by replicas with TUTTI_DATABASE_URL.
  const db = o.databaseUrl ? undefined : openDatabase(paths.keysDb(gatewayDir));
  const store = db ? sqliteGatewayStore(db, { closeDb: true }) : await openPostgresGatewayStore(o.databaseUrl!);
  const { keys, evidence } = store;
  // HD derivation's chain codes and child records live in the embedded database only
  // (derivation-store.ts): on PostgreSQL, CreateKey derives no child key yet (docs/operations.md "Gateway replicas").
  const derivations = db ? new DerivationStore(db) : undefined;
  if (store.kind === 'postgres') log(`gateway: state in PostgreSQL (TUTTI_DATABASE_URL), shared with any other gateway replica using it`);
  /** Runs background store work (resends, confirmations): a failure is logged, never crashes the gateway. */
  const background = (what: string, p: Promise<unknown>) =>
    void p.catch((err: unknown) => log(`coordinator: ${what} failed: ${(err as Error)?.message ?? String(err)}`));
  // The gateway's own key (created at first start): parties pin it and accept only what it signs.
  const identity = initGateway(gatewayDir, config.coordinatorId, process.env, log);
  log(
    `gateway: coordinator ${config.coordinatorId}, key ${identity.pin.signPublic}; each party's peers.json pins it as ${JSON.stringify({ coordinator: identity.pin })}`,
  );
  const server: Server | HttpsServer = o.tls ? createHttpsServer({ cert: o.tls.cert, key: o.tls.key, minVersion: 'TLSv1.2' }) : createServer();
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
  // Device parties the wallet backend registered (RegisterDeviceParty, docs/waas.md) may connect too.
  const devices = new DeviceParties(joinPath(gatewayDir, 'devices.json'));
  const hub = new CoordinatorHub({ server, coordinatorId: config.coordinatorId, parties: [...config.parties, ...devices.list()], identity });
  devices.onChange((all) => hub.setParties([...config.parties, ...all]));
  const net = { isConnected: (id: string) => hub.isConnected(id), send: (id: string, msg: CoordinatorToParty) => hub.send(id, msg) };
  const runner = sessionRunner(net, { roundTimeoutMs: o.roundTimeoutMs, maxSessionsPerParty: o.maxSessionsPerParty ?? 32, metrics, log }, o.faults);
  const deletions = new KeyDeletions({ keys, evidence, identity, send: net.send, now, log });
  const activations = refreshActivations(
    {
      send: net.send,
      log,
      pinned: (id) => config.parties.find((p) => p.partyId === id),
      // A refresh without some parties certified while settling a cut-off one: the key record follows.
      // A reshare (ReshareKey) likewise: its new holders and threshold, any parties.
      onCertified: (keyId, members, threshold) =>
        background(
          `key ${keyId}: recording its parties after a refresh`,
          (async () => {
            const k = await keys.get(keyId);
            if (!k || (JSON.stringify(k.parties) === JSON.stringify(members) && (threshold === undefined || threshold === k.threshold))) return;
            // The session's own flow may record it at the same moment (record-holders.ts): either order ends the same.
            // Some of the same parties under the same threshold: a refresh without some parties (no threshold to record).
            const holdersOnly = members.every((m) => k.parties.includes(m)) && (threshold === undefined || threshold === k.threshold);
            await recordHolders(keys, keyId, k.parties, members, holdersOnly ? undefined : (threshold ?? k.threshold), now());
            await deletions.resendAll();
          })(),
        ),
    },
    o.faults,
  );
  const audits = new AuditQueries(net.send);
  const keyPackages = new KeyPackageQueries(net.send);
  const connectionChanges = new Map<string, number>();
  hub.onMessage((id, raw) => {
    const msg = raw as unknown as PartyToCoordinator;
    if (msg.type === 'key-deleted') background(`confirmation of ${id}'s share deletion`, deletions.onDeleted(id, msg.keyId));
    else if (msg.type === 'audit-log') audits.onAnswer(id, msg);
    else if (msg.type === 'key-package') keyPackages.onAnswer(id, msg);
    else if (msg.type === 'premade') void coordinator.onPremade(id, msg);
    else if (msg.type === 'refresh-state') activations.onState(id, msg);
    else runner.onMessage(id, msg);
  });
  hub.onConnect((id) => {
    metrics.partyConnections.set({ party: id }, 1);
    connectionChanges.set(id, Date.now());
    log(`coordinator: ${id} connected`);
    background(`share deletions for ${id}`, deletions.onConnect(id));
    activations.onConnect(id);
  });
  hub.onDisconnect((id) => {
    metrics.partyConnections.set({ party: id }, 0);
    connectionChanges.set(id, Date.now());
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
    // DKLs23 presignatures per key and signer set (docs/protocols.md "Presignatures"); 0 turns them off.
    presignStock: presignStockFromEnv(),
    acks: store.acks,
    identities: config.parties,
    devices,
    ...(o.deviceWaitMs !== undefined ? { deviceWaitMs: o.deviceWaitMs } : {}),
    coordinatorPin: identity.pin,
    region: config.region,
    accountId: config.accountId,
    log,
    now,
    onShareDeletions: () => background('resending share deletions', deletions.resendAll()),
    evidence,
    derivations,
    onDeletionCancelled: (keyId, parties) => background(`cancel of ${keyId}'s deletion`, deletions.cancelled(keyId, parties)),
    onShareDeletionsScheduled: () => background('resending share deletions', deletions.resendAll()),
    activations,
    askKeyPackage: (partyId, keyId) => keyPackages.ask(partyId, keyId),
  });
  metrics.watchPresignStock(() => coordinator.presigns.size);

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
  // Sign outcomes are remembered (bounded, in memory) for the console.
  const signatures = new RecentSignatures();
  const keyService = recordingSigns(coordinator, signatures);
  const kms = createKmsApp({
    keyService,
    credentials: config.credentials,
    region: config.region,
    accountId: config.accountId,
    metrics,
    log,
    accessLog: o.accessLog,
  });
  const app = express();
  app.disable('x-powered-by');
  // Graceful shutdown (close below): count requests in flight; once draining, answer on with
  // Connection: close so that keep-alive clients move on.
  let inFlight = 0;
  let draining = false;
  const drained: (() => void)[] = [];
  app.use((_req, res, next) => {
    inFlight++;
    if (draining) res.set('Connection', 'close');
    res.once('close', () => {
      inFlight--;
      if (inFlight === 0) for (const f of drained.splice(0)) f();
    });
    next();
  });
  // Readiness: not draining, and enough parties connected for the default key shape (2 of 3,
  // tags.ts DEFAULT_THRESHOLD); /healthz says only that the process answers.
  const readyQuorum = Math.min(2, config.parties.length);
  app.get('/readyz', (_req, res) => {
    const connected = hub.connectedParties();
    const ready = !draining && connected.length >= readyQuorum;
    res
      .status(ready ? 200 : 503)
      .json({
        ready,
        ...(draining ? { reason: 'shutting down' } : ready ? {} : { reason: `${connected.length} of ${readyQuorum} parties needed are connected` }),
        connectedParties: connected,
      });
  });
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
  if (o.console !== false) {
    app.use(
      '/console',
      consoleRouter({
        keys: keyService,
        credentials: config.credentials,
        region: config.region,
        parties: config.parties.map((p) => p.partyId),
        isConnected: (id) => hub.isConnected(id),
        sessionsWith: (id) => runner.sessionsWith(id),
        connectionChanges,
        signatures,
        audits,
        metrics,
        gateway: async () => ({ sessions: runner.size, unsettledRefreshes: activations.unsettled, pendingShareDeletions: (await deletions.pending()).length }),
      }),
    );
  }
  app.use(kms);
  server.on('request', app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const scheme = o.tls ? 'https' : 'http';
  log(`gateway: KMS API on ${scheme}://${o.host}:${port}, parties connect to ${o.tls ? 'wss' : 'ws'}://${o.host}:${port}/parties`);
  let closing: Promise<void> | undefined;
  return {
    port,
    scheme,
    server,
    coordinator,
    store,
    hub,
    deletions,
    // Graceful: /readyz turns 503, no new connections, idle keep-alive ones closed, requests in
    // flight (a Sign waiting on its parties) finish within the grace period; then the parties'
    // links, the remaining connections and the database close.
    close: () =>
      (closing ??= (async () => {
        draining = true;
        clearInterval(sweeper);
        const stopped = new Promise<void>((r) => server.close(() => r()));
        server.closeIdleConnections?.();
        if (inFlight > 0) {
          log(`gateway: shutting down, waiting for ${inFlight} request(s) in flight`);
          await new Promise<void>((r) => {
            const t = setTimeout(r, o.shutdownGraceMs ?? 10_000);
            drained.push(() => {
              clearTimeout(t);
              r();
            });
          });
        }
        await hub.close();
        server.closeAllConnections?.();
        await stopped;
        await store.close();
        log('gateway: stopped');
      })()),
  };
}

/** TUTTI_PRESIGN_STOCK: presignatures kept per key and signer set (0..128, default PRESIGN_TARGET). */
function presignStockFromEnv(): number {
  const v = process.env.TUTTI_PRESIGN_STOCK;
  if (v === undefined || v === '') return PRESIGN_TARGET;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 128) throw new Error(`TUTTI_PRESIGN_STOCK must be an integer 0..128, got '${v}'`);
  return n;
}
