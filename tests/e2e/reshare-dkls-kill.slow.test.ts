// Kill -9 of a party new to a DKLs23 key in the middle of its ReshareKey (issue 15 item 1; the
// two-phase activation of docs/protocols.md "Refresh activation"): a secp256k1 key 2-of-3 on
// party-1..3 is reshared to 2-of-3 on party-2..4, party-4 new to the key and stopped
// (TUTTI_TEST_STALL=refresh:activate) after it confirmed and received the certificate, before it
// activated. party-2 and party-3 activate; party-4 holds its new share pending. It is killed -9 and
// started again without the stall: it reports its confirmed reshare, the certificate comes back,
// and it activates the same version. Then party-2 is killed too, and party-3 with party-4 signs
// under the SAME public key (noble verifies from GetPublicKey's SPKI). Slow (minutes of DKLs23 base
// OTs on a loaded host): the slow tier runs it.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { sha256 } from '@noble/hashes/sha2.js';
import { CreateKeyCommand, GetPublicKeyCommand, SignCommand, type KMSClient } from '@aws-sdk/client-kms';
import { REGION, TEST_CREDENTIALS, TestCluster, waitFor } from '../support/cluster.ts';
import { rawRequest } from '../services/kms-api/support.ts';
import { nobleVerifies } from '../support/ecdsa.ts';

jest.setTimeout(600_000);

const SLOW_ENV = { TUTTI_SESSION_TTL_MS: '300000' };
let cluster: TestCluster;
let kms: KMSClient;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

beforeAll(async () => {
  cluster = await new TestCluster().start({
    parties: 4,
    partyEnv: SLOW_ENV,
    gatewayEnv: { TUTTI_ROUND_TIMEOUT_MS: '60000', TUTTI_DKG_ROUND_TIMEOUT_MS: '120000' },
  });
  kms = cluster.client();
});

afterAll(async () => {
  kms?.destroy();
  await cluster?.stop();
});

describe('ReshareKey of a secp256k1 key: kill -9 of the new party between its confirmation and its activation', () => {
  test('the new party activates the same version after its restart, and signs with the others under the same public key', async () => {
    const created = await kms.send(
      new CreateKeyCommand({
        KeySpec: 'ECC_SECG_P256K1',
        KeyUsage: 'SIGN_VERIFY',
        Tags: [
          { TagKey: 'tutti:parties', TagValue: 'party-1,party-2,party-3' },
          { TagKey: 'tutti:threshold', TagValue: '2' },
        ],
      }),
    );
    const id = created.KeyMetadata!.KeyId!;
    const spki = (await kms.send(new GetPublicKeyCommand({ KeyId: id }))).PublicKey!;
    await cluster.restartParty('party-4', { TUTTI_TEST_STALL: 'refresh:activate' });

    const endpoint = { url: cluster.endpoint, host: cluster.endpoint.replace(/^http:\/\//, '') };
    const body = JSON.stringify({ KeyId: id, Threshold: 2, Parties: ['party-2', 'party-3', 'party-4'] });
    const answer = rawRequest(endpoint, { target: 'ReshareKey', body, region: REGION, ...TEST_CREDENTIALS });

    // party-2 and party-3 activated on the certificate; party-4 got it too and stopped before activating.
    await waitFor(
      'party-2 and party-3 activated, party-4 pending',
      () =>
        ['party-2', 'party-3'].every((p) => same(cluster.shareVersions(p, id), [{ version: 2, state: 'active' }])) &&
        same(cluster.shareVersions('party-4', id), [{ version: 1, state: 'pending' }]),
      120_000,
    );
    await cluster.restartParty('party-4', {});
    await waitFor('party-4 activated after its restart', () => same(cluster.shareVersions('party-4', id), [{ version: 1, state: 'active' }]), 120_000);
    const res = await answer;
    expect({ status: res.status, body: res.json }).toMatchObject({ status: 200, body: { Parties: ['party-2', 'party-3', 'party-4'] } });
    expect((await kms.send(new GetPublicKeyCommand({ KeyId: id }))).PublicKey).toEqual(spki);

    // Only party-3 and party-4 are left: the signature needs the restarted new party.
    await cluster.kill('party-2');
    await cluster.waitConnected((ids) => !ids.includes('party-2'));
    const message = new TextEncoder().encode('signed by party-3 and the restarted party-4');
    const out = await kms.send(new SignCommand({ KeyId: id, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }));
    expect(nobleVerifies('secp256k1', spki, sha256(message), out.Signature!, true)).toBe(true);
  });
});
