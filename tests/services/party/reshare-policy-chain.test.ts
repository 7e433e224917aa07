// A reshare onto a party new to a key whose signing policy was revised (services/party/reshare.ts,
// policy-gate.ts newcomerChain / bindChain / decideReshare; docs/security.md "Policy chain at a
// reshare"), with real Party objects and SQLite stores, the test as coordinator. A 2-of-3 Ed25519
// key on party-1..3 is revised to revision 3; it is reshared to party-2..4 (party-4 new, party-1
// dealing only). Honest: party-4 checks the chain, stores all three revisions (with their
// approvals) and enforces revision 3. Hostile coordinator: a chain tampered with, reordered or
// stopped at revision 2 is refused, naming what failed, and nothing is stored. Reshare approvals
// (governance.reshareApprovals): refused at every party without them, accepted with them.
import { afterEach, describe, expect, test } from '@jest/globals';
import { createPolicyChangeApproval, createReshareApproval, policyHash, type PolicyDocument, type RevisionLink } from '../../../policies/index.ts';
import type { DkgResult, OpenReshare } from '../../../services/control/messages.ts';
import { publicPackageOf } from '../../../protocols/frost/reshare.ts';
import type { FrostKeyShare } from '../../../protocols/frost/share.ts';
import { SessionFailed } from '../../../services/coordinator/session-runner.ts';
import type { KeyMeta } from '../../../services/party/party-options.ts';
import { verifyRevisionAck } from '../../../services/control/revision-ack.ts';
import { approverKey } from '../../policies/support/keys.ts';
import { KEY_SPEC, makeHarness, until, type Harness } from '../../support/party-harness.ts';

const KEY = '0c0c0c0c-0000-4000-8000-000000000001';
const OLD = ['party-1', 'party-2', 'party-3'];
const NEW = ['party-2', 'party-3', 'party-4'];
const GOV = approverKey('operator', 'ed25519');
const policy = (pattern: string, reshareApprovals = false): PolicyDocument =>
  ({
    policyLanguage: 'tutti-signing-policy/1',
    keyBinding: { keySpec: 'ECC_NIST_EDWARDS25519' },
    defaultEffect: 'deny',
    approvers: [{ id: 'operator', scheme: 'ed25519', publicKey: `0x${Buffer.from(GOV.publicKey).toString('hex')}` }],
    governance: {
      changeApprovals: { threshold: 1, approvers: ['operator'] },
      ...(reshareApprovals ? { reshareApprovals: { threshold: 1, approvers: ['operator'] } } : {}),
    },
    rules: [{ id: 'text', effect: 'allow', conditions: { messageType: { in: ['RAW'] }, format: { kind: 'raw', utf8Pattern: pattern } } }],
  }) as PolicyDocument;

let h: Harness;
afterEach(() => h?.close());

