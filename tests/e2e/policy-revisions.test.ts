// What every party enforces, checkable by the owner, against real processes through the AWS SDK
// (docs/policies.md "Checking what every party enforces", "State kept per party"):
//  - GetKeyPolicy carries `TuttiRevisions`: per party, the revision and policy hash it installed,
//    signed with its identity key; the test checks each signature with node:crypto against the
//    party's public identity (from the cluster's configuration, as an owner gets it from the operator),
//    over bytes it builds itself;
//  - a `sequence` rule on a key whose signer sets can be disjoint (2t ≤ n) is refused at CreateKey
//    and at PutKeyPolicy with MalformedPolicyDocumentException, and nothing changes (E7).
// One 4-party cluster.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { createHash, createHmac, createPublicKey, verify } from 'node:crypto';
import { CreateKeyCommand, type KMSClient, ListKeysCommand, PutKeyPolicyCommand, SignCommand } from '@aws-sdk/client-kms';
import { createPolicyChangeApproval, policyHash } from '../../policies/index.ts';
import { approverKey } from '../policies/support/keys.ts';
import { ACCOUNT, REGION, TEST_CREDENTIALS, TestCluster } from '../support/cluster.ts';

jest.setTimeout(180_000);

type SdkError = Error & { name: string; $metadata?: { httpStatusCode?: number } };
type Revisions = { PartyId: string; Revision: number; RevisionHash: string; Signature: string }[];

let cluster: TestCluster;
let kms: KMSClient;

const GOV = approverKey('operator', 'ed25519');
const ROOT = { Sid: 'root', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' };
const signingPolicy = (sequence: boolean, pattern = '.*') => ({
  policyLanguage: 'tutti-signing-policy/1',
  keyBinding: { keySpec: 'ECC_NIST_EDWARDS25519' },
  defaultEffect: 'deny',
  approvers: [{ id: 'operator', scheme: 'ed25519', publicKey: `0x${Buffer.from(GOV.publicKey).toString('hex')}` }],
  governance: { changeApprovals: { threshold: 1, approvers: ['operator'] } },
  rules: [
    {
      id: 'votes',
      effect: 'allow',
      conditions: {
        messageType: { in: ['RAW'] },
        format: {
          kind: 'raw',
          layout: [{ offset: 0, length: 1, equalsHex: '0x56' }],
          utf8Pattern: pattern,
          ...(sequence ? { sequence: { offset: 1, length: 4, mode: 'strictlyIncreasing' } } : {}),
        },
      },
    },
  ],
});
const keyPolicy = (signing: object, change?: object): string =>
  JSON.stringify({ Version: '2012-10-17', Statement: [ROOT], TuttiSigningPolicy: signing, ...(change ? { TuttiSigningPolicyChange: change } : {}) });
const tags = (t: number, n: number) => [
  { TagKey: 'tutti:threshold', TagValue: String(t) },
  { TagKey: 'tutti:parties', TagValue: String(n) },
];

/** GetKeyPolicy by hand: the SDK drops members AWS does not define, such as TuttiRevisions. */
async function getKeyPolicy(keyId: string): Promise<{ Policy: string; TuttiRevisions: Revisions }> {
  const body = JSON.stringify({ KeyId: keyId });
  const amzDate = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    'content-type': 'application/x-amz-json-1.1',
    host: new URL(cluster.endpoint).host,
    'x-amz-date': amzDate,
    'x-amz-target': 'TrentService.GetKeyPolicy',
  };
  const names = Object.keys(headers).sort();
  const canonical = ['POST', '/', '', ...names.map((n) => `${n}:${headers[n]}`), '', names.join(';'), createHash('sha256').update(body).digest('hex')].join(
    '\n',
  );
  const scope = `${day}/${REGION}/kms/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  let k: Buffer = createHmac('sha256', 'AWS4' + TEST_CREDENTIALS.secretAccessKey)
    .update(day)
    .digest();
  for (const part of [REGION, 'kms', 'aws4_request']) k = createHmac('sha256', k).update(part).digest();
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${TEST_CREDENTIALS.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${createHmac('sha256', k).update(toSign).digest('hex')}`;
  delete headers.host;
  const res = await fetch(cluster.endpoint + '/', { method: 'POST', headers, body });
  expect(res.status).toBe(200);
  return (await res.json()) as { Policy: string; TuttiRevisions: Revisions };
}

/** docs/policies.md: Ed25519 over lengthPrefixed("tutti/v1/policy-revision-ack", keyId, u32be(revision), policyHash), built here independently. */
function ackVerifies(partyId: string, keyId: string, r: Revisions[number]): boolean {
  const part = (b: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return Buffer.concat([len, b]);
  };
  const revision = Buffer.alloc(4);
  revision.writeUInt32BE(r.Revision);
  const message = Buffer.concat([
    part(Buffer.from('tutti/v1/policy-revision-ack')),
    part(Buffer.from(keyId)),
    part(revision),
    part(Buffer.from(r.RevisionHash)),
  ]);
  const identity = cluster.config.parties.find((p) => p.partyId === partyId)!;
  const key = createPublicKey({
    key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(identity.signPublic, 'hex')]),
    format: 'der',
    type: 'spki',
  });
  return verify(null, message, key, Buffer.from(r.Signature, 'hex'));
}

