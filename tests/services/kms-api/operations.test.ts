// The operations beyond CreateKey/DescribeKey/ListKeys/GetPublicKey/Sign/Verify, against the fake
// KeyService: request shapes and AWS's limits (which never reach the service), response shapes
// through the real SDK, and the wire form of operations without output. Case ids are those
// of the KMS conformance list (docs/kms-compatibility.md "How this is checked").
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  GetKeyPolicyCommand,
  ListAliasesCommand,
  ListKeyPoliciesCommand,
  ListResourceTagsCommand,
  PutKeyPolicyCommand,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAliasCommand,
  UpdateKeyDescriptionCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { defaultKeyPolicy } from '../../../policies/aws-key-policy.ts';
import { ACCOUNT, CREDS, REGION, rawError, rawRequest, sdkClient, startServer, type TestServer } from './support.ts';

const caller = { accessKeyId: CREDS.accessKeyId, principal: CREDS.principal };
let s: TestServer;
let kms: KMSClient;

beforeAll(async () => {
  s = await startServer();
  kms = sdkClient(s.url);
});
afterAll(async () => {
  kms.destroy();
  await s.close();
});

const newKey = async () => (await s.keys.createKey({ keySpec: 'ECC_NIST_EDWARDS25519', keyUsage: 'SIGN_VERIFY', description: '', tags: [] }, caller)).keyId;
const template = (n: number, ...parts: string[]) => `${n} validation error${n > 1 ? 's' : ''} detected: ${parts.join('; ')}`;

/** Sends a raw request that must fail before reaching the KeyService. */
async function refused(target: string, body: unknown): Promise<{ status: number; type: unknown; message: unknown }> {
  const before = s.keys.calls.length;
  const res = await rawError(s, { target, body: JSON.stringify(body) });
  expect(s.keys.calls.length).toBe(before);
  return { status: res.status, type: res.body!.__type, message: res.body!.message };
}

