// checkRevisionChain (policies/revisions.ts): what a party new to a key checks of the key's signing
// policy history at a reshare (docs/security.md "Policy chain at a reshare"), by itself — every
// link re-checked as the holders checked it when they installed it, and each refusal names the
// link and what failed.
import { describe, expect, test } from '@jest/globals';
import {
  checkRevisionChain,
  createPolicyChangeApproval,
  createReshareApproval,
  checkApprovals,
  compilePolicy,
  policyHash,
  reshareApprovalStatement,
  type PolicyDocument,
  type RevisionLink,
} from '../../policies/index.ts';
import { approverKey } from './support/keys.ts';

const KEY = '0a1b2c3d-0000-4000-8000-000000000001';
const OPERATOR = approverKey('operator', 'ed25519');
const MALLORY = approverKey('mallory', 'ed25519');
const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;
const T0 = 1_800_000_000_000;
const HOUR = 3_600_000;

const policy = (pattern: string, delaySeconds = 0): PolicyDocument =>
  ({
    policyLanguage: 'tutti-signing-policy/1',
    keyBinding: { keySpec: 'ECC_NIST_EDWARDS25519' },
    defaultEffect: 'deny',
    approvers: [
      { id: 'operator', scheme: 'ed25519', publicKey: hex(OPERATOR.publicKey) },
      { id: 'mallory', scheme: 'ed25519', publicKey: hex(MALLORY.publicKey) },
    ],
    governance: {
      changeApprovals: { threshold: 1, approvers: ['operator'] },
      reshareApprovals: { threshold: 1, approvers: ['operator'] },
      ...(delaySeconds ? { activationDelaySeconds: delaySeconds } : {}),
    },
    rules: [{ id: 'text', effect: 'allow', conditions: { messageType: { in: ['RAW'] }, format: { kind: 'raw', utf8Pattern: pattern } } }],
  }) as PolicyDocument;

/** A chain of revisions accepted an hour apart, each approved by `approver` (the operator unless told). */
function chain(policies: PolicyDocument[], approver = OPERATOR): RevisionLink[] {
  const out: RevisionLink[] = [];
  policies.forEach((p, i) => {
    const acceptedAt = T0 + i * HOUR;
    const prev = out[i - 1];
    const previousHash = prev ? policyHash(prev.policy) : null;
    const approvals = prev
      ? [createPolicyChangeApproval(approver, { keyId: KEY, revision: i + 1, previousHash, policyHash: policyHash(p) }, acceptedAt + 60_000)]
      : [];
    const delay = (prev?.policy.governance.activationDelaySeconds ?? 0) * 1000;
    out.push({ revision: i + 1, previousHash, policy: p, approvals, acceptedAt, activatesAt: acceptedAt + delay });
  });
  return out;
}

const NOW = T0 + 10 * HOUR;
const THREE = chain([policy('^a'), policy('^b'), policy('^c')]);
const refused = (c: unknown, now = NOW) => {
  const r = checkRevisionChain(KEY, 'ECC_NIST_EDWARDS25519', c, now);
  if (r.ok) throw new Error('accepted');
  return { revision: r.revision, why: r.reasons.join('; ') };
};

