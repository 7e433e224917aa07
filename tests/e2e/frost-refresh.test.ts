// FROST refresh run by the service (issue 15 item 2), end to end in real gateway and party
// processes through @aws-sdk/client-kms and the operator's cli.ts refresh: a 2-of-3 Ed25519 key
// and a 2-of-3 Ed448 key are refreshed by all three parties (a reshare onto the same holders,
// protocols/frost/reshare.ts, with the two-phase activation of docs/protocols.md "Refresh
// activation"), then the Ed25519 key without party-3. After each: the public key is unchanged,
// every holder has exactly the new version active, and a signature verifies with node:crypto
// from the SPKI alone; party-3 deletes its share of the key it was left out of.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { createPublicKey, verify } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CreateKeyCommand, GetPublicKeyCommand, SignCommand, type KMSClient } from '@aws-sdk/client-kms';
import { cliArgs } from '../../services/main/cluster.ts';
import { TestCluster, waitFor } from '../support/cluster.ts';

jest.setTimeout(120_000);

let cluster: TestCluster;
let kms: KMSClient;
const keys: Record<'ed25519' | 'ed448', { id: string; spki: Uint8Array }> = {} as never;

async function cli(keyId: string, args: string[]): Promise<{ ok: boolean; body: Record<string, unknown> }> {
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [...cliArgs(), 'refresh', '--key', keyId, ...args, '--data', cluster.dataDir, '--endpoint', cluster.endpoint],
      { encoding: 'utf8' },
    );
    return { ok: true, body: JSON.parse(stdout) as Record<string, unknown> };
  } catch (e) {
    return { ok: false, body: JSON.parse((e as { stdout: string }).stdout) as Record<string, unknown> };
  }
}

/** Signs with the key and checks the signature with node:crypto (OpenSSL), from the SPKI only. */
async function signedAndVerified(which: 'ed25519' | 'ed448', text: string): Promise<void> {
  const message = new TextEncoder().encode(text);
  const out = await kms.send(
    new SignCommand({
      KeyId: keys[which].id,
      Message: message,
      MessageType: 'RAW',
      SigningAlgorithm: which === 'ed25519' ? 'ED25519_SHA_512' : ('ED448_SHAKE_256' as never),
    }),
  );
  expect(verify(null, message, createPublicKey({ key: Buffer.from(keys[which].spki), format: 'der', type: 'spki' }), out.Signature!)).toBe(true);
}

beforeAll(async () => {
  // A longer round deadline than the default 2 s: the Ed448 DKG and reshare are the slowest FROST sessions on a loaded CI machine.
  cluster = await new TestCluster().start({ partyEnv: { TUTTI_DELETION_WAIT_MS: '300' }, gatewayEnv: { TUTTI_ROUND_TIMEOUT_MS: '10000' } });
  kms = cluster.client();
  for (const [which, spec] of [
    ['ed25519', 'ECC_NIST_EDWARDS25519'],
    ['ed448', 'ECC_NIST_EDWARDS448'],
  ] as const) {
    const created = await kms.send(new CreateKeyCommand({ KeySpec: spec as 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' }));
    const id = created.KeyMetadata!.KeyId!;
    keys[which] = { id, spki: (await kms.send(new GetPublicKeyCommand({ KeyId: id }))).PublicKey! };
  }
});

afterAll(async () => {
  kms?.destroy();
  await cluster?.stop();
});

describe('FROST refresh through the service', () => {
  test.each(['ed25519', 'ed448'] as const)('%s: all three parties refresh; same public key, new version active everywhere, signs', async (which) => {
    const { id, spki } = keys[which];
    await signedAndVerified(which, 'before');
    const out = await cli(id, []);
    expect(out).toMatchObject({ ok: true, body: { keyId: id, parties: ['party-1', 'party-2', 'party-3'], excluded: [] } });
    for (const p of ['party-1', 'party-2', 'party-3'])
      await waitFor(`${p}'s share versions`, () => JSON.stringify(cluster.shareVersions(p, id)) === JSON.stringify([{ version: 2, state: 'active' }]));
    expect((await kms.send(new GetPublicKeyCommand({ KeyId: id }))).PublicKey).toEqual(spki);
    await signedAndVerified(which, 'after a refresh');
  });

  test('ed25519 without party-3: the two remaining parties sign as a 2-of-2, party-3 deletes its share', async () => {
    const { id, spki } = keys.ed25519;
    const out = await cli(id, ['--exclude', 'party-3']);
    expect(out).toMatchObject({ ok: true, body: { parties: ['party-1', 'party-2'], excluded: ['party-3'] } });
    for (const p of ['party-1', 'party-2'])
      await waitFor(`${p}'s share versions`, () => JSON.stringify(cluster.shareVersions(p, id)) === JSON.stringify([{ version: 3, state: 'active' }]));
    await waitFor("party-3's share deleted", () => cluster.shareVersions('party-3', id).length === 0);
    expect((await kms.send(new GetPublicKeyCommand({ KeyId: id }))).PublicKey).toEqual(spki);
    await signedAndVerified('ed25519', 'after a refresh without party-3');
    // Leaving out one more would leave fewer than t: refused, nothing changes.
    expect(await cli(id, ['--exclude', 'party-2'])).toMatchObject({ ok: false, body: { error: 'KeyUnavailableException' } });
  });
});