async function fails(p: Promise<unknown>, type: string, message?: RegExp): Promise<void> {
  const err = await p.then(
    (ok) => {
      throw new Error(`expected ${type}, got ${JSON.stringify(ok)}`);
    },
    (e: SdkError) => e,
  );
  expect(err.name).toBe(type);
  expect(err.$metadata?.httpStatusCode).toBe(400);
  if (message) expect(err.message).toMatch(message);
}

const vote = (seq: number, text: string) => Buffer.concat([Buffer.from([0x56, 0, 0, 0, seq]), Buffer.from(text)]);

beforeAll(async () => {
  cluster = await new TestCluster().start({ parties: 4 });
  kms = cluster.client();
});
afterAll(async () => {
  kms?.destroy();
  await cluster?.stop();
});

describe("every party's signed revision, and policies whose promises cannot hold", () => {
  test('a sequence rule on a 2-of-4 key is refused at CreateKey; no key is made', async () => {
    const before = (await kms.send(new ListKeysCommand({}))).Keys?.length ?? 0;
    await fails(
      kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY', Policy: keyPolicy(signingPolicy(true)), Tags: tags(2, 4) })),
      'MalformedPolicyDocumentException',
      /'votes' uses sequence.*2t > n.*threshold 2 of 4/,
    );
    expect((await kms.send(new ListKeysCommand({}))).Keys?.length ?? 0).toBe(before);
  });

  test('a 3-of-4 key: every party signed revision 1, then revision 2, and the owner checks each signature', async () => {
    const v1 = signingPolicy(true);
    const keyId = (await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY', Policy: keyPolicy(v1), Tags: tags(3, 4) })))
      .KeyMetadata!.KeyId!;
    const first = (await getKeyPolicy(keyId)).TuttiRevisions;
    expect(first.map((r) => [r.PartyId, r.Revision, r.RevisionHash])).toEqual(cluster.config.parties.map((p) => [p.partyId, 1, policyHash(v1)]));
    for (const r of first) expect(ackVerifies(r.PartyId, keyId, r)).toBe(true);
    // An acknowledgement does not pass for another party, key or revision.
    expect(ackVerifies(first[1]!.PartyId, keyId, first[0]!)).toBe(false);
    expect(ackVerifies(first[0]!.PartyId, '00000000-0000-4000-8000-000000000000', first[0]!)).toBe(false);
    expect(ackVerifies(first[0]!.PartyId, keyId, { ...first[0]!, Revision: 2 })).toBe(false);

    await kms.send(new SignCommand({ KeyId: keyId, Message: vote(7, 'yes'), MessageType: 'RAW', SigningAlgorithm: 'ED25519_SHA_512' }));
    const v2 = signingPolicy(true, 'V.*(yes|no)');
    const approval = createPolicyChangeApproval(GOV, { keyId, revision: 2, previousHash: policyHash(v1), policyHash: policyHash(v2) }, Date.now() + 3_600_000);
    await kms.send(
      new PutKeyPolicyCommand({
        KeyId: keyId,
        PolicyName: 'default',
        Policy: keyPolicy(v2, { revision: 2, previousHash: policyHash(v1), approvals: [approval] }),
      }),
    );
    const second = (await getKeyPolicy(keyId)).TuttiRevisions;
    expect(second.map((r) => [r.PartyId, r.Revision, r.RevisionHash])).toEqual(cluster.config.parties.map((p) => [p.partyId, 2, policyHash(v2)]));
    for (const r of second) expect(ackVerifies(r.PartyId, keyId, r)).toBe(true);
    // The sequence state survived the revision: 7 is spent, 8 signs.
    const refused = await kms.send(new SignCommand({ KeyId: keyId, Message: vote(7, 'no'), MessageType: 'RAW', SigningAlgorithm: 'ED25519_SHA_512' })).then(
      () => null,
      (e: SdkError) => e,
    );
    expect(refused?.name).toBe('AccessDeniedException');
    expect(refused?.message).toMatch(/SEQUENCE_VIOLATION/);
    await kms.send(new SignCommand({ KeyId: keyId, Message: vote(8, 'no'), MessageType: 'RAW', SigningAlgorithm: 'ED25519_SHA_512' }));
  });

  test('a revision adding a sequence rule to a 2-of-4 key is refused; the key keeps its revision', async () => {
    const v1 = signingPolicy(false);
    const keyId = (await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY', Policy: keyPolicy(v1), Tags: tags(2, 4) })))
      .KeyMetadata!.KeyId!;
    const v2 = signingPolicy(true);
    const approval = createPolicyChangeApproval(GOV, { keyId, revision: 2, previousHash: policyHash(v1), policyHash: policyHash(v2) }, Date.now() + 3_600_000);
    await fails(
      kms.send(
        new PutKeyPolicyCommand({
          KeyId: keyId,
          PolicyName: 'default',
          Policy: keyPolicy(v2, { revision: 2, previousHash: policyHash(v1), approvals: [approval] }),
        }),
      ),
      'MalformedPolicyDocumentException',
      /sequence/,
    );
    const now = await getKeyPolicy(keyId);
    expect(JSON.parse(now.Policy).TuttiSigningPolicy).toEqual(v1);
    expect(now.TuttiRevisions.map((r) => r.Revision)).toEqual([1, 1, 1, 1]);
  });
});
