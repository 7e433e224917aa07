// ReshareKey of DKLs23 keys (issue 15 item 1), end to end in real gateway and party processes
// through the AWS SDK, for tests/e2e/reshare-dkls.test.ts (secp256k1, in `npm test`) and
// reshare-dkls-p256.slow.test.ts (P-256, the same cases on the other curve: the slow tier). A
// 5-party cluster; a key made 2-of-3 on party-1..3 is reshared to 3-of-5 on party-1..5 (party-4
// and party-5 new to the key: they get the public package and the signing policy with the open,
// and run their OT setup with the others in the same session). After each: GetPublicKey is
// unchanged, a signature verifies under @noble/curves from the SPKI alone (and OpenSSL), the
// creation receipts name the new holders, and the share versions moved (old holders at 2, new at
// 1). Last, party-1 and party-2 are killed: party-3 and the two new parties sign with the key.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { sha256 } from '@noble/hashes/sha2.js';
import { CreateKeyCommand, GetPublicKeyCommand, SignCommand, type KMSClient, type KeySpec } from '@aws-sdk/client-kms';
import { TestCluster, waitFor } from './cluster.ts';
import { nobleVerifies, opensslVerifies, type EcdsaCurveName } from './ecdsa.ts';

const ALL = ['party-1', 'party-2', 'party-3', 'party-4', 'party-5'];

/** The file's cases for these key specs ([curve, KMS KeySpec]), on one 5-party cluster. */
export function reshareDklsSuite(SPECS: [EcdsaCurveName, string][]): void {
  jest.setTimeout(300_000);
  let cluster: TestCluster;
  let kms: KMSClient;
  const keys = new Map<EcdsaCurveName, { id: string; spki: Uint8Array }>();

  async function signedAndVerified(curve: EcdsaCurveName, text: string): Promise<void> {
    const { id, spki } = keys.get(curve)!;
    const message = new TextEncoder().encode(text);
    const out = await kms.send(new SignCommand({ KeyId: id, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }));
    expect(nobleVerifies(curve, spki, sha256(message), out.Signature!, true)).toBe(true);
    expect(opensslVerifies(spki, message, out.Signature!)).toBe(true);
  }

  beforeAll(async () => {
    cluster = await new TestCluster().start({
      parties: 5,
      // A loaded CI host can take a minute per DKLs23 session: the parties keep theirs longer.
      partyEnv: { TUTTI_DELETION_WAIT_MS: '300', TUTTI_SESSION_TTL_MS: '300000' },
      gatewayEnv: { TUTTI_ROUND_TIMEOUT_MS: '60000', TUTTI_DKG_ROUND_TIMEOUT_MS: '120000' },
    });
    kms = cluster.client();
    // One after the other: two DKLs23 DKGs at once only compete for the same cores.
    for (const [curve, spec] of SPECS) {
      const created = await kms.send(
        new CreateKeyCommand({
          KeySpec: spec as KeySpec,
          KeyUsage: 'SIGN_VERIFY',
          Tags: [
            { TagKey: 'tutti:parties', TagValue: 'party-1,party-2,party-3' },
            { TagKey: 'tutti:threshold', TagValue: '2' },
          ],
        }),
      );
      const id = created.KeyMetadata!.KeyId!;
      keys.set(curve, { id, spki: (await kms.send(new GetPublicKeyCommand({ KeyId: id }))).PublicKey! });
    }
  });

  afterAll(async () => {
    kms?.destroy();
    await cluster?.stop();
  });

  describe('ReshareKey of DKLs23 keys through the KMS endpoint', () => {
    test.each(SPECS)('%s (%s): 2-of-3 on party-1..3 → 3-of-5 on party-1..5; same public key, signs with the new parties', async (curve) => {
      const { id, spki } = keys.get(curve)!;
      await signedAndVerified(curve, 'before');
      const started = Date.now();
      const out = await cluster.call('ReshareKey', { KeyId: id, Threshold: 3, Parties: ALL });
      // The e2e timing of docs/benchmarks.md "ReshareKey".
      console.log(`ReshareKey ${curve} 2-of-3 → 3-of-5: ${Date.now() - started} ms`);
      expect(out.status === 200 ? 200 : out.json).toBe(200);
      expect(out.json).toMatchObject({ Threshold: 3, Parties: ALL, KeyMetadata: { KeyId: id, KeyState: 'Enabled' } });
      for (const p of ['party-1', 'party-2', 'party-3'])
        await waitFor(
          `${p}'s share versions`,
          () => JSON.stringify(cluster.shareVersions(p, id)) === JSON.stringify([{ version: 2, state: 'active' }]),
          15_000,
        );
      for (const p of ['party-4', 'party-5'])
        await waitFor(
          `${p}'s share versions`,
          () => JSON.stringify(cluster.shareVersions(p, id)) === JSON.stringify([{ version: 1, state: 'active' }]),
          15_000,
        );
      expect((await kms.send(new GetPublicKeyCommand({ KeyId: id }))).PublicKey).toEqual(spki);
      const receipts = ((await cluster.call('GetKeyAttestation', { KeyId: id })).json.Receipts ?? []) as { partyId: string; threshold: number }[];
      expect(receipts.map((r) => [r.partyId, r.threshold]).sort()).toEqual(ALL.map((p) => [p, 3]));
      await signedAndVerified(curve, 'after a reshare to 3-of-5');
    });

    test('with party-1 and party-2 gone (kill -9), party-3 and the two new parties sign with the key', async () => {
      await cluster.kill('party-1');
      await cluster.kill('party-2');
      await cluster.waitConnected((ids) => !ids.includes('party-1') && !ids.includes('party-2'));
      for (const [curve] of SPECS) await signedAndVerified(curve, 'signed by party-3, party-4 and party-5');
    });
  });
}
