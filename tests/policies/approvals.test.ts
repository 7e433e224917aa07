// Approval tokens (GrantTokens) and policy revisions (docs/policies.md "Approvals", "Policy hash and revisions"; research cases 45–46).
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  APPROVAL_PREFIX,
  checkApprovals,
  decodeApprovalToken,
  encodeApprovalToken,
  MAX_GRANT_TOKEN_LENGTH,
  signApproval,
  signApprovalStatement,
} from '../../policies/approvals.ts';
import { compilePolicy, type CompiledPolicy } from '../../policies/compile.ts';
import { evaluate } from '../../policies/evaluate.ts';
import { policyHash } from '../../policies/hash.ts';
import { checkPolicyRevision } from '../../policies/revisions.ts';
import type { Decision, PolicyDocument, PolicyRevision } from '../../policies/types.ts';
import { approve, approveChange } from './support/approve.ts';
import { approverKey } from './support/keys.ts';
import { baseTx, eip1559, ETH, TREASURY } from './support/evm.ts';
import { context, fixture, request, WEDNESDAY_10 } from './support/requests.ts';

const NOW = WEDNESDAY_10;
const KEY_ID = '3f0b6a8e-2d4c-4e1a-9b7f-0c5d8e2a1b34';

describe('approval tokens', () => {
  const req = request('P-EVM', new Uint8Array([2, 0xc0]));
  const policy = compilePolicy(fixture('evm-payout'));
  const requirement = { threshold: 1, approvers: ['owner-device', 'cfo'] };
  const sign = (used?: (approverId: string, approvalId: string) => boolean) => ({
    kind: 'sign' as const,
    statement: (id: string, exp: number) => signApprovalStatement({ ...req, policyHash: policy.hash }, id, exp),
    used,
  });

  test("format: prefix, v2, approver, approval id, expiry, base64url signature; far below AWS's 8192-character limit", () => {
    const token = approve('cfo', req, NOW + 60_000, { approvalId: 'pay-0001-abcd' });
    expect(token).toMatch(/^tutti-approval:v2:cfo:pay-0001-abcd:1749031260000:[A-Za-z0-9_-]{86}$/);
    expect(token.startsWith(APPROVAL_PREFIX)).toBe(true);
    expect(token.length).toBeLessThan(MAX_GRANT_TOKEN_LENGTH / 40);
    const t = decodeApprovalToken(token)!;
    expect(t).toMatchObject({ version: 2, approverId: 'cfo', approvalId: 'pay-0001-abcd', expiresAt: NOW + 60_000 });
    expect(encodeApprovalToken(t)).toBe(token);
  });

  test('the statement is the documented canonical JSON: it names the policy revision and the approval id', () => {
    const text = new TextDecoder().decode(signApprovalStatement({ ...req, policyHash: policy.hash }, 'pay-0001-abcd', 123));
    expect(text).toBe(
      `{"approvalId":"pay-0001-abcd","expiresAt":123,"keyId":"3f0b6a8e-2d4c-4e1a-9b7f-0c5d8e2a1b34","messageSha256":"0x${Buffer.from(sha256(req.message)).toString('hex')}","messageType":"RAW","policyHash":"${policy.hash}","signingAlgorithm":"ECDSA_KECCAK_256","type":"tutti-sign-approval/2"}`,
    );
  });

  test.each([
    ['padding', (t: string) => `${t}=`],
    ['leading zero in expiry', (t: string) => t.replace(':1749031260000:', ':01749031260000:')],
    ['upper-case approver id', (t: string) => t.replace(':cfo:', ':CFO:')],
    ['version 3', (t: string) => t.replace(':v2:', ':v3:')],
    ['no approval id', (t: string) => t.replace(':pay-0001-abcd:', ':')],
    ['an approval id of 7 characters', (t: string) => t.replace(':pay-0001-abcd:', ':pay-001:')],
    ['an approval id with a dot', (t: string) => t.replace(':pay-0001-abcd:', ':pay.0001.abcd:')],
  ])('malformed token (%s) is not an approval', (_n, f) => {
    expect(decodeApprovalToken(f(approve('cfo', req, NOW + 60_000, { approvalId: 'pay-0001-abcd' })))).toBeNull();
  });

  test('secp256k1: a high-S signature does not verify (one signature per approval)', () => {
    const good = decodeApprovalToken(approve('owner-device', req, NOW + 60_000))!;
    const sig = secp256k1.Signature.fromBytes(good.signature);
    const high = new secp256k1.Signature(sig.r, secp256k1.Point.Fn.ORDER - sig.s).toBytes();
    expect(checkApprovals([encodeApprovalToken(good)], requirement, policy.approvers, sign(), NOW).ok).toBe(true);
    const r = checkApprovals([encodeApprovalToken({ ...good, signature: high })], requirement, policy.approvers, sign(), NOW);
    expect(r.ok).toBe(false);
  });

  test('only the first 10 grant tokens are read', () => {
    const filler = Array.from({ length: 10 }, () => 'not-an-approval');
    const r = checkApprovals([...filler, approve('cfo', req, NOW + 60_000)], requirement, policy.approvers, sign(), NOW);
    expect(r.ok).toBe(false);
    expect(r.problems.join()).toMatch(/first 10/);
  });

  test("an approver with the right id but another scheme's key does not verify", () => {
    const forged = approve('cfo', req, NOW + 60_000, { scheme: 'secp256k1' });
    expect(checkApprovals([forged], requirement, policy.approvers, sign(), NOW).ok).toBe(false);
    expect(approverKey('cfo').scheme).toBe('ed25519');
  });

  test('a counted approval is returned for the party to record; one the party already counted is refused', () => {
    const token = approve('cfo', req, NOW + 60_000, { approvalId: 'once-only-1' });
    const first = checkApprovals(
      [token],
      requirement,
      policy.approvers,
      sign(() => false),
      NOW,
    );
    expect(first).toMatchObject({ ok: true, approvedBy: ['cfo'], counted: [{ approverId: 'cfo', approvalId: 'once-only-1', expiresAt: NOW + 60_000 }] });
    const again = checkApprovals(
      [token],
      requirement,
      policy.approvers,
      sign((who, id) => who === 'cfo' && id === 'once-only-1'),
      NOW,
    );
    expect(again).toMatchObject({ ok: false, approvedBy: [], counted: [] });
    expect(again.problems).toEqual(["approval once-only-1 by 'cfo' was already used (an approval counts once)"]);
  });

  test('a v1 (pre-revision-binding) Sign approval does not count, and a Sign approval is no change approval', () => {
    const v1 = signApproval('ed25519', approverKey('cfo').secretKey, 'cfo', new Uint8Array(1), NOW + 60_000);
    expect(checkApprovals([v1], requirement, policy.approvers, sign(), NOW).problems.join()).toMatch(/v1 token: a Sign approval is v2/);
    const v2 = approve('cfo', req, NOW + 60_000);
    const change = checkApprovals([v2], requirement, policy.approvers, { kind: 'change', statement: () => new Uint8Array(1) }, NOW);
    expect(change.problems.join()).toMatch(/is a Sign approval \(v2\), not a policy-change approval/);
  });
});