describe('checkRevisionChain', () => {
  test('a chain of three revisions, each approved as its predecessor demands, is accepted; its head is revision 3', () => {
    const r = checkRevisionChain(KEY, 'ECC_NIST_EDWARDS25519', THREE, NOW);
    expect(r.ok && r.head).toEqual({ revision: 3, policyHash: policyHash(policy('^c')) });
    expect(r.ok && r.links.map((l) => l.approvedBy)).toEqual([[], ['operator'], ['operator']]);
    // Revision 1 alone (a key never revised) is a chain too.
    expect(checkRevisionChain(KEY, 'ECC_NIST_EDWARDS25519', THREE.slice(0, 1), NOW).ok).toBe(true);
  });

  test("tampered: a revision's policy changed after approval — refused, naming the revision", () => {
    const bad = structuredClone(THREE);
    bad[2]!.policy = policy('.*');
    expect(refused(bad)).toEqual({ revision: 3, why: expect.stringMatching(/0 of 1 required change approvals.*does not verify/) });
    // An earlier link swapped: the next one's previousHash no longer names it.
    const swapped = structuredClone(THREE);
    swapped[1]!.policy = policy('.*');
    expect(refused(swapped).revision).toBe(2);
  });

  test('tampered: approvals by someone the previous revision does not name, or none, are refused', () => {
    expect(refused(chain([policy('^a'), policy('.*')], MALLORY))).toEqual({
      revision: 2,
      why: expect.stringMatching(/mallory.*not one of this rule's approvers/),
    });
    const stripped = structuredClone(THREE);
    stripped[1]!.approvals = [];
    expect(refused(stripped)).toEqual({ revision: 2, why: expect.stringMatching(/0 of 1 required change approvals/) });
  });

  test('reordered, spliced or not starting at revision 1: refused, naming the link', () => {
    expect(refused([THREE[0], THREE[2], THREE[1]])).toEqual({ revision: 2, why: expect.stringMatching(/link 2 is revision 3.*in order/) });
    expect(refused([THREE[0], THREE[2]])).toEqual({ revision: 2, why: expect.stringMatching(/link 2 is revision 3/) });
    expect(refused(THREE.slice(1))).toEqual({ revision: 1, why: expect.stringMatching(/link 1 is revision 2/) });
    // A second revision 1 (previousHash set) is not the key's first policy.
    expect(refused([{ ...THREE[0]!, previousHash: policyHash(policy('^z')) }])).toEqual({ revision: 1, why: expect.stringMatching(/previousHash null/) });
  });

  test('times: accepted in the future, before the previous revision took effect, or an activation the delay does not give: refused', () => {
    expect(refused(THREE, T0 + HOUR).why).toMatch(/revision 3 was accepted at .* in the future/);
    const delayed = chain([policy('^a', 7200), policy('^b'), policy('^c')]);
    // Revision 1 sets a two-hour delay: revision 2 takes effect two hours after its acceptance, and
    // revision 3, accepted an hour after revision 2, came too early (holders refuse that).
    expect(refused(delayed)).toEqual({ revision: 3, why: expect.stringMatching(/accepted before revision 2 took effect/) });
    const moved = structuredClone(THREE);
    moved[2]!.activatesAt -= 1000;
    expect(refused(moved).why).toMatch(/revision 3 takes effect at .* give/);
  });

  test('a newest revision not in force yet is refused (a reshare onto new parties waits for it)', () => {
    const pending = chain([policy('^a', 7200)]);
    pending.push({ ...chain([policy('^a', 7200), policy('^b')])[1]!, acceptedAt: T0 + 3 * HOUR, activatesAt: T0 + 5 * HOUR });
    // The approval was made for an acceptance an hour in: re-sign it for the time it was accepted.
    pending[1]!.approvals = [
      createPolicyChangeApproval(
        OPERATOR,
        { keyId: KEY, revision: 2, previousHash: policyHash(policy('^a', 7200)), policyHash: policyHash(policy('^b')) },
        T0 + 3 * HOUR + 60_000,
      ),
    ];
    expect(checkRevisionChain(KEY, 'ECC_NIST_EDWARDS25519', pending, T0 + 6 * HOUR).ok).toBe(true);
    expect(refused(pending, T0 + 4 * HOUR)).toEqual({ revision: 2, why: expect.stringMatching(/takes effect at .* in force/) });
  });

  test('not a chain at all, another key, another key spec', () => {
    expect(refused([]).why).toMatch(/non-empty list/);
    expect(refused('x').why).toMatch(/non-empty list/);
    expect(checkRevisionChain('0a1b2c3d-0000-4000-8000-000000000002', 'ECC_NIST_EDWARDS25519', THREE, NOW).ok).toBe(false);
    expect(checkRevisionChain(KEY, 'ECC_SECG_P256K1', THREE, NOW).ok).toBe(false);
  });
});

describe('reshare approvals (governance.reshareApprovals)', () => {
  const compiled = compilePolicy(policy('^a'));
  const move = {
    keyId: KEY,
    policyHash: compiled.hash,
    fromThreshold: 2,
    fromParties: ['party-1', 'party-2', 'party-3'],
    threshold: 2,
    parties: ['party-1', 'party-4'],
  };
  const check = (tokens: string[], subject = move) =>
    checkApprovals(
      tokens,
      compiled.document.governance.reshareApprovals!,
      compiled.approvers,
      { kind: 'change', statement: (e) => reshareApprovalStatement(subject, e) },
      T0,
    );

  test('an approval counts only for the move it names: not for another set, another starting quorum, another revision; a policy-change approval is not one', () => {
    const token = createReshareApproval(OPERATOR, move, T0 + 60_000);
    expect(check([token]).ok).toBe(true);
    expect(check([token], { ...move, parties: ['party-1', 'party-5'] }).ok).toBe(false);
    expect(check([token], { ...move, fromParties: ['party-1', 'party-4'] }).ok).toBe(false);
    expect(check([token], { ...move, policyHash: policyHash(policy('^b')) }).ok).toBe(false);
    const change = createPolicyChangeApproval(
      OPERATOR,
      { keyId: KEY, revision: 2, previousHash: compiled.hash, policyHash: policyHash(policy('^b')) },
      T0 + 60_000,
    );
    expect(check([change]).ok).toBe(false);
    expect(check([createReshareApproval(MALLORY, move, T0 + 60_000)]).problems.join()).toMatch(/not one of this rule's approvers/);
  });
});
