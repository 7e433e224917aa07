// E7 of the trust review (docs/policies.md "State kept per party"): a `sequence` rule is enforced by
// each party on its own high-water mark, so it holds only when any two signer sets share a party.
// Before the fix a 2-of-4 key with such a rule signed sequence 7 twice, with different messages,
// through the disjoint sets {1,2} and {3,4}; now every party refuses the policy for a key whose
// signer sets can be disjoint (2t ≤ n), at key generation and at each revision. Where sets must
// overlap, the same sequence is never signed twice, and a revision renaming the rule keeps its
// state. Real parties and SQLite stores, the real SessionRunner; the test plays the coordinator.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createPublicKey, verify } from 'node:crypto';
import { createPolicyChangeApproval, policyHash, type PolicyDocument } from '../../../policies/index.ts';
import { approverKey } from '../../policies/support/keys.ts';
import { SessionFailed } from '../../../services/coordinator/session-runner.ts';
import type { DkgResult, SignResult } from '../../../services/control/messages.ts';
import { makePartyCluster, type PartyCluster } from '../../support/party-cluster.ts';

const GOV = approverKey('operator', 'ed25519');
const policy = (ruleId: string, sequence: boolean): PolicyDocument =>
  ({
    policyLanguage: 'tutti-signing-policy/1',
    keyBinding: { keySpec: 'ECC_NIST_EDWARDS25519' },
    defaultEffect: 'deny',
    approvers: [{ id: 'operator', scheme: 'ed25519', publicKey: `0x${Buffer.from(GOV.publicKey).toString('hex')}` }],
    governance: { changeApprovals: { threshold: 1, approvers: ['operator'] } },
    rules: [
      {
        id: ruleId,
        effect: 'allow',
        conditions: {
          messageType: { in: ['RAW'] },
          format: {
            kind: 'raw',
            layout: [{ offset: 0, length: 1, equalsHex: '0x56' }],
            ...(sequence ? { sequence: { offset: 1, length: 4, mode: 'strictlyIncreasing' } } : {}),
          },
        },
      },
    ],
  }) as PolicyDocument;
const VOTES = policy('votes', true);
const msg = (seq: number, payload: string) => Buffer.concat([Buffer.from([0x56, 0, 0, 0, seq]), Buffer.from(payload)]);

async function dkg(c: PartyCluster, keyId: string, t: number, doc: PolicyDocument): Promise<ReturnType<typeof createPublicKey>> {
  const out = await c.runner.run('frost-ed25519/dkg', new Map(c.ids.map((p, i) => [i + 1, p])), (session) => ({
    type: 'open',
    kind: 'dkg',
    session,
    keyId,
    keySpec: 'ECC_NIST_EDWARDS25519',
    protocol: 'frost-ed25519',
    threshold: t,
    parties: c.ids,
    policy: doc,
  }));
  const pk = Buffer.from((out.get(1) as DkgResult).publicKey, 'hex');
  return createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), pk]), format: 'der', type: 'spki' });
}

async function sign(c: PartyCluster, keyId: string, signers: number[], m: Buffer): Promise<Buffer | SessionFailed> {
  try {
    const o = await c.runner.run('frost-ed25519/sign', new Map(signers.map((i) => [i, c.ids[i - 1]!])), (session) => ({
      type: 'open',
      kind: 'sign',
      session,
      keyId,
      signers,
      request: {
        message: m.toString('base64'),
        messageType: 'RAW',
        signingAlgorithm: 'ED25519_SHA_512',
        caller: { accessKeyId: 'AKIAX', principal: 'arn:aws:iam::111122223333:user/m' },
      },
    }));
    return Buffer.from((o.get(signers[0]!) as SignResult).signature, 'base64');
  } catch (e) {
    if (e instanceof SessionFailed) return e;
    throw e;
  }
}

async function revise(c: PartyCluster, keyId: string, from: PolicyDocument, to: PolicyDocument) {
  const record = { revision: 2, previousHash: policyHash(from), policy: to };
  const approval = createPolicyChangeApproval(GOV, { keyId, revision: 2, previousHash: policyHash(from), policyHash: policyHash(to) }, Date.now() + 3_600_000);
  return c.runner.ask('frost-ed25519/policy', new Map(c.ids.map((p, i) => [i + 1, p])), (session) => ({
    type: 'open',
    kind: 'policy',
    session,
    keyId,
    revision: record as never,
    approvals: [approval],
  }));
}

