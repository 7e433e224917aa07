// compose.yaml end to end: `docker compose up` builds the image and brings up a gateway and three
// parties, each in its own container, volume and network, over TLS; the SDK (trusting the CA the
// init service made) creates a key and signs; a party container is killed; the key still signs
// (2 of 3). Skipped, with the reason printed, where no Docker engine answers (`docker info`) or
// the compose plugin is missing. Slow tier: building the image takes minutes.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateKeyCommand, GetPublicKeyCommand, SignCommand } from '@aws-sdk/client-kms';
import { ed25519 } from '@noble/curves/ed25519.js';
import { kmsClientWithCa, waitReadyTls } from '../support/tls-cluster.ts';

jest.setTimeout(900_000);

/** Why the test cannot run here, or undefined when it can. */
function dockerUnavailable(): string | undefined {
  const probe = (args: string[]) => {
    try {
      execFileSync('docker', args, { stdio: 'pipe', timeout: 20_000 });
      return undefined;
    } catch (e) {
      const err = e as { code?: string; stderr?: Buffer };
      return err.code === 'ENOENT' ? 'the docker CLI is not installed' : (err.stderr?.toString().trim().split('\n')[0] ?? String(e));
    }
  };
  const engine = probe(['info']);
  if (engine) return `no Docker engine answers \`docker info\` (${engine})`;
  const compose = probe(['compose', 'version']);
  if (compose) return `the Docker compose plugin is missing (\`docker compose version\`: ${compose})`;
  return undefined;
}

const reason = dockerUnavailable();
if (reason) console.warn(`compose e2e SKIPPED: ${reason}. Run it on a host with Docker: npm run test:e2e -- tests/e2e/compose.slow.test.ts`);
const maybe = reason ? test.skip : test;

const project = `tutti-e2e-${randomBytes(3).toString('hex')}`;
const work = mkdtempSync(join(tmpdir(), 'tutti-compose-'));

function compose(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'docker',
      ['compose', '-p', project, '-f', join(process.cwd(), 'compose.yaml'), ...args],
      { timeout: 600_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => (err ? reject(new Error(`docker compose ${args.join(' ')}: ${stderr}`)) : resolve(stdout)),
    );
  });
}

describe('compose.yaml', () => {
  beforeAll(async () => {
    if (reason) return;
    await compose('up', '--build', '-d', '--wait');
  });
  afterAll(async () => {
    if (!reason) await compose('down', '-v', '--remove-orphans').catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });

  maybe('up over TLS: CreateKey, Sign, kill a party container, Sign again', async () => {
    const caFile = join(work, 'ca.crt');
    await compose('cp', 'gateway:/data/gateway/ca.crt', caFile);
    const ca = readFileSync(caFile, 'utf8');
    const config = JSON.parse(await compose('exec', '-T', 'gateway', 'cat', '/data/gateway/config.json')) as {
      region: string;
      credentials: { accessKeyId: string; secretAccessKey: string }[];
    };
    const endpoint = 'https://localhost:4599';
    await waitReadyTls(endpoint, ca, 3, 120_000);
    const kms = kmsClientWithCa(endpoint, config.region, config.credentials[0]!, ca);
    const key = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' }));
    const keyId = key.KeyMetadata!.KeyId!;
    const raw = (await kms.send(new GetPublicKeyCommand({ KeyId: keyId }))).PublicKey!.slice(-32);
    const sign = async (text: string) => {
      const message = new TextEncoder().encode(text);
      const sig = await kms.send(new SignCommand({ KeyId: keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ED25519_SHA_512' }));
      expect(ed25519.verify(sig.Signature!, message, raw)).toBe(true);
    };
    await sign('three parties');
    await compose('kill', 'party-1');
    await sign('two parties left');
  });
});
