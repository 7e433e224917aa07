// The operator console (docs/console.md): a read-only web page served by the gateway at /console.
//
// The static page (./public: plain HTML, JS and CSS, no build step) carries no data and is served
// to anyone. Everything it shows comes from GET /console/api/*, each request SigV4-signed in the
// browser with one of the gateway's API credentials (public/sigv4.js) and verified here by the
// same verifier as the KMS API (services/kms-api/sigv4.ts): no session, no cookie, no secret on
// the wire. Only GET routes exist: the console can change nothing.
//
// What a caller sees of keys goes through the KeyService with the caller's identity, so the key
// policies decide (ListKeys, and GetKeyPolicy for the revisions); recent signatures and audit
// entries are shown only for the keys the caller can list. Parties, their connection state and
// the Prometheus figures are the gateway's own (/healthz and /metrics show them without credentials).
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import express, { type Request, type Response, type Router } from 'express';
import type { Caller, KeyRecord, KeyService } from '../kms-api/key-service.ts';
import { KmsError, errorBody, errorStatus } from '../kms-api/errors.ts';
import { verifySigV4, type Credential } from '../kms-api/sigv4.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { AuditQueries } from './audit-queries.ts';
import type { RecentSignatures } from './recent-signatures.ts';

/** Defined by esbuild in the daemons' bundle (scripts/bundle-daemons.mjs): this folder's `public`, absolute. */
declare const TUTTI_BUNDLED_CONSOLE_DIR: string | undefined;

/** The page's files: `public` beside this module (from source), or where the bundle says they are. */
export const PUBLIC_DIR = typeof TUTTI_BUNDLED_CONSOLE_DIR === 'string' ? TUTTI_BUNDLED_CONSOLE_DIR : join(dirname(fileURLToPath(import.meta.url)), 'public');

export type ConsoleOptions = {
  keys: KeyService;
  credentials: Credential[];
  region: string;
  parties: string[];
  isConnected: (partyId: string) => boolean;
  /** Protocol sessions running with the party now (services/coordinator/session-runner.ts). */
  sessionsWith?: (partyId: string) => number;
  /** When each party last connected or disconnected (ms since the epoch). */
  connectionChanges: ReadonlyMap<string, number>;
  signatures: RecentSignatures;
  audits: AuditQueries;
  metrics: Metrics;
  /** The gateway's own figures: sessions running or queued, unsettled refreshes, share deletions pending. */
  gateway: () => Record<string, number> | Promise<Record<string, number>>;
  now?: () => number;
};

/** Most keys the console lists (one ListKeys page per 100). */
const MAX_KEYS = 500;

