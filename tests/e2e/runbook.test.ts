// docs/operations.md "Runbook: three operators on three hosts", run as written: every block marked
// `<!-- runbook: X -->` is executed by bash in operator X's own folder (the `background` ones are
// the long-running processes), on one host with three data folders. Then the SDK, trusting the
// runbook's CA, creates a key and signs, and the signature verifies independently.
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateKeyCommand, GetPublicKeyCommand, SignCommand } from '@aws-sdk/client-kms';
import { ed25519 } from '@noble/curves/ed25519.js';
import { CLI } from '../../services/main/cluster.ts';
import type { GatewayConfig } from '../../services/main/config.ts';
import { freePort } from '../support/cluster.ts';
import { kmsClientWithCa, waitReadyTls } from '../support/tls-cluster.ts';

jest.setTimeout(60_000);

type Block = { step: string; operator: string; background: boolean; script: string };

/** The runbook's blocks, in document order, with the `### step` each belongs to. */
function runbookBlocks(): Block[] {
  const doc = readFileSync(join(process.cwd(), 'docs/operations.md'), 'utf8');
  const start = doc.indexOf('## Runbook: three operators on three hosts');
  const section = doc.slice(start, doc.indexOf('\n## ', start + 1));
  const blocks: Block[] = [];
  for (const m of section.matchAll(/^### (.*)$|<!-- runbook: ([A-C])( background)? -->\n```sh\n([\s\S]*?)```/gm)) {
    if (m[1] !== undefined) continue;
    const step = [...section.slice(0, m.index).matchAll(/^### (.*)$/gm)].pop()?.[1] ?? '';
    blocks.push({ step, operator: m[2]!, background: m[3] !== undefined, script: m[4]! });
  }
  return blocks;
}

const root = mkdtempSync(join(tmpdir(), 'tutti-runbook-'));
const exchange = join(root, 'exchange');
const folders: Record<string, string> = { A: join(root, 'operator-a'), B: join(root, 'operator-b'), C: join(root, 'operator-c') };
const procs: ChildProcess[] = [];
let env: NodeJS.ProcessEnv;

function run(b: Block): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      ['-c', `set -euo pipefail\ntutti() { node --import "$TUTTI_TSX" "$TUTTI_CLI" "$@"; }\n${b.script}`],
      { cwd: folders[b.operator], env, timeout: 30_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`operator ${b.operator} block failed:\n${b.script}\n${stderr}`)) : resolve(stdout)),
    );
  });
}

function start(b: Block): Promise<void> {
  const child = spawn('bash', ['-c', `set -euo pipefail\ntutti() { exec node --import "$TUTTI_TSX" "$TUTTI_CLI" "$@"; }\n${b.script}`], {
    cwd: folders[b.operator],
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (/^TUTTI_READY /m.test(out)) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`operator ${b.operator} process exited ${code}:\n${b.script}\n${out}`)));
  });
}

beforeAll(async () => {
  mkdirSync(exchange);
  for (const dir of Object.values(folders)) mkdirSync(dir, { mode: 0o700 });
  // What B's secret store and C's KMS/HSM unwrap would provide.
  writeFileSync(join(folders.B!, 'master-key.hex'), randomBytes(32).toString('hex'), { mode: 0o600 });
  writeFileSync(join(folders.C!, 'wrapped-key.hex'), randomBytes(32).toString('hex'), { mode: 0o600 });
  const port = await freePort();
  env = {
    ...process.env,
    TUTTI_MASTER_KEY: '',
    TUTTI_CLI: CLI,
    // `tutti` is run from each operator's folder, not the repository's: tsx by its absolute URL.
    TUTTI_TSX: pathToFileURL(join(process.cwd(), 'node_modules/tsx/dist/loader.mjs')).href,
    EXCHANGE: exchange,
    GATEWAY_HOST: 'localhost',
    GATEWAY_BIND: '127.0.0.1',
    GATEWAY_PORT: String(port),
    TUTTI_ROUND_TIMEOUT_MS: '3000',
  };
});

afterAll(async () => {
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((r) => {
          if (p.exitCode !== null || p.signalCode !== null) return r();
          p.once('exit', () => r());
          p.kill('SIGTERM');
          setTimeout(() => p.kill('SIGKILL'), 3000).unref();
        }),
    ),
  );
  rmSync(root, { recursive: true, force: true });
});

test('the runbook: three operators, three folders, TLS and pinning; then CreateKey and Sign', async () => {
  const blocks = runbookBlocks();
  expect(blocks.filter((b) => !b.background).length).toBeGreaterThanOrEqual(7);
  expect(blocks.filter((b) => b.background).length).toBe(4);
  // Steps in document order; within a step, the operators work side by side.
  const oneShots = blocks.filter((b) => !b.background);
  for (const step of [...new Set(oneShots.map((b) => b.step))]) await Promise.all(oneShots.filter((b) => b.step === step).map(run));
  // No operator's folder holds another's secrets: each party folder is in its operator's folder only.
  expect(readFileSync(join(folders.B!, 'party-2', 'identity.json'), 'utf8')).toMatch(/"sealed"/);
  const config = JSON.parse(readFileSync(join(folders.A!, 'cluster', 'gateway', 'config.json'), 'utf8')) as GatewayConfig;
  expect(config.parties.map((p) => p.partyId)).toEqual(['party-1', 'party-2', 'party-3']);
  expect(readFileSync(join(folders.A!, 'cluster', 'gateway', 'coordinator-identity.json'), 'utf8')).not.toMatch(/signSecret/);

  const background = blocks.filter((b) => b.background);
  await start(background[0]!); // the gateway
  await Promise.all(background.slice(1).map(start));
  const ca = readFileSync(join(exchange, 'ca.crt'), 'utf8');
  const endpoint = `https://localhost:${env.GATEWAY_PORT}`;
  await waitReadyTls(endpoint, ca, 3);

  const kms = kmsClientWithCa(endpoint, config.region, config.credentials[0]!, ca);
  const key = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' }));
  const message = new TextEncoder().encode('runbook');
  const sig = await kms.send(new SignCommand({ KeyId: key.KeyMetadata!.KeyId!, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ED25519_SHA_512' }));
  const pub = await kms.send(new GetPublicKeyCommand({ KeyId: key.KeyMetadata!.KeyId! }));
  expect(ed25519.verify(sig.Signature!, message, pub.PublicKey!.slice(-32))).toBe(true);
});
