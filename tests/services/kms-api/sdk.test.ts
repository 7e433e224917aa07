// The front end driven by the real @aws-sdk/client-kms: the happy paths of every operation, and the
// SDK-visible behaviour of errors (class from __type, retries on 5xx, clock-skew correction).
import { describe, expect, test } from '@jest/globals';
import {
  CreateKeyCommand,
  DescribeKeyCommand,
  GetPublicKeyCommand,
  KMSInvalidSignatureException,
  type KMSServiceException,
  ListKeysCommand,
  NotFoundException,
  SignCommand,
  VerifyCommand,
  type KeySpec,
  type SigningAlgorithmSpec,
} from '@aws-sdk/client-kms';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ed448 } from '@noble/curves/ed448.js';
import { ACCOUNT, CREDS, REGION, sdkClient, startServer } from './support.ts';

const enc = new TextEncoder();

describe('kms-api through @aws-sdk/client-kms', () => {
  test('CreateKey returns the KeyMetadata AWS returns, and DescribeKey returns the same by id and by ARN', async () => {
    const server = await startServer();
    try {
      const kms = sdkClient(server.url);
      const created = await kms.send(
        new CreateKeyCommand({
          KeySpec: 'ECC_NIST_EDWARDS25519',
          KeyUsage: 'SIGN_VERIFY',
          Description: 'solana payouts',
          Tags: [
            { TagKey: 'tutti:threshold', TagValue: '2' },
            { TagKey: 'tutti:parties', TagValue: '3' },
          ],
        }),
      );
      const md = created.KeyMetadata!;
      expect(md.KeyId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(md).toMatchObject({
        AWSAccountId: ACCOUNT,
        Arn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/${md.KeyId}`,
        Enabled: true,
        Description: 'solana payouts',
        KeyUsage: 'SIGN_VERIFY',
        KeyState: 'Enabled',
        Origin: 'AWS_KMS',
        KeyManager: 'CUSTOMER',
        KeySpec: 'ECC_NIST_EDWARDS25519',
        CustomerMasterKeySpec: 'ECC_NIST_EDWARDS25519',
        SigningAlgorithms: ['ED25519_SHA_512'],
        MultiRegion: false,
      });
      expect(md.CreationDate).toBeInstanceOf(Date);
      expect(Math.abs(md.CreationDate!.getTime() - Date.now())).toBeLessThan(5_000);
      expect(md.EncryptionAlgorithms).toBeUndefined();

      // The tags reach the coordinator untouched, with the caller SigV4 established.
      const call = server.keys.calls.find((c) => c.method === 'createKey')!;
      expect(call.caller).toEqual({ accessKeyId: CREDS.accessKeyId, principal: CREDS.principal });
      expect(call.args).toEqual({
        keySpec: 'ECC_NIST_EDWARDS25519',
        keyUsage: 'SIGN_VERIFY',
        description: 'solana payouts',
        tags: [
          { TagKey: 'tutti:threshold', TagValue: '2' },
          { TagKey: 'tutti:parties', TagValue: '3' },
        ],
      });

      const byId = await kms.send(new DescribeKeyCommand({ KeyId: md.KeyId }));
      const byArn = await kms.send(new DescribeKeyCommand({ KeyId: md.Arn }));
      expect(byId.KeyMetadata).toEqual(md);
      expect(byArn.KeyMetadata).toEqual(md);
    } finally {
      await server.close();
    }
  });

  test('GetPublicKey, Sign and Verify with Ed25519 (ED25519_SHA_512, RAW)', async () => {
    const server = await startServer();
    try {
      const kms = sdkClient(server.url);
      const { KeyMetadata } = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' }));
      const keyId = KeyMetadata!.KeyId!;
      const arn = KeyMetadata!.Arn!;

      const pub = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
      expect(pub).toMatchObject({
        KeyId: arn,
        KeySpec: 'ECC_NIST_EDWARDS25519',
        CustomerMasterKeySpec: 'ECC_NIST_EDWARDS25519',
        KeyUsage: 'SIGN_VERIFY',
        SigningAlgorithms: ['ED25519_SHA_512'],
      });
      const spki = pub.PublicKey!;
      expect(spki.length).toBe(44);
      expect(Buffer.from(spki.subarray(0, 12)).toString('hex')).toBe('302a300506032b6570032100');

      const message = enc.encode('hello');
      const signed = await kms.send(new SignCommand({ KeyId: keyId, Message: message, SigningAlgorithm: 'ED25519_SHA_512' }));
      expect(signed.KeyId).toBe(arn);
      expect(signed.SigningAlgorithm).toBe('ED25519_SHA_512');
      expect(signed.Signature!.length).toBe(64);
      expect(ed25519.verify(signed.Signature!, message, spki.subarray(12))).toBe(true);
      // MessageType defaults to RAW when the caller leaves it out.
      expect((server.keys.calls.find((c) => c.method === 'sign')!.args as { messageType: string }).messageType).toBe('RAW');

      const verified = await kms.send(
        new VerifyCommand({ KeyId: arn, Message: message, MessageType: 'RAW', Signature: signed.Signature, SigningAlgorithm: 'ED25519_SHA_512' }),
      );
      expect(verified).toMatchObject({ KeyId: arn, SignatureValid: true, SigningAlgorithm: 'ED25519_SHA_512' });

      const bad = kms.send(new VerifyCommand({ KeyId: keyId, Message: enc.encode('hellO'), Signature: signed.Signature, SigningAlgorithm: 'ED25519_SHA_512' }));
      await expect(bad).rejects.toBeInstanceOf(KMSInvalidSignatureException);
    } finally {
      await server.close();
    }
  });

  test('the Ed448 extension passes through the SDK unchanged (ECC_NIST_EDWARDS448 / ED448_SHAKE_256)', async () => {
    const server = await startServer();
    try {
      const kms = sdkClient(server.url);
      const { KeyMetadata } = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_EDWARDS448' as KeySpec, KeyUsage: 'SIGN_VERIFY' }));
      expect(KeyMetadata).toMatchObject({ KeySpec: 'ECC_NIST_EDWARDS448', SigningAlgorithms: ['ED448_SHAKE_256'] });
      const pub = await kms.send(new GetPublicKeyCommand({ KeyId: KeyMetadata!.KeyId }));
      expect(pub.PublicKey!.length).toBe(69);
      expect(Buffer.from(pub.PublicKey!.subarray(0, 12)).toString('hex')).toBe('3043300506032b6571033a00');
      const message = enc.encode('quilibrium reward');
      const signed = await kms.send(
        new SignCommand({ KeyId: KeyMetadata!.KeyId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ED448_SHAKE_256' as SigningAlgorithmSpec }),
      );
      expect(signed.Signature!.length).toBe(114);
      expect(ed448.verify(signed.Signature!, message, pub.PublicKey!.subarray(12))).toBe(true);
    } finally {
      await server.close();
    }
  });

  test('ListKeys pages with Limit and Marker and lists every key exactly once', async () => {
    const server = await startServer();
    try {
      const kms = sdkClient(server.url);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push((await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!.KeyId!);
      }
      const all = await kms.send(new ListKeysCommand({}));
      expect(all.Truncated).toBe(false);
      expect(all.NextMarker).toBeUndefined();
      expect(all.Keys!.map((k) => k.KeyId)).toEqual(ids);
      expect(all.Keys![0]).toEqual({ KeyId: ids[0], KeyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/${ids[0]}` });
      expect((server.keys.calls.find((c) => c.method === 'listKeys')!.args as { limit: number }).limit).toBe(100);

      const seen: string[] = [];
      let marker: string | undefined;
      let pages = 0;
      do {
        const page = await kms.send(new ListKeysCommand({ Limit: 2, Marker: marker }));
        pages++;
        seen.push(...page.Keys!.map((k) => k.KeyId!));
        expect(page.Truncated).toBe(page.NextMarker !== undefined);
        marker = page.NextMarker;
      } while (marker);
      expect(pages).toBe(3);
      expect(seen).toEqual(ids);
    } finally {
      await server.close();
    }
  });

  test("errors reach SDK callers as the class named by __type, with status 400 and AWS's message", async () => {
    const server = await startServer();
    try {
      const kms = sdkClient(server.url);
      const missing = '11111111-2222-3333-4444-555555555555';
      const err = await kms.send(new DescribeKeyCommand({ KeyId: missing })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotFoundException);
      const nf = err as NotFoundException;
      expect(nf.name).toBe('NotFoundException');
      expect(nf.message).toBe(`Key 'arn:aws:kms:${REGION}:${ACCOUNT}:key/${missing}' does not exist`);
      expect(nf.$fault).toBe('client');
      expect(nf.$metadata.httpStatusCode).toBe(400);
    } finally {
      await server.close();
    }
  });

  test('a 500 from the service is retried by the SDK (3 attempts) and surfaces as KMSInternalException', async () => {
    const server = await startServer();
    try {
      server.keys.fault = new Error('database is on fire');
      const kms = sdkClient(server.url, { maxAttempts: 3 });
      const err = (await kms.send(new DescribeKeyCommand({ KeyId: 'alias/x' })).catch((e: unknown) => e)) as KMSServiceException;
      expect(err.name).toBe('KMSInternalException');
      expect(err.$metadata.httpStatusCode).toBe(500);
      expect(err.$metadata.attempts).toBe(3);
      expect(server.keys.calls).toHaveLength(3);
      expect(err.message).not.toContain('fire');
    } finally {
      await server.close();
    }
  }, 20_000);

  test('a client whose clock is 10 minutes slow is corrected from our Date header and succeeds on retry', async () => {
    const server = await startServer();
    try {
      const kms = sdkClient(server.url, { maxAttempts: 3, systemClockOffset: -10 * 60 * 1000 });
      const out = await kms.send(new ListKeysCommand({}));
      expect(out.$metadata.httpStatusCode).toBe(200);
      expect(out.$metadata.attempts).toBe(2);
      const expired = (await server.metrics.kmsRequests.get()).values.find((v) => v.labels.outcome === 'InvalidSignatureException');
      expect(expired?.value).toBe(1);
    } finally {
      await server.close();
    }
  });
});