/** A 2-of-3 key on party-1..3 under `revisions[0]`, revised to each next one with the operator's approval. */
async function setup(revisions: PolicyDocument[], n = 4): Promise<{ publicKey: string; oldKey: unknown; chainCode: string; chain: RevisionLink[] }> {
  h = makeHarness({ n, refreshes: true });
  const out = (await h.runner.run('frost-ed25519/dkg', new Map(OLD.map((p, i) => [i + 1, p])), (session) => ({
    type: 'open',
    kind: 'dkg',
    session,
    keyId: KEY,
    keySpec: KEY_SPEC,
    protocol: 'frost-ed25519',
    threshold: 2,
    parties: OLD,
    policy: revisions[0],
  }))) as Map<number, DkgResult>;
  for (let r = 2; r <= revisions.length; r++) {
    const previousHash = policyHash(revisions[r - 2]);
    const approval = createPolicyChangeApproval(GOV, { keyId: KEY, revision: r, previousHash, policyHash: policyHash(revisions[r - 1]) }, Date.now() + 600_000);
    const answers = await h.runner.ask('frost-ed25519/policy', new Map(OLD.map((p, i) => [i + 1, p])), (session) => ({
      type: 'open',
      kind: 'policy',
      session,
      keyId: KEY,
      revision: { revision: r, previousHash, policy: revisions[r - 1] },
      approvals: [approval],
    }));
    expect([...answers.values()].every((a) => a.ok)).toBe(true);
  }
  const stored = h.nodes.get('party-1')!.shares.getActive(KEY)!;
  // What the gateway relays from a holder's key-package answer (reshare.ts keyPackageAnswer).
  const chain = h.nodes
    .get('party-1')!
    .policyStore.revisions(KEY)
    .map((r) => ({
      revision: r.revision,
      previousHash: r.previousHash,
      policy: r.policy,
      approvals: r.approvals ?? [],
      acceptedAt: r.acceptedAt,
      activatesAt: r.activatesAt,
    }));
  return { publicKey: out.get(1)!.publicKey, oldKey: publicPackageOf(stored.share as FrostKeyShare), chainCode: (stored.meta as KeyMeta).chainCode!, chain };
}

const MEMBERS = new Map(['party-2', 'party-3', 'party-4', 'party-1'].map((p, i) => [i + 1, p]));

function reshare(open: (member: string) => Partial<OpenReshare>) {
  return h.runner.run('frost-ed25519/reshare', MEMBERS, (session, index) => ({
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
    fromThreshold: 2,
    ...open(MEMBERS.get(index)!),
  })) as Promise<Map<number, DkgResult>>;
}

async function failure(p: Promise<unknown>): Promise<SessionFailed> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SessionFailed);
  return err as SessionFailed;
}

async function certify(out: Map<number, DkgResult>, publicKey: string): Promise<void> {
  const receivers = [1, 2, 3].map((i) => out.get(i)!);
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
  expect(
    await until(() => NEW.every((p) => h.nodes.get(p)!.shares.activeVersion(KEY) !== undefined) && h.nodes.get('party-2')!.shares.activeVersion(KEY) === 2),
  ).toBe(true);
}

const P = [policy('^a'), policy('^b'), policy('^c')];
const nothingStoredAtParty4 = () => {
  expect(h.nodes.get('party-4')!.shares.activeVersion(KEY)).toBeUndefined();
  expect(h.nodes.get('party-4')!.policyStore.revisions(KEY)).toEqual([]);
  for (const p of OLD) expect(h.nodes.get(p)!.shares.activeVersion(KEY)).toBe(1);
};