export function consoleRouter(o: ConsoleOptions): Router {
  const now = o.now ?? Date.now;
  const credentials = new Map(o.credentials.map((c) => [c.accessKeyId, c]));
  const router = express.Router();
  // The page loads only its own files and talks only to this gateway; it is never framed.
  router.use((_req, res, next) => {
    res.set('Content-Security-Policy', "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    res.set('X-Content-Type-Options', 'nosniff');
    res.set('Referrer-Policy', 'no-referrer');
    next();
  });

  // The region goes into each signature's scope; it is not a secret (every ARN names it).
  router.get('/api/info', (_req, res) => void res.json({ region: o.region, parties: o.parties }));

  router.get('/api/state', (req, res) =>
    authenticated(req, res, 'TuttiConsole.State', async (caller) => {
      const keys = await visibleKeys(o.keys, caller);
      const visible = new Set(keys.map((k) => k.keyId));
      res.json({
        now: now(),
        caller: caller.principal,
        parties: o.parties.map((partyId) => ({
          partyId,
          connected: o.isConnected(partyId),
          since: o.connectionChanges.get(partyId) ?? null,
          sessions: o.sessionsWith?.(partyId) ?? 0,
        })),
        keys: await Promise.all(keys.map((k) => keyView(o.keys, k, caller))),
        signatures: o.signatures.list().filter((s) => visible.has(s.keyId)),
        figures: { ...(await figures(o.metrics)), ...(await o.gateway()) },
      });
    }),
  );

  router.get('/api/audit', (req, res) =>
    authenticated(req, res, 'TuttiConsole.Audit', async (caller) => {
      const partyId = typeof req.query.party === 'string' ? req.query.party : '';
      if (!o.parties.includes(partyId)) {
        send(res, new KmsError('ValidationException', `unknown party '${partyId.slice(0, 64)}'`));
        return;
      }
      const visible = new Set((await visibleKeys(o.keys, caller)).map((k) => k.keyId));
      const answer = await o.audits.ask(partyId, Number(req.query.limit ?? 50) || 50);
      if (!answer) {
        res.json({ partyId, available: false, total: 0, entries: [] });
        return;
      }
      res.json({ partyId, available: true, total: answer.total, entries: answer.entries.filter((e) => visible.has(e.keyId)) });
    }),
  );

  // Read-only: any other method or path under /api is refused.
  router.all('/api/*path', (_req, res) => send(res, new KmsError('UnsupportedOperationException', 'the console is read-only')));
  router.use(express.static(PUBLIC_DIR, { index: 'index.html', maxAge: 0 }));

  /**
   * SigV4 as for the KMS API (X-Amz-Target signed), and the target must be this read's own
   * (`TuttiConsole.<Read>`): a console signature is no KMS call, and one read's is not another's.
   */
  async function authenticated(req: Request, res: Response, target: string, handle: (caller: Caller) => Promise<void>): Promise<void> {
    try {
      if (req.get('authorization') && req.get('x-amz-target') !== target) throw new KmsError('UnknownOperationException', `expected X-Amz-Target: ${target}`);
      const caller = verifySigV4(
        { method: req.method, url: req.originalUrl, rawHeaders: req.rawHeaders, body: Buffer.alloc(0) },
        { credentials, region: o.region, service: 'kms', now: new Date(now()) },
      );
      await handle(caller);
    } catch (err) {
      send(res, err instanceof KmsError ? err : new KmsError('KMSInternalException', 'internal error'));
    }
  }

  return router;
}

function send(res: Response, err: KmsError): void {
  if (!res.headersSent) res.status(errorStatus(err.type)).json(errorBody(err));
}

async function visibleKeys(keys: KeyService, caller: Caller): Promise<KeyRecord[]> {
  const out: KeyRecord[] = [];
  let marker: string | undefined;
  do {
    const page = await keys.listKeys(100, marker, caller);
    out.push(...page.keys);
    marker = page.nextMarker;
  } while (marker && out.length < MAX_KEYS);
  return out;
}

/** A key as the console shows it, with the signing-policy revision each party acknowledged (GetKeyPolicy's TuttiRevisions). */
async function keyView(keys: KeyService, k: KeyRecord, caller: Caller) {
  let revisions: { partyId: string; revision: number; policyHash: string }[] | null;
  try {
    revisions = ((await keys.signingPolicyRevisions?.(k.keyId, caller)) ?? []).map(({ partyId, revision, policyHash }) => ({ partyId, revision, policyHash }));
  } catch {
    revisions = null; // the key policy does not let this caller read it
  }
  return {
    keyId: k.keyId,
    arn: k.arn,
    keySpec: k.keySpec,
    keyState: k.keyState,
    description: k.description,
    created: k.creationDate.getTime(),
    threshold: k.threshold,
    parties: k.parties,
    revisions,
  };
}

/** The gateway's Prometheus figures the page charts (it derives rates from successive samples). */
async function figures(metrics: Metrics): Promise<Record<string, number>> {
  const out: Record<string, number> = {
    kmsRequests: 0,
    kmsErrors: 0,
    signRequests: 0,
    signSeconds: 0,
    signCount: 0,
    relayedEnvelopes: 0,
    relayedBytes: 0,
    protocolAborts: 0,
    partiesConnected: 0,
  };
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    for (const v of m.values as { labels: Record<string, string | number>; value: number; metricName?: string }[]) {
      switch (m.name) {
        case 'tutti_kms_requests_total':
          out.kmsRequests! += v.value;
          if (v.labels.outcome !== 'ok') out.kmsErrors! += v.value;
          if (v.labels.operation === 'Sign') out.signRequests! += v.value;
          break;
        case 'tutti_kms_request_duration_seconds':
          if (v.labels.operation !== 'Sign') break;
          if (v.metricName?.endsWith('_sum')) out.signSeconds! += v.value;
          if (v.metricName?.endsWith('_count')) out.signCount! += v.value;
          break;
        case 'tutti_relayed_envelopes_total':
          out.relayedEnvelopes! += v.value;
          break;
        case 'tutti_relayed_bytes_total':
          out.relayedBytes! += v.value;
          break;
        case 'tutti_protocol_aborts_total':
          out.protocolAborts! += v.value;
          break;
        case 'tutti_party_connected':
          out.partiesConnected! += v.value;
          break;
        default:
          break;
      }
    }
  }
  return out;
}
