// Importing an existing single key end to end (issue 15 item 5): the operator's offline
// `cli.ts import-split` (a real process) splits a known secp256k1 key (Hardhat's account #0, whose
// address everyone knows) and the RFC 8032 §7.1 TEST 1 Ed25519 key (from a PKCS#8 PEM file); the
// ImportKeyShares extension relays each party its sealed bundle; the parties check and refresh the
// sharing (DKLs23 with its OT setup; FROST). Then, through @aws-sdk/client-kms: GetPublicKey is
// the original key's, Sign verifies under it with @noble, DescribeKey says Origin EXTERNAL, and
// every party's signed receipt names the manifest. A bundle holding a wrong share is refused by
// its party (IncorrectKeyMaterialException, no key left behind); a tampered manifest by the gateway.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeKeyCommand, GetPublicKeyCommand, ListKeysCommand, SignCommand, type KMSClient } from '@aws-sdk/client-kms';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { cliArgs } from '../../services/main/cluster.ts';
import { ACCOUNT, REGION, TEST_CREDENTIALS, TestCluster } from '../support/cluster.ts';
import { rawRequest } from '../services/kms-api/support.ts';
import { widePolicy } from '../support/ecdsa.ts';
import { splitKey, type ImportManifest } from '../../protocols/import/split.ts';
import { sealBundle, type ImportBundle } from '../../protocols/import/bundle.ts';

jest.setTimeout(120_000);

