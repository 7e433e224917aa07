// One signed call to the KMS JSON endpoint, for the CLI's Tutti extension commands (`cli.ts
// reshare`): the AWS SDK has no command for an operation KMS does not have, so the request is
// signed here with AWS Signature Version 4 (the same algorithm services/kms-api/sigv4.ts checks),
// with node:crypto only — the CLI does not depend on the SDK.
import { createHash, createHmac } from 'node:crypto';
import { formatAmzDate } from '../kms-api/sigv4.ts';

export type KmsCall = { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string; target: string; body: unknown };

const sha256hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const hmac = (key: Buffer | string, s: string) => createHmac('sha256', key).update(s, 'utf8').digest();

/** POSTs `body` as `TrentService.<target>`; returns the HTTP status and the parsed JSON answer. */
export async function kmsCall(c: KmsCall): Promise<{ status: number; json: Record<string, unknown> }> {
  const url = new URL(c.endpoint);
  const body = JSON.stringify(c.body);
  const amzDate = formatAmzDate(new Date());
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    'content-type': 'application/x-amz-json-1.1',
    host: url.host,
    'x-amz-content-sha256': sha256hex(body),
    'x-amz-date': amzDate,
    'x-amz-target': `TrentService.${c.target}`,
  };
  const names = Object.keys(headers).sort();
  const canonical = ['POST', '/', '', ...names.map((n) => `${n}:${headers[n]}`), '', names.join(';'), sha256hex(body)].join('\n');
  const scope = `${day}/${c.region}/kms/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256hex(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${c.secretAccessKey}`, day), c.region), 'kms'), 'aws4_request');
  const signature = createHmac('sha256', key).update(toSign, 'utf8').digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${c.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  const res = await fetch(new URL('/', url), { method: 'POST', headers, body });
  const text = await res.text();
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { message: text };
  }
  return { status: res.status, json };
}
