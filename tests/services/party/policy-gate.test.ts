// The party's policy gate on a real SQLite file with a clock the test moves: binding at DKG,
// decisions and their durable counters (sliding windows, sequences, reopening the database), the
// audit log's chain and append-only rule, sealed revisions, revisions with approvals, activation
// delay, idempotent retries, keys from before signing policies, and deletion.
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApproval, createPolicyChangeApproval, policyHash, type PolicyDocument } from '../../../policies/index.ts';
import { defaultSigningPolicy } from '../../../policies/default-policy.ts';
import Sqlite from 'better-sqlite3';
import { MIGRATIONS, migrate, openDatabase, type Database } from '../../../services/storage/db.ts';
import { masterKeyFromBytes, type MasterKey } from '../../../services/storage/master-key.ts';
import { auditChainBreak, POLICY_V2, PolicyStore } from '../../../services/storage/policy-store.ts';
import { SealedBoxError } from '../../../services/storage/sealed-box.ts';
import { PolicyGate, type KeyFacts } from '../../../services/party/policy-gate.ts';
import { RequestRefused, type CheckedSignRequest } from '../../../services/party/request-check.ts';
import { createMetrics, type Metrics } from '../../../services/metrics/metrics.ts';
import { approverKey } from '../../policies/support/keys.ts';

const KEY = '0f0e0d0c-0b0a-4908-8706-050403020100';
const OPERATOR = approverKey('operator', 'ed25519');
const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

let dir: string;
let file: string;
let db: Database;
let masterKey: MasterKey;
let store: PolicyStore;
let gate: PolicyGate;
let metrics: Metrics;
let now = T0;

