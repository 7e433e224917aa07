// End to end through real processes and the real AWS SDK: a gateway and three party daemons
// over WebSockets, shares in SQLite, every signature checked by node:crypto.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import {
  CreateKeyCommand,
  DescribeKeyCommand,
  GetPublicKeyCommand,
  type KMSClient,
  ListKeysCommand,
  SignCommand,
  VerifyCommand,
  type KeySpec,
  type SigningAlgorithmSpec,
} from '@aws-sdk/client-kms';
import { TestCluster } from '../support/cluster.ts';

jest.setTimeout(120_000);

const SPECS: { keySpec: string; algorithm: string; sigLen: number }[] = [
  { keySpec: 'ECC_NIST_EDWARDS25519', algorithm: 'ED25519_SHA_512', sigLen: 64 },
  { keySpec: 'ECC_NIST_EDWARDS448', algorithm: 'ED448_SHAKE_256', sigLen: 114 },
];

let cluster: TestCluster;
let kms: KMSClient;

beforeAll(async () => {
  cluster = await new TestCluster().start();
  kms = cluster.client();
});
afterAll(async () => {
  kms?.destroy();
  await cluster?.stop();
});

async function createKey(keySpec: string, tags: { TagKey: string; TagValue: string }[] = []): Promise<string> {
  const out = await kms.send(new CreateKeyCommand({ KeySpec: keySpec as KeySpec, KeyUsage: 'SIGN_VERIFY', Description: `e2e ${keySpec}`, Tags: tags }));
  expect(out.KeyMetadata?.KeyState).toBe('Enabled');
  return out.KeyMetadata!.KeyId!;
}

async function signAndCheck(keyId: string, algorithm: string, message: Uint8Array): Promise<Uint8Array> {
  const pub = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
  const sig = await kms.send(new SignCommand({ KeyId: keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: algorithm as SigningAlgorithmSpec }));
  const key = createPublicKey({ key: Buffer.from(pub.PublicKey!), format: 'der', type: 'spki' });
  expect(nodeVerify(null, message, key, sig.Signature!)).toBe(true);
  return sig.Signature!;
}

