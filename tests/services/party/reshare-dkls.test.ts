// ReshareKey of a DKLs23 (secp256k1) key on the party's side (services/party/reshare.ts with
// protocols/dkls23/reshare.ts), real Party objects and the test as coordinator: a 2-of-3 key on
// party-1..3 is reshared to 2-of-3 on party-2..4 (party-4 new to the key, party-1 a dealer only).
// The old key is the cached 2-of-3 key installed in party-1..3's stores (installed-dkls-key.ts).
// Honest: the new shares stay pending until the certificate, then party-2..4 hold active shares of
// the same public key (party-2 and -3 at version 2, party-4 at version 1) that sign together — the
// signature verifies under @noble — and the presignatures made on the old version are gone from
// the pools. Hostile coordinator: showing the new party another version of the old key stops the
// session in round 1 before anything is stored; every old holder keeps its share.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { DkgResult, OpenReshare } from '../../../services/control/messages.ts';
import { dklsPublicPackageOf } from '../../../protocols/dkls23/reshare.ts';
import type { DklsKeyShare } from '../../../protocols/dkls23/keyshare.ts';
import { createDklsSign } from '../../../protocols/dkls23/sign.ts';
import { SessionFailed } from '../../../services/coordinator/session-runner.ts';
import type { KeyMeta } from '../../../services/party/party-options.ts';
import { defaultSigningPolicy } from '../../../policies/default-policy.ts';
import { outputsOf, seededRng, simulate } from '../../support/simulator.ts';
import { makeHarness, until, type Harness } from '../../support/party-harness.ts';
import { installDklsTestKey } from '../../support/installed-dkls-key.ts';

const KEY = '0b0b0b0b-0000-4000-8000-0000000000e1';
const KEY_SPEC = 'ECC_SECG_P256K1';
const OLD = ['party-1', 'party-2', 'party-3'];
const NEW = ['party-2', 'party-3', 'party-4'];
const POLICY = defaultSigningPolicy(KEY_SPEC, ['ECDSA_SHA_256']);
const SLOW = { roundTimeoutMs: 120_000 };

jest.setTimeout(240_000);

let h: Harness;
let key: { publicKey: string; oldKey: unknown; chainCode: string | undefined };
// One key for both cases: the refused reshare stores nothing, so the honest one runs on the same key.
beforeAll(() => {
  key = setup();
});
afterAll(() => h?.close());

/**
 * The old key: the cached 2-of-3 key (made by the real DKG, tests/support/dkls23-test-keys.ts) put
 * into party-1..3's stores as their DKG would have left it, with POLICY as revision 1
 * (tests/support/installed-dkls-key.ts). The subject here is the reshare; a DKLs23 DKG between the
 * parties (three pairwise OT setups) runs in identity-key-decrypts-dkg.test.ts and the e2e tier.
 */
function setup(): { publicKey: string; oldKey: unknown; chainCode: string | undefined } {
  h = makeHarness({ n: 4, refreshes: true });
  const holders = OLD.map((id, k) => ({ identity: h.allowlist[k]!, shares: h.nodes.get(id)!.shares, policyStore: h.nodes.get(id)!.policyStore }));
  const { publicKey } = installDklsTestKey('secp256k1-2of3', KEY, holders, POLICY);
  const stored = h.nodes.get('party-1')!.shares.getActive(KEY)!;
  return { publicKey, oldKey: dklsPublicPackageOf(stored.share as DklsKeyShare), chainCode: (stored.meta as KeyMeta).chainCode };
}

/** Runs the reshare with the open the test chooses for each member (the session: party-2, -3, -4, then dealer party-1). */
function reshare(open: (member: string) => Partial<OpenReshare>) {
  const members = new Map(['party-2', 'party-3', 'party-4', 'party-1'].map((p, i) => [i + 1, p]));
  return h.runner.run(
    'dkls23-secp256k1/reshare',
    members,
    (session, index) => ({
      type: 'open',
      kind: 'reshare',
      session,
      keyId: KEY,
      keySpec: KEY_SPEC,
      protocol: 'dkls23-secp256k1',
      oldParties: OLD,
      dealers: ['party-2', 'party-1'],
      parties: NEW,
      threshold: 2,
      ...open(members.get(index)!),
    }),
    SLOW,
  ) as Promise<Map<number, DkgResult>>;
}

