// A hostile coordinator (issue 5): the test creates a key with a signing policy through the real
// gateway, then kills the gateway and plays the coordinator itself — a CoordinatorHub on the same
// port, with the cluster's coordinator id and party list, to which the real party processes
// reconnect. It skips every gateway check and talks to the parties directly. Whatever it sends,
// each party reads the request itself: for a message the policy forbids, no party sends a single
// envelope (no commitment, no signature share) — each answers abort kind 'policy'. It cannot install
// an unapproved policy revision, and showing parties different policies at key generation gives no key.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { randomBytes, randomUUID, createPublicKey, verify as nodeVerify } from 'node:crypto';
import Sqlite from 'better-sqlite3';
import { CreateKeyCommand, GetPublicKeyCommand, SignCommand } from '@aws-sdk/client-kms';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { policyHash } from '../../policies/index.ts';
import type { CoordinatorToParty, OpenMessage, PartyToCoordinator } from '../../services/control/messages.ts';
import { paths } from '../../services/main/config.ts';
import { CoordinatorHub } from '../../services/transport/channel.ts';
import { initGateway } from '../../services/main/cluster.ts';
import { ACCOUNT, TestCluster } from '../support/cluster.ts';

jest.setTimeout(120_000);

const ROOT = { Sid: 'root', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' };
const GOVERNOR = { id: 'governor', scheme: 'ed25519', publicKey: '0xd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a' };
const policyWith = (rules: object[]) => ({
  policyLanguage: 'tutti-signing-policy/1',
  keyBinding: { keySpec: 'ECC_NIST_EDWARDS25519' },
  defaultEffect: 'deny',
  approvers: [GOVERNOR],
  governance: { changeApprovals: { threshold: 1, approvers: ['governor'] } },
  rules,
});
const GREETINGS = policyWith([
  {
    id: 'greetings',
    effect: 'allow',
    conditions: { signingAlgorithm: { in: ['ED25519_SHA_512'] }, messageType: { in: ['RAW'] }, format: { kind: 'raw', utf8Pattern: 'hello [a-z]+' } },
  },
]);
const CALLER = { accessKeyId: 'AKIAHOSTILE000000001', principal: `arn:aws:iam::${ACCOUNT}:user/mallory` };

let cluster: TestCluster;
let hub: CoordinatorHub;
let keyId: string;
let spki: Uint8Array;
/** A secp256k1 (DKLs23) key with the default signing policy (RAW ECDSA_SHA_256). */
let k1: string;
let k1Spki: Uint8Array;
const PARTIES = ['party-1', 'party-2', 'party-3'];
/** Everything the parties sent to the hostile coordinator. */
const received: { from: string; msg: PartyToCoordinator }[] = [];
/** Sessions the test relays envelopes for (key index → party id), as an honest relay would. */
const relaying = new Map<string, Map<number, string>>();

beforeAll(async () => {
  cluster = await new TestCluster().start();
  const kms = cluster.client();
  const out = await kms.send(
    new CreateKeyCommand({
      KeySpec: 'ECC_NIST_EDWARDS25519',
      KeyUsage: 'SIGN_VERIFY',
      Policy: JSON.stringify({ Version: '2012-10-17', Statement: [ROOT], TuttiSigningPolicy: GREETINGS }),
    }),
  );
  keyId = out.KeyMetadata!.KeyId!;
  spki = (await kms.send(new GetPublicKeyCommand({ KeyId: keyId }))).PublicKey!;
  k1 = (await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!.KeyId!;
  k1Spki = (await kms.send(new GetPublicKeyCommand({ KeyId: k1 }))).PublicKey!;
  // Through the honest gateway, the policy allows a greeting.
  await kms.send(new SignCommand({ KeyId: keyId, Message: new TextEncoder().encode('hello world'), SigningAlgorithm: 'ED25519_SHA_512' }));
  kms.destroy();

  // Now the coordinator is ours.
  const gw = cluster.gateway.child;
  await new Promise<void>((r) => {
    gw.once('exit', () => r());
    gw.kill('SIGKILL');
  });
  // The hostile gateway holds its own key: the parties pin it, so it is the coordinator they talk to.
  const identity = initGateway(paths.gatewayDir(cluster.dataDir), cluster.config.coordinatorId);
  hub = new CoordinatorHub({ server: cluster.port, coordinatorId: cluster.config.coordinatorId, parties: cluster.config.parties, identity });
  await hub.listening();
  hub.onMessage((from, raw) => {
    const msg = raw as unknown as PartyToCoordinator;
    received.push({ from, msg });
    const members = 'session' in msg ? relaying.get(msg.session) : undefined;
    if (members && msg.type === 'envelope') {
      for (const [i, p] of members) if (p !== from && (msg.to === 0 || msg.to === i)) hub.send(p, msg as unknown as CoordinatorToParty);
    }
  });
  const deadline = Date.now() + 20_000;
  while (!PARTIES.every((p) => hub.isConnected(p))) {
    if (Date.now() > deadline) throw new Error(`parties did not reconnect: ${hub.connectedParties()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
});

afterAll(async () => {
  await hub?.close();
  await cluster?.stop();
});

/**
 * Sends each member its open and waits until every member answered 'done' or 'abort' for the
 * session (or `waitMs` passed). Returns every message the parties sent for the session.
 */
async function run(members: Map<number, string>, open: (session: string, index: number) => OpenMessage, o: { relay?: boolean; waitMs?: number } = {}) {
  const session = randomBytes(32).toString('hex');
  if (o.relay) relaying.set(session, members);
  for (const [i, p] of members) expect(hub.send(p, open(session, i) as unknown as CoordinatorToParty)).toBe(true);
  const mine = () => received.filter((r) => 'session' in r.msg && r.msg.session === session);
  const deadline = Date.now() + (o.waitMs ?? 5000);
  while (Date.now() < deadline) {
    const answered = new Set(
      mine()
        .filter((r) => r.msg.type === 'done' || r.msg.type === 'abort')
        .map((r) => r.from),
    );
    if ([...members.values()].every((p) => answered.has(p))) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  // Give a party that (wrongly) kept going time to show it.
  await new Promise((r) => setTimeout(r, 200));
  relaying.delete(session);
  for (const p of members.values())
    hub.send(p, { type: 'abort', session, kind: 'unexpected', message: 'test over', culprits: [] } as unknown as CoordinatorToParty);
  return { session, messages: mine() };
}

const signers = new Map([
  [1, 'party-1'],
  [2, 'party-2'],
]);
const openSign =
  (message: Uint8Array, extra: { messageType?: 'RAW' | 'DIGEST'; grantTokens?: string[] } = {}) =>
  (session: string): OpenMessage => ({
    type: 'open',
    kind: 'sign',
    session,
    keyId,
    signers: [1, 2],
    request: {
      message: Buffer.from(message).toString('base64'),
      messageType: extra.messageType ?? 'RAW',
      signingAlgorithm: 'ED25519_SHA_512',
      caller: CALLER,
      grantTokens: extra.grantTokens ?? [],
    },
  });

/** Every member answered abort kind 'policy' naming `rule`, and nobody sent an envelope. */
function refusedByEveryone(messages: { from: string; msg: PartyToCoordinator }[], members: Map<number, string>, rule: RegExp): void {
  expect(messages.filter((m) => m.msg.type === 'envelope')).toEqual([]);
  expect(messages.filter((m) => m.msg.type === 'done')).toEqual([]);
  for (const p of members.values()) {
    const aborts = messages.filter((m) => m.from === p && m.msg.type === 'abort');
    expect(aborts).toHaveLength(1);
    expect(aborts[0]!.msg).toMatchObject({ type: 'abort', kind: 'policy', message: expect.stringMatching(rule) });
  }
}

describe('a coordinator that skips every check of its own', () => {
  test('positive control: for a message the policy allows, the parties run the protocol and sign', async () => {
    const message = new TextEncoder().encode('hello mallory');
    const { messages } = await run(signers, openSign(message), { relay: true });
    expect(messages.filter((m) => m.msg.type === 'envelope').length).toBeGreaterThanOrEqual(2);
    const done = messages.filter((m) => m.msg.type === 'done');
    expect(done).toHaveLength(2);
    const signature = Buffer.from((done[0]!.msg as { output: { signature: string } }).output.signature, 'base64');
    expect(nodeVerify(null, message, createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }), signature)).toBe(true);
  });

  test.each([
    [
      'a message the policy forbids',
      openSign(new TextEncoder().encode('send everything to mallory')),
      /rule 'builtin:default-deny', NO_MATCHING_ALLOW\).*greetings/,
    ],
    ['a DIGEST (which pure Ed25519 cannot sign)', openSign(new Uint8Array(64), { messageType: 'DIGEST' }), /rule 'builtin:algorithm', ALGORITHM_MISMATCH/],
    [
      "a message over the policy's size limit (the gateway would cap it at 4096)",
      openSign(new TextEncoder().encode(`hello ${'a'.repeat(140_000)}`)),
      /rule 'builtin:message-size', MESSAGE_TOO_LARGE/,
    ],
    [
      'a forbidden message with made-up approvals',
      openSign(new TextEncoder().encode('send everything to mallory'), {
        grantTokens: [`tutti-approval:v2:governor:made-up-approval:${Date.now() + 60_000}:${Buffer.alloc(64).toString('base64url')}`],
      }),
      /NO_MATCHING_ALLOW/,
    ],
  ])('%s: no party sends any envelope; each aborts with kind policy', async (_name, open, rule) => {
    const { messages } = await run(signers, open);
    refusedByEveryone(messages, signers, rule);
  });

  test('the same refusal from a party the gateway would never have chosen', async () => {
    const members = new Map([
      [2, 'party-2'],
      [3, 'party-3'],
    ]);
    const { messages } = await run(members, (session) => ({ ...openSign(new TextEncoder().encode('goodbye'))(session), signers: [2, 3] }) as OpenMessage);
    refusedByEveryone(messages, members, /NO_MATCHING_ALLOW/);
  });

  test('an unapproved policy revision (or a rollback) is refused by every party', async () => {
    const all = new Map(PARTIES.map((p, i) => [i + 1, p]));
    const permissive = policyWith([{ id: 'anything', effect: 'allow', conditions: { messageType: { in: ['RAW'] } } }]);
    const revision =
      (record: object, approvals: string[] = []) =>
      (session: string): OpenMessage => ({ type: 'open', kind: 'policy', session, keyId, revision: record as never, approvals });
    const unapproved = await run(all, revision({ revision: 2, previousHash: policyHash(GREETINGS), policy: permissive }));
    refusedByEveryone(unapproved.messages, all, /GOVERNANCE.*0 of 1 required change approvals/);
    const rollback = await run(all, revision({ revision: 1, previousHash: null, policy: permissive }));
    refusedByEveryone(rollback.messages, all, /GOVERNANCE/);
    // And the forbidden message is still forbidden.
    refusedByEveryone((await run(signers, openSign(new TextEncoder().encode('send everything to mallory')))).messages, signers, /NO_MATCHING_ALLOW/);
  });

  test('a key generation with an invalid policy is refused by every party before its first round', async () => {
    const all = new Map(PARTIES.map((p, i) => [i + 1, p]));
    const newKey = randomUUID();
    const { messages } = await run(all, (session) => ({
      type: 'open',
      kind: 'dkg',
      session,
      keyId: newKey,
      keySpec: 'ECC_NIST_EDWARDS25519',
      protocol: 'frost-ed25519',
      threshold: 2,
      parties: PARTIES,
      policy: { ...GREETINGS, defaultEffect: 'allow' },
    }));
    refusedByEveryone(messages, all, /signing policy refused \(INVALID_POLICY\)/);
  });

  test('showing the parties different policies at key generation gives no key', async () => {
    const all = new Map(PARTIES.map((p, i) => [i + 1, p]));
    const newKey = randomUUID();
    const permissive = policyWith([{ id: 'anything', effect: 'allow', conditions: { messageType: { in: ['RAW'] } } }]);
    const { messages } = await run(
      all,
      (session, index) => ({
        type: 'open',
        kind: 'dkg',
        session,
        keyId: newKey,
        keySpec: 'ECC_NIST_EDWARDS25519',
        protocol: 'frost-ed25519',
        threshold: 2,
        parties: PARTIES,
        policy: index === 1 ? GREETINGS : permissive,
      }),
      { relay: true, waitMs: 8000 },
    );
    expect(messages.filter((m) => m.msg.type === 'done')).toEqual([]);
    // The policy hash each party computed is in its DKG context: the transcripts differ.
    const aborts = messages.filter((m) => m.msg.type === 'abort');
    expect(aborts.length).toBeGreaterThan(0);
    for (const a of aborts) expect((a.msg as { message: string }).message).toMatch(/transcript confirmation differs/);
    for (const p of PARTIES) {
      const db = new Sqlite(paths.sharesDb(paths.partyDir(cluster.dataDir, p)), { readonly: true });
      try {
        expect(db.prepare(`SELECT count(*) AS n FROM shares WHERE key_id = ? AND state = 'active'`).get(newKey)).toEqual({ n: 0 });
        expect(db.prepare(`SELECT count(*) AS n FROM policy_revisions WHERE key_id = ?`).get(newKey)).toEqual({ n: 0 });
      } finally {
        db.close();
      }
    }
  });

  test('ECDSA: each signer derives the digest itself — showing the two signers different messages gives no signature', async () => {
    const openEcdsa =
      (text: (index: number) => string) =>
      (session: string, index: number): OpenMessage => ({
        type: 'open',
        kind: 'sign',
        session,
        keyId: k1,
        signers: [1, 2],
        request: {
          message: Buffer.from(text(index)).toString('base64'),
          messageType: 'RAW',
          signingAlgorithm: 'ECDSA_SHA_256',
          caller: CALLER,
          grantTokens: [],
        },
      });
    // Positive control: the same message to both, relayed honestly, gives r ‖ s over SHA-256 of it.
    const honest = await run(
      signers,
      openEcdsa(() => 'pay alice 1'),
      { relay: true },
    );
    const done = honest.messages.filter((m) => m.msg.type === 'done');
    expect(done).toHaveLength(2);
    const rs = Buffer.from((done[0]!.msg as { output: { signature: string } }).output.signature, 'base64');
    expect(secp256k1.verify(rs, sha256(new TextEncoder().encode('pay alice 1')), k1Spki.subarray(k1Spki.length - 65), { prehash: false })).toBe(true);
    // Split view: party 1 is asked to sign one payment, party 2 another. Round 1 binds the request.
    const split = await run(
      signers,
      openEcdsa((i) => (i === 1 ? 'pay alice 1' : 'pay mallory 1000')),
      { relay: true },
    );
    expect(split.messages.filter((m) => m.msg.type === 'done')).toEqual([]);
    const aborts = split.messages.filter((m) => m.msg.type === 'abort');
    expect(aborts.length).toBeGreaterThan(0);
    for (const a of aborts) expect(a.msg).toMatchObject({ kind: 'bad-parameters' });
  });

  test("every refusal is in the refusing party's audit log", async () => {
    const db = new Sqlite(paths.sharesDb(paths.partyDir(cluster.dataDir, 'party-2')), { readonly: true });
    try {
      const rows = db.prepare(`SELECT event, decision, code, rule, detail FROM audit_log WHERE key_id = ? ORDER BY seq`).all(keyId) as {
        event: string;
        decision: string;
        code: string;
        rule: string;
        detail: string;
      }[];
      const signs = rows.filter((r) => r.event === 'sign');
      // Through the gateway: one allow. As the hostile coordinator: one allow (the control) and six denies.
      expect(signs.map((r) => `${r.decision} ${r.code}`)).toEqual([
        'allow ALLOW',
        'allow ALLOW',
        'deny NO_MATCHING_ALLOW',
        'deny ALGORITHM_MISMATCH',
        'deny MESSAGE_TOO_LARGE',
        'deny NO_MATCHING_ALLOW',
        'deny NO_MATCHING_ALLOW',
        'deny NO_MATCHING_ALLOW',
      ]);
      expect(JSON.parse(signs[2]!.detail)).toMatchObject({ caller: CALLER, signers: [1, 2] });
      expect(rows.filter((r) => r.event === 'policy-revision').map((r) => `${r.decision} ${r.code}`)).toEqual(['deny GOVERNANCE', 'deny GOVERNANCE']);
    } finally {
      db.close();
    }
  });
});