describe('the signing-policy chain at a reshare onto a new party', () => {
  test('party-4 checks the chain of revisions 1..3, stores it with its approvals and enforces revision 3', async () => {
    const { publicKey, oldKey, chainCode, chain } = await setup(P);
    expect(chain.map((l) => [l.revision, l.approvals.length])).toEqual([
      [1, 0],
      [2, 1],
      [3, 1],
    ]);
    const out = await reshare(() => ({ oldKey, chainCode, policy: P[0], policyChain: chain }));
    // party-4 (member 3) signs its acknowledgement of revision 3; the old holders send none.
    const party4 = h.allowlist.find((p) => p.partyId === 'party-4')!;
    expect(verifyRevisionAck(party4.signPublic, { keyId: KEY, revision: 3, policyHash: policyHash(P[2]) }, out.get(3)!.acknowledgement)).toBe(true);
    expect([1, 2].map((i) => out.get(i)!.acknowledgement)).toEqual([undefined, undefined]);
    await certify(out, publicKey);
    const revs = h.nodes.get('party-4')!.policyStore.revisions(KEY);
    expect(revs.map((r) => [r.revision, r.policyHash, r.approvals?.length ?? 0])).toEqual(P.map((p, i) => [i + 1, policyHash(p), i === 0 ? 0 : 1]));
    const meta = h.nodes.get('party-4')!.shares.getActive(KEY)!.meta as KeyMeta;
    // Revision 1 stays the key's bound policy (the DKG's), as at the old holders.
    expect(meta.policyHash).toBe(policyHash(P[0]));
    // What party-4 reports onward (a later reshare) is the same chain.
    const audit = h.nodes.get('party-4')!.policyStore.auditLog();
    expect(audit.find((e) => e.code === 'BOUND_CHAIN')?.detail).toMatchObject({ revision: 3, links: 3, policyHash: policyHash(P[2]) });
  });

  test.each([
    [
      'tampered (revision 3 loosened after its approval)',
      (c: RevisionLink[]) => [c[0], c[1], { ...c[2]!, policy: policy('.*') }],
      /revision 3.*0 of 1 required change approvals/,
    ],
    ['reordered', (c: RevisionLink[]) => [c[0], c[2], c[1]], /link 2 is revision 3/],
    ['without its approvals', (c: RevisionLink[]) => [c[0], { ...c[1]!, approvals: [] }, c[2]], /revision 2.*0 of 1 required change approvals/],
  ])('a chain %s shown to party-4 only: party-4 refuses, naming it; nothing is stored', async (_what, forge, why) => {
    const { oldKey, chainCode, chain } = await setup(P);
    const err = await failure(reshare((m) => ({ oldKey, chainCode, policyChain: m === 'party-4' ? forge(chain) : chain })));
    expect([err.failure.kind, err.failure.message]).toEqual(['policy', expect.stringMatching(why)]);
    expect(err.failure.message).toMatch(/POLICY_CHAIN/);
    nothingStoredAtParty4();
  });

  test('truncated (revision 2 presented as current) to party-4 only: the members bind different policy heads, the session stops before any share', async () => {
    const { oldKey, chainCode, chain } = await setup(P);
    const err = await failure(reshare((m) => ({ oldKey, chainCode, policyChain: m === 'party-4' ? chain.slice(0, 2) : chain })));
    expect([err.failure.kind, err.failure.message]).toEqual(['bad-parameters', expect.stringMatching(/in another context/)]);
    nothingStoredAtParty4();
  });

  test('truncated to every member: each old holder refuses it, naming its newest revision', async () => {
    const { oldKey, chainCode, chain } = await setup(P);
    const err = await failure(reshare(() => ({ oldKey, chainCode, policyChain: chain.slice(0, 2) })));
    expect([err.failure.kind, err.failure.message]).toEqual(['policy', expect.stringMatching(/ends at revision 2, the key's newest revision here is 3/)]);
    nothingStoredAtParty4();
  });
});

describe('reshare approvals (governance.reshareApprovals)', () => {
  const GOVERNED = [policy('^a', true)];
  const move = (policyHashInForce: string, parties = NEW) => ({
    keyId: KEY,
    policyHash: policyHashInForce,
    fromThreshold: 2,
    fromParties: OLD,
    threshold: 2,
    parties,
  });

  test('without them every member refuses (AccessDenied at the API); an approval of another move does not count; with one the reshare completes', async () => {
    const { publicKey, oldKey, chainCode, chain } = await setup(GOVERNED);
    const open = (approvals?: string[]) => () => ({ oldKey, chainCode, policyChain: chain, ...(approvals ? { approvals } : {}) });
    const none = await failure(reshare(open()));
    expect([none.failure.kind, none.failure.message]).toEqual(['policy', expect.stringMatching(/0 of 1 required reshare approvals/)]);
    const elsewhere = createReshareApproval(GOV, move(policyHash(GOVERNED[0]), ['party-2', 'party-3', 'party-1']), Date.now() + 600_000);
    expect((await failure(reshare(open([elsewhere])))).failure.message).toMatch(/does not verify for this request/);
    nothingStoredAtParty4();
    // Every member logged its refusal.
    for (const p of [...OLD.slice(0, 2), 'party-4'])
      expect(
        h.nodes
          .get(p)!
          .policyStore.auditLog()
          .filter((e) => e.event === 'reshare' && e.decision === 'deny').length,
      ).toBeGreaterThan(0);
    const approval = createReshareApproval(GOV, move(policyHash(GOVERNED[0])), Date.now() + 600_000);
    await certify(await reshare(open([approval])), publicKey);
    const allowed = h.nodes
      .get('party-4')!
      .policyStore.auditLog()
      .filter((e) => e.event === 'reshare' && e.decision === 'allow');
    expect(allowed.map((e) => e.detail.approvedBy)).toEqual([['operator']]);
  });
});

// Recovery of a revised key through a stand-in (docs/operations.md "Backup and recovery drill"):
// party-1's share and policy history restored on party-4, which deals as party-1; party-5 is new
// to the key and gets the chain party-4 reports.
describe('a restored share standing in for a lost holder of a revised key', () => {
  const NEW5 = ['party-2', 'party-4', 'party-5'];
  function restoreParty1OnParty4(revisions: number): void {
    const from = h.nodes.get('party-1')!;
    const to = h.nodes.get('party-4')!;
    const stored = from.shares.getActive(KEY)!;
    to.shares.putPending({ keyId: KEY, protocol: stored.protocol, version: stored.version, share: stored.share, meta: stored.meta });
    to.shares.activate(KEY, stored.version);
    for (const r of from.policyStore.revisions(KEY).slice(0, revisions)) to.policyStore.putRevision(r);
  }
  const reshareWithStandIn = (oldKey: unknown, chainCode: string, chain: RevisionLink[]) =>
    h.runner.run('frost-ed25519/reshare', new Map(NEW5.map((p, i) => [i + 1, p])), (session) => ({
      type: 'open',
      kind: 'reshare',
      session,
      keyId: KEY,
      keySpec: KEY_SPEC,
      protocol: 'frost-ed25519',
      oldParties: OLD,
      dealers: ['party-4', 'party-2'],
      parties: NEW5,
      threshold: 2,
      fromThreshold: 2,
      standIns: { 'party-4': 'party-1' },
      oldKey,
      chainCode,
      policyChain: chain,
    })) as Promise<Map<number, DkgResult>>;

  test('the new party checks the chain the restored holder reports and enforces revision 3', async () => {
    const { publicKey, oldKey, chainCode, chain } = await setup(P, 5);
    restoreParty1OnParty4(3);
    const out = await reshareWithStandIn(oldKey, chainCode, chain);
    const receivers = [1, 2, 3].map((i) => out.get(i)!);
    const session = [...h.relayed].pop()!.msg.session;
    const certificate = {
      keyId: KEY,
      session,
      publicKey,
      transcriptHash: receivers[0]!.transcriptHash,
      members: NEW5,
      confirmations: receivers.map((r) => r.confirmation!),
    };
    for (const p of NEW5) h.deliver(p, { type: 'refresh-certificate', certificate });
    expect(await until(() => h.nodes.get('party-5')!.shares.activeVersion(KEY) !== undefined)).toBe(true);
    expect(
      h.nodes
        .get('party-5')!
        .policyStore.revisions(KEY)
        .map((r) => [r.revision, r.policyHash]),
    ).toEqual(P.map((p, i) => [i + 1, policyHash(p)]));
  });

  test('a backup taken before revision 3 (restored history ends at revision 2): refused, nothing is stored at party-5', async () => {
    const { oldKey, chainCode, chain } = await setup(P, 5);
    restoreParty1OnParty4(2);
    const err = await failure(reshareWithStandIn(oldKey, chainCode, chain));
    expect([err.failure.kind, err.failure.message]).toEqual(['policy', expect.stringMatching(/party-4.*it has 3 revisions, this party 2/)]);
    expect(h.nodes.get('party-5')!.policyStore.revisions(KEY)).toEqual([]);
  });
});
