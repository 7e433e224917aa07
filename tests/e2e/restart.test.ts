// Durability across gateway restarts: between every step of a key's life (create, alias, tag,
// describe, policy, disable, enable, schedule deletion, cancel) the gateway process is killed
// (SIGKILL) and started again on the same port and data folder; the parties reconnect by
// themselves, and everything a client can see of the key is exactly as before.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  GetKeyPolicyCommand,
  GetPublicKeyCommand,
  type KMSClient,
  ListAliasesCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  PutKeyPolicyCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  TagResourceCommand,
  UpdateKeyDescriptionCommand,
} from '@aws-sdk/client-kms';
import { ACCOUNT, TestCluster } from '../support/cluster.ts';
import { defaultSigningPolicy } from '../../policies/default-policy.ts';

jest.setTimeout(180_000);

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

/** Everything a client can read about the key. */
async function observe(keyId: string): Promise<unknown> {
  const md = (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
  const aliases = (await kms.send(new ListAliasesCommand({ KeyId: keyId }))).Aliases;
  const tags = (await kms.send(new ListResourceTagsCommand({ KeyId: keyId }))).Tags;
  const policy = (await kms.send(new GetKeyPolicyCommand({ KeyId: keyId }))).Policy;
  const listed = (await kms.send(new ListKeysCommand({ Limit: 1000 }))).Keys?.some((k) => k.KeyId === keyId);
  const publicKey = md?.KeyState === 'Enabled' ? Buffer.from((await kms.send(new GetPublicKeyCommand({ KeyId: keyId }))).PublicKey!).toString('hex') : null;
  const byAlias = aliases?.length ? (await kms.send(new DescribeKeyCommand({ KeyId: aliases[0]!.AliasName }))).KeyMetadata?.KeyId : null;
  return { md, aliases, tags, policy, listed, publicKey, byAlias };
}

describe('key state survives gateway restarts', () => {
  test('create → alias → tag → description → policy → disable → enable → schedule deletion → cancel, restarting after each', async () => {
    const created = await kms.send(
      new CreateKeyCommand({
        KeySpec: 'ECC_NIST_EDWARDS25519',
        KeyUsage: 'SIGN_VERIFY',
        Description: 'survives restarts',
        Tags: [{ TagKey: 'tutti:threshold', TagValue: '2' }],
      }),
    );
    const keyId = created.KeyMetadata!.KeyId!;
    const steps: [string, () => Promise<unknown>][] = [
      ['create', async () => {}],
      ['alias', () => kms.send(new CreateAliasCommand({ AliasName: 'alias/durable', TargetKeyId: keyId }))],
      [
        'tag',
        () =>
          kms.send(
            new TagResourceCommand({
              KeyId: keyId,
              Tags: [
                { TagKey: 'team', TagValue: 'ops' },
                { TagKey: 'cost', TagValue: '42' },
              ],
            }),
          ),
      ],
      ['description', () => kms.send(new UpdateKeyDescriptionCommand({ KeyId: keyId, Description: 'still here' }))],
      [
        'policy',
        () =>
          kms.send(
            new PutKeyPolicyCommand({
              KeyId: keyId,
              Policy: JSON.stringify({
                Version: '2012-10-17',
                Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }],
                TuttiSigningPolicy: defaultSigningPolicy('ECC_NIST_EDWARDS25519', ['ED25519_SHA_512', 'ED25519_PH_SHA_512']),
              }),
            }),
          ),
      ],
      ['disable', () => kms.send(new DisableKeyCommand({ KeyId: keyId }))],
      ['enable', () => kms.send(new EnableKeyCommand({ KeyId: keyId }))],
      ['schedule deletion', () => kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 9 }))],
      ['cancel deletion', () => kms.send(new CancelKeyDeletionCommand({ KeyId: keyId }))],
    ];
    const seen: string[] = [];
    for (const [name, step] of steps) {
      await step();
      const before = await observe(keyId);
      await cluster.restartGateway();
      kms.destroy();
      kms = cluster.client();
      expect({ step: name, state: await observe(keyId) }).toEqual({ step: name, state: before });
      seen.push(`${name}: ${(before as { md: { KeyState: string } }).md.KeyState}`);
    }
    expect(seen).toEqual([
      'create: Enabled',
      'alias: Enabled',
      'tag: Enabled',
      'description: Enabled',
      'policy: Enabled',
      'disable: Disabled',
      'enable: Enabled',
      'schedule deletion: PendingDeletion',
      'cancel deletion: Disabled',
    ]);

    // And the shares the parties kept all along still sign.
    await kms.send(new EnableKeyCommand({ KeyId: keyId }));
    const sig = await kms.send(
      new SignCommand({ KeyId: 'alias/durable', Message: new TextEncoder().encode('after nine restarts'), SigningAlgorithm: 'ED25519_SHA_512' }),
    );
    expect(sig.Signature).toHaveLength(64);
  });

  test('concurrent requests on one key (tags, aliases, description, signing) leave a consistent state that survives a restart', async () => {
    const keyId = (await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!.KeyId!;
    const jobs: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      jobs.push(kms.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: `t${i}`, TagValue: String(i) }] })));
      jobs.push(kms.send(new CreateAliasCommand({ AliasName: `alias/concurrent-${i}`, TargetKeyId: keyId })));
      jobs.push(kms.send(new UpdateKeyDescriptionCommand({ KeyId: keyId, Description: `d${i}` })));
      if (i % 4 === 0) jobs.push(kms.send(new SignCommand({ KeyId: keyId, Message: new TextEncoder().encode(`m${i}`), SigningAlgorithm: 'ED25519_SHA_512' })));
    }
    await Promise.all(jobs);
    const state = (await observe(keyId)) as { tags: { TagKey: string }[]; aliases: unknown[]; md: { Description: string } };
    expect(state.tags.map((t) => t.TagKey).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `t${i}`).sort());
    expect(state.aliases).toHaveLength(20);
    expect(state.md.Description).toMatch(/^d\d+$/);
    await cluster.restartGateway();
    kms.destroy();
    kms = cluster.client();
    expect(await observe(keyId)).toEqual(state);
  });
});
