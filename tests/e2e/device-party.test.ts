// The embedded party in Node (issue 16, docs/waas.md): a wallet backend registers a device party
// (RegisterDeviceParty), creates 2-of-2 device+server keys naming it (secp256k1 and Ed25519),
// and signs through the unmodified AWS SDK while the device is online; with the device offline,
// Sign and CreateKey wait (bounded) and then fail with KeyUnavailableException saying what to do.
// The device's vault is a sealed file: reopened with its key, the device signs again; with
// another key it does not open. One cluster (one daemon party) for the whole file.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { CreateKeyCommand, GetPublicKeyCommand, SignCommand, type KMSClient } from '@aws-sdk/client-kms';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import {
  DeviceParty,
  fileStorage,
  registrationFromKms,
  VaultError,
  workerSessionHost,
  type WebSocketConstructor,
} from '../../packages/party-client/src/node.ts';
import { rawRequest } from '../services/kms-api/support.ts';
import { REGION, TEST_CREDENTIALS, TestCluster } from '../support/cluster.ts';

const WS = WebSocket as unknown as WebSocketConstructor;
let cluster: TestCluster;
let kms: KMSClient;
let dir: string;
const vaultKey = new Uint8Array(randomBytes(32));
let device: DeviceParty;
const sessionHost = workerSessionHost();
let registration: Parameters<typeof registrationFromKms>[0];

const register = (body: object) =>
  rawRequest(
    { url: cluster.endpoint, host: cluster.endpoint.replace('http://', '') },
    { target: 'RegisterDeviceParty', body: JSON.stringify(body), region: REGION, ...TEST_CREDENTIALS },
  );

const createDeviceKey = (keySpec: 'ECC_SECG_P256K1' | 'ECC_NIST_EDWARDS25519', partyList = 'party-1,device-alice') =>
  kms.send(
    new CreateKeyCommand({
      KeySpec: keySpec,
      KeyUsage: 'SIGN_VERIFY',
      Tags: [
        { TagKey: 'tutti:parties', TagValue: partyList },
        { TagKey: 'tutti:threshold', TagValue: '2' },
      ],
    }),
  );

/** The raw public key from GetPublicKey's SPKI. */
async function rawPublicKey(keyId: string, bytes: number): Promise<Uint8Array> {
  const pub = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
  return pub.PublicKey!.subarray(-bytes);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tutti-device-'));
  cluster = await new TestCluster().start({ parties: 1, gatewayEnv: { TUTTI_DEVICE_WAIT_MS: '1500', TUTTI_ROUND_TIMEOUT_MS: '5000' } });
  kms = cluster.client();
  device = await DeviceParty.open({
    partyId: 'device-alice',
    storage: fileStorage(join(dir, 'alice.vault')),
    key: vaultKey,
    log: (l) => process.env.TUTTI_DEBUG && console.log(l),
  });
}, 90_000);