const HARDHAT_0 = 'ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const HARDHAT_0_ADDRESS = 'f39fd6e51aad88f6f4ce6ab8827279cfffb92266';
const RFC8032_SEED = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const RFC8032_PUB = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const ROOT = { Sid: 'root', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' };

let cluster: TestCluster;
let kms: KMSClient;
const dir = mkdtempSync(join(tmpdir(), 'tutti-import-'));

function cliSplit(key: string, spec: string, out: string): { manifest: ImportManifest; bundles: ImportBundle[] } {
  const party = cluster.config.parties.flatMap((p) => ['--party', `${p.partyId}:${p.signPublic}:${p.kexPublic}`]);
  const r = spawnSync(process.execPath, [...cliArgs(), 'import-split', '--key', key, '--spec', spec, '--threshold', '2', ...party, '--out', out], {
    encoding: 'utf8',
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as ImportManifest;
  const bundles = cluster.config.parties.map((p) => JSON.parse(readFileSync(join(out, `bundle-${p.partyId}.json`), 'utf8')) as ImportBundle);
  return { manifest, bundles };
}

async function importShares(body: object): Promise<{ status: number; json: Record<string, unknown> }> {
  const endpoint = { url: cluster.endpoint, host: cluster.endpoint.replace(/^http:\/\//, '') };
  const res = await rawRequest(endpoint, { target: 'ImportKeyShares', body: JSON.stringify(body), region: REGION, ...TEST_CREDENTIALS });
  return { status: res.status, json: res.json as Record<string, unknown> };
}

async function receipts(keyId: string): Promise<{ imported?: string; publicKey: string }[]> {
  const endpoint = { url: cluster.endpoint, host: cluster.endpoint.replace(/^http:\/\//, '') };
  const res = await rawRequest(endpoint, { target: 'GetKeyAttestation', body: JSON.stringify({ KeyId: keyId }), region: REGION, ...TEST_CREDENTIALS });
  return (res.json as { Receipts: { imported?: string; publicKey: string }[] }).Receipts;
}

const spki = async (keyId: string) => Buffer.from((await kms.send(new GetPublicKeyCommand({ KeyId: keyId }))).PublicKey!);

beforeAll(async () => {
  cluster = await new TestCluster().start({ gatewayEnv: { TUTTI_ROUND_TIMEOUT_MS: '10000' } });
  kms = cluster.client();
});

afterAll(async () => {
  kms?.destroy();
  await cluster?.stop();
});

describe('secp256k1 (DKLs23): Hardhat account #0', () => {
  let keyId: string;
  let manifest: ImportManifest;

  test('import-split offline, ImportKeyShares: the public key and address are the original key', async () => {
    const split = cliSplit(HARDHAT_0, 'ECC_SECG_P256K1', join(dir, 'k1'));
    manifest = split.manifest;
    const res = await importShares({
      KeySpec: 'ECC_SECG_P256K1',
      Description: 'imported hardhat #0',
      Policy: JSON.stringify({ Version: '2012-10-17', Statement: [ROOT], TuttiSigningPolicy: widePolicy('ECC_SECG_P256K1') }),
      Manifest: split.manifest,
      Bundles: split.bundles,
    });
    expect(res.status).toBe(200);
    const meta = res.json.KeyMetadata as { KeyId: string; Origin: string; KeySpec: string };
    expect(meta.Origin).toBe('EXTERNAL');
    keyId = meta.KeyId;
    const point = (await spki(keyId)).subarray(-65);
    expect(Buffer.from(point).toString('hex')).toBe(Buffer.from(secp256k1.getPublicKey(Buffer.from(HARDHAT_0, 'hex'), false)).toString('hex'));
    expect(Buffer.from(keccak_256(point.subarray(1)).subarray(-20)).toString('hex')).toBe(HARDHAT_0_ADDRESS);
  });

  test('Sign verifies under the original public key (@noble); DescribeKey and the receipts say imported', async () => {
    const message = Buffer.from('imported, not generated');
    const sig = (await kms.send(new SignCommand({ KeyId: keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }))).Signature!;
    const pub = secp256k1.getPublicKey(Buffer.from(HARDHAT_0, 'hex'), true);
    expect(secp256k1.verify(sig, sha256(message), pub, { prehash: false, format: 'der', lowS: false })).toBe(true);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.Origin).toBe('EXTERNAL');
    const rs = await receipts(keyId);
    expect(rs).toHaveLength(3);
    for (const r of rs) expect(r.imported).toBe(manifest.hash);
  });
});

describe('Ed25519 (FROST): RFC 8032 TEST 1, from a PKCS#8 PEM', () => {
  test('GetPublicKey is the RFC key; Sign verifies under it (@noble)', async () => {
    const pem = createPrivateKey({
      key: { kty: 'OKP', crv: 'Ed25519', d: Buffer.from(RFC8032_SEED, 'hex').toString('base64url'), x: Buffer.from(RFC8032_PUB, 'hex').toString('base64url') },
      format: 'jwk',
    }).export({ format: 'pem', type: 'pkcs8' }) as string;
    const file = join(dir, 'ed.pem');
    writeFileSync(file, pem, { mode: 0o600 });
    const split = cliSplit(file, 'ECC_NIST_EDWARDS25519', join(dir, 'ed'));
    expect(split.manifest.publicKey).toBe(RFC8032_PUB);
    const res = await importShares({ KeySpec: 'ECC_NIST_EDWARDS25519', Manifest: split.manifest, Bundles: split.bundles });
    expect(res.status).toBe(200);
    const keyId = (res.json.KeyMetadata as { KeyId: string }).KeyId;
    expect((await spki(keyId)).subarray(-32).toString('hex')).toBe(RFC8032_PUB);
    const message = Buffer.from('threshold Ed25519, imported');
    const sig = (await kms.send(new SignCommand({ KeyId: keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ED25519_SHA_512' }))).Signature!;
    expect(ed25519.verify(sig, message, Buffer.from(RFC8032_PUB, 'hex'), { zip215: false })).toBe(true);
  });
});

describe('refusals', () => {
  const rng = (n: number) => new Uint8Array(randomBytes(n));

  test("a bundle holding a share that is not its party's: that party refuses, nothing is kept", async () => {
    const before = (await kms.send(new ListKeysCommand({}))).Keys!.length;
    const { manifest, shares } = splitKey({
      keySpec: 'ECC_NIST_EDWARDS25519',
      secret: ed25519.utils.randomSecretKey(),
      threshold: 2,
      parties: cluster.config.parties,
      rng,
    });
    // The splitter seals party 1's share to party 2: it opens, but does not match S_2.
    const bundles = [sealBundle(manifest, 1, shares.get(1)!, rng), sealBundle(manifest, 2, shares.get(1)!, rng), sealBundle(manifest, 3, shares.get(3)!, rng)];
    const res = await importShares({ KeySpec: 'ECC_NIST_EDWARDS25519', Manifest: manifest, Bundles: bundles });
    expect(res.status).toBe(400);
    expect(res.json.__type).toBe('IncorrectKeyMaterialException');
    expect(String(res.json.message)).toMatch(new RegExp(`${cluster.config.parties[1]!.partyId} refused: .*splitter made a bad share`));
    expect((await kms.send(new ListKeysCommand({}))).Keys!.length).toBe(before);
  });

  test('a tampered manifest, a bundle of another party, or tutti:* tags are refused by the gateway', async () => {
    const { manifest, shares } = splitKey({
      keySpec: 'ECC_NIST_EDWARDS25519',
      secret: ed25519.utils.randomSecretKey(),
      threshold: 2,
      parties: cluster.config.parties,
      rng,
    });
    const bundles = [1, 2, 3].map((i) => sealBundle(manifest, i, shares.get(i)!, rng));
    const tampered = { ...manifest, threshold: 3 };
    let res = await importShares({ KeySpec: 'ECC_NIST_EDWARDS25519', Manifest: tampered, Bundles: bundles });
    expect([res.status, res.json.__type]).toEqual([400, 'IncorrectKeyMaterialException']);
    res = await importShares({ KeySpec: 'ECC_NIST_EDWARDS25519', Manifest: manifest, Bundles: [bundles[0], bundles[0], bundles[2]] });
    expect([res.status, res.json.__type]).toEqual([400, 'IncorrectKeyMaterialException']);
    res = await importShares({ KeySpec: 'ECC_SECG_P256K1', Manifest: manifest, Bundles: bundles });
    expect([res.status, res.json.__type]).toEqual([400, 'IncorrectKeyMaterialException']);
    res = await importShares({ KeySpec: 'ECC_NIST_EDWARDS25519', Manifest: manifest, Bundles: bundles, Tags: [{ TagKey: 'tutti:threshold', TagValue: '3' }] });
    expect([res.status, res.json.__type]).toEqual([400, 'ValidationException']);
  });
});