describe('aliases', () => {
  test('AL-01/12/13/16/20: create, list (shape), update, delete through the SDK', async () => {
    const a = await newKey();
    const b = await newKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/ops-one', TargetKeyId: a }));
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/ops-two', TargetKeyId: a }));
    const all = await kms.send(new ListAliasesCommand({}));
    expect(all.Truncated).toBe(false);
    expect(all.NextMarker).toBeUndefined();
    const one = all.Aliases!.find((x) => x.AliasName === 'alias/ops-one')!;
    expect(one).toEqual({
      AliasName: 'alias/ops-one',
      AliasArn: `arn:aws:kms:${REGION}:${ACCOUNT}:alias/ops-one`,
      TargetKeyId: a,
      CreationDate: expect.any(Date),
      LastUpdatedDate: expect.any(Date),
    });
    expect((await kms.send(new ListAliasesCommand({ KeyId: b }))).Aliases).toEqual([]);

    await kms.send(new UpdateAliasCommand({ AliasName: 'alias/ops-one', TargetKeyId: b }));
    expect((await kms.send(new ListAliasesCommand({ KeyId: b }))).Aliases!.map((x) => x.AliasName)).toEqual(['alias/ops-one']);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: 'alias/ops-one' }))).KeyMetadata!.KeyId).toBe(b);

    await kms.send(new DeleteAliasCommand({ AliasName: 'alias/ops-one' }));
    await expect(kms.send(new DescribeKeyCommand({ KeyId: 'alias/ops-one' }))).rejects.toMatchObject({ name: 'NotFoundException' });
    await expect(kms.send(new CreateAliasCommand({ AliasName: 'alias/ops-two', TargetKeyId: b }))).rejects.toMatchObject({
      name: 'AlreadyExistsException',
      message: `An alias with the name arn:aws:kms:${REGION}:${ACCOUNT}:alias/ops-two already exists`,
    });
  });

  test('AL-15: ListAliases pages with Limit and NextMarker', async () => {
    const k = await newKey();
    for (const n of ['p1', 'p2', 'p3']) await kms.send(new CreateAliasCommand({ AliasName: `alias/page-${n}`, TargetKeyId: k }));
    const seen: string[] = [];
    let marker: string | undefined;
    do {
      const page = await kms.send(new ListAliasesCommand({ KeyId: k, Limit: 2, ...(marker ? { Marker: marker } : {}) }));
      expect(page.Aliases!.length).toBeLessThanOrEqual(2);
      expect(page.Truncated).toBe(page.NextMarker !== undefined);
      seen.push(...page.Aliases!.map((x) => x.AliasName!));
      marker = page.NextMarker;
    } while (marker);
    expect(seen).toEqual(['alias/page-p1', 'alias/page-p2', 'alias/page-p3']);
  });

  const aliasCases: [string, string, object, string, string | RegExp][] = [
    [
      'AL-03',
      'CreateAlias',
      { AliasName: 't-new2', TargetKeyId: 'k' },
      'ValidationException',
      'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html',
    ],
    ['AL-04', 'CreateAlias', { AliasName: 'alias/aws/mine', TargetKeyId: 'k' }, 'NotAuthorizedException', /reserved/],
    [
      'AL-05',
      'CreateAlias',
      { AliasName: 'alias/bad name!', TargetKeyId: 'k' },
      'ValidationException',
      template(1, "Value 'alias/bad name!' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$"),
    ],
    [
      'AL-06',
      'CreateAlias',
      { AliasName: `alias/${'a'.repeat(251)}`, TargetKeyId: 'k' },
      'ValidationException',
      template(1, `Value 'alias/${'a'.repeat(251)}' at 'aliasName' failed to satisfy constraint: Member must have length less than or equal to 256`),
    ],
    [
      'CreateAlias without members',
      'CreateAlias',
      {},
      'ValidationException',
      template(
        2,
        "Value null at 'aliasName' failed to satisfy constraint: Member must not be null",
        "Value null at 'targetKeyId' failed to satisfy constraint: Member must not be null",
      ),
    ],
    ['alias/ alone', 'CreateAlias', { AliasName: 'alias/', TargetKeyId: 'k' }, 'ValidationException', /at least one character/],
    ['UpdateAlias reserved', 'UpdateAlias', { AliasName: 'alias/aws/s3', TargetKeyId: 'k' }, 'NotAuthorizedException', /reserved/],
    ['AL-22', 'DeleteAlias', { AliasName: 'nope' }, 'ValidationException', /^Alias must start with the prefix "alias\/"/],
    [
      'ListAliases Limit 0',
      'ListAliases',
      { Limit: 0 },
      'ValidationException',
      template(1, "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"),
    ],
    [
      'ListAliases Limit 101 (AWS documents 1–100)',
      'ListAliases',
      { Limit: 101 },
      'ValidationException',
      template(1, "Value '101' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100"),
    ],
    [
      'ListAliases empty Marker',
      'ListAliases',
      { Marker: '' },
      'ValidationException',
      template(1, "Value '' at 'marker' failed to satisfy constraint: Member must have length greater than or equal to 1"),
    ],
  ];
  test.each(aliasCases)('%s', async (_id, target, body, type, message) => {
    const r = await refused(target, body);
    expect(r.status).toBe(400);
    expect(r.type).toBe(type);
    if (typeof message === 'string') expect(r.message).toBe(message);
    else expect(r.message).toMatch(message);
  });
});

