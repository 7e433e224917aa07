// DKLs23 presignatures end to end (docs/protocols.md "Presignatures"): real gateway and party
// processes over WebSockets, the AWS SDK. After a key's first signature the gateway has its
// signers presign in the background; with a warm stock a Sign takes one round. A party killed
// with SIGKILL (its presignatures gone) or a gateway restarted (its stock gone) costs nothing but
// a full-protocol signature. Every signature is checked by node:crypto.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { createPublicKey, verify } from 'node:crypto';
import { CreateKeyCommand, GetPublicKeyCommand, SignCommand, type KMSClient } from '@aws-sdk/client-kms';
import { TestCluster } from '../support/cluster.ts';

jest.setTimeout(120_000);

let cluster: TestCluster;
let kms: KMSClient;

beforeAll(async () => {
  cluster = await new TestCluster().start();
  kms = cluster.client();
});
afterAll(async () => {
  kms?.destroy();
  await cluster?.stop();
});

/** Completed sessions at the gateway by protocol (tutti_protocol_session_rounds_count). */
async function sessions(): Promise<Record<string, number>> {
  const text = await (await fetch(`${cluster.endpoint}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^tutti_protocol_session_rounds_count\{[^}]*protocol="([^"]+)"[^}]*\} (\d+)/gm)) out[m[1]!] = Number(m[2]);
  return out;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// secp256k1 only, to keep the file short (one DKLs23 CreateKey): P-256 runs the same code, and
// tests/protocols/dkls23/presign.test.ts signs with presignatures on both curves.
describe.each([{ keySpec: 'ECC_SECG_P256K1' as const, protocol: 'dkls23-secp256k1' }])('$keySpec', ({ keySpec, protocol }) => {
  let keyId: string;
  let spki: Uint8Array;

  async function sign(text: string): Promise<void> {
    const message = new TextEncoder().encode(text);
    const out = await kms.send(new SignCommand({ KeyId: keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }));
    expect(verify('sha256', message, createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }), out.Signature!)).toBe(true);
  }
  /** Waits until the gateway completed `n` more presign sessions than `from`. */
  async function presigned(from: number, n: number): Promise<void> {
    for (let i = 0; i < 200 && ((await sessions())[`${protocol}/presign`] ?? 0) < from + n; i++) await sleep(100);
  }

  beforeAll(async () => {
    keyId = (await kms.send(new CreateKeyCommand({ KeySpec: keySpec, KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!.KeyId!;
    spki = (await kms.send(new GetPublicKeyCommand({ KeyId: keyId }))).PublicKey!;
  });

  test('empty stock: the full protocol signs; then, with a warm stock, Sign takes one round', async () => {
    const before = await sessions();
    await sign('first'); // no presignature yet: four rounds, and the refill starts
    expect(((await sessions())[`${protocol}/sign`] ?? 0) - (before[`${protocol}/sign`] ?? 0)).toBe(1);
    // One Sign starts PRESIGN_PARALLEL (2) presign sessions (presign-stock.ts refillPresigns) and
    // nothing starts more until the next Sign: waiting for 4 here waited out the whole 20 s.
    await presigned(before[`${protocol}/presign`] ?? 0, 2);
    const mid = await sessions();
    for (let i = 0; i < 4; i++) await sign(`warm ${i}`);
    const after = await sessions();
    expect((after[`${protocol}/sign-presigned`] ?? 0) - (mid[`${protocol}/sign-presigned`] ?? 0)).toBeGreaterThanOrEqual(3);
  });

  test('a party killed with SIGKILL has lost its presignatures: Sign falls back, then presigns again', async () => {
    await cluster.restartParty('party-1');
    for (let i = 0; i < 3; i++) await sign(`after kill ${i}`);
    const mid = await sessions();
    await presigned(mid[`${protocol}/presign`] ?? 0, 2);
    const before = await sessions();
    for (let i = 0; i < 2; i++) await sign(`settled ${i}`);
    expect(((await sessions())[`${protocol}/sign-presigned`] ?? 0) - (before[`${protocol}/sign-presigned`] ?? 0)).toBeGreaterThanOrEqual(1);
  });
});
