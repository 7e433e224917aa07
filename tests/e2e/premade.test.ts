// Pre-made FROST commitments end to end (docs/protocols.md "Pre-made commitments"): real gateway
// and party processes over WebSockets, the AWS SDK. After a key's first signatures the gateway
// holds commitments each signer made ahead and signs in one round; a party that restarts (its
// pairs gone) or a gateway that restarts (its stock gone) costs nothing but a two-round signature.
// Every signature is checked by node:crypto. (The SDK's enums do not list Ed448 yet; the wire takes it.)
// One party restart and one gateway restart serve both key specs.
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

type Spec = (typeof SPECS)[number];
const keyIds = new Map<Spec, string>();
const signed = new Map<Spec, number>();

async function sign({ algorithm }: Spec, keyId: string, text: string): Promise<void> {
  const message = new TextEncoder().encode(text);
  const out = await kms.send(new SignCommand({ KeyId: keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: algorithm as SigningAlgorithmSpec }));
  const spki = (await kms.send(new GetPublicKeyCommand({ KeyId: keyId }))).PublicKey!;
  expect(verify(null, message, createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }), out.Signature!)).toBe(true);
}

/** Signs `count` messages with each spec's key, one spec after the other; returns the sessions before and after each spec's run. */
async function signEach(count: number, label: string): Promise<Map<Spec, { before: Record<string, number>; after: Record<string, number> }>> {
  const out = new Map<Spec, { before: Record<string, number>; after: Record<string, number> }>();
  for (const spec of SPECS) {
    const before = await sessions();
    for (let i = 0; i < count; i++) await sign(spec, keyIds.get(spec)!, `${label} ${i}`);
    signed.set(spec, (signed.get(spec) ?? 0) + count);
    out.set(spec, { before, after: await sessions() });
  }
  return out;
}
const delta = (d: { before: Record<string, number>; after: Record<string, number> }, name: string) => (d.after[name] ?? 0) - (d.before[name] ?? 0);

// Both keys share one cluster, and each restart below serves both specs (one party restart and one
// gateway restart for the file, not one per spec).
beforeAll(async () => {
  for (const spec of SPECS) {
    keyIds.set(spec, (await kms.send(new CreateKeyCommand({ KeySpec: spec.keySpec as KeySpec, KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!.KeyId!);
  }
});

describe.each(SPECS)('$keySpec', (spec) => {
  test('after the first signatures, signatures take one round', async () => {
    const before = await sessions();
    for (let i = 0; i < 8; i++) await sign(spec, keyIds.get(spec)!, `message ${i}`);
    signed.set(spec, (signed.get(spec) ?? 0) + 8);
    const after = await sessions();
    const oneRound = (after[`${spec.protocol}/sign-premade`] ?? 0) - (before[`${spec.protocol}/sign-premade`] ?? 0);
    const twoRound = (after[`${spec.protocol}/sign`] ?? 0) - (before[`${spec.protocol}/sign`] ?? 0);
    expect(oneRound + twoRound).toBe(8);
    expect(oneRound).toBeGreaterThanOrEqual(5);
  });
});

describe('restarts (both specs)', () => {
  test('a party killed and restarted has lost its pairs: signing goes on, then takes one round again', async () => {
    await cluster.restartParty('party-2');
    await signEach(6, 'after party restart');
    for (const [spec, d] of await signEach(4, 'settled')) expect(delta(d, `${spec.protocol}/sign-premade`)).toBeGreaterThanOrEqual(3);
  });

  test('a gateway killed and restarted has lost its stock: signing goes on', async () => {
    await cluster.restartGateway();
    await signEach(6, 'after gateway restart');
    const now = await sessions();
    for (const spec of SPECS) {
      expect(now[`${spec.protocol}/sign-premade`] ?? 0).toBeGreaterThanOrEqual(3);
      expect(signed.get(spec)).toBe(24);
    }
  });
});
