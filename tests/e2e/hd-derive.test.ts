// HD derivation end to end (issue 15 item 3), through @aws-sdk/client-kms against real party
// processes: a secp256k1 parent (DKLs23) and an Ed25519 parent (FROST); children made by CreateKey
// with the tags tutti:derive-from / tutti:path (no DKG). A client rebuilds the parent's xpub from
// GetPublicKey and the chain code it computes from the parties' signed creation receipts
// (GetKeyAttestation transcriptHash, docs/protocols.md "HD derivation"); @scure/bip32 derives the
// child from it, and that equals the child's GetPublicKey. Signatures from the child verify under
// the child's SPKI (node:crypto) and not under the parent's. Hardened paths, paths the parent's
// signing policy does not allow and derivation from a child are refused with AWS-shaped errors.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { createPublicKey, verify } from 'node:crypto';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  GetPublicKeyCommand,
  SignCommand,
  VerifyCommand,
  type KMSClient,
  type KeySpec,
} from '@aws-sdk/client-kms';
import { HDKey } from '@scure/bip32';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ACCOUNT, REGION, TEST_CREDENTIALS, TestCluster } from '../support/cluster.ts';
import { rawRequest } from '../services/kms-api/support.ts';
import { widePolicy } from '../support/ecdsa.ts';

jest.setTimeout(240_000);

type SdkError = Error & { name: string; $metadata?: { httpStatusCode?: number } };
const ROOT = { Sid: 'root', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' };

let cluster: TestCluster;
let kms: KMSClient;
let k1: string;
let ed: string;

async function createKey(keySpec: string, o: { policy?: object; tags?: Record<string, string> } = {}): Promise<string> {
  const out = await kms.send(
    new CreateKeyCommand({
      KeySpec: keySpec as KeySpec,
      KeyUsage: 'SIGN_VERIFY',
      ...(o.policy ? { Policy: JSON.stringify({ Version: '2012-10-17', Statement: [ROOT], TuttiSigningPolicy: o.policy }) } : {}),
      ...(o.tags ? { Tags: Object.entries(o.tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue })) } : {}),
    }),
  );
  return out.KeyMetadata!.KeyId!;
}

const child = (keySpec: string, from: string, path: string) => createKey(keySpec, { tags: { 'tutti:derive-from': from, 'tutti:path': path } });
const spki = async (keyId: string) => Buffer.from((await kms.send(new GetPublicKeyCommand({ KeyId: keyId }))).PublicKey!);

