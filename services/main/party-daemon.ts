// A party process: loads (or creates) its identity and master key, opens its share store, connects
// to the coordinator and serves /metrics. `node … party --data DIR --coordinator URL[,URL…]`: with
// several URLs (gateway replicas, docs/operations.md "Gateway replicas") one link per gateway,
// each pinned (peers.json "coordinators", paired with the URLs in order; or one "coordinator" pin
// that every replica shares), routed by services/party/gateway-links.ts.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openDatabase } from '../storage/db.ts';
import { loadMasterKey } from '../storage/master-key.ts';
import { ShareStore } from '../storage/share-store.ts';
import { ConsumedStore } from '../storage/consumed-store.ts';
import { PolicyStore } from '../storage/policy-store.ts';
import { BanStore } from '../storage/ban-store.ts';
import { RefreshStore } from '../storage/refresh-store.ts';
import { SessionHost } from '../party/session-host.ts';
import { PolicyGate } from '../party/policy-gate.ts';
import { readIdentityFile } from '../storage/identity-file.ts';
import { parsePublicIdentity, publicIdentity } from '../transport/identity.ts';
import { PartyLink } from '../transport/party-link.ts';
import { createMetrics } from '../metrics/metrics.ts';
import { Party } from '../party/party.ts';
import { FaultInjection } from '../party/fault-injection.ts';
import type { CoordinatorToParty, PartyToCoordinator } from '../control/messages.ts';
import { initParty } from './cluster.ts';
import { paths } from './config.ts';
import { basename } from 'node:path';
import { parseCoordinatorPin, type CoordinatorPin } from '../transport/coordinator-identity.ts';
import { GatewayLinks } from '../party/gateway-links.ts';
import { DeletionStore } from '../storage/deletion-store.ts';
import { SessionStore } from '../storage/session-store.ts';
import { installNativeCrypto } from '../party/native-crypto.ts';

export type PartyDaemonOptions = {
  /** The gateway's URL; several, comma-separated, for gateway replicas (one link each). */
  coordinatorUrl: string;
  metricsHost?: string;
  /** Port for /metrics and /healthz; 0 picks a free one; undefined serves none. */
  metricsPort?: number;
  /** Tests only (TUTTI_TEST_STALL): points at which this party goes silent (fault-injection.ts). */
  stallAt?: string[];
  /** Tests only (TUTTI_TEST_TAMPER): rounds in which this party corrupts its point-to-point payloads. */
  tamperAt?: string[];
  /** Worker threads for DKLs23 sessions (default: the machine's parallelism, at most 4). */
  sessionWorkers?: number;
  /** The wait between a signed deletion record and the deletion (default: the key's window, at least 7 days). */
  deletionWaitMs?: number;
  /** How long an unfinished session is kept (TUTTI_SESSION_TTL_MS; default 60 s, party.ts). */
  sessionTtlMs?: number;
  log?: (line: string) => void;
  /** For a wss:// coordinator: the CA bundle (PEM) its certificate must chain to (default: the system's CAs). */
  tlsCa?: string;
  /** On close: how long sessions in progress may take to finish before the link closes (default 10 s). */
  shutdownGraceMs?: number;
};

export type RunningParty = { partyId: string; metricsPort: number | undefined; party: Party; close: () => Promise<void> };

