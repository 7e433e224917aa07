// ReshareKey (issue 15 item 1 (c)), end to end in real gateway and party processes: a 5-party
// cluster; Ed25519 and Ed448 keys made 2-of-3 on party-1..3 are reshared through the KMS endpoint
// to 3-of-5 on party-1..5 (party-4 and party-5 new to the key: they receive the public package
// and the signing policy with the open), then the Ed25519 key onto the disjoint 2-of-2 party-4,
// party-5. After each: GetPublicKey is unchanged, a signature verifies under @noble/curves from the
// SPKI alone, GetKeyAttestation holds the new holders' signed receipts (threshold, parties), and
// the old holders left out have deleted their shares. Bad requests answer AWS-shaped errors and
// change nothing (an ECDSA key's refusal, which needs a slow DKLs23 DKG here, is checked in
// tests/services/coordinator/reshare.test.ts).
// Last, a key whose signing policy was revised to revision 3 (which also demands an approval for a
// reshare, governance.reshareApprovals): ReshareKey onto party-4, party-5 without the approval is
// AccessDeniedException and changes nothing; with it, the two new parties check the whole chain of
// revisions themselves and enforce revision 3 — a message revision 2 allowed and revision 3 does
// not is AccessDeniedException through the SDK, an allowed one verifies under @noble/curves.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ed448 } from '@noble/curves/ed448.js';
import { CreateKeyCommand, GetPublicKeyCommand, PutKeyPolicyCommand, SignCommand, type KMSClient, type KeySpec } from '@aws-sdk/client-kms';
import { createPolicyChangeApproval, createReshareApproval, policyHash } from '../../policies/index.ts';
import { approverKey } from '../policies/support/keys.ts';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CLI } from '../../services/main/cluster.ts';
import { ACCOUNT, REGION, TEST_CREDENTIALS, TestCluster, waitFor } from '../support/cluster.ts';

jest.setTimeout(120_000);

type Which = 'ed25519' | 'ed448';
let cluster: TestCluster;
let kms: KMSClient;
const keys: Record<Which, { id: string; spki: Uint8Array }> = {} as never;
const ALL = ['party-1', 'party-2', 'party-3', 'party-4', 'party-5'];

async function cli(args: string[]): Promise<{ ok: boolean; body: Record<string, unknown> }> {
  const env = { ...process.env, AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey, AWS_REGION: REGION };
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', CLI, 'reshare', ...args, '--endpoint', cluster.endpoint], {
      encoding: 'utf8',
      env,
    });
    return { ok: true, body: JSON.parse(stdout) as Record<string, unknown> };
  } catch (e) {
    return { ok: false, body: JSON.parse((e as { stdout: string }).stdout) as Record<string, unknown> };
  }
}

type Receipt = { partyId: string; threshold: number; parties: { partyId: string }[]; transcriptHash: string; publicKey: string };
const receipts = async (keyId: string) => ((await cluster.call('GetKeyAttestation', { KeyId: keyId })).json.Receipts as Receipt[]) ?? [];

/** Signs with the key and checks the signature with @noble/curves, from the SPKI only. */
async function signedAndVerified(which: Which, text: string): Promise<void> {
  const message = new TextEncoder().encode(text);
  const out = await kms.send(
    new SignCommand({
      KeyId: keys[which].id,
      Message: message,
      MessageType: 'RAW',
      SigningAlgorithm: which === 'ed25519' ? 'ED25519_SHA_512' : ('ED448_SHAKE_256' as never),
    }),
  );
  const spki = keys[which].spki;
  const verifier = which === 'ed25519' ? ed25519 : ed448;
  expect(verifier.verify(out.Signature!, message, spki.subarray(spki.length - (which === 'ed25519' ? 32 : 57)))).toBe(true);
}

