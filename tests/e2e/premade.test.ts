// Pre-made FROST commitments end to end (docs/protocols.md "Pre-made commitments"): real gateway
// and party processes over WebSockets, the AWS SDK. After a key's first signatures the gateway
// holds commitments each signer made ahead and signs in one round; a party that restarts (its
// pairs gone) or a gateway that restarts (its stock gone) costs nothing but a two-round signature.
// Every signature is checked by node:crypto. (The SDK's enums do not list Ed448 yet; the wire takes it.)
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { createPublicKey, verify } from 'node:crypto';
import { CreateKeyCommand, GetPublicKeyCommand, SignCommand, type KeySpec, type KMSClient, type SigningAlgorithmSpec } from '@aws-sdk/client-kms';
import { TestCluster } from '../support/cluster.ts';

jest.setTimeout(180_000);

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

/** Completed sign sessions at the gateway by protocol (tutti_protocol_session_rounds_count). */
async function sessions(): Promise<Record<string, number>> {
  const text = await (await fetch(`${cluster.endpoint}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^tutti_protocol_session_rounds_count\{[^}]*protocol="([^"]+)"[^}]*\} (\d+)/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

const SPECS = [
  { keySpec: 'ECC_NIST_EDWARDS25519', algorithm: 'ED25519_SHA_512', protocol: 'frost-ed25519' },
  { keySpec: 'ECC_NIST_EDWARDS448', algorithm: 'ED448_SHAKE_256', protocol: 'frost-ed448' },
] as const;

describe.each(SPECS)('$keySpec', ({ keySpec, algorithm, protocol }) => {
  let keyId: string;
  let signed = 0;

  async function sign(text: string): Promise<void> {
    const message = new TextEncoder().encode(text);
    const out = await kms.send(new SignCommand({ KeyId: keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: algorithm as SigningAlgorithmSpec }));
    const spki = (await kms.send(new GetPublicKeyCommand({ KeyId: keyId }))).PublicKey!;
    expect(verify(null, message, createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }), out.Signature!)).toBe(true);
    signed++;
  }

  beforeAll(async () => {
    keyId = (await kms.send(new CreateKeyCommand({ KeySpec: keySpec as KeySpec, KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!.KeyId!;
  });

  test('after the first signatures, signatures take one round', async () => {
    const before = await sessions();
    for (let i = 0; i < 8; i++) await sign(`message ${i}`);
    const after = await sessions();
    const oneRound = (after[`${protocol}/sign-premade`] ?? 0) - (before[`${protocol}/sign-premade`] ?? 0);
    const twoRound = (after[`${protocol}/sign`] ?? 0) - (before[`${protocol}/sign`] ?? 0);
    expect(oneRound + twoRound).toBe(8);
    expect(oneRound).toBeGreaterThanOrEqual(5);
  });

  test('a party killed and restarted has lost its pairs: signing goes on, then takes one round again', async () => {
    await cluster.restartParty('party-2');
    for (let i = 0; i < 6; i++) await sign(`after party restart ${i}`);
    const before = await sessions();
    for (let i = 0; i < 4; i++) await sign(`settled ${i}`);
    expect((await sessions())[`${protocol}/sign-premade`]! - (before[`${protocol}/sign-premade`] ?? 0)).toBeGreaterThanOrEqual(3);
  });

  test('a gateway killed and restarted has lost its stock: signing goes on', async () => {
    await cluster.restartGateway();
    for (let i = 0; i < 6; i++) await sign(`after gateway restart ${i}`);
    expect((await sessions())[`${protocol}/sign-premade`] ?? 0).toBeGreaterThanOrEqual(3);
    expect(signed).toBe(24);
  });
});