describe('E7: sequence anti-equivocation across signer sets', () => {
  describe('2-of-4: two signer sets can be disjoint', () => {
    let c: PartyCluster;
    beforeAll(() => {
      c = makePartyCluster(4);
    });
    afterAll(() => c.close());

    test('every party refuses a key generation whose policy has a sequence rule: no key, nothing to equivocate with', async () => {
      const keyId = '8a0e0d0c-0b0a-4908-8706-050403020100';
      const err = await dkg(c, keyId, 2, VOTES).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SessionFailed);
      expect((err as SessionFailed).failure.kind).toBe('policy');
      expect((err as SessionFailed).message).toMatch(/SIGNER_OVERLAP.*'votes'.*2t > n.*threshold 2 of 4/);
      // No party holds a share of it, so no set can sign sequence 7 at all.
      const r = await sign(c, keyId, [3, 4], msg(7, 'block B'));
      expect(r).toBeInstanceOf(SessionFailed);
      expect((r as SessionFailed).failure.kind).toBe('unknown-key');
    });

    test('a revision adding a sequence rule to such a key is refused by every party', async () => {
      const keyId = '8b0e0d0c-0b0a-4908-8706-050403020100';
      const plain = policy('votes', false);
      const spki = await dkg(c, keyId, 2, plain);
      const answers = await revise(c, keyId, plain, VOTES);
      for (const a of answers.values()) expect(a).toMatchObject({ ok: false, kind: 'policy', message: expect.stringMatching(/SIGNER_OVERLAP/) });
      // The key keeps signing under revision 1.
      const sig = await sign(c, keyId, [1, 2], msg(7, 'block A'));
      expect(sig instanceof Buffer && verify(null, msg(7, 'block A'), spki, sig)).toBe(true);
    });
  });

  describe('2-of-3: every two signer sets share a party', () => {
    let c: PartyCluster;
    let spki: ReturnType<typeof createPublicKey>;
    const keyId = '8c0e0d0c-0b0a-4908-8706-050403020100';
    beforeAll(async () => {
      c = makePartyCluster(3);
      spki = await dkg(c, keyId, 2, VOTES);
    });
    afterAll(() => c.close());

    test('a sequence signed by one set is refused by every other set, with any message', async () => {
      const first = await sign(c, keyId, [1, 2], msg(7, 'block A'));
      expect(first instanceof Buffer && verify(null, msg(7, 'block A'), spki, first)).toBe(true);
      for (const signers of [
        [1, 3],
        [2, 3],
        [1, 2],
      ]) {
        const r = await sign(c, keyId, signers, msg(7, 'block B'));
        expect(r).toBeInstanceOf(SessionFailed);
        expect((r as SessionFailed).message).toMatch(/SEQUENCE_VIOLATION/);
      }
    });

    test('a revision that renames the rule keeps its high-water mark', async () => {
      const renamed = policy('ballots', true);
      const answers = await revise(c, keyId, VOTES, renamed);
      for (const a of answers.values()) expect(a.ok).toBe(true);
      for (const signers of [
        [1, 3],
        [2, 3],
      ]) {
        const r = await sign(c, keyId, signers, msg(7, 'block C'));
        expect(r).toBeInstanceOf(SessionFailed);
        expect((r as SessionFailed).message).toMatch(/SEQUENCE_VIOLATION.*'ballots'|'ballots'.*SEQUENCE_VIOLATION/);
      }
      const next = await sign(c, keyId, [2, 3], msg(8, 'block C'));
      expect(next instanceof Buffer && verify(null, msg(8, 'block C'), spki, next)).toBe(true);
    });

    test('a revision that renames a rule keeps its rate-limit budget too', async () => {
      const limited = (ruleId: string) =>
        ({ ...policy(ruleId, false), rules: [{ ...policy(ruleId, false).rules[0]!, rateLimits: [{ count: 1, windowSeconds: 3600 }] }] }) as PolicyDocument;
      const id = '8d0e0d0c-0b0a-4908-8706-050403020100';
      const pk = await dkg(c, id, 2, limited('payments'));
      const first = await sign(c, id, [1, 2], msg(1, 'pay'));
      expect(first instanceof Buffer && verify(null, msg(1, 'pay'), pk, first)).toBe(true);
      for (const a of (await revise(c, id, limited('payments'), limited('transfers'))).values()) expect(a.ok).toBe(true);
      // Parties 1 and 2 spent their one signature an hour under 'payments': still spent under 'transfers'.
      for (const signers of [
        [1, 2],
        [1, 3],
        [2, 3],
      ]) {
        const r = await sign(c, id, signers, msg(2, 'pay again'));
        expect(r).toBeInstanceOf(SessionFailed);
        expect((r as SessionFailed).message).toMatch(/rule 'transfers', RATE_LIMITED/);
      }
    });
  });
});
