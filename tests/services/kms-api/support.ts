// Shared by the kms-api tests: start the front end on 127.0.0.1:0 with a FakeKeyService, talk to it
// with the real @aws-sdk/client-kms, or with fetch signed by @smithy/signature-v4 (the signer inside
// the SDK, used on its own so that tests can sign, leave out or tamper with exactly what they want).
import { createHash, createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KMSClient } from '@aws-sdk/client-kms';
import { SignatureV4 } from '@smithy/signature-v4';
import { createKmsApp } from '../../../services/kms-api/app.ts';
import { createMetrics, type Metrics } from '../../../services/metrics/metrics.ts';
import { FakeKeyService } from './fake-key-service.ts';

export const REGION = 'us-east-1';
export const ACCOUNT = '111122223333';
export const CREDS = {
  accessKeyId: 'AKIATUTTITEST0000001',
  secretAccessKey: 'tutti-test-secret-0000000000000000000001',
  principal: 'arn:aws:iam::111122223333:user/alice',
};

export type TestServer = { url: string; host: string; keys: FakeKeyService; metrics: Metrics; logs: string[]; close(): Promise<void> };

export async function startServer(opts: { now?: () => Date; maxBodyBytes?: number } = {}): Promise<TestServer> {
  const keys = new FakeKeyService(REGION, ACCOUNT);
  const metrics = createMetrics('gateway');
  const logs: string[] = [];
  const app = createKmsApp({ keyService: keys, credentials: [CREDS], region: REGION, accountId: ACCOUNT, metrics, log: (l) => logs.push(l), ...opts });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    keys,
    metrics,
    logs,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

export function sdkClient(url: string, extra: Partial<ConstructorParameters<typeof KMSClient>[0]> = {}): KMSClient {
  return new KMSClient({
    endpoint: url,
    region: REGION,
    credentials: { accessKeyId: CREDS.accessKeyId, secretAccessKey: CREDS.secretAccessKey },
    maxAttempts: 1,
    ...extra,
  });
}

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: SourceData) => (typeof d === 'string' ? d : ArrayBuffer.isView(d) ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : new Uint8Array(d));

/** The hash @smithy/signature-v4 asks for, from node:crypto. */
export class Sha256 {
  private readonly h;
  constructor(secret?: SourceData) {
    this.h = secret ? createHmac('sha256', bytes(secret)) : createHash('sha256');
  }
  update(data: SourceData): void {
    this.h.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
}

export type RawRequest = {
  /** Operation name; null sends no X-Amz-Target. */
  target?: string | null;
  body?: string | Uint8Array;
  /** false: send without Authorization. */
  sign?: boolean;
  accessKeyId?: string;
  secretAccessKey?: string;
  region?: string;
  service?: string;
  signingDate?: Date;
  /** Sign and send x-amz-content-sha256 as the JS SDK does (default), or not, as botocore does. */
  contentSha256?: boolean;
  /** Headers to leave out of SignedHeaders. */
  unsigned?: string[];
  extraHeaders?: Record<string, string>;
  /** Change the request after signing (tampering). */
  after?: (r: { headers: Record<string, string>; body: string | Uint8Array }) => void;
};

export type RawResponse = { status: number; headers: Headers; text: string; json: Record<string, unknown> | null };

/** Where rawRequest sends: a test server, or any endpoint (e.g. a running cluster's gateway). */
export type Endpoint = Pick<TestServer, 'url' | 'host'>;

/** A request to the KMS endpoint through fetch, SigV4-signed unless told otherwise. */
export async function rawRequest(server: Endpoint, r: RawRequest = {}): Promise<RawResponse> {
  let headers: Record<string, string> = {
    host: server.host,
    'content-type': 'application/x-amz-json-1.1',
    ...(r.target === null ? {} : { 'x-amz-target': `TrentService.${r.target ?? 'DescribeKey'}` }),
    ...r.extraHeaders,
  };
  const body = r.body ?? '{}';
  if (r.sign !== false) {
    const signer = new SignatureV4({
      credentials: { accessKeyId: r.accessKeyId ?? CREDS.accessKeyId, secretAccessKey: r.secretAccessKey ?? CREDS.secretAccessKey },
      region: r.region ?? REGION,
      service: r.service ?? 'kms',
      sha256: Sha256,
      applyChecksum: r.contentSha256 ?? true,
    });
    const signed = await signer.sign(
      { method: 'POST', protocol: 'http:', hostname: '127.0.0.1', path: '/', query: {}, headers, body },
      { signingDate: r.signingDate ?? new Date(), unsignableHeaders: new Set(r.unsigned ?? []) },
    );
    headers = signed.headers as Record<string, string>;
  }
  const mutable = { headers, body };
  r.after?.(mutable);
  const res = await fetch(`${server.url}/`, { method: 'POST', headers: mutable.headers, body: mutable.body });
  const text = await res.text();
  let json: Record<string, unknown> | null;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = null;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Sends a raw request and returns the error body and status. */
export async function rawError(server: Endpoint, r: RawRequest): Promise<{ status: number; body: Record<string, unknown> | null; headers: Headers }> {
  const res = await rawRequest(server, r);
  return { status: res.status, body: res.json, headers: res.headers };
}

export const b64 = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64');