/** The chain code a client computes itself: SHA-256("tutti/hd/chain-code/v1" ‖ DKG transcript hash from the signed receipts). */
async function chainCode(keyId: string): Promise<Uint8Array> {
  const endpoint = { url: cluster.endpoint, host: cluster.endpoint.replace(/^http:\/\//, '') };
  const res = await rawRequest(endpoint, { target: 'GetKeyAttestation', body: JSON.stringify({ KeyId: keyId }), region: REGION, ...TEST_CREDENTIALS });
  const receipts = (res.json as { Receipts: { transcriptHash: string }[] }).Receipts;
  expect(new Set(receipts.map((r) => r.transcriptHash)).size).toBe(1);
  return sha256(Buffer.concat([Buffer.from('tutti/hd/chain-code/v1'), Buffer.from(receipts[0]!.transcriptHash, 'hex')]));
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

beforeAll(async () => {
  // Nothing here tests deadlines: a generous round deadline keeps the DKGs from timing out on a busy machine.
  cluster = await new TestCluster().start({ gatewayEnv: { TUTTI_ROUND_TIMEOUT_MS: '10000' } });
  kms = cluster.client();
  // One after the other: a DKLs23 DKG's base OTs take the CPU an Ed25519 DKG's 2 s rounds need.
  ed = await createKey('ECC_NIST_EDWARDS25519');
  k1 = await createKey('ECC_SECG_P256K1', { policy: { ...widePolicy('ECC_SECG_P256K1'), derivation: { allowedPaths: ['m/0/*', 'm/44/60/0/0/*'] } } });
});

afterAll(async () => {
  kms?.destroy();
  await cluster?.stop();
});

describe('secp256k1 (DKLs23)', () => {
  test('a child by tags: GetPublicKey equals @scure/bip32 from the parent xpub; Sign verifies under the child only', async () => {
    const parentSpki = await spki(k1);
    const parentPub = secp256k1.Point.fromBytes(parentSpki.subarray(-65)).toBytes(true);
    const cc = await chainCode(k1);
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/hd-parent', TargetKeyId: k1 }));
    for (const [from, path] of [
      [k1, 'm/0/5'],
      ['alias/hd-parent', 'm/44/60/0/0/7'],
    ] as const) {
      const id = await child('ECC_SECG_P256K1', from, path);
      const childSpki = await spki(id);
      let hd = new HDKey({ publicKey: parentPub, chainCode: cc });
      for (const i of path.split('/').slice(1)) hd = hd.deriveChild(Number(i));
      expect(secp256k1.Point.fromBytes(childSpki.subarray(-65)).toBytes(true)).toEqual(hd.publicKey);

      const message = Buffer.from(`paid from ${path}`);
      const sig = (await kms.send(new SignCommand({ KeyId: id, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }))).Signature!;
      const key = (der: Buffer) => createPublicKey({ key: der, format: 'der', type: 'spki' });
      expect(verify('sha256', message, key(childSpki), sig)).toBe(true);
      expect(verify('sha256', message, key(parentSpki), sig)).toBe(false);
      const v = await kms.send(new VerifyCommand({ KeyId: id, Message: message, MessageType: 'RAW', Signature: sig, SigningAlgorithm: 'ECDSA_SHA_256' }));
      expect(v.SignatureValid).toBe(true);
    }
  });

  test('hardened paths, paths the signing policy refuses, another spec and derivation from a child are refused', async () => {
    await fails(child('ECC_SECG_P256K1', k1, "m/0'/1"), 'ValidationException', /hardened/);
    await fails(child('ECC_SECG_P256K1', k1, 'm/1/5'), 'ValidationException', /allowedPaths/);
    await fails(child('ECC_NIST_P256', k1, 'm/0/1'), 'ValidationException', /parent's/);
    await fails(createKey('ECC_SECG_P256K1', { tags: { 'tutti:path': 'm/0/1' } }), 'ValidationException', /go together/);
    const c = await child('ECC_SECG_P256K1', k1, 'm/0/9');
    await fails(child('ECC_SECG_P256K1', c, 'm/0/9'), 'ValidationException', /itself derived/);
    // A disabled parent stops its children too.
    await kms.send(new DisableKeyCommand({ KeyId: k1 }));
    try {
      await fails(
        kms.send(new SignCommand({ KeyId: c, Message: Buffer.from('x'), MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' })),
        'DisabledException',
        /derived from/,
      );
    } finally {
      await kms.send(new EnableKeyCommand({ KeyId: k1 }));
    }
  });
});

describe('Ed25519 (FROST, the additive scheme)', () => {
  test('a child signs; the signature verifies under the child, not the parent', async () => {
    const id = await child('ECC_NIST_EDWARDS25519', ed, 'm/3/7');
    const [childSpki, parentSpki] = await Promise.all([spki(id), spki(ed)]);
    expect(childSpki.equals(parentSpki)).toBe(false);
    for (const n of [1, 2]) {
      const message = Buffer.from(`ed25519 child message ${n}`);
      const sig = (await kms.send(new SignCommand({ KeyId: id, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ED25519_SHA_512' }))).Signature!;
      const key = (der: Buffer) => createPublicKey({ key: der, format: 'der', type: 'spki' });
      expect(verify(null, message, key(childSpki), sig)).toBe(true);
      expect(verify(null, message, key(parentSpki), sig)).toBe(false);
    }
  });
});
