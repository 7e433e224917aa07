// The `aws` CLI (botocore: its own SigV4 signer, no x-amz-content-sha256) pointed at a running
// cluster with --endpoint-url: create-key, list-keys, describe-key by alias, sign, verify
// (kms-conformance AUTH-22), and what the KMS signers built on it send: a secp256k1 DIGEST under
// ECDSA_SHA_256 and an Ed25519ph DIGEST, on keys created without a signing policy (issue 12).
// Run with every distinct `aws` on PATH (the pip v1 and Debian's v2 `awscli` package, where
// installed: `apt-get install awscli`). Skipped, saying so, where there is none.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ed25519ph } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { ACCOUNT, REGION, TEST_CREDENTIALS, TestCluster } from '../support/cluster.ts';

jest.setTimeout(300_000);

/** Every distinct `aws` executable on PATH (by real path) with its version line. */
const clis = [
  ...new Map(
    (process.env.PATH ?? '')
      .split(':')
      .filter((d) => d && existsSync(join(d, 'aws')))
      .map((d) => join(d, 'aws'))
      .map((bin) => [realpathSync(bin), bin] as const),
  ).values(),
].flatMap((bin) => {
  try {
    return [
      {
        bin,
        version: execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] })
          .trim()
          .split(' ')[0]!,
      },
    ];
  } catch {
    return [];
  }
});
if (clis.length === 0) console.warn('aws-cli.test.ts: skipped — no `aws` executable on PATH (install awscli to run it)');
if (clis.length > 0 && !clis.some((c) => c.version.startsWith('aws-cli/2')))
  console.warn('aws-cli.test.ts: no aws CLI v2 on PATH (apt-get install awscli); testing only', clis.map((c) => c.version).join(', '));

const describeCli = clis.length > 0 ? describe : describe.skip;
const work = mkdtempSync(join(tmpdir(), 'tutti-awscli-'));
let cluster: TestCluster;

/** Runs `<bin> --endpoint-url … --region … kms <args>` with the test credentials and nothing from ~/.aws. */
async function run(bin: string, ...args: string[]): Promise<Record<string, unknown>> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: work,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_MAX_ATTEMPTS: '1',
    AWS_PAGER: '',
  };
  const { stdout } = await promisify(execFile)(bin, ['--endpoint-url', cluster.endpoint, '--region', REGION, '--output', 'json', 'kms', ...args], {
    env,
    timeout: 60_000,
  });
  return stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : {};
}

beforeAll(async () => {
  if (clis.length > 0) cluster = await new TestCluster().start();
});
afterAll(async () => {
  await cluster?.stop();
  rmSync(work, { recursive: true, force: true });
});