describe('an approval replayed: the same token again, or under a later policy revision', () => {
  const p1 = compilePolicy(fixture('evm-payout'));
  const p2 = compilePolicy({ ...fixture('evm-payout'), description: 'revision 2: same approvers, same rules, another hash' });
  const sweep = eip1559(baseTx({ to: TREASURY, value: ETH + 1n, data: '0x' }));
  const r = request('P-EVM', sweep);
  /** A party's durable record of counted approval ids (the party keeps it in SQLite). */
  const party = () => {
    const used = new Set<string>();
    return {
      decide(policy: CompiledPolicy, approvals: string[]): Decision {
        const d = evaluate(policy, { ...r, approvals }, { ...context(NOW), approvalUsed: (who, id) => used.has(`${who}/${id}`) });
        for (const a of d.approvalsUsed ?? []) used.add(`${a.approverId}/${a.approvalId}`);
        return d;
      },
    };
  };

  test('the same approvals twice: the second request is refused (APPROVALS_REQUIRED, "already used")', () => {
    const tokens = [approve('owner-device', r, NOW + 300_000), approve('cfo', r, NOW + 300_000)];
    const p = party();
    expect(p.decide(p1, tokens)).toMatchObject({ decision: 'allow', rule: 'large-eth-to-treasury-with-approvals', approvedBy: ['owner-device', 'cfo'] });
    const again = p.decide(p1, tokens);
    expect(again).toMatchObject({ decision: 'deny', code: 'APPROVALS_REQUIRED' });
    expect(again.reasons.join('\n')).toMatch(/was already used/);
    // Fresh approvals for the same message are a new approval: they count.
    expect(p.decide(p1, [approve('owner-device', r, NOW + 300_000), approve('cfo', r, NOW + 300_000)]).decision).toBe('allow');
  });

  test('an approval is recorded only when the request is allowed: a request denied for another reason does not spend it', () => {
    const p = party();
    const tokens = [approve('owner-device', r, NOW + 300_000), approve('cfo', r, NOW + 300_000)];
    expect(p.decide(p1, tokens.slice(0, 1))).toMatchObject({ code: 'APPROVALS_REQUIRED' });
    expect(p.decide(p1, tokens).decision).toBe('allow');
  });

  test('approvals made under revision 1 do not count under revision 2', () => {
    const underRev1 = [approve('owner-device', r, NOW + 300_000), approve('cfo', r, NOW + 300_000)];
    const d = party().decide(p2, underRev1);
    expect(d).toMatchObject({ decision: 'deny', code: 'APPROVALS_REQUIRED' });
    expect(d.reasons.join('\n')).toMatch(/does not verify for this request under the policy revision in force/);
    const underRev2 = [approve('owner-device', r, NOW + 300_000, { policyHash: p2.hash }), approve('cfo', r, NOW + 300_000, { policyHash: p2.hash })];
    expect(party().decide(p2, underRev2).decision).toBe('allow');
  });
});

