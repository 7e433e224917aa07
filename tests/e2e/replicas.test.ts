// Gateway replicas on one PostgreSQL (docs/operations.md "Gateway replicas"): two gateway processes
// with TUTTI_DATABASE_URL pointing at one real PostgreSQL server (tests/support/postgres.ts), three
// parties connected to both. A key created through one gateway signs through the other; races
// between the gateways are decided by the database; a kill -9 of one gateway loses nothing a
// client was told succeeded, and the client's retry on the other gateway succeeds.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  GetPublicKeyCommand,
  type KMSClient,
  ListAliasesCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  TagResourceCommand,
  ListResourceTagsCommand,
} from '@aws-sdk/client-kms';
import { findPostgres, NO_POSTGRES_MESSAGE, TestPostgres } from '../support/postgres.ts';
import { ReplicaCluster } from '../support/replica-cluster.ts';

jest.setTimeout(60_000);

const bin = findPostgres();
if (!bin) console.warn(NO_POSTGRES_MESSAGE);
const maybe = bin ? describe : describe.skip;

let pg: TestPostgres;
let cluster: ReplicaCluster;
let a: KMSClient;
let b: KMSClient;
const message = new TextEncoder().encode('signed through a replica');

beforeAll(async () => {
  if (!bin) return;
  pg = await new TestPostgres(bin).start();
  cluster = await new ReplicaCluster(await pg.createDatabase('replicas')).start({ gateways: 2, parties: 3 });
  a = cluster.client(0);
  b = cluster.client(1);
}, 60_000);
afterAll(async () => {
  a?.destroy();
  b?.destroy();
  await cluster?.stop();
  await pg?.stop();
});

async function ed25519Verifies(kms: KMSClient, keyId: string, signature: Uint8Array): Promise<boolean> {
  const der = (await kms.send(new GetPublicKeyCommand({ KeyId: keyId }))).PublicKey!;
  return nodeVerify(null, message, createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' }), signature);
}

async function createKey(kms: KMSClient): Promise<string> {
  const out = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' }));
  return out.KeyMetadata!.KeyId!;
}

async function sign(kms: KMSClient, keyId: string): Promise<Uint8Array> {
  const out = await kms.send(new SignCommand({ KeyId: keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ED25519_SHA_512' }));
  return out.Signature!;
}

maybe('two gateways on one PostgreSQL', () => {
  let keyId: string;

  test('a key created through gateway A signs through gateway B; aliases and tags set on one are seen on the other', async () => {
    keyId = await createKey(a);
    expect(await ed25519Verifies(b, keyId, await sign(b, keyId))).toBe(true);
    await a.send(new CreateAliasCommand({ AliasName: 'alias/replicated', TargetKeyId: keyId }));
    await b.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: 'via', TagValue: 'b' }] }));
    expect((await b.send(new DescribeKeyCommand({ KeyId: 'alias/replicated' }))).KeyMetadata?.KeyId).toBe(keyId);
    expect((await a.send(new ListResourceTagsCommand({ KeyId: keyId }))).Tags).toEqual([{ TagKey: 'via', TagValue: 'b' }]);
    expect(await ed25519Verifies(a, keyId, await sign(b, 'alias/replicated'))).toBe(true);
  });

  test('both gateways create the same alias at once: exactly one succeeds, the other gets AlreadyExistsException', async () => {
    for (let i = 0; i < 5; i++) {
      const name = `alias/race-${i}`;
      const results = await Promise.allSettled([
        a.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: keyId })),
        b.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: keyId })),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({
        name: 'AlreadyExistsException',
        $metadata: { httpStatusCode: 400 },
      });
    }
    const listed = (await b.send(new ListAliasesCommand({ KeyId: keyId }))).Aliases!.map((x) => x.AliasName);
    expect(listed).toEqual(expect.arrayContaining(['alias/race-0', 'alias/race-4']));
  });

  test('both gateways schedule the deletion of one key at once: one succeeds, the other gets KMSInvalidStateException', async () => {
    const doomed = await createKey(b);
    const results = await Promise.allSettled([
      a.send(new ScheduleKeyDeletionCommand({ KeyId: doomed, PendingWindowInDays: 7 })),
      b.send(new ScheduleKeyDeletionCommand({ KeyId: doomed, PendingWindowInDays: 7 })),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({ name: 'KMSInvalidStateException' });
    expect((await a.send(new DescribeKeyCommand({ KeyId: doomed }))).KeyMetadata?.KeyState).toBe('PendingDeletion');
  });

  test('kill -9 of gateway A under load: every call that failed on A succeeds when retried on B, no key is lost', async () => {
    const keys = [keyId, await createKey(a), await createKey(b)];
    let failedOnA = 0;
    let retriedOnB = 0;
    const signatures: { keyId: string; signature: Uint8Array }[] = [];
    const load = Array.from({ length: 8 }, async (_, i) => {
      for (let j = 0; j < 3; j++) {
        const k = keys[(i + j) % keys.length]!;
        try {
          signatures.push({ keyId: k, signature: await sign(a, k) });
        } catch {
          // The client's retry: the same request on the other gateway.
          failedOnA++;
          signatures.push({ keyId: k, signature: await sign(b, k) });
          retriedOnB++;
        }
        if (i === 0 && j === 0) await cluster.killGateway(0);
      }
    });
    await Promise.all(load);
    expect(failedOnA).toBeGreaterThan(0);
    expect(retriedOnB).toBe(failedOnA);
    expect(signatures).toHaveLength(24);
    for (const s of signatures) expect(await ed25519Verifies(b, s.keyId, s.signature)).toBe(true);
    for (const k of keys) expect((await b.send(new DescribeKeyCommand({ KeyId: k }))).KeyMetadata?.KeyState).toBe('Enabled');
    // Back: the restarted gateway serves the same keys.
    await cluster.restartGateway(0);
    expect(await ed25519Verifies(b, keys[1]!, await sign(a, keys[1]!))).toBe(true);
  });
});