export async function startPartyFromDir(dir: string, o: PartyDaemonOptions): Promise<RunningParty> {
  installNativeCrypto();
  const log = o.log ?? ((line: string) => console.log(line));
  const masterKey = loadMasterKey({ dataDir: dir, env: process.env });
  // First start: generate the identity (never overwritten once it exists), sealed under the master key.
  if (!existsSync(paths.identity(dir))) initParty(dir, basename(dir));
  if (o.deletionWaitMs !== undefined && !(Number.isSafeInteger(o.deletionWaitMs) && o.deletionWaitMs >= 0)) {
    throw new Error(`TUTTI_DELETION_WAIT_MS must be a whole number of milliseconds ≥ 0, not ${o.deletionWaitMs}`);
  }
  if (o.sessionTtlMs !== undefined && !(Number.isSafeInteger(o.sessionTtlMs) && o.sessionTtlMs >= 1000)) {
    throw new Error(`TUTTI_SESSION_TTL_MS must be a whole number of milliseconds ≥ 1000, not ${o.sessionTtlMs}`);
  }
  // An identity.json from before it was sealed is rewritten sealed now, with the same keys.
  const { identity, migrated } = readIdentityFile(paths.identity(dir), masterKey);
  if (migrated)
    log(`party ${identity.partyId}: ${paths.identity(dir)} held its identity keys in clear; it is now sealed under the master key (same public keys)`);
  const peersFile = paths.peers(dir);
  if (!existsSync(peersFile)) {
    throw new Error(
      `${peersFile} is missing: list the parties this one accepts (see docs/operations.md). This party's identity: ${JSON.stringify(publicIdentity(identity))}`,
    );
  }
  const peersConfig = JSON.parse(readFileSync(peersFile, 'utf8')) as { peers: unknown[]; coordinator?: unknown; coordinators?: unknown };
  const allowlist = peersConfig.peers.map(parsePublicIdentity);
  // The gateway this party accepts, pinned like its peers (docs/security.md "How a party knows its
  // coordinator"); or the gateway replicas, each pinned ("coordinators").
  if (peersConfig.coordinator === undefined && peersConfig.coordinators === undefined) {
    throw new Error(
      `${peersFile} pins no coordinator: add {"coordinator": {"coordinatorId": "…", "signPublic": "…"}} as the gateway prints it at start (docs/operations.md)`,
    );
  }
  let pins: CoordinatorPin[];
  try {
    if (peersConfig.coordinators !== undefined) {
      if (!Array.isArray(peersConfig.coordinators) || peersConfig.coordinators.length === 0 || peersConfig.coordinator !== undefined)
        throw new TypeError('"coordinators" must be a non-empty list of pins, and replaces "coordinator"');
      pins = peersConfig.coordinators.map(parseCoordinatorPin);
    } else pins = [parseCoordinatorPin(peersConfig.coordinator)];
  } catch (e) {
    throw new Error(`${peersFile}: ${(e as Error).message}`, { cause: e });
  }
  const urls = o.coordinatorUrl.split(',').map((u) => u.trim());
  if (pins.length !== 1 && pins.length !== urls.length) {
    throw new Error(`${peersFile} pins ${pins.length} gateways but ${urls.length} gateway URLs were given: give one URL per pin, in the same order`);
  }
  const pinOf = (i: number) => pins[pins.length === 1 ? 0 : i]!;
  const coordinator = pins.length === 1 ? pins[0]! : pins;
  const db = openDatabase(paths.sharesDb(dir));
  const shares = new ShareStore(db, masterKey);
  const consumed = new ConsumedStore(db);
  const metrics = createMetrics('party');
  // Each key's signing policy, rate-limit counters and the audit log live in the same database.
  const policies = new PolicyGate({ store: new PolicyStore(db, masterKey), metrics });
  const bans = new BanStore(db);
  const refreshes = new RefreshStore(db);
  for (const b of bans.all())
    log(`party ${identity.partyId}: key ${b.keyId}: party ${b.peerIndex} (${b.peerId}) is banned since ${new Date(b.bannedAt).toISOString()}: ${b.reason}`);
  // DKLs23 key generation (seconds of base OTs) runs in worker threads, so this process keeps
  // answering its other sessions and /healthz meanwhile. Loaded now: a worker takes ~0.4 s to start.
  const sessionHost = new SessionHost({ size: o.sessionWorkers, log });
  sessionHost.warm();

  let links: GatewayLinks<PartyLink> | undefined;
  // Tests only: TUTTI_TEST_STALL / TUTTI_TEST_TAMPER (fault-injection.ts); a production party has none.
  const faults =
    o.stallAt?.length || o.tamperAt?.length ? new FaultInjection({ partyId: identity.partyId, log, stallAt: o.stallAt, tamperAt: o.tamperAt }) : undefined;
  const party = new Party({
    identity,
    allowlist,
    shares,
    consumed,
    policies,
    bans,
    refreshes,
    sessionHost,
    metrics,
    log,
    ...(faults ? { faults } : {}),
    coordinator,
    deletions: new DeletionStore(db),
    deletionWaitMs: o.deletionWaitMs,
    ...(o.sessionTtlMs !== undefined ? { sessionTtlMs: o.sessionTtlMs } : {}),
    sessionIds: new SessionStore(db),
    send: (msg: PartyToCoordinator) => {
      links?.send(msg);
    },
  });
  // A refresh cut off before this party confirmed it is abandoned; a confirmed one keeps its new
  // share and waits for its certificate or rollback (activation.ts). Any other pending share
  // belongs to a DKG cut off by a crash: that session can never finish.
  const recovered = party.activation!.recoverAtStart();
  if (recovered.abandoned.length)
    log(`party ${identity.partyId}: abandoned refreshes cut off before this party confirmed them: ${recovered.abandoned.join(', ')}`);
  if (recovered.waiting.length) log(`party ${identity.partyId}: confirmed refreshes wait for their certificate or rollback: ${recovered.waiting.join(', ')}`);
  const dropped = shares.discardAllPending(party.activation!.keptPending());
  if (dropped.length) log(`party ${identity.partyId}: dropped pending shares of unfinished key generations: ${dropped.join(', ')}`);
  const gatewayLinks: PartyLink[] = urls.map((url, i) => {
    const name = urls.length === 1 ? 'link' : `link to ${url}`;
    const link: PartyLink = new PartyLink({
      url,
      ...(o.tlsCa !== undefined ? { ca: o.tlsCa } : {}),
      identity,
      coordinator: pinOf(i),
      onRefused: (reason) => log(`party ${identity.partyId}: refused from the coordinator ${name}: ${reason}`),
      onMessage: (msg) => {
        links!.received(link, msg);
        party.handle(msg as unknown as CoordinatorToParty);
      },
      onState: (state, detail) => {
        metrics.partyConnections.set({ party: identity.partyId }, links?.anyReady() || state === 'ready' ? 1 : 0);
        if (state === 'ready' || detail.reason) log(`party ${identity.partyId}: ${name} ${state}${detail.reason ? ` (${detail.reason})` : ''}`);
      },
    });
    return link;
  });
  links = new GatewayLinks(gatewayLinks);
  for (const l of gatewayLinks) l.start();
  const sweeper = setInterval(() => party.sweep(), 5_000);
  sweeper.unref();

  let draining = false;
  let server: Server | undefined;
  let metricsPort: number | undefined;
  if (o.metricsPort !== undefined) {
    server = createServer((req, res) => {
      if (req.url === '/metrics') {
        metrics.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': metrics.registry.contentType });
            res.end(text);
          },
          () => {
            res.writeHead(500);
            res.end();
          },
        );
      } else if (req.url === '/readyz') {
        // Ready: linked to the gateway (authenticated both ways) and not shutting down.
        const ready = !draining && (links?.anyReady() ?? false);
        res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ready, partyId: identity.partyId, ...(ready ? {} : { reason: draining ? 'shutting down' : 'not linked to the gateway' }) }));
      } else if (req.url === '/healthz') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ partyId: identity.partyId, connected: links?.anyReady() ?? false, sessions: party.activeSessions }));
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', (err) => reject(new Error(`cannot serve metrics on ${o.metricsHost ?? '127.0.0.1'}:${o.metricsPort}: ${err.message}`)));
      server!.listen(o.metricsPort, o.metricsHost ?? '127.0.0.1', resolve);
    });
    metricsPort = (server.address() as AddressInfo).port;
  }

  return {
    partyId: identity.partyId,
    metricsPort,
    party,
    close: async () => {
      draining = true;
      clearInterval(sweeper);
      // Graceful: sessions in progress (a Sign's remaining rounds) finish on the open link, up to the grace period.
      const deadline = Date.now() + (o.shutdownGraceMs ?? 10_000);
      if (party.activeSessions > 0) log(`party ${identity.partyId}: shutting down, waiting for ${party.activeSessions} session(s)`);
      while (party.activeSessions > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await Promise.all(gatewayLinks.map((l) => l.close()));
      await sessionHost.close();
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      db.close();
    },
  };
}