describe('policy revisions (hash chain, governance)', () => {
  const rev1: PolicyRevision = { revision: 1, previousHash: null, policy: fixture('evm-payout') };
  const permissive = (): PolicyDocument => ({
    ...fixture('evm-payout'),
    description: 'allow-all EVM transactions',
    rules: [{ id: 'anything', effect: 'allow', conditions: { format: { kind: 'evmTransaction', txTypes: { in: ['eip1559'] }, chainId: { in: ['1'] } } } }],
  });
  const rev2: PolicyRevision = { revision: 2, previousHash: policyHash(rev1.policy), policy: permissive() };
  const sign2 = (ids: string[], rev = rev2) =>
    ids.map((id) =>
      approveChange(id, { keyId: KEY_ID, revision: rev.revision, previousHash: rev.previousHash, policyHash: policyHash(rev.policy) }, NOW + 3_600_000),
    );

  test('revision 1 at CreateKey needs no approvals (it is bound by the DKG transcript)', () => {
    const r = checkPolicyRevision(KEY_ID, null, rev1, [], NOW);
    expect(r).toMatchObject({ ok: true, policyHash: policyHash(rev1.policy), activatesAt: NOW });
  });

  test('the first policy must be revision 1 with previousHash null', () => {
    expect(checkPolicyRevision(KEY_ID, null, rev2, [], NOW)).toMatchObject({ ok: false, code: 'GOVERNANCE' });
  });

  test('#45a revision 2 (allow-all) with 1 of 2 change approvals is refused', () => {
    const r = checkPolicyRevision(KEY_ID, rev1, rev2, sign2(['cfo']), NOW);
    expect(r).toMatchObject({ ok: false, code: 'GOVERNANCE' });
    expect(r.ok || r.reasons[0]).toMatch(/1 of 2 required change approvals/);
  });

  test('#45b with 2 approvals it is accepted, active only after the activation delay', () => {
    const r = checkPolicyRevision(KEY_ID, rev1, rev2, sign2(['cfo', 'owner-device']), NOW);
    expect(r).toMatchObject({ ok: true, activatesAt: NOW + 86_400_000, approvedBy: ['cfo', 'owner-device'] });
  });

  test('#46 rollback: re-installing revision 1 after revision 2', () => {
    const back: PolicyRevision = { revision: 1, previousHash: policyHash(rev2.policy), policy: rev1.policy };
    expect(checkPolicyRevision(KEY_ID, rev2, back, sign2(['cfo', 'owner-device'], back), NOW)).toMatchObject({ ok: false, code: 'GOVERNANCE' });
  });

  test('a revision that names the wrong predecessor (fork) is refused', () => {
    const fork: PolicyRevision = { revision: 3, previousHash: policyHash(rev1.policy), policy: permissive() };
    expect(checkPolicyRevision(KEY_ID, rev2, fork, sign2(['cfo', 'owner-device'], fork), NOW)).toMatchObject({ ok: false, code: 'GOVERNANCE' });
  });

  test('skipping a revision number is refused', () => {
    const skip: PolicyRevision = { ...rev2, revision: 3 };
    expect(checkPolicyRevision(KEY_ID, rev1, skip, sign2(['cfo', 'owner-device'], skip), NOW)).toMatchObject({ ok: false, code: 'GOVERNANCE' });
  });

  test("approvals of another revision's content do not count", () => {
    const other: PolicyRevision = { ...rev2, policy: { ...permissive(), description: 'something else' } };
    expect(checkPolicyRevision(KEY_ID, rev1, rev2, sign2(['cfo', 'owner-device'], other), NOW).ok).toBe(false);
  });

  test('approvers added by the new policy cannot approve it', () => {
    const next = permissive();
    next.approvers = [
      ...next.approvers!,
      { id: 'mallory', scheme: 'ed25519', publicKey: `0x${Buffer.from(approverKey('mallory').publicKey).toString('hex')}` },
    ];
    next.governance = { changeApprovals: { threshold: 1, approvers: ['mallory'] } };
    const rev: PolicyRevision = { revision: 2, previousHash: policyHash(rev1.policy), policy: next };
    expect(checkPolicyRevision(KEY_ID, rev1, rev, sign2(['mallory', 'cfo'], rev), NOW)).toMatchObject({ ok: false, code: 'GOVERNANCE' });
  });

  test('expired change approvals do not count', () => {
    expect(checkPolicyRevision(KEY_ID, rev1, rev2, sign2(['cfo', 'owner-device']), NOW + 3_600_000).ok).toBe(false);
  });

  test('a revision cannot change the key spec, nor be invalid', () => {
    const spec: PolicyRevision = { ...rev2, policy: { ...fixture('solana-waas'), keyBinding: { keySpec: 'ECC_NIST_EDWARDS25519' } } };
    expect(checkPolicyRevision(KEY_ID, rev1, spec, sign2(['cfo', 'owner-device'], spec), NOW)).toMatchObject({ ok: false, code: 'GOVERNANCE' });
    const bad: PolicyRevision = { ...rev2, policy: { ...permissive(), defaultEffect: 'allow' as 'deny' } };
    expect(checkPolicyRevision(KEY_ID, rev1, bad, [], NOW)).toMatchObject({ ok: false, code: 'INVALID_POLICY' });
  });

  test('a policy bound to another key id is refused', () => {
    expect(checkPolicyRevision('00000000-0000-4000-8000-000000000000', null, rev1, [], NOW)).toMatchObject({ ok: false, code: 'INVALID_POLICY' });
  });
});
