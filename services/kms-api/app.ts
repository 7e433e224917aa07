// The AWS KMS JSON 1.1 front end: `POST /` with `X-Amz-Target: TrentService.<Operation>`, SigV4,
// one handler per operation (./operations), AWS error shapes (./errors.ts). Knows no cryptography:
// everything about keys goes through the KeyService.
//
// Per request: target known? → body within the limit → SigV4 → operation implemented? → JSON object
// → operation (schema, then KeyService) → 200 JSON or an AWS error. Every response carries
// `Content-Type: application/x-amz-json-1.1`, `x-amzn-RequestId` and `Date` (the JS SDK corrects its
// clock skew from `Date`, docs/kms-compatibility.md "Wire protocol").
//
// Also `GET /healthz` and `GET /metrics` (Prometheus text). These are not authenticated: bind the
// gateway to loopback or put them behind the operator's network controls.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import express, { type NextFunction, type Request, type Response } from 'express';
import { createMetrics, type Metrics } from '../metrics/metrics.ts';
import { GENERIC_INTERNAL_MESSAGE, KmsError, errorBody, errorStatus, internal, serialization, unknownOperation, unsupported, validation } from './errors.ts';
import type { KeyService } from './key-service.ts';
import { KMS_OPERATIONS, OPERATIONS, TUTTI_OPERATIONS } from './operations/index.ts';
import { verifySigV4, type Credential } from './sigv4.ts';

export type KmsAppOptions = {
  keyService: KeyService;
  /** Static SigV4 credentials; `principal` is what the KeyService sees as the caller. */
  credentials: Credential[];
  /** The region clients sign for and ARNs name. */
  region: string;
  /** The 12-digit account that owns every key (ARNs themselves come from the KeyService). */
  accountId: string;
  /** Defaults to a fresh `createMetrics('gateway')`. */
  metrics?: Metrics;
  /** Clock for SigV4 skew checks and the `Date` header (tests move it). */
  now?: () => Date;
  /** Largest request body accepted, in bytes (default 1 MiB); larger → ValidationException, connection closed. */
  maxBodyBytes?: number;
  /** One line per server-side fault (never request bodies or Authorization). Default: stderr. */
  log?: (line: string, fields?: Record<string, string | number | boolean | undefined>) => void;
  /**
   * Also one line per request (request id, operation, outcome, status, duration, caller's access
   * key id, the SDK's invocation id): the gateway turns it on with TUTTI_LOG_FORMAT=json.
   */
  accessLog?: boolean;
};

export const KMS_CONTENT_TYPE = 'application/x-amz-json-1.1';
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const TARGET_PREFIX = 'TrentService.';

export function createKmsApp(o: KmsAppOptions): express.Application {
  const now = o.now ?? (() => new Date());
  const log = o.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const metrics = o.metrics ?? createMetrics('gateway');
  const maxBodyBytes = o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const credentials = new Map(o.credentials.map((c) => [c.accessKeyId, c]));

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((_req, res, next) => {
    res.locals.requestId = randomUUID();
    res.set('x-amzn-RequestId', res.locals.requestId as string);
    res.set('Date', now().toUTCString());
    next();
  });

  app.post('/', async (req: Request, res: Response) => {
    const started = performance.now();
    const requestId = res.locals.requestId as string;
    let operation = 'unknown';
    let outcome = 'ok';
    try {
      const target = req.get('x-amz-target') ?? '';
      const name = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
      if (!KMS_OPERATIONS.has(name) && !TUTTI_OPERATIONS.has(name)) throw unknownOperation();
      operation = name;

      const body = await readBody(req, maxBodyBytes).catch((err: unknown) => {
        res.set('Connection', 'close');
        throw err;
      });
      const caller = verifySigV4(
        { method: req.method, url: req.originalUrl, rawHeaders: req.rawHeaders, body },
        { credentials, region: o.region, service: 'kms', now: now() },
      );
      const op = OPERATIONS.get(name);
      if (!op) throw unsupported(`${name} is not supported by this service.`);
      const result = await op.handle(parseJsonObject(body), { keys: o.keyService, caller });
      send(res, 200, result);
    } catch (err) {
      const error = asKmsError(err, requestId, operation, log);
      outcome = error.type;
      if (res.headersSent) log(`kms-api request=${requestId} op=${operation}: error after the response was sent: ${error.type}`);
      else send(res, errorStatus(error.type), errorBody(error));
    } finally {
      if (o.accessLog) {
        const durationMs = Math.round(performance.now() - started);
        // The access key id names the caller without a secret; the SDK's invocation id ties retries together.
        const accessKeyId = /Credential=([A-Z0-9]{16,128})\//.exec(req.get('authorization') ?? '')?.[1];
        log(`kms-api request=${requestId} op=${operation} outcome=${outcome} status=${res.statusCode} ms=${durationMs}`, {
          level: 'info',
          requestId,
          operation,
          outcome,
          status: res.statusCode,
          durationMs,
          accessKeyId,
          invocationId: req.get('amz-sdk-invocation-id')?.slice(0, 64),
        });
      }
      metrics.kmsRequests.inc({ operation, outcome });
      metrics.kmsRequestDuration.observe({ operation }, (performance.now() - started) / 1000);
    }
  });

  app.get('/healthz', (_req, res) => send(res, 200, { status: 'ok' }));

  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  // Anything else: a JSON error, never Express's HTML page.
  app.use((_req: Request, res: Response) => send(res, 404, errorBody(unknownOperation())));
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const error = asKmsError(err, res.locals.requestId as string, 'unknown', log);
    if (!res.headersSent) send(res, errorStatus(error.type), errorBody(error));
  });

  return app;
}

function send(res: Response, status: number, body: object): void {
  res
    .status(status)
    .set('Content-Type', KMS_CONTENT_TYPE)
    .send(Buffer.from(JSON.stringify(body)));
}

/** KmsErrors pass through; anything else is a bug: logged in full, answered with a generic 500. */
function asKmsError(err: unknown, requestId: string, operation: string, log: (line: string) => void): KmsError {
  if (err instanceof KmsError) {
    if (errorStatus(err.type) >= 500) log(`kms-api request=${requestId} op=${operation} ${err.type}: ${err.message}`);
    return err;
  }
  log(`kms-api request=${requestId} op=${operation} unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  return internal(GENERIC_INTERNAL_MESSAGE);
}

/** The raw body, refused as soon as it is known to exceed `limit` (before any hashing or parsing). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => validation(`Request body must be at most ${limit} bytes.`);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.pause();
        reject(tooLarge());
      } else {
        chunks.push(chunk);
      }
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    // A client that goes away mid-body: settle, so nothing waits on it (no response can be sent anyway).
    req.on('close', () => {
      if (!req.complete) reject(validation('The request body was not received in full.'));
    });
  });
}

/** An empty body is `{}`; anything but a JSON object is SerializationException. */
function parseJsonObject(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw serialization();
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw serialization();
  return value as Record<string, unknown>;
}