describe('AWS SDK against real processes', () => {
  test.each(SPECS)('$keySpec: CreateKey, GetPublicKey, Sign, Verify', async ({ keySpec, algorithm, sigLen }) => {
    const keyId = await createKey(keySpec);
    const described = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(described.KeyMetadata).toMatchObject({
      KeySpec: keySpec,
      KeyUsage: 'SIGN_VERIFY',
      Enabled: true,
      SigningAlgorithms: expect.arrayContaining([algorithm]),
    });
    const pub = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
    expect(pub.KeySpec).toBe(keySpec);
    const message = new TextEncoder().encode(`hello from ${keySpec}`);
    const signature = await signAndCheck(keyId, algorithm, message);
    expect(signature.length).toBe(sigLen);
    const verified = await kms.send(
      new VerifyCommand({ KeyId: keyId, Message: message, MessageType: 'RAW', Signature: signature, SigningAlgorithm: algorithm as SigningAlgorithmSpec }),
    );
    expect(verified.SignatureValid).toBe(true);
    const bad = Uint8Array.from(signature);
    bad[10]! ^= 1;
    await expect(
      kms.send(new VerifyCommand({ KeyId: keyId, Message: message, MessageType: 'RAW', Signature: bad, SigningAlgorithm: algorithm as SigningAlgorithmSpec })),
    ).rejects.toMatchObject({ name: 'KMSInvalidSignatureException' });
  });

  test('concurrent signing on one key and on several keys', async () => {
    const a = await createKey('ECC_NIST_EDWARDS25519');
    const b = await createKey('ECC_NIST_EDWARDS448');
    const jobs = [];
    for (let i = 0; i < 8; i++) {
      jobs.push(signAndCheck(a, 'ED25519_SHA_512', new TextEncoder().encode(`a${i}`)));
      jobs.push(signAndCheck(b, 'ED448_SHAKE_256', new TextEncoder().encode(`b${i}`)));
    }
    await Promise.all(jobs);
  });

  test('a 2-of-3 key still signs with a party killed, and the party signs again after restart', async () => {
    const keyId = await createKey('ECC_NIST_EDWARDS25519');
    await cluster.kill('party-1');
    await cluster.waitConnected((ids) => !ids.includes('party-1'));
    await signAndCheck(keyId, 'ED25519_SHA_512', new TextEncoder().encode('one party down'));

    await cluster.startParty('party-1');
    await cluster.waitConnected((ids) => ids.includes('party-1'));
    // Kill another so the restarted party must contribute its persisted share.
    await cluster.kill('party-2');
    await cluster.waitConnected((ids) => !ids.includes('party-2'));
    await signAndCheck(keyId, 'ED25519_SHA_512', new TextEncoder().encode('restarted party signs'));
    await cluster.startParty('party-2');
    await cluster.waitConnected((ids) => ids.includes('party-2'));
  });

  test('a connected party that stops answering is replaced after the round deadline', async () => {
    const keyId = await createKey('ECC_NIST_EDWARDS25519');
    await cluster.kill('party-1');
    await cluster.waitConnected((ids) => !ids.includes('party-1'));
    await cluster.startParty('party-1', { TUTTI_TEST_STALL: 'sign:1' });
    await cluster.waitConnected((ids) => ids.includes('party-1'));
    const started = Date.now();
    await signAndCheck(keyId, 'ED25519_SHA_512', new TextEncoder().encode('party-1 is silent'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500); // one round deadline (2 s in tests) passed
    expect(cluster.parties.get('party-1')!.output()).toContain('stalling before sign round 1');
    await cluster.kill('party-1');
    await cluster.startParty('party-1');
    await cluster.waitConnected((ids) => ids.includes('party-1'));
  });

  test('kill -9 of a party in the middle of a DKG leaves no Enabled key', async () => {
    const before = await kms.send(new ListKeysCommand({}));
    await cluster.kill('party-3');
    await cluster.waitConnected((ids) => !ids.includes('party-3'));
    // Restart party-3 so that it stops right before DKG round 2, then kill it there.
    await cluster.startParty('party-3', { TUTTI_TEST_STALL: 'dkg:2' });
    await cluster.waitConnected((ids) => ids.includes('party-3'));
    const stalled = cluster.parties.get('party-3')!;
    const created = kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' }));
    created.catch(() => {});
    const deadline = Date.now() + 10_000;
    while (!stalled.output().includes('stalling before dkg round 2') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(stalled.output()).toContain('stalling before dkg round 2');
    await cluster.kill('party-3');
    await expect(created).rejects.toMatchObject({ name: expect.stringMatching(/KeyUnavailableException|DependencyTimeoutException/) });

    const after = await kms.send(new ListKeysCommand({}));
    expect(after.Keys?.map((k) => k.KeyId).sort()).toEqual(before.Keys?.map((k) => k.KeyId).sort());
    for (const k of after.Keys ?? []) {
      const d = await kms.send(new DescribeKeyCommand({ KeyId: k.KeyId }));
      expect(d.KeyMetadata?.KeyState).toBe('Enabled');
    }
    await cluster.startParty('party-3');
    await cluster.waitConnected((ids) => ids.includes('party-3'));
    await createKey('ECC_NIST_EDWARDS25519');
  });

  test('3-of-3 and 3-of-3 by party list through tags', async () => {
    const keyId = await createKey('ECC_NIST_EDWARDS25519', [{ TagKey: 'tutti:threshold', TagValue: '3' }]);
    await signAndCheck(keyId, 'ED25519_SHA_512', new TextEncoder().encode('all three'));
    const k2 = await createKey('ECC_NIST_EDWARDS448', [{ TagKey: 'tutti:parties', TagValue: 'party-2,party-3' }]);
    await signAndCheck(k2, 'ED448_SHAKE_256', new TextEncoder().encode('two of two'));
  });
});