describe('key state', () => {
  test('ST-01/04/06/13: Disable, Enable, ScheduleKeyDeletion (default 30 days), CancelKeyDeletion; outputs and KeyMetadata', async () => {
    const k = await newKey();
    const arn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${k}`;
    await kms.send(new DisableKeyCommand({ KeyId: k }));
    expect((await kms.send(new DescribeKeyCommand({ KeyId: k }))).KeyMetadata).toMatchObject({ KeyState: 'Disabled', Enabled: false });
    await kms.send(new EnableKeyCommand({ KeyId: arn }));
    expect((await kms.send(new DescribeKeyCommand({ KeyId: k }))).KeyMetadata).toMatchObject({ KeyState: 'Enabled', Enabled: true });

    const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: k }));
    expect(scheduled).toMatchObject({ KeyId: arn, KeyState: 'PendingDeletion', PendingWindowInDays: 30 });
    expect(Math.abs(scheduled.DeletionDate!.getTime() - (Date.now() + 30 * 86_400_000))).toBeLessThan(5_000);
    const md = (await kms.send(new DescribeKeyCommand({ KeyId: k }))).KeyMetadata!;
    expect(md).toMatchObject({ KeyState: 'PendingDeletion', Enabled: false, PendingDeletionWindowInDays: 30 });
    expect(md.DeletionDate!.getTime()).toBe(scheduled.DeletionDate!.getTime());

    expect(await kms.send(new CancelKeyDeletionCommand({ KeyId: k }))).toMatchObject({ KeyId: arn });
    const after = (await kms.send(new DescribeKeyCommand({ KeyId: k }))).KeyMetadata!;
    expect(after).toMatchObject({ KeyState: 'Disabled', Enabled: false });
    expect(after.DeletionDate).toBeUndefined();
    expect(after.PendingDeletionWindowInDays).toBeUndefined();
  });

  test('ST-07: PendingWindowInDays 7', async () => {
    const out = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: await newKey(), PendingWindowInDays: 7 }));
    expect(out.PendingWindowInDays).toBe(7);
    expect(Math.abs(out.DeletionDate!.getTime() - (Date.now() + 7 * 86_400_000))).toBeLessThan(5_000);
  });

  const cases: [string, string, object, string][] = [
    [
      'ST-08',
      'ScheduleKeyDeletion',
      { KeyId: 'k', PendingWindowInDays: 6 },
      template(1, "Value '6' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value greater than or equal to 7"),
    ],
    [
      'ST-09',
      'ScheduleKeyDeletion',
      { KeyId: 'k', PendingWindowInDays: 31 },
      template(1, "Value '31' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value less than or equal to 30"),
    ],
    ['EnableKey without KeyId', 'EnableKey', {}, template(1, "Value null at 'keyId' failed to satisfy constraint: Member must not be null")],
    ['UD-02', 'UpdateKeyDescription', { KeyId: 'k' }, template(1, "Value null at 'description' failed to satisfy constraint: Member must not be null")],
    [
      'UD-03',
      'UpdateKeyDescription',
      { KeyId: 'k', Description: 'd'.repeat(8193) },
      template(1, `Value '${'d'.repeat(8193)}' at 'description' failed to satisfy constraint: Member must have length less than or equal to 8192`),
    ],
  ];
  test.each(cases)('%s', async (_id, target, body, message) => {
    expect(await refused(target, body)).toEqual({ status: 400, type: 'ValidationException', message });
  });

  test('UD-01/04: UpdateKeyDescription, including to ""', async () => {
    const k = await newKey();
    await kms.send(new UpdateKeyDescriptionCommand({ KeyId: k, Description: 'new' }));
    expect((await kms.send(new DescribeKeyCommand({ KeyId: k }))).KeyMetadata!.Description).toBe('new');
    await kms.send(new UpdateKeyDescriptionCommand({ KeyId: k, Description: '' }));
    expect((await kms.send(new DescribeKeyCommand({ KeyId: k }))).KeyMetadata!.Description).toBe('');
  });
});

describe('tags', () => {
  test('TG-01/02/03/04/07: tag, overwrite, untag, untag an absent key, empty value', async () => {
    const k = await newKey();
    await kms.send(
      new TagResourceCommand({
        KeyId: k,
        Tags: [
          { TagKey: 'tag1', TagValue: 'value1' },
          { TagKey: 'tag2', TagValue: 'value2' },
        ],
      }),
    );
    expect(await kms.send(new ListResourceTagsCommand({ KeyId: k }))).toMatchObject({
      Tags: [
        { TagKey: 'tag1', TagValue: 'value1' },
        { TagKey: 'tag2', TagValue: 'value2' },
      ],
      Truncated: false,
    });
    await kms.send(
      new TagResourceCommand({
        KeyId: k,
        Tags: [
          { TagKey: 'tag2', TagValue: 'updated_value2' },
          { TagKey: 'tag4', TagValue: '' },
        ],
      }),
    );
    await kms.send(new UntagResourceCommand({ KeyId: k, TagKeys: ['tag1', 'never-set'] }));
    const tags = (await kms.send(new ListResourceTagsCommand({ KeyId: k }))).Tags!;
    expect(tags).toEqual(
      expect.arrayContaining([
        { TagKey: 'tag2', TagValue: 'updated_value2' },
        { TagKey: 'tag4', TagValue: '' },
      ]),
    );
    expect(tags).toHaveLength(2);
  });

  test('ListResourceTags pages', async () => {
    const k = await newKey();
    await kms.send(new TagResourceCommand({ KeyId: k, Tags: ['a', 'b', 'c'].map((t) => ({ TagKey: t, TagValue: t })) }));
    const first = await kms.send(new ListResourceTagsCommand({ KeyId: k, Limit: 2 }));
    expect(first).toMatchObject({ Truncated: true, Tags: [{ TagKey: 'a' }, { TagKey: 'b' }] });
    const second = await kms.send(new ListResourceTagsCommand({ KeyId: k, Limit: 2, Marker: first.NextMarker! }));
    expect(second).toMatchObject({ Truncated: false, Tags: [{ TagKey: 'c' }] });
  });

  const cases: [string, string, object, string, string | RegExp][] = [
    ['TG-05', 'TagResource', { KeyId: 'k' }, 'ValidationException', template(1, "Value null at 'tags' failed to satisfy constraint: Member must not be null")],
    [
      'TG-06',
      'TagResource',
      { KeyId: 'k', Tags: [{ TagKey: '', TagValue: 'v' }] },
      'ValidationException',
      template(1, "Value '' at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length greater than or equal to 1"),
    ],
    [
      'TG-08',
      'TagResource',
      { KeyId: 'k', Tags: [{ TagKey: 'a', TagValue: 'v'.repeat(257) }] },
      'ValidationException',
      template(1, `Value '${'v'.repeat(257)}' at 'tags.1.member.tagValue' failed to satisfy constraint: Member must have length less than or equal to 256`),
    ],
    [
      'TG-09',
      'TagResource',
      {
        KeyId: 'k',
        Tags: [
          { TagKey: 'a', TagValue: '1' },
          { TagKey: 'a', TagValue: '2' },
        ],
      },
      'TagException',
      'Duplicate tag keys',
    ],
    ['TG-10', 'TagResource', { KeyId: 'k', Tags: [{ TagKey: 'aws:foo', TagValue: '1' }] }, 'TagException', 'Tags beginning with aws: are reserved'],
    [
      '51 tags in one request',
      'TagResource',
      { KeyId: 'k', Tags: Array.from({ length: 51 }, (_, i) => ({ TagKey: `t${i}`, TagValue: '' })) },
      'TagException',
      'Too many tags',
    ],
    [
      'UntagResource without TagKeys',
      'UntagResource',
      { KeyId: 'k' },
      'ValidationException',
      template(1, "Value null at 'tagKeys' failed to satisfy constraint: Member must not be null"),
    ],
    [
      'UntagResource with an empty key',
      'UntagResource',
      { KeyId: 'k', TagKeys: [''] },
      'ValidationException',
      template(1, "Value '' at 'tagKeys.1.member' failed to satisfy constraint: Member must have length greater than or equal to 1"),
    ],
    [
      'TG-14',
      'ListResourceTags',
      { KeyId: 'k', Limit: 51 },
      'ValidationException',
      template(1, "Value '51' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50"),
    ],
  ];
  test.each(cases)('%s', async (_id, target, body, type, message) => {
    const r = await refused(target, body);
    expect([r.status, r.type]).toEqual([400, type]);
    if (typeof message === 'string') expect(r.message).toBe(message);
    else expect(r.message).toMatch(message);
  });

  test('TG-11: a key with 50 tags takes no 51st (TagException from the service)', async () => {
    const k = await newKey();
    await kms.send(new TagResourceCommand({ KeyId: k, Tags: Array.from({ length: 50 }, (_, i) => ({ TagKey: `t${i}`, TagValue: '' })) }));
    await expect(kms.send(new TagResourceCommand({ KeyId: k, Tags: [{ TagKey: 'one-more', TagValue: '' }] }))).rejects.toMatchObject({
      name: 'TagException',
      message: 'Too many tags',
      $metadata: { httpStatusCode: 400 },
    });
  });
});

describe('key policy', () => {
  const policy = JSON.stringify(
    {
      Version: '2012-10-17',
      Statement: [{ Sid: 'all', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }],
      TuttiSigningPolicy: { reserved: 'for issue 5' },
    },
    null,
    2,
  );

  test('KP-01/02/03, ListKeyPolicies: the default policy, then a put policy returned verbatim', async () => {
    const k = await newKey();
    const got = await kms.send(new GetKeyPolicyCommand({ KeyId: k }));
    expect(got).toMatchObject({ PolicyName: 'default', Policy: defaultKeyPolicy(ACCOUNT) });
    expect(await kms.send(new GetKeyPolicyCommand({ KeyId: k, PolicyName: 'default' }))).toMatchObject({ Policy: got.Policy });
    await kms.send(new PutKeyPolicyCommand({ KeyId: k, PolicyName: 'default', Policy: policy }));
    expect((await kms.send(new GetKeyPolicyCommand({ KeyId: k }))).Policy).toBe(policy);
    await kms.send(new PutKeyPolicyCommand({ KeyId: k, Policy: defaultKeyPolicy(ACCOUNT) }));
    expect((await kms.send(new GetKeyPolicyCommand({ KeyId: k }))).Policy).toBe(defaultKeyPolicy(ACCOUNT));
    expect(await kms.send(new ListKeyPoliciesCommand({ KeyId: k }))).toMatchObject({ PolicyNames: ['default'], Truncated: false });
  });

  const cases: [string, string, object, string, string | RegExp][] = [
    [
      'KP-04',
      'PutKeyPolicy',
      { KeyId: 'k', PolicyName: 'default' },
      'ValidationException',
      template(1, "Value null at 'policy' failed to satisfy constraint: Member must not be null"),
    ],
    [
      'KP-05',
      'PutKeyPolicy',
      { KeyId: 'k', PolicyName: 'invalid-name', Policy: policy },
      'ValidationException',
      template(1, "Value 'invalid-name' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w]+"),
    ],
    ['KP-06', 'PutKeyPolicy', { KeyId: 'k', Policy: '{not json' }, 'MalformedPolicyDocumentException', /not valid JSON/],
    [
      'no principal',
      'PutKeyPolicy',
      { KeyId: 'k', Policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] }) },
      'MalformedPolicyDocumentException',
      'Policy contains a statement with no principal.',
    ],
    [
      'invalid principal',
      'PutKeyPolicy',
      { KeyId: 'k', Policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: 'bob' }, Action: 'kms:*', Resource: '*' }] }) },
      'MalformedPolicyDocumentException',
      'Policy contains a statement with one or more invalid principals.',
    ],
    [
      'KP-07',
      'PutKeyPolicy',
      { KeyId: 'k', Policy: ' '.repeat(131073) },
      'ValidationException',
      /at 'policy' failed to satisfy constraint: Member must have length less than or equal to 131072$/,
    ],
    [
      'over the 32 KiB quota',
      'PutKeyPolicy',
      { KeyId: 'k', Policy: JSON.stringify({ Statement: [], Id: 'x'.repeat(40_000) }) },
      'LimitExceededException',
      /quota is 32768 bytes/,
    ],
    ['GetKeyPolicy PolicyName too long', 'GetKeyPolicy', { KeyId: 'k', PolicyName: 'p'.repeat(129) }, 'ValidationException', /less than or equal to 128$/],
    ['ListKeyPolicies Limit 0', 'ListKeyPolicies', { KeyId: 'k', Limit: 0 }, 'ValidationException', /greater than or equal to 1$/],
  ];
  test.each(cases)('%s', async (_id, target, body, type, message) => {
    const r = await refused(target, body);
    expect([r.status, r.type]).toEqual([400, type]);
    if (typeof message === 'string') expect(r.message).toBe(message);
    else expect(r.message).toMatch(message);
  });

  test('KP-08: a policy name other than "default" (the service decides: NotFound on Get, Validation on Put)', async () => {
    const k = await newKey();
    await expect(kms.send(new GetKeyPolicyCommand({ KeyId: k, PolicyName: 'other' }))).rejects.toMatchObject({ name: 'NotFoundException' });
    await expect(kms.send(new PutKeyPolicyCommand({ KeyId: k, PolicyName: 'other', Policy: policy }))).rejects.toMatchObject({ name: 'ValidationException' });
  });
});

describe('wire form', () => {
  test('PROTO-15: operations without output answer 200 with {}', async () => {
    const k = await newKey();
    const ok = async (target: string, body: object) => {
      const res = await rawRequest(s, { target, body: JSON.stringify(body) });
      expect([target, res.status, res.text]).toEqual([target, 200, '{}']);
    };
    await ok('CreateAlias', { AliasName: 'alias/wire', TargetKeyId: k });
    await ok('UpdateAlias', { AliasName: 'alias/wire', TargetKeyId: k });
    await ok('DeleteAlias', { AliasName: 'alias/wire' });
    await ok('TagResource', { KeyId: k, Tags: [{ TagKey: 'a', TagValue: 'b' }] });
    await ok('UntagResource', { KeyId: k, TagKeys: ['a'] });
    await ok('DisableKey', { KeyId: k });
    await ok('EnableKey', { KeyId: k });
    await ok('UpdateKeyDescription', { KeyId: k, Description: 'x' });
    await ok('PutKeyPolicy', { KeyId: k, Policy: defaultKeyPolicy(ACCOUNT) });
  });

  test('List responses always carry Truncated; ScheduleKeyDeletion dates are epoch seconds', async () => {
    const k = await newKey();
    for (const [target, body] of [
      ['ListAliases', {}],
      ['ListResourceTags', { KeyId: k }],
      ['ListKeyPolicies', { KeyId: k }],
    ] as const) {
      const res = await rawRequest(s, { target, body: JSON.stringify(body) });
      expect(res.json!.Truncated).toBe(false);
    }
    const res = await rawRequest(s, { target: 'ScheduleKeyDeletion', body: JSON.stringify({ KeyId: k, PendingWindowInDays: 7 }) });
    expect(typeof res.json!.DeletionDate).toBe('number');
    expect(Math.abs((res.json!.DeletionDate as number) * 1000 - (Date.now() + 7 * 86_400_000))).toBeLessThan(5_000);
  });

  test('the KeyService sees the caller SigV4 established on every new operation', async () => {
    const k = await newKey();
    await kms.send(new TagResourceCommand({ KeyId: k, Tags: [{ TagKey: 'who', TagValue: 'me' }] }));
    expect(s.keys.calls.at(-1)).toMatchObject({ method: 'tagResource', caller, args: { keyId: k, tags: [{ TagKey: 'who', TagValue: 'me' }] } });
  });
});