describeCli.each(clis.length > 0 ? clis : [{ bin: 'aws', version: 'none' }])('$version ($bin) against a running cluster', ({ bin }) => {
  const aws = (...args: string[]) => run(bin, ...args);

  test('a secp256k1 key without a signing policy signs a keccak256 DIGEST under ECDSA_SHA_256 (what the Ethereum KMS signers send); Ed25519ph DIGEST', async () => {
    const k1 = ((await aws('create-key', '--key-spec', 'ECC_SECG_P256K1', '--key-usage', 'SIGN_VERIFY')).KeyMetadata as { KeyId: string }).KeyId;
    const digest = keccak_256(new TextEncoder().encode('an Ethereum transaction, hashed by the client'));
    const file = join(work, `digest-${bin.replace(/\W/g, '')}.bin`);
    writeFileSync(file, digest);
    const signed = await aws('sign', '--key-id', k1, '--message', `fileb://${file}`, '--message-type', 'DIGEST', '--signing-algorithm', 'ECDSA_SHA_256');
    const spki = Buffer.from((await aws('get-public-key', '--key-id', k1)).PublicKey as string, 'base64');
    expect(
      secp256k1.verify(Buffer.from(signed.Signature as string, 'base64'), digest, spki.subarray(spki.length - 65), { prehash: false, format: 'der' }),
    ).toBe(true);

    const ed = ((await aws('create-key', '--key-spec', 'ECC_NIST_EDWARDS25519', '--key-usage', 'SIGN_VERIFY')).KeyMetadata as { KeyId: string }).KeyId;
    const h64 = sha512(new TextEncoder().encode('a document'));
    writeFileSync(file, h64);
    const ph = await aws('sign', '--key-id', ed, '--message', `fileb://${file}`, '--message-type', 'DIGEST', '--signing-algorithm', 'ED25519_PH_SHA_512');
    const edSpki = Buffer.from((await aws('get-public-key', '--key-id', ed)).PublicKey as string, 'base64');
    expect(ed25519ph.verify(Buffer.from(ph.Signature as string, 'base64'), h64, edSpki.subarray(12))).toBe(true);
  });

  test('create-key, list-keys, create-alias, describe-key, get-public-key, sign, verify', async () => {
    const created = await aws(
      'create-key',
      '--key-spec',
      'ECC_NIST_EDWARDS25519',
      '--key-usage',
      'SIGN_VERIFY',
      '--description',
      'from the aws CLI',
      '--tags',
      'TagKey=team,TagValue=cli',
    );
    const md = created.KeyMetadata as Record<string, unknown>;
    expect(md).toMatchObject({
      AWSAccountId: ACCOUNT,
      KeySpec: 'ECC_NIST_EDWARDS25519',
      KeyState: 'Enabled',
      Description: 'from the aws CLI',
      SigningAlgorithms: ['ED25519_SHA_512', 'ED25519_PH_SHA_512'],
    });
    const keyId = md.KeyId as string;

    const listed = await aws('list-keys');
    expect(listed.Keys).toContainEqual({ KeyId: keyId, KeyArn: md.Arn });

    const alias = `alias/from-cli-${bin.replace(/\W/g, '')}`;
    await aws('create-alias', '--alias-name', alias, '--target-key-id', keyId);
    expect(((await aws('describe-key', '--key-id', alias)).KeyMetadata as { KeyId: string }).KeyId).toBe(keyId);

    const message = join(work, 'message.bin');
    writeFileSync(message, 'signed by threshold parties, asked for by the aws CLI');
    const signed = await aws('sign', '--key-id', alias, '--message', `fileb://${message}`, '--message-type', 'RAW', '--signing-algorithm', 'ED25519_SHA_512');
    expect(signed).toMatchObject({ KeyId: md.Arn, SigningAlgorithm: 'ED25519_SHA_512' });
    const signature = Buffer.from(signed.Signature as string, 'base64');
    expect(signature).toHaveLength(64);

    const pub = Buffer.from((await aws('get-public-key', '--key-id', keyId)).PublicKey as string, 'base64');
    expect(nodeVerify(null, readFileSync(message), createPublicKey({ key: pub, format: 'der', type: 'spki' }), signature)).toBe(true);

    const sigFile = join(work, 'signature.bin');
    writeFileSync(sigFile, signature);
    const verified = await aws(
      'verify',
      '--key-id',
      keyId,
      '--message',
      `fileb://${message}`,
      '--message-type',
      'RAW',
      '--signature',
      `fileb://${sigFile}`,
      '--signing-algorithm',
      'ED25519_SHA_512',
    );
    expect(verified).toMatchObject({ KeyId: md.Arn, SignatureValid: true });

    // An error reaches the CLI as AWS's exception name.
    writeFileSync(sigFile, Buffer.alloc(64));
    const failed = await aws(
      'verify',
      '--key-id',
      keyId,
      '--message',
      `fileb://${message}`,
      '--signature',
      `fileb://${sigFile}`,
      '--signing-algorithm',
      'ED25519_SHA_512',
    ).then(
      () => '',
      (e: { stderr?: string }) => e.stderr ?? '',
    );
    expect(failed).toContain('KMSInvalidSignatureException');
  });

  test('schedule-key-deletion and cancel-key-deletion', async () => {
    const keyId = ((await aws('create-key', '--key-spec', 'ECC_NIST_EDWARDS448', '--key-usage', 'SIGN_VERIFY')).KeyMetadata as { KeyId: string }).KeyId;
    const scheduled = await aws('schedule-key-deletion', '--key-id', keyId, '--pending-window-in-days', '7');
    expect(scheduled).toMatchObject({ KeyState: 'PendingDeletion', PendingWindowInDays: 7 });
    await aws('cancel-key-deletion', '--key-id', keyId);
    expect(((await aws('describe-key', '--key-id', keyId)).KeyMetadata as { KeyState: string }).KeyState).toBe('Disabled');
  });
});
