// Bad input against real processes: each gets the AWS error type, and the gateway keeps serving.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { createHash, createHmac } from 'node:crypto';
import { Agent, request } from 'node:http';
import { CreateKeyCommand, DescribeKeyCommand, type KMSClient, SignCommand, type SigningAlgorithmSpec } from '@aws-sdk/client-kms';
import { REGION, TEST_CREDENTIALS, TestCluster } from '../support/cluster.ts';

jest.setTimeout(120_000);

let cluster: TestCluster;
let kms: KMSClient;
let keyId: string;

beforeAll(async () => {
  cluster = await new TestCluster().start();
  kms = cluster.client();
  const out = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' }));
  keyId = out.KeyMetadata!.KeyId!;
});
afterAll(async () => {
  kms?.destroy();
  await cluster?.stop();
});

/** Minimal SigV4 signer for hand-made requests (AWS Signature Version 4 documentation). */
function signed(target: string, body: string, opts: { secret?: string; accessKeyId?: string; date?: Date } = {}): Record<string, string> {
  const date = opts.date ?? new Date();
  const amzDate = date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const host = new URL(cluster.endpoint).host;
  const headers: Record<string, string> = {
    'content-type': 'application/x-amz-json-1.1',
    host,
    'x-amz-date': amzDate,
    'x-amz-target': `TrentService.${target}`,
  };
  const names = Object.keys(headers).sort();
  const canonical = ['POST', '/', '', ...names.map((n) => `${n}:${headers[n]}`), '', names.join(';'), createHash('sha256').update(body).digest('hex')].join(
    '\n',
  );
  const scope = `${day}/${REGION}/kms/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  let k: Buffer = createHmac('sha256', 'AWS4' + (opts.secret ?? TEST_CREDENTIALS.secretAccessKey))
    .update(day)
    .digest();
  for (const part of [REGION, 'kms', 'aws4_request']) k = createHmac('sha256', k).update(part).digest();
  const signature = createHmac('sha256', k).update(toSign).digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${opts.accessKeyId ?? TEST_CREDENTIALS.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  delete headers.host;
  return headers;
}

async function call(target: string, body: string, opts: Parameters<typeof signed>[2] & { unsigned?: boolean } = {}) {
  const headers = opts.unsigned ? { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${target}` } : signed(target, body, opts);
  const res = await fetch(cluster.endpoint + '/', { method: 'POST', headers, body });
  return { status: res.status, body: (await res.json()) as { __type?: string; message?: string } };
}

describe('bad input gets AWS errors and changes nothing', () => {
  test('unknown key', async () => {
    await expect(kms.send(new DescribeKeyCommand({ KeyId: '00000000-0000-4000-8000-000000000000' }))).rejects.toMatchObject({ name: 'NotFoundException' });
  });
  test('malformed JSON', async () => {
    const r = await call('DescribeKey', '{"KeyId": ');
    expect(r.status).toBe(400);
    expect(r.body.__type).toMatch(/SerializationException/);
  });
  test('wrong algorithm for the key', async () => {
    await expect(
      kms.send(new SignCommand({ KeyId: keyId, Message: new Uint8Array([1]), MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' })),
    ).rejects.toMatchObject({ name: 'InvalidKeyUsageException' });
  });
  test('oversized message', async () => {
    await expect(
      kms.send(new SignCommand({ KeyId: keyId, Message: new Uint8Array(4097), MessageType: 'RAW', SigningAlgorithm: 'ED25519_SHA_512' })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });
  test('missing SigV4', async () => {
    const r = await call('DescribeKey', JSON.stringify({ KeyId: keyId }), { unsigned: true });
    expect(r.status).toBe(400);
    expect(r.body.__type).toMatch(/MissingAuthenticationToken/);
  });
  test('wrong secret', async () => {
    const r = await call('DescribeKey', JSON.stringify({ KeyId: keyId }), { secret: 'not-the-secret' });
    expect(r.status).toBe(400);
    expect(r.body.__type).toMatch(/InvalidSignatureException/);
  });
  test('unknown access key', async () => {
    const r = await call('DescribeKey', JSON.stringify({ KeyId: keyId }), { accessKeyId: 'AKIAUNKNOWN000000000' });
    expect(r.body.__type).toMatch(/UnrecognizedClientException/);
  });
  test('signature from 10 minutes ago', async () => {
    const r = await call('DescribeKey', JSON.stringify({ KeyId: keyId }), { date: new Date(Date.now() - 10 * 60_000) });
    expect(r.body.__type).toMatch(/InvalidSignatureException/);
    expect(r.body.message).toMatch(/Signature expired/);
  });
  test('after all of that the gateway still signs', async () => {
    const out = await kms.send(
      new SignCommand({
        KeyId: keyId,
        Message: new TextEncoder().encode('still here'),
        MessageType: 'RAW',
        SigningAlgorithm: 'ED25519_SHA_512' as SigningAlgorithmSpec,
      }),
    );
    expect(out.Signature?.length).toBe(64);
  });
});

describe('idle connections', () => {
  // The race behind an occasional "socket hang up": Node's server closed an idle keep-alive
  // connection after 5 s, and a client (@aws-sdk's agent keeps idle sockets without a timeout of
  // its own) could send on it just then. The gateway keeps idle connections 65 s and says so
  // (services/main/gateway.ts, keepAliveTimeout), so a client that comes back after more than 5 s
  // reuses its socket.
  test('the gateway announces Keep-Alive timeout=65 and still has the socket after 5 s idle', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<{ reused: boolean; keepAlive: string | undefined }>((resolve, reject) => {
        const req = request(`${cluster.endpoint}/healthz`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve({ reused: req.reusedSocket, keepAlive: res.headers['keep-alive'] as string | undefined }));
        });
        req.on('error', reject);
        req.end();
      });
    try {
      expect(await get()).toEqual({ reused: false, keepAlive: 'timeout=65' });
      await new Promise((r) => setTimeout(r, 5_500));
      expect(await get()).toEqual({ reused: true, keepAlive: 'timeout=65' });
    } finally {
      agent.destroy();
    }
  });
});
