// The README's quick start: `npm start` brings up a gateway and three parties, prints the endpoint
// and credentials, serves the AWS SDK, and stops cleanly on Ctrl-C.
import { afterAll, expect, jest, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicKey, verify } from 'node:crypto';
import { CreateKeyCommand, GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';

jest.setTimeout(120_000);

const dataDir = mkdtempSync(join(tmpdir(), 'tutti-start-'));
let child: ChildProcess | undefined;

afterAll(() => {
  if (child && child.exitCode === null) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
});

test('npm start: endpoint, dev credentials, a working key, clean stop', async () => {
  child = spawn('npm', ['start', '--silent'], {
    cwd: process.cwd(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    // TUTTI_CLI_BUNDLE empty: the supervisor starts its gateway and parties from source through tsx,
    // as a user's `npm start` does, not from the bundle the other tests use (services/main/cluster.ts cliArgs).
    env: { ...process.env, TUTTI_PORT: '0', TUTTI_DATA_DIR: dataDir, TUTTI_REGION: 'us-west-2', TUTTI_CLI_BUNDLE: '' },
  });
  let out = '';
  const info = await new Promise<{ endpoint: string; region: string; accessKeyId: string; secretAccessKey: string }>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /^TUTTI_READY (.*)$/m.exec(out);
      if (m) resolve(JSON.parse(m[1]!));
    };
    child!.stdout!.on('data', onData);
    child!.stderr!.on('data', onData);
    child!.once('exit', (code) => reject(new Error(`npm start exited ${code}:\n${out}`)));
  });
  expect(out).toContain(info.endpoint);
  expect(out).toContain(info.accessKeyId);
  expect(out).toContain(info.secretAccessKey);
  expect(out).toMatch(/aws kms create-key --endpoint-url/);
  expect(info.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

  const kms = new KMSClient({
    endpoint: info.endpoint,
    region: info.region,
    credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey },
  });
  const key = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' }));
  const message = new TextEncoder().encode('quick start');
  const sig = await kms.send(new SignCommand({ KeyId: key.KeyMetadata!.KeyId!, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ED25519_SHA_512' }));
  const pub = await kms.send(new GetPublicKeyCommand({ KeyId: key.KeyMetadata!.KeyId! }));
  expect(verify(null, message, createPublicKey({ key: Buffer.from(pub.PublicKey!), format: 'der', type: 'spki' }), sig.Signature!)).toBe(true);
  kms.destroy();

  // Ctrl-C reaches the whole process group, as in a terminal; npm itself then dies of SIGINT.
  const exited = new Promise<string>((r) => child!.once('exit', (code, signal) => r(String(code ?? signal))));
  process.kill(-child.pid!, 'SIGINT');
  expect(['0', 'SIGINT']).toContain(await exited);
  // The supervisor stops every process of the cluster: none is left behind.
  const deadline = Date.now() + 10_000;
  const alive = () => {
    try {
      process.kill(-child!.pid!, 0);
      return true;
    } catch {
      return false;
    }
  };
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(alive()).toBe(false);
  expect(out).toContain('[supervisor] stopped');
});
