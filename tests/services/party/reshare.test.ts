// ReshareKey on the party's side (services/party/reshare.ts) with real Party objects and the test
// as coordinator: a 2-of-3 Ed25519 key on party-1..3 is reshared to 2-of-3 on party-2..4 (party-4
// new to the key, party-1 a dealer only). Honest: party-4 ends with an active share of the same
// public key and the key's signing policy (revision 1) beside it; every receiver's share records
// the new parties. Hostile coordinator: showing the new party another policy document or another
// old key package stops the session before any share is stored; every old holder keeps its share.
import { afterEach, describe, expect, test } from '@jest/globals';
import type { DkgResult, OpenReshare } from '../../../services/control/messages.ts';
import { publicPackageOf } from '../../../protocols/frost/reshare.ts';
import type { FrostKeyShare } from '../../../protocols/frost/share.ts';
import { SessionFailed } from '../../../services/coordinator/session-runner.ts';
import type { KeyMeta } from '../../../services/party/party-options.ts';
import { defaultSigningPolicy } from '../../../policies/default-policy.ts';
import { KEY_SPEC, makeHarness, until, type Harness } from '../../support/party-harness.ts';

const KEY = '0b0b0b0b-0000-4000-8000-000000000001';
const OLD = ['party-1', 'party-2', 'party-3'];
const NEW = ['party-2', 'party-3', 'party-4'];
const POLICY = defaultSigningPolicy(KEY_SPEC, ['ED25519_SHA_512']);

let h: Harness;
afterEach(() => h?.close());

async function setup(): Promise<{ publicKey: string; oldKey: unknown; chainCode: string }> {
  h = makeHarness({ n: 4, refreshes: true });
  const out = (await h.runner.run('frost-ed25519/dkg', new Map(OLD.map((p, i) => [i + 1, p])), (session) => ({
    type: 'open',
    kind: 'dkg',
    session,
    keyId: KEY,
    keySpec: KEY_SPEC,
    protocol: 'frost-ed25519',
    threshold: 2,
    parties: OLD,
    policy: POLICY,
  }))) as Map<number, DkgResult>;
  const stored = h.nodes.get('party-1')!.shares.getActive(KEY)!;
  // What the gateway asks a holder for (key-package-query): the public package and the HD chain code.
  return { publicKey: out.get(1)!.publicKey, oldKey: publicPackageOf(stored.share as FrostKeyShare), chainCode: (stored.meta as KeyMeta).chainCode! };
}

/** Runs the reshare with the open the test chooses for each member (the session: party-2, -3, -4, then dealer party-1). */
function reshare(open: (member: string) => Partial<OpenReshare>) {
  const members = new Map(['party-2', 'party-3', 'party-4', 'party-1'].map((p, i) => [i + 1, p]));
  return h.runner.run('frost-ed25519/reshare', members, (session, index) => ({
    type: 'open',
    kind: 'reshare',
    session,
    keyId: KEY,
    keySpec: KEY_SPEC,
    protocol: 'frost-ed25519',
    oldParties: OLD,
    dealers: ['party-2', 'party-1'],
    parties: NEW,
    threshold: 2,
    ...open(members.get(index)!),
  })) as Promise<Map<number, DkgResult>>;
}

const versions = (p: string) => h.nodes.get(p)!.shares.activeVersion(KEY);