function open(): void {
  db = openDatabase(file);
  store = new PolicyStore(db, masterKey);
  metrics = createMetrics('party');
  gate = new PolicyGate({ store, metrics, now: () => now });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tutti-policy-gate-'));
  file = join(dir, 'shares.db');
  masterKey = masterKeyFromBytes(randomBytes(32));
  now = T0;
  bound = policyHash(REWARDS);
  open();
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function policy(rules: object[], extra: object = {}): PolicyDocument {
  return {
    policyLanguage: 'tutti-signing-policy/1',
    keyBinding: { keySpec: 'ECC_NIST_EDWARDS448' },
    defaultEffect: 'deny',
    approvers: [{ id: 'operator', scheme: 'ed25519', publicKey: `0x${Buffer.from(OPERATOR.publicKey).toString('hex')}` }],
    governance: { changeApprovals: { threshold: 1, approvers: ['operator'] } },
    rules,
    ...extra,
  } as PolicyDocument;
}

const REWARDS = policy([
  {
    id: 'rewards',
    effect: 'allow',
    conditions: {
      messageType: { in: ['RAW'] },
      format: { kind: 'raw', layout: [{ offset: 0, length: 1, equalsHex: '0x52' }], sequence: { offset: 1, length: 4, mode: 'strictlyIncreasing' } },
    },
    rateLimits: [{ count: 3, windowSeconds: 60 }],
  },
]);

const facts = (policyHashBound: string | null = policyHash(REWARDS)): KeyFacts => ({
  keyId: KEY,
  keySpec: 'ECC_NIST_EDWARDS448',
  protocol: 'frost-ed448',
  publicKey: 'ab'.repeat(57),
  policyHash: policyHashBound,
});
const request = (message: Uint8Array, grantTokens: string[] = []): CheckedSignRequest => ({
  message,
  messageType: 'RAW',
  signingAlgorithm: 'ED448_SHAKE_256',
  caller: { accessKeyId: 'AKIA1', principal: 'arn:aws:iam::111122223333:user/a' },
  grantTokens,
});
const reward = (seq: number) => Uint8Array.of(0x52, 0, 0, 0, seq);

/** The policy hash bound into the key's (imagined) DKG: what the share's meta would hold. */
let bound = policyHash(REWARDS);

function bind(doc: PolicyDocument = REWARDS): void {
  const { record, hash } = gate.initial(KEY, 'ECC_NIST_EDWARDS448', 'dkg-session', doc);
  gate.bind(KEY, 'dkg-session', record, hash, () => {});
  bound = hash;
}

const decide = (m: Uint8Array, session = randomBytes(8).toString('hex'), f = facts(bound)) => gate.decideSign(f, session, request(m), [1, 2]).decision;

describe('binding at key generation', () => {
  test('validates the document and computes its hash itself', () => {
    const { hash } = gate.initial(KEY, 'ECC_NIST_EDWARDS448', 's', REWARDS);
    expect(hash).toBe(policyHash(REWARDS));
  });

  test.each([
    ['an invalid document', { ...REWARDS, defaultEffect: 'allow' }, /INVALID_POLICY/],
    ['a policy for another key spec', { ...REWARDS, keyBinding: { keySpec: 'ECC_NIST_EDWARDS25519' } }, /KEY_MISMATCH|INVALID_POLICY/],
    [
      'a policy bound to another key id',
      { ...REWARDS, keyBinding: { keySpec: 'ECC_NIST_EDWARDS448', keyId: '11111111-2222-4333-8444-555555555555' } },
      /bound to key/,
    ],
    ['no policy at all', undefined, /INVALID_POLICY/],
  ])('refuses %s, and logs the refusal', (_name, doc, why) => {
    let err: unknown;
    try {
      gate.initial(KEY, 'ECC_NIST_EDWARDS448', 's', doc);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RequestRefused);
    expect((err as RequestRefused).kind).toBe('policy');
    expect((err as Error).message).toMatch(why);
    expect(store.auditLog()).toMatchObject([{ event: 'policy-bind', decision: 'deny', rule: 'builtin:policy' }]);
  });

  test('bind stores revision 1 in the same transaction as the activation: a failed activation leaves no policy', () => {
    const { record, hash } = gate.initial(KEY, 'ECC_NIST_EDWARDS448', 's', REWARDS);
    expect(() =>
      gate.bind(KEY, 's', record, hash, () => {
        throw new Error('activation failed');
      }),
    ).toThrow('activation failed');
    expect(store.revisions(KEY)).toEqual([]);
    expect(store.auditLog()).toEqual([]);
    gate.bind(KEY, 's', record, hash, () => {});
    expect(store.revisions(KEY)).toMatchObject([{ revision: 1, previousHash: null, policyHash: hash, policy: REWARDS }]);
  });
});

describe('sign decisions', () => {
  test('allow and deny are decided on the full message, counted, and logged with the rule', () => {
    bind();
    expect(decide(reward(1))).toMatchObject({ decision: 'allow', rule: 'rewards' });
    expect(decide(reward(1))).toMatchObject({ decision: 'deny', code: 'SEQUENCE_VIOLATION', rule: 'rewards' });
    expect(decide(Uint8Array.of(0x00, 0, 0, 0, 9))).toMatchObject({ decision: 'deny', code: 'NO_MATCHING_ALLOW', rule: 'builtin:default-deny' });
    const log = store.auditLog().filter((e) => e.event === 'sign');
    expect(log.map((e) => `${e.decision} ${e.code} ${e.rule}`)).toEqual([
      'allow ALLOW rewards',
      'deny SEQUENCE_VIOLATION rewards',
      'deny NO_MATCHING_ALLOW builtin:default-deny',
    ]);
    expect(log[0]!.detail).toMatchObject({ policyHash: policyHash(REWARDS), revision: 1, format: 'raw', messageBytes: 5, signers: [1, 2] });
    expect(auditChainBreak(store.auditLog())).toBeNull();
  });

  test('a rate limit is a sliding window on durable counters: reopening the database forgets nothing', async () => {
    bind();
    expect(decide(reward(1)).decision).toBe('allow');
    expect(decide(reward(2)).decision).toBe('allow');
    now = T0 + 30_000;
    expect(decide(reward(3)).decision).toBe('allow');
    now = T0 + 31_000;
    expect(decide(reward(4))).toMatchObject({ decision: 'deny', code: 'RATE_LIMITED', rule: 'rewards' });
    db.close();
    open();
    expect(decide(reward(4))).toMatchObject({ decision: 'deny', code: 'RATE_LIMITED' });
    now = T0 + 60_000; // the two charges at T0 leave the window (now − 60 s < t is false for t = T0)
    expect(decide(reward(4)).decision).toBe('allow');
    expect(decide(reward(5)).decision).toBe('allow');
    expect(decide(reward(6)).code).toBe('RATE_LIMITED');
    // A denied request is never charged, and the sequence of an allowed one stays: 4 is used.
    now += 120_000;
    expect(decide(reward(4)).code).toBe('SEQUENCE_VIOLATION');
  });

  test('many requests in a row: exactly the budget is allowed', () => {
    bind(
      policy([{ id: 'any', effect: 'allow', conditions: { messageType: { in: ['RAW'] } }, rateLimits: [{ count: 7, windowSeconds: 3600 }] }], {
        keyRateLimits: [{ count: 100, windowSeconds: 3600 }],
      }),
    );
    const decisions = Array.from({ length: 40 }, (_, i) => decide(Uint8Array.of(i)).decision);
    expect(decisions.filter((d) => d === 'allow')).toHaveLength(7);
  });

  test('a key with no stored policy signs nothing (fail closed)', () => {
    expect(decide(reward(1))).toMatchObject({ decision: 'deny', code: 'INVALID_POLICY', rule: 'builtin:policy' });
  });

  test("a stored revision 1 that is not the one bound into the DKG (in the share's meta) signs nothing", () => {
    bind();
    expect(decide(reward(1), 's', facts(policyHash(policy([]))))).toMatchObject({ decision: 'deny', code: 'INTERNAL_ERROR', rule: 'builtin:policy-store' });
  });

  test('a key from before signing policies (no hash bound) gets the default policy: RAW with its algorithm', () => {
    const legacy = { ...facts(null), keySpec: 'ECC_NIST_EDWARDS448' };
    expect(decide(new Uint8Array(5000), 's', legacy)).toMatchObject({ decision: 'allow', rule: 'default-raw' });
    expect(gate.decideSign(legacy, 's2', { ...request(new Uint8Array(64)), messageType: 'DIGEST' }, [1, 2]).decision).toMatchObject({
      decision: 'deny',
      code: 'ALGORITHM_MISMATCH',
    });
  });

  test('decisions are counted in metrics by decision, code and rule', async () => {
    bind();
    decide(reward(1));
    decide(reward(1));
    const text = await metrics.registry.metrics();
    expect(text).toContain('tutti_policy_decisions_total{decision="allow",code="ALLOW",rule="rewards",component="party"} 1');
    expect(text).toContain('tutti_policy_decisions_total{decision="deny",code="SEQUENCE_VIOLATION",rule="rewards",component="party"} 1');
  });
});

describe('the audit log', () => {
  test('is append-only in SQLite itself, and an edited entry breaks the chain', () => {
    bind();
    decide(reward(1));
    decide(reward(1));
    expect(() => db.prepare(`UPDATE audit_log SET decision = 'allow' WHERE seq = 3`).run()).toThrow(/append-only/);
    expect(() => db.prepare(`DELETE FROM audit_log WHERE seq = 1`).run()).toThrow(/append-only/);
    const entries = store.auditLog();
    expect(auditChainBreak(entries)).toBeNull();
    const edited = entries.map((e) => (e.seq === 2 ? { ...e, reasons: ['nothing to see'] } : e));
    expect(auditChainBreak(edited)).toEqual({ seq: 2, why: 'hash does not match the entry' });
    expect(auditChainBreak(entries.filter((e) => e.seq !== 2))).toMatchObject({ seq: 3 });
  });
});

describe('sealed revisions', () => {
  test('a revision edited in the database does not open', () => {
    bind();
    const permissive = policy([{ id: 'anything', effect: 'allow', conditions: { messageType: { in: ['RAW'] } } }]);
    db.prepare(`UPDATE policy_revisions SET policy_hash = ? WHERE key_id = ?`).run(policyHash(permissive), KEY);
    expect(() => store.revisions(KEY)).toThrow(SealedBoxError);
    // And the gate refuses to sign rather than guess (a fresh gate: nothing cached).
    const fresh = new PolicyGate({ store, now: () => now });
    expect(fresh.decideSign(facts(), 's', request(reward(1)), [1, 2]).decision).toMatchObject({ decision: 'deny', code: 'INTERNAL_ERROR' });
  });
});

describe('revisions', () => {
  const NEXT = policy(
    [
      {
        id: 'rewards-v2',
        effect: 'allow',
        conditions: { messageType: { in: ['RAW'] }, format: { kind: 'raw', layout: [{ offset: 0, length: 1, equalsHex: '0x53' }] } },
      },
    ],
    { governance: { changeApprovals: { threshold: 1, approvers: ['operator'] }, activationDelaySeconds: 600 } },
  );
  const approval = (revision: number, previous: PolicyDocument, next: PolicyDocument) =>
    createPolicyChangeApproval(OPERATOR, { keyId: KEY, revision, previousHash: policyHash(previous), policyHash: policyHash(next) }, now + 60_000);
  const revise = (revision: number, previous: PolicyDocument, next: PolicyDocument, approvals: string[]) =>
    gate.revise(facts(), randomBytes(8).toString('hex'), { revision, previousHash: policyHash(previous), policy: next }, approvals);

  test('needs the approvals of the current policy; is idempotent; follows the chain', () => {
    bind();
    expect(() => revise(2, REWARDS, NEXT, [])).toThrow(/GOVERNANCE.*0 of 1/);
    expect(revise(2, REWARDS, NEXT, [approval(2, REWARDS, NEXT)])).toEqual({ policyHash: policyHash(NEXT), revision: 2, activatesAt: now });
    // The same request again (a retried PutKeyPolicy) is accepted without change.
    expect(revise(2, REWARDS, NEXT, [])).toEqual({ policyHash: policyHash(NEXT), revision: 2, activatesAt: now });
    // Revision 2 again with other content, or a skipped number: refused.
    expect(() => revise(2, REWARDS, REWARDS, [approval(2, REWARDS, REWARDS)])).toThrow(/does not follow/);
    expect(() => revise(4, NEXT, REWARDS, [approval(4, NEXT, REWARDS)])).toThrow(/does not follow/);
    expect(decide(Uint8Array.of(0x53))).toMatchObject({ decision: 'allow', rule: 'rewards-v2' });
    expect(
      store
        .auditLog()
        .filter((e) => e.event === 'policy-revision')
        .map((e) => e.code),
    ).toEqual(['GOVERNANCE', 'REVISION_ACCEPTED', 'ALREADY_INSTALLED', 'GOVERNANCE', 'GOVERNANCE']);
  });

  test('an activation delay keeps the current revision in force, and blocks a further change until then', () => {
    bind();
    revise(2, REWARDS, NEXT, [approval(2, REWARDS, NEXT)]);
    const THIRD = policy([{ id: 'v3', effect: 'allow', conditions: { messageType: { in: ['RAW'] } } }]);
    // NEXT has a delay of 600 s for the change after it.
    const r = revise(3, NEXT, THIRD, [approval(3, NEXT, THIRD)]);
    expect(r.activatesAt).toBe(now + 600_000);
    expect(decide(Uint8Array.of(0x53, 9))).toMatchObject({ decision: 'allow', rule: 'rewards-v2' });
    const FOURTH = policy([{ id: 'v4', effect: 'allow', conditions: { messageType: { in: ['RAW'] } } }]);
    expect(() => revise(4, THIRD, FOURTH, [approval(4, THIRD, FOURTH)])).toThrow(/takes effect at/);
    now += 600_000;
    expect(decide(Uint8Array.of(0x01))).toMatchObject({ decision: 'allow', rule: 'v3' });
  });

  test('the default policy can never be revised', () => {
    const legacy = facts(null);
    const current = defaultSigningPolicy('ECC_NIST_EDWARDS448', ['ED448_SHAKE_256']);
    expect(() => gate.revise(legacy, 's', { revision: 2, previousHash: policyHash(current), policy: REWARDS }, [])).toThrow(/GOVERNANCE/);
  });

  test("approvals of sign requests are checked against the policy's approvers", () => {
    bind(policy([{ id: 'approved', effect: 'allow', conditions: { messageType: { in: ['RAW'] } }, approvals: { threshold: 1, approvers: ['operator'] } }]));
    const m = Uint8Array.of(1, 2, 3);
    const token = createApproval(
      OPERATOR,
      { keyId: KEY, message: m, signingAlgorithm: 'ED448_SHAKE_256', messageType: 'RAW', policyHash: bound },
      now + 60_000,
      'approval-0001',
    );
    expect(gate.decideSign(facts(bound), 's', request(m, [token]), [1, 2]).decision).toMatchObject({ decision: 'allow', approvedBy: ['operator'] });
  });
});

describe('an approval replayed (issue 11 item 8): one-use ids, bound to the revision in force', () => {
  const APPROVED = policy(
    [{ id: 'approved', effect: 'allow', conditions: { messageType: { in: ['RAW'] } }, approvals: { threshold: 1, approvers: ['operator'] } }],
    { governance: { changeApprovals: { threshold: 1, approvers: ['operator'] }, activationDelaySeconds: 600 } },
  );
  const m = new TextEncoder().encode('pay 100 to alice');
  const approval = (id: string, under = bound, expiresAt = now + 300_000) =>
    createApproval(OPERATOR, { keyId: KEY, message: m, signingAlgorithm: 'ED448_SHAKE_256', messageType: 'RAW', policyHash: under }, expiresAt, id);
  const sign = (tokens: string[]) => gate.decideSign(facts(bound), randomBytes(8).toString('hex'), request(m, tokens), [1, 2]).decision;
  const consumed = () => db.prepare('SELECT approver_id AS approver, approval_id AS id FROM consumed_approvals').all();

  test('the same token twice: the second sign request is refused, also after a restart', () => {
    bind(APPROVED);
    const token = approval('pay-alice-0001');
    expect(sign([token])).toMatchObject({ decision: 'allow', rule: 'approved', approvedBy: ['operator'] });
    expect(consumed()).toEqual([{ approver: 'operator', id: 'pay-alice-0001' }]);
    expect(sign([token])).toMatchObject({
      decision: 'deny',
      code: 'APPROVALS_REQUIRED',
      reasons: [expect.any(String), expect.stringMatching(/pay-alice-0001 by 'operator' was already used/)],
    });
    db.close();
    open();
    expect(sign([token])).toMatchObject({ decision: 'deny', code: 'APPROVALS_REQUIRED' });
    // A fresh approval of the same message is another approval.
    expect(sign([approval('pay-alice-0002')]).decision).toBe('allow');
    const log = store.auditLog().filter((e) => e.event === 'sign');
    expect(log.map((e) => e.code)).toEqual(['ALLOW', 'APPROVALS_REQUIRED', 'APPROVALS_REQUIRED', 'ALLOW']);
    expect(log[0]!.detail).toMatchObject({ approvedBy: ['operator'], approvalIds: ['pay-alice-0001'] });
  });

  test('two requests with the same token in one group commit: the token counts once', () => {
    bind(APPROVED);
    const token = approval('pay-alice-0003');
    const [a, b] = gate.batch(() => [sign([token]), sign([token])]);
    expect([a!.decision, b!.code]).toEqual(['allow', 'APPROVALS_REQUIRED']);
  });

  test('a denied request does not spend its approval (it is recorded with the allow only)', () => {
    bind(APPROVED);
    const token = approval('pay-alice-0004');
    expect(
      gate.decideSign(facts(bound), 's', { ...request(m, [token]), signingAlgorithm: 'ED448_SHAKE_256', messageType: 'DIGEST' }, [1, 2]).decision.decision,
    ).toBe('deny');
    expect(consumed()).toEqual([]);
    expect(sign([token]).decision).toBe('allow');
  });

  test('an approval made under revision 1 does not count once revision 2 is in force; one made under revision 2 does', () => {
    bind(APPROVED);
    const rev1 = bound;
    const NEXT = { ...APPROVED, description: 'revision 2' } as PolicyDocument;
    const change = createPolicyChangeApproval(OPERATOR, { keyId: KEY, revision: 2, previousHash: rev1, policyHash: policyHash(NEXT) }, now + 60_000);
    gate.revise(facts(rev1), 'rev', { revision: 2, previousHash: rev1, policy: NEXT }, [change]);
    // During the activation delay revision 1 is in force: approvals are made under it.
    expect(sign([approval('before-activation', rev1)]).decision).toBe('allow');
    const early = approval('made-under-rev1', rev1, now + 900_000);
    now += 600_000;
    const d = sign([early]);
    expect(d).toMatchObject({ decision: 'deny', code: 'APPROVALS_REQUIRED' });
    expect(d.reasons.join('\n')).toMatch(/does not verify for this request under the policy revision in force/);
    expect(sign([approval('made-under-rev2', policyHash(NEXT))])).toMatchObject({ decision: 'allow', approvedBy: ['operator'] });
  });

  test("counted approvals are dropped once expired on the key's clock, and never revived by a clock stepped back", () => {
    bind(APPROVED);
    const token = approval('pay-alice-0005', bound, now + 60_000);
    expect(sign([token]).decision).toBe('allow');
    now += 120_000;
    expect(sign([approval('pay-alice-0006')]).decision).toBe('allow'); // prunes the expired one
    expect(consumed()).toEqual([{ approver: 'operator', id: 'pay-alice-0006' }]);
    now -= 120_000; // back to when the first token was valid: still expired on the key's clock
    expect(sign([token])).toMatchObject({ decision: 'deny', code: 'APPROVALS_REQUIRED', reasons: [expect.any(String), expect.stringMatching(/expired/)] });
  });
});

describe("a clock stepped back (issue 11 item 12): the key's time never goes back", () => {
  test('a spent rate limit stays spent when the wall clock steps back, also after a restart', () => {
    bind();
    for (const seq of [1, 2, 3]) expect(decide(reward(seq)).decision).toBe('allow');
    expect(decide(reward(4)).code).toBe('RATE_LIMITED');
    now = T0 - 60_000; // the operator's clock steps back a minute (before: the window was empty again)
    expect(decide(reward(4))).toMatchObject({ decision: 'deny', code: 'RATE_LIMITED' });
    db.close();
    open();
    expect(decide(reward(4)).code).toBe('RATE_LIMITED');
    const last = store.auditLog().at(-1)!;
    expect(last.at).toBe(T0);
    expect(last.detail).toMatchObject({ wallClock: T0 - 60_000 });
    // The window reopens when the key's time has moved on by the window, wherever the wall clock was.
    now = T0 + 60_000;
    expect(decide(reward(4)).decision).toBe('allow');
  });

  test("a clock stepped forward holds the key's time there: budgets spent then stay spent until the wall clock catches up", () => {
    bind();
    now = T0 + 3_600_000; // an hour ahead by mistake
    for (const seq of [1, 2, 3]) expect(decide(reward(seq)).decision).toBe('allow');
    now = T0; // corrected
    expect(decide(reward(4)).code).toBe('RATE_LIMITED');
    now = T0 + 3_600_000 + 59_000; // still inside the window that began at the jumped time
    expect(decide(reward(4)).code).toBe('RATE_LIMITED');
    now = T0 + 3_600_000 + 60_000;
    expect(decide(reward(4)).decision).toBe('allow');
  });

  test('a database from before the key clock gets it from the decisions already taken', () => {
    db.close();
    const before = MIGRATIONS.indexOf(POLICY_V2);
    const old = new Sqlite(join(dir, 'old.db'));
    migrate(old, MIGRATIONS.slice(0, before));
    old.prepare(`INSERT INTO rate_limit_charges (key_id, scope, at, expires_at) VALUES (?, 'rewards', ?, ?)`).run(KEY, T0 + 5_000, T0 + 65_000);
    old.close();
    db = openDatabase(join(dir, 'old.db'));
    store = new PolicyStore(db, masterKey);
    expect(store.advanceClock(KEY, T0)).toBe(T0 + 5_000);
    expect(store.advanceClock('another-key', T0)).toBe(T0);
  });
});

describe('deletion', () => {
  test("forgets the key's policy, charges and sequences; the audit log keeps its entries and records the deletion", () => {
    bind();
    decide(reward(1));
    gate.deleted(KEY);
    expect(store.revisions(KEY)).toEqual([]);
    expect(db.prepare('SELECT count(*) AS n FROM rate_limit_charges').get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT count(*) AS n FROM sequence_high_water').get()).toEqual({ n: 0 });
    expect(store.auditLog().map((e) => e.event)).toEqual(['policy-bind', 'sign', 'key-deleted']);
    expect(auditChainBreak(store.auditLog())).toBeNull();
  });
});