beforeAll(async () => {
  cluster = await new TestCluster().start({ parties: 5, partyEnv: { TUTTI_DELETION_WAIT_MS: '300' }, gatewayEnv: { TUTTI_ROUND_TIMEOUT_MS: '10000' } });
  kms = cluster.client();
  for (const [which, spec] of [
    ['ed25519', 'ECC_NIST_EDWARDS25519'],
    ['ed448', 'ECC_NIST_EDWARDS448'],
  ] as const) {
    const created = await kms.send(
      new CreateKeyCommand({
        KeySpec: spec as KeySpec,
        KeyUsage: 'SIGN_VERIFY',
        Tags: [
          { TagKey: 'tutti:parties', TagValue: 'party-1,party-2,party-3' },
          { TagKey: 'tutti:threshold', TagValue: '2' },
        ],
      }),
    );
    const id = created.KeyMetadata!.KeyId!;
    keys[which] = { id, spki: (await kms.send(new GetPublicKeyCommand({ KeyId: id }))).PublicKey! };
  }
});

afterAll(async () => {
  kms?.destroy();
  await cluster?.stop();
});

describe('ReshareKey through the KMS endpoint', () => {
  test.each(['ed25519', 'ed448'] as const)('%s: 2-of-3 on party-1..3 → 3-of-5 on party-1..5; same public key, signs', async (which) => {
    const { id, spki } = keys[which];
    await signedAndVerified(which, 'before');
    const started = Date.now();
    const out = await cluster.call('ReshareKey', { KeyId: id, Threshold: 3, Parties: ALL });
    // The e2e timing of docs/benchmarks.md "ReshareKey".
    console.log(`ReshareKey ${which} 2-of-3 → 3-of-5: ${Date.now() - started} ms`);
    expect(out.status).toBe(200);
    expect(out.json).toMatchObject({ Threshold: 3, Parties: ALL, KeyMetadata: { KeyId: id, KeyState: 'Enabled' } });
    for (const p of ['party-1', 'party-2', 'party-3'])
      await waitFor(`${p}'s share versions`, () => JSON.stringify(cluster.shareVersions(p, id)) === JSON.stringify([{ version: 2, state: 'active' }]));
    for (const p of ['party-4', 'party-5'])
      await waitFor(`${p}'s share versions`, () => JSON.stringify(cluster.shareVersions(p, id)) === JSON.stringify([{ version: 1, state: 'active' }]));
    expect((await kms.send(new GetPublicKeyCommand({ KeyId: id }))).PublicKey).toEqual(spki);
    const r = await receipts(id);
    expect(r.map((x) => x.partyId).sort()).toEqual(ALL);
    expect(new Set(r.map((x) => x.transcriptHash)).size).toBe(1);
    for (const x of r) expect([x.threshold, x.parties.map((p) => p.partyId)]).toEqual([3, ALL]);
    await signedAndVerified(which, 'after a reshare to 3-of-5');
  });

  test('ed25519: onto the disjoint 2-of-2 party-4, party-5 (cli.ts reshare); the old holders delete their shares', async () => {
    const { id, spki } = keys.ed25519;
    // Through the CLI this time (cli.ts reshare: the same operation, signed with the caller's credentials).
    const out = await cli(['--key', id, '--threshold', '2', '--parties', 'party-4,party-5']);
    expect([out.ok, out.body.Threshold, out.body.Parties]).toEqual([true, 2, ['party-4', 'party-5']]);
    for (const p of ['party-1', 'party-2', 'party-3']) await waitFor(`${p}'s share versions`, () => cluster.shareVersions(p, id).length === 0);
    for (const p of ['party-4', 'party-5'])
      await waitFor(`${p}'s share versions`, () => JSON.stringify(cluster.shareVersions(p, id)) === JSON.stringify([{ version: 2, state: 'active' }]));
    expect((await kms.send(new GetPublicKeyCommand({ KeyId: id }))).PublicKey).toEqual(spki);
    expect((await receipts(id)).map((x) => [x.partyId, x.threshold])).toEqual([
      ['party-4', 2],
      ['party-5', 2],
    ]);
    await signedAndVerified('ed25519', 'after a reshare onto party-4, party-5');
  });

  test('bad requests: AWS-shaped errors, nothing changes', async () => {
    const { id } = keys.ed448;
    const before = await receipts(id);
    const versions = ALL.map((p) => cluster.shareVersions(p, id));
    const cases: [object, string, RegExp][] = [
      [{ KeyId: id, Threshold: 1, Parties: ALL }, 'ValidationException', /Threshold 1 of 5/],
      [{ KeyId: id, Threshold: 6, Parties: ALL }, 'ValidationException', /Threshold 6 of 5/],
      [{ KeyId: id, Threshold: 2, Parties: ['party-1', 'party-9'] }, 'ValidationException', /Unknown parties party-9/],
      [{ KeyId: id, Threshold: 2, Parties: ['party-1', 'party-1'] }, 'ValidationException', /named twice/],
      [{ KeyId: id, Parties: ALL }, 'ValidationException', /threshold/i],
      [{ KeyId: '00000000-0000-4000-8000-000000000000', Threshold: 2, Parties: ALL }, 'NotFoundException', /./],
    ];
    for (const [body, type, message] of cases) {
      const res = await cluster.call('ReshareKey', body);
      expect([res.status, res.json.__type]).toEqual([400, type]);
      expect(String(res.json.message)).toMatch(message);
    }
    // The CLI: the same operation, signed with the caller's credentials; a refusal exits non-zero.
    const refused = await cli(['--key', id, '--threshold', '1', '--parties', 'party-1,party-2']);
    expect(refused).toMatchObject({ ok: false, body: { __type: 'ValidationException' } });
    expect(await receipts(id)).toEqual(before);
    expect(ALL.map((p) => cluster.shareVersions(p, id))).toEqual(versions);
    await signedAndVerified('ed448', 'after refused reshares');
  });

  test('the key policy decides (kms:ReshareKey)', async () => {
    const ROOT = { Sid: 'root', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' };
    const DENY = { Sid: 'no-reshare', Effect: 'Deny', Principal: { AWS: '*' }, Action: 'kms:ReshareKey', Resource: '*' };
    const locked = await kms.send(
      new CreateKeyCommand({
        KeySpec: 'ECC_NIST_EDWARDS25519' as KeySpec,
        KeyUsage: 'SIGN_VERIFY',
        Policy: JSON.stringify({ Version: '2012-10-17', Statement: [ROOT, DENY] }),
      }),
    );
    const denied = await cluster.call('ReshareKey', { KeyId: locked.KeyMetadata!.KeyId!, Threshold: 2, Parties: ['party-1', 'party-2'] });
    expect([denied.status, denied.json.__type]).toEqual([400, 'AccessDeniedException']);
  });
});

describe('ReshareKey of a key whose signing policy was revised', () => {
  const GOV = approverKey('operator', 'ed25519');
  const ROOT = { Sid: 'root', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' };
  const signingPolicy = (pattern: string, reshareApprovals = false) => ({
    policyLanguage: 'tutti-signing-policy/1',
    keyBinding: { keySpec: 'ECC_NIST_EDWARDS25519' },
    defaultEffect: 'deny',
    approvers: [{ id: 'operator', scheme: 'ed25519', publicKey: `0x${Buffer.from(GOV.publicKey).toString('hex')}` }],
    governance: {
      changeApprovals: { threshold: 1, approvers: ['operator'] },
      ...(reshareApprovals ? { reshareApprovals: { threshold: 1, approvers: ['operator'] } } : {}),
    },
    rules: [{ id: 'greetings', effect: 'allow', conditions: { messageType: { in: ['RAW'] }, format: { kind: 'raw', utf8Pattern: pattern } } }],
  });
  const keyPolicy = (signing: object, change?: object): string =>
    JSON.stringify({ Version: '2012-10-17', Statement: [ROOT], TuttiSigningPolicy: signing, ...(change ? { TuttiSigningPolicyChange: change } : {}) });
  const REVISIONS = [signingPolicy('^hello '), signingPolicy('^hello (alice|bob)$'), signingPolicy('^hello alice$', true)];

  test('revision 3 demands an approval; with it, party-4 and party-5 check the chain and enforce revision 3', async () => {
    const created = await kms.send(
      new CreateKeyCommand({
        KeySpec: 'ECC_NIST_EDWARDS25519' as KeySpec,
        KeyUsage: 'SIGN_VERIFY',
        Policy: keyPolicy(REVISIONS[0]!),
        Tags: [
          { TagKey: 'tutti:parties', TagValue: 'party-1,party-2,party-3' },
          { TagKey: 'tutti:threshold', TagValue: '2' },
        ],
      }),
    );
    const id = created.KeyMetadata!.KeyId!;
    const spki = (await kms.send(new GetPublicKeyCommand({ KeyId: id }))).PublicKey!;
    for (let r = 2; r <= 3; r++) {
      const previousHash = policyHash(REVISIONS[r - 2]);
      const approval = createPolicyChangeApproval(
        GOV,
        { keyId: id, revision: r, previousHash, policyHash: policyHash(REVISIONS[r - 1]) },
        Date.now() + 600_000,
      );
      await kms.send(
        new PutKeyPolicyCommand({
          KeyId: id,
          PolicyName: 'default',
          Policy: keyPolicy(REVISIONS[r - 1]!, { revision: r, previousHash, approvals: [approval] }),
        }),
      );
    }
    const target = { KeyId: id, Threshold: 2, Parties: ['party-4', 'party-5'] };
    const denied = await cluster.call('ReshareKey', target);
    expect([denied.status, denied.json.__type, String(denied.json.message)]).toEqual([
      400,
      'AccessDeniedException',
      expect.stringMatching(/0 of 1 required reshare approvals/),
    ]);
    expect(['party-4', 'party-5'].map((p) => cluster.shareVersions(p, id))).toEqual([[], []]);
    const approval = createReshareApproval(
      GOV,
      {
        keyId: id,
        policyHash: policyHash(REVISIONS[2]),
        fromThreshold: 2,
        fromParties: ['party-1', 'party-2', 'party-3'],
        threshold: 2,
        parties: target.Parties,
      },
      Date.now() + 600_000,
    );
    const out = await cluster.call('ReshareKey', { ...target, GrantTokens: [approval] });
    expect(out.status === 200 ? 200 : out.json).toBe(200);
    for (const p of ['party-4', 'party-5'])
      await waitFor(`${p}'s share versions`, () => JSON.stringify(cluster.shareVersions(p, id)) === JSON.stringify([{ version: 1, state: 'active' }]));
    expect((await kms.send(new GetPublicKeyCommand({ KeyId: id }))).PublicKey).toEqual(spki);
    // Each new party signed its acknowledgement of revision 3 (GetKeyPolicy's TuttiRevisions).
    const acks = ((await cluster.call('GetKeyPolicy', { KeyId: id, PolicyName: 'default' })).json.TuttiRevisions ?? []) as {
      PartyId: string;
      Revision: number;
    }[];
    expect(acks.map((a) => [a.PartyId, a.Revision]).sort()).toEqual([
      ['party-4', 3],
      ['party-5', 3],
    ]);
    // Every Sign is now by party-4 and party-5, both new to the key: revision 3 is what they enforce.
    const sign = (text: string) =>
      kms.send(new SignCommand({ KeyId: id, Message: new TextEncoder().encode(text), MessageType: 'RAW', SigningAlgorithm: 'ED25519_SHA_512' }));
    const err = (await sign('hello bob').then(
      () => undefined,
      (e: unknown) => e,
    )) as { name: string; $metadata?: { httpStatusCode?: number } };
    expect([err?.name, err?.$metadata?.httpStatusCode]).toEqual(['AccessDeniedException', 400]);
    const signed = await sign('hello alice');
    expect(ed25519.verify(signed.Signature!, new TextEncoder().encode('hello alice'), spki.subarray(spki.length - 32))).toBe(true);
  });
});