describe('reshare at the party', () => {
  test('a new party receives a share of the same key and the key policy; the certificate activates it', async () => {
    const { publicKey, oldKey, chainCode } = await setup();
    const out = await reshare(() => ({ oldKey, policy: POLICY, chainCode }));
    const receivers = [1, 2, 3].map((i) => out.get(i)!);
    expect(new Set([...out.values()].map((r) => r.publicKey))).toEqual(new Set([publicKey]));
    expect(out.get(4)!.confirmation).toBeUndefined(); // party-1 dealt only
    // Pending until the certificate: party-4 has nothing active yet.
    expect(versions('party-4')).toBeUndefined();
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
    const meta = h.nodes.get('party-4')!.shares.getActive(KEY)!.meta as KeyMeta;
    expect([meta.self, meta.threshold, meta.parties.map((p) => p.partyId), meta.publicKey]).toEqual([3, 2, NEW, publicKey]);
    expect(
      h.nodes
        .get('party-4')!
        .policyStore.revisions(KEY)
        .map((r) => [r.revision, r.policyHash]),
    ).toEqual([[1, meta.policyHash]]);
    // party-1 (dealer only) keeps its old share until the gateway's signed deletion record.
    expect(versions('party-1')).toBe(1);
  });

  test.each([
    ['another policy document', (oldKey: unknown) => ({ oldKey, policy: { ...POLICY, description: 'a policy the holders never bound' } })],
    ['no HD chain code', (oldKey: unknown) => ({ oldKey, policy: POLICY, chainCode: '' })],
    [
      'another old key package',
      (oldKey: unknown) => {
        const forged = JSON.parse(JSON.stringify(oldKey)) as { verifyingShares: Record<string, string> };
        const [a, b] = Object.keys(forged.verifyingShares);
        [forged.verifyingShares[a!], forged.verifyingShares[b!]] = [forged.verifyingShares[b!]!, forged.verifyingShares[a!]!];
        return { oldKey: forged, policy: POLICY };
      },
    ],
  ])('a coordinator showing the new party %s: the session stops, nothing is stored', async (_what, forge) => {
    const { oldKey, chainCode } = await setup();
    const err = await reshare((member) => (member === 'party-4' ? { chainCode, ...forge(oldKey) } : { oldKey, policy: POLICY, chainCode })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SessionFailed);
    expect((err as SessionFailed).failure.kind).toBe('bad-parameters');
    expect(versions('party-4')).toBeUndefined();
    expect(h.nodes.get('party-4')!.policyStore.revisions(KEY)).toEqual([]);
    for (const p of OLD) expect(versions(p)).toBe(1);
  });
});

// A share restored from party-1's backup on party-4 (services/main/backup.ts backup-restore: the
// share, its meta naming the old holders, the policy history) deals as party-1 (`standIns`).
describe('reshare with a restored share standing in for a lost holder', () => {
  function restoreParty1OnParty4(): void {
    const from = h.nodes.get('party-1')!;
    const to = h.nodes.get('party-4')!;
    const stored = from.shares.getActive(KEY)!;
    to.shares.putPending({ keyId: KEY, protocol: stored.protocol, version: stored.version, share: stored.share, meta: stored.meta });
    to.shares.activate(KEY, stored.version);
    for (const r of from.policyStore.revisions(KEY)) to.policyStore.putRevision(r);
  }

  function reshareWithStandIn(standIns: Record<string, string>) {
    const members = new Map(NEW.map((p, i) => [i + 1, p]));
    return h.runner.run('frost-ed25519/reshare', members, (session) => ({
      type: 'open',
      kind: 'reshare',
      session,
      keyId: KEY,
      keySpec: KEY_SPEC,
      protocol: 'frost-ed25519',
      oldParties: OLD,
      dealers: ['party-4', 'party-2'],
      parties: NEW,
      threshold: 2,
      standIns,
    })) as Promise<Map<number, DkgResult>>;
  }

  test('party-4 deals as party-1 without party-1; the new shares are of the same key', async () => {
    const { publicKey } = await setup();
    restoreParty1OnParty4();
    const out = await reshareWithStandIn({ 'party-4': 'party-1' });
    const receivers = [1, 2, 3].map((i) => out.get(i)!);
    expect(new Set(receivers.map((r) => [r.publicKey, r.transcriptHash].join()))).toEqual(new Set([[publicKey, receivers[0]!.transcriptHash].join()]));
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
    expect(await until(() => NEW.every((p) => versions(p) === 2))).toBe(true);
    const meta = h.nodes.get('party-4')!.shares.getActive(KEY)!.meta as KeyMeta;
    expect([meta.self, meta.parties.map((p) => p.partyId)]).toEqual([3, NEW]);
  });

  test.each([
    ['for another holder than the one its share is', { 'party-4': 'party-3' }],
    ['for a holder that deals itself', { 'party-4': 'party-2' }],
  ])('a stand-in %s is refused; nothing changes', async (_what, standIns) => {
    await setup();
    restoreParty1OnParty4();
    await expect(reshareWithStandIn(standIns)).rejects.toBeInstanceOf(SessionFailed);
    for (const p of [...OLD, 'party-4']) expect(versions(p)).toBe(1);
  });
});
