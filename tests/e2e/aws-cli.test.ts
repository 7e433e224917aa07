// The `aws` CLI (botocore: its own SigV4 signer, no x-amz-content-sha256) pointed at a running
// cluster with --endpoint-url: create-key, list-keys, describe-key by alias, sign, verify
// (kms-conformance AUTH-22). Skipped, saying so, where no `aws` is on PATH.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ACCOUNT, REGION, TEST_CREDENTIALS, TestCluster } from '../support/cluster.ts';

jest.setTimeout(120_000);

const awsOnPath = (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, 'aws')));
if (!awsOnPath) console.warn('aws-cli.test.ts: skipped — no `aws` executable on PATH (install awscli to run it)');

const describeCli = awsOnPath ? describe : describe.skip;
const work = mkdtempSync(join(tmpdir(), 'tutti-awscli-'));
let cluster: TestCluster;

/** Runs `aws --endpoint-url … --region … kms <args>` with the test credentials and nothing from ~/.aws. */
async function aws(...args: string[]): Promise<Record<string, unknown>> {
  const env = {
    PATH: process.env.PATH ?? '', HOME: work, AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true', AWS_MAX_ATTEMPTS: '1', AWS_PAGER: '',
  };
  const { stdout } = await promisify(execFile)('aws', ['--endpoint-url', cluster.endpoint, '--region', REGION, '--output', 'json', 'kms', ...args], { env, timeout: 60_000 });
  return stdout.trim() ? JSON.parse(stdout) as Record<string, unknown> : {};
}

describeCli('the aws CLI against a running cluster', () => {
  beforeAll(async () => {
    cluster = await new TestCluster().start();
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test('create-key, list-keys, create-alias, describe-key, get-public-key, sign, verify', async () => {
    const created = await aws('create-key', '--key-spec', 'ECC_NIST_EDWARDS25519', '--key-usage', 'SIGN_VERIFY', '--description', 'from the aws CLI',
      '--tags', 'TagKey=team,TagValue=cli');
    const md = created.KeyMetadata as Record<string, unknown>;
    expect(md).toMatchObject({ AWSAccountId: ACCOUNT, KeySpec: 'ECC_NIST_EDWARDS25519', KeyState: 'Enabled', Description: 'from the aws CLI', SigningAlgorithms: ['ED25519_SHA_512', 'ED25519_PH_SHA_512'] });
    const keyId = md.KeyId as string;

    const listed = await aws('list-keys');
    expect(listed.Keys).toContainEqual({ KeyId: keyId, KeyArn: md.Arn });

    await aws('create-alias', '--alias-name', 'alias/from-cli', '--target-key-id', keyId);
    expect(((await aws('describe-key', '--key-id', 'alias/from-cli')).KeyMetadata as { KeyId: string }).KeyId).toBe(keyId);

    const message = join(work, 'message.bin');
    writeFileSync(message, 'signed by threshold parties, asked for by the aws CLI');
    const signed = await aws('sign', '--key-id', 'alias/from-cli', '--message', `fileb://${message}`, '--message-type', 'RAW', '--signing-algorithm', 'ED25519_SHA_512');
    expect(signed).toMatchObject({ KeyId: md.Arn, SigningAlgorithm: 'ED25519_SHA_512' });
    const signature = Buffer.from(signed.Signature as string, 'base64');
    expect(signature).toHaveLength(64);

    const pub = Buffer.from((await aws('get-public-key', '--key-id', keyId)).PublicKey as string, 'base64');
    expect(nodeVerify(null, readFileSync(message), createPublicKey({ key: pub, format: 'der', type: 'spki' }), signature)).toBe(true);

    const sigFile = join(work, 'signature.bin');
    writeFileSync(sigFile, signature);
    const verified = await aws('verify', '--key-id', keyId, '--message', `fileb://${message}`, '--message-type', 'RAW',
      '--signature', `fileb://${sigFile}`, '--signing-algorithm', 'ED25519_SHA_512');
    expect(verified).toMatchObject({ KeyId: md.Arn, SignatureValid: true });

    // An error reaches the CLI as AWS's exception name.
    writeFileSync(sigFile, Buffer.alloc(64));
    const failed = await aws('verify', '--key-id', keyId, '--message', `fileb://${message}`, '--signature', `fileb://${sigFile}`, '--signing-algorithm', 'ED25519_SHA_512')
      .then(() => '', (e: { stderr?: string }) => e.stderr ?? '');
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