afterAll(async () => {
  await device?.close();
  await sessionHost.close();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('RegisterDeviceParty', () => {
  test('registers the identity the device made; the same again is accepted, other keys under the id are not', async () => {
    const id = device.identity;
    const res = await register({ PartyId: id.partyId, SignPublic: id.signPublic, KexPublic: id.kexPublic });
    expect(res.status).toBe(200);
    registration = res.json as typeof registration;
    expect(res.json).toMatchObject({ PartyId: 'device-alice', Created: true, Parties: [{ PartyId: 'party-1' }] });
    expect((res.json as { Coordinator: { SignPublic: string } }).Coordinator.SignPublic).toMatch(/^[0-9a-f]{64}$/);
    const again = await register({ PartyId: id.partyId, SignPublic: id.signPublic, KexPublic: id.kexPublic });
    expect([again.status, again.json?.Created]).toEqual([200, false]);
    const other = await register({
      PartyId: id.partyId,
      SignPublic: Buffer.from(ed25519.getPublicKey(ed25519.utils.randomSecretKey())).toString('hex'),
      KexPublic: id.kexPublic,
    });
    expect([other.status, other.json?.__type]).toEqual([400, 'AlreadyExistsException']);
    const notDevice = await register({ PartyId: 'party-9', SignPublic: id.signPublic, KexPublic: id.kexPublic });
    expect([notDevice.status, notDevice.json?.__type]).toEqual([400, 'ValidationException']);
  });

  test('CreateKey naming a device that never connected: KeyUnavailableException after the bounded wait', async () => {
    const err = await createDeviceKey('ECC_SECG_P256K1').catch((e: unknown) => e as { name: string; message: string });
    expect(err).toMatchObject({ name: 'KeyUnavailableException' });
    expect((err as Error).message).toMatch(/device-alice.*did not connect within 1500 ms/);
  });
});

describe('2-of-2 device + server keys', () => {
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    await device.connect({ url: cluster.coordinatorUrl, registration: registrationFromKms(registration), WebSocket: WS, sessionHost });
  }, 30_000);

  test('secp256k1: CreateKey with the device online; Sign (DIGEST) verifies under the key', async () => {
    const created = await createDeviceKey('ECC_SECG_P256K1');
    keys.k1 = created.KeyMetadata!.KeyId!;
    expect(device.keys()).toContain(keys.k1);
    const pub = await rawPublicKey(keys.k1, 65);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const digest = new Uint8Array(randomBytes(32));
      const t0 = performance.now();
      const out = await kms.send(new SignCommand({ KeyId: keys.k1, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' }));
      times.push(performance.now() - t0);
      expect(secp256k1.verify(out.Signature!, digest, pub, { format: 'der', prehash: false })).toBe(true);
    }
    console.log(`device-party (Node) secp256k1 2-of-2 Sign: median ${median(times).toFixed(0)} ms over ${times.length}`);
  }, 90_000);

  test('Ed25519: CreateKey and Sign (RAW) verify under the key', async () => {
    const created = await createDeviceKey('ECC_NIST_EDWARDS25519');
    keys.ed = created.KeyMetadata!.KeyId!;
    const pub = await rawPublicKey(keys.ed, 32);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const message = new TextEncoder().encode(`transfer ${i}`);
      const t0 = performance.now();
      const out = await kms.send(new SignCommand({ KeyId: keys.ed, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ED25519_SHA_512' }));
      times.push(performance.now() - t0);
      expect(ed25519.verify(out.Signature!, message, pub, { zip215: false })).toBe(true);
    }
    console.log(`device-party (Node) Ed25519 2-of-2 Sign: median ${median(times).toFixed(0)} ms over ${times.length}`);
  }, 60_000);

  test('the device offline: Sign waits, then KeyUnavailableException naming the device; reopened from its vault it signs again', async () => {
    await device.close();
    const t0 = Date.now();
    const err = await kms
      .send(new SignCommand({ KeyId: keys.k1, Message: new Uint8Array(32), MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' }))
      .catch((e: unknown) => e as Error);
    expect(err).toMatchObject({ name: 'KeyUnavailableException' });
    expect((err as Error).message).toMatch(/device-alice.*Open the wallet app/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);

    await expect(DeviceParty.open({ partyId: 'device-alice', storage: fileStorage(join(dir, 'alice.vault')), key: new Uint8Array(32) })).rejects.toThrow(
      VaultError,
    );
    device = await DeviceParty.open({ partyId: 'device-alice', storage: fileStorage(join(dir, 'alice.vault')), key: vaultKey });
    expect(device.keys().sort()).toEqual([keys.k1, keys.ed].sort());
    await device.connect({ url: cluster.coordinatorUrl, WebSocket: WS, sessionHost });
    const digest = new Uint8Array(randomBytes(32));
    const out = await kms.send(new SignCommand({ KeyId: keys.k1, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' }));
    expect(secp256k1.verify(out.Signature!, digest, await rawPublicKey(keys.k1!, 65), { format: 'der', prehash: false })).toBe(true);
    // The device's own policy decisions are in its audit log, hash-chained like a daemon's.
    expect(device.auditLog().filter((e) => e.event === 'sign' && e.decision === 'allow').length).toBeGreaterThanOrEqual(11);
  }, 60_000);
});
