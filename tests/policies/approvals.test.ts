// Approval tokens (GrantTokens) and policy revisions (policy.md §5, §7 cases 45–46).
import { secp256k1 } from '@noble/curves/secp256k1.js';
import {
  APPROVAL_PREFIX, checkApprovals, decodeApprovalToken, encodeApprovalToken, MAX_GRANT_TOKEN_LENGTH, signApprovalStatement,
} from '../../policies/approvals.ts';
import { compilePolicy } from '../../policies/compile.ts';
import { policyHash } from '../../policies/hash.ts';
import { checkPolicyRevision } from '../../policies/revisions.ts';
import type { PolicyDocument, PolicyRevision } from '../../policies/types.ts';
import { approve, approveChange } from './support/approve.ts';
import { approverKey } from './support/keys.ts';
import { fixture, request, WEDNESDAY_10 } from './support/requests.ts';

const NOW = WEDNESDAY_10;
const KEY_ID = '3f0b6a8e-2d4c-4e1a-9b7f-0c5d8e2a1b34';

describe('approval tokens', () => {
  const req = request('P-EVM', new Uint8Array([2, 0xc0]));
  const policy = compilePolicy(fixture('evm-payout'));
  const requirement = { threshold: 1, approvers: ['owner-device', 'cfo'] };

  test('format: prefix, approver, expiry, base64url signature; far below AWS\'s 8192-character limit', () => {
    const token = approve('cfo', req, NOW + 60_000);
    expect(token).toMatch(/^tutti-approval:v1:cfo:1749031260000:[A-Za-z0-9_-]{86}$/);
    expect(token.startsWith(APPROVAL_PREFIX)).toBe(true);
    expect(token.length).toBeLessThan(MAX_GRANT_TOKEN_LENGTH / 40);
    const t = decodeApprovalToken(token)!;
    expect(encodeApprovalToken(t)).toBe(token);
  });

  test('the statement is the documented canonical JSON', () => {
    const text = new TextDecoder().decode(signApprovalStatement(req, 123));
    expect(text).toMatch(/^\{"expiresAt":123,"keyId":"3f0b6a8e-2d4c-4e1a-9b7f-0c5d8e2a1b34","messageSha256":"0x[0-9a-f]{64}","messageType":"RAW","signingAlgorithm":"ECDSA_KECCAK_256","type":"tutti-sign-approval\/1"\}$/);
  });

  test.each([
    ['padding', (t: string) => `${t}=`],
    ['leading zero in expiry', (t: string) => t.replace(':1749031260000:', ':01749031260000:')],
    ['upper-case approver id', (t: string) => t.replace(':cfo:', ':CFO:')],
    ['version 2', (t: string) => t.replace(':v1:', ':v2:')],
  ])('malformed token (%s) is not an approval', (_n, f) => {
    expect(decodeApprovalToken(f(approve('cfo', req, NOW + 60_000)))).toBeNull();
  });

  test('secp256k1: a high-S signature does not verify (one signature per approval)', () => {
    const good = decodeApprovalToken(approve('owner-device', req, NOW + 60_000))!;
    const sig = secp256k1.Signature.fromBytes(good.signature);
    const high = new secp256k1.Signature(sig.r, secp256k1.Point.Fn.ORDER - sig.s).toBytes();
    const statement = (exp: number) => signApprovalStatement(req, exp);
    expect(checkApprovals([encodeApprovalToken(good)], requirement, policy.approvers, statement, NOW).ok).toBe(true);
    const r = checkApprovals([encodeApprovalToken({ ...good, signature: high })], requirement, policy.approvers, statement, NOW);
    expect(r.ok).toBe(false);
  });

  test('only the first 10 grant tokens are read', () => {
    const filler = Array.from({ length: 10 }, () => 'not-an-approval');
    const r = checkApprovals([...filler, approve('cfo', req, NOW + 60_000)], requirement, policy.approvers, (e) => signApprovalStatement(req, e), NOW);
    expect(r.ok).toBe(false);
    expect(r.problems.join()).toMatch(/first 10/);
  });

  test('an approver with the right id but another scheme\'s key does not verify', () => {
    const forged = approve('cfo', req, NOW + 60_000, 'secp256k1');
    expect(checkApprovals([forged], requirement, policy.approvers, (e) => signApprovalStatement(req, e), NOW).ok).toBe(false);
    expect(approverKey('cfo').scheme).toBe('ed25519');
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
  const sign2 = (ids: string[], rev = rev2) => ids.map((id) => approveChange(id, { keyId: KEY_ID, revision: rev.revision, previousHash: rev.previousHash, policyHash: policyHash(rev.policy) }, NOW + 3_600_000));

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

  test('approvals of another revision\'s content do not count', () => {
    const other: PolicyRevision = { ...rev2, policy: { ...permissive(), description: 'something else' } };
    expect(checkPolicyRevision(KEY_ID, rev1, rev2, sign2(['cfo', 'owner-device'], other), NOW).ok).toBe(false);
  });

  test('approvers added by the new policy cannot approve it', () => {
    const next = permissive();
    next.approvers = [...next.approvers!, { id: 'mallory', scheme: 'ed25519', publicKey: `0x${Buffer.from(approverKey('mallory').publicKey).toString('hex')}` }];
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
