// Helpers for the TLS end-to-end tests: HTTPS requests trusting a private CA, a KMS client that
// trusts it the way the AWS SDK documents (a custom https.Agent), and waiting for readiness.
import { Agent, request } from 'node:https';
import { KMSClient } from '@aws-sdk/client-kms';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** GET over HTTPS trusting `ca`; resolves with status and parsed JSON body. */
export function httpsJson(url: string, ca: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> });
        } catch (e) {
          reject(e as Error);
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Polls `<endpoint>/readyz` until it answers 200 with `n` parties connected. */
export async function waitReadyTls(endpoint: string, ca: string, n: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const r = await httpsJson(`${endpoint}/readyz`, ca);
      last = JSON.stringify(r);
      if (r.status === 200 && ((r.body.connectedParties as string[] | undefined)?.length ?? 0) >= n) return;
    } catch (e) {
      last = String(e);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gateway not ready with ${n} parties within ${timeoutMs} ms (last: ${last})`);
}

/** The SDK as a user configures it for a private CA. */
export function kmsClientWithCa(endpoint: string, region: string, credentials: { accessKeyId: string; secretAccessKey: string }, ca?: string): KMSClient {
  return new KMSClient({
    endpoint,
    region,
    credentials,
    maxAttempts: 2,
    ...(ca ? { requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ ca }) }) } : {}),
  });
}