const versions = (p: string) => h.nodes.get(p)!.shares.activeVersion(KEY);

describe('DKLs23 reshare at the party', () => {
  test('a coordinator showing the new party another version of the old key: the session stops, nothing is stored', async () => {
    const { oldKey, chainCode } = key;
    const forged = { ...(oldKey as object), transcriptHash: '00'.repeat(32) };
    const cc = chainCode ? { chainCode } : {};
    const err = await reshare((member) => (member === 'party-4' ? { oldKey: forged, policy: POLICY, ...cc } : { oldKey, policy: POLICY, ...cc })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SessionFailed);
    expect((err as SessionFailed).failure.kind).toBe('bad-parameters');
    expect(versions('party-4')).toBeUndefined();
    for (const p of OLD) expect(versions(p)).toBe(1);
  });

  test('a new party receives a share of the same key; the certificate activates it; the new set signs; old presignatures are dropped', async () => {
    const { publicKey, oldKey, chainCode } = key;
    // A presignature made on the old version, held by party-1 and party-2.
    await h.runner.run('dkls23-secp256k1/presign', new Map([1, 2].map((i) => [i, OLD[i - 1]!])), (session) => ({
      type: 'open',
      kind: 'presign',
      session,
      keyId: KEY,
      signers: [1, 2],
    }));
    expect(h.nodes.get('party-2')!.party.presignPool.size).toBe(1);
    const out = await reshare(() => ({ oldKey, policy: POLICY, ...(chainCode ? { chainCode } : {}) }));
    const receivers = [1, 2, 3].map((i) => out.get(i)!);
    expect(new Set([...out.values()].map((r) => r.publicKey))).toEqual(new Set([publicKey]));
    expect(out.get(4)!.confirmation).toBeUndefined(); // party-1 dealt only
    expect(versions('party-4')).toBeUndefined(); // pending until the certificate
    const session = [...h.relayed].pop()!.msg.session;
    const certificate = {
      keyId: KEY,
      session,
      publicKey,
      transcriptHash: receivers[0]!.transcriptHash,
      members: NEW,
      confirmations: receivers.map((r) => r.confirmation!),
    };
    for (const p of NEW) h.deliver(p, { type: 'refresh-certificate', certificate });
    expect(await until(() => NEW.every((p) => versions(p) !== undefined) && versions('party-2') === 2)).toBe(true);
    expect([versions('party-3'), versions('party-4'), versions('party-1')]).toEqual([2, 1, 1]);
    const meta = h.nodes.get('party-4')!.shares.getActive(KEY)!.meta as KeyMeta;
    expect([meta.self, meta.threshold, meta.parties.map((p) => p.partyId), meta.publicKey]).toEqual([3, 2, NEW, publicKey]);
    // The presignature of the old version went with it.
    expect(h.nodes.get('party-2')!.party.presignPool.size).toBe(0);
    // The stored shares of party-2 (new index 1) and party-4 (new index 3) sign together.
    const share = (p: string) => h.nodes.get(p)!.shares.getActive(KEY)!.share as DklsKeyShare;
    const digest = sha256(new TextEncoder().encode('signed by the new set'));
    const signers = [1, 3];
    const sim = simulate(
      [share('party-2'), share('party-4')].map((s, k) =>
        createDklsSign({
          curve: 'secp256k1',
          sessionId: sha256(new Uint8Array([7])),
          self: signers[k]!,
          signers,
          share: s,
          digest,
          rng: seededRng(`sign/${k}`),
        }),
      ),
    );
    const sig = outputsOf(sim).get(1)!.signature;
    expect(secp256k1.verify(sig, digest, Buffer.from(publicKey, 'hex'), { prehash: false })).toBe(true);
  });
});
