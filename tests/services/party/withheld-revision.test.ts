// E2 of the trust review (docs/security.md "Policy revisions"): a hostile coordinator delivers an
// approved tightening of a key's signing policy to one party only. Before the fix, signer sets
// mixing that party with parties still on the old revision signed happily; now every signer binds
// the revision it enforces into its first protocol message, so they cannot finish together. Real
// parties and SQLite stores, the real SessionRunner; the test plays the coordinator. Every
// signature is checked by node:crypto.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createPublicKey, verify } from 'node:crypto';
import { createPolicyChangeApproval, policyHash } from '../../../policies/index.ts';
import { approverKey } from '../../policies/support/keys.ts';
import { SessionFailed } from '../../../services/coordinator/session-runner.ts';
import type { DkgResult, PolicyRevisionResult, SignResult } from '../../../services/control/messages.ts';
import { verifyRevisionAck } from '../../../services/control/revision-ack.ts';
import { makePartyCluster, type PartyCluster } from '../../support/party-cluster.ts';

const KEY = '3a0e0d0c-0b0a-4908-8706-050403020100';
const GOV = approverKey('operator', 'ed25519');
const policy = (pattern: string) => ({
  policyLanguage: 'tutti-signing-policy/1',
  keyBinding: { keySpec: 'ECC_NIST_EDWARDS25519' },
  defaultEffect: 'deny',
  approvers: [{ id: 'operator', scheme: 'ed25519', publicKey: `0x${Buffer.from(GOV.publicKey).toString('hex')}` }],
  governance: { changeApprovals: { threshold: 1, approvers: ['operator'] } },
  rules: [
    {
      id: 'greetings',
      effect: 'allow',
      conditions: { signingAlgorithm: { in: ['ED25519_SHA_512'] }, messageType: { in: ['RAW'] }, format: { kind: 'raw', utf8Pattern: pattern } },
    },
  ],
});
const P1 = policy('hello [a-z]+');
const P2 = policy('hello alice');

describe('E2: a policy revision withheld from some parties', () => {
  let c: PartyCluster;
  let spki: ReturnType<typeof createPublicKey>;
  /** The newest signed acknowledgement each party sent (what the gateway keeps for the owner). */
  const acks = new Map<string, { revision: number; policyHash: string; signature: string }>();

  const deliver = async (parties: number[]) => {
    const record = { revision: 2, previousHash: policyHash(P1), policy: P2 };
    const approval = createPolicyChangeApproval(
      GOV,
      { keyId: KEY, revision: 2, previousHash: policyHash(P1), policyHash: policyHash(P2) },
      Date.now() + 3_600_000,
    );
    return c.runner.ask('frost-ed25519/policy', new Map(parties.map((i) => [i, c.ids[i - 1]!])), (session) => ({
      type: 'open',
      kind: 'policy',
      session,
      keyId: KEY,
      revision: record as never,
      approvals: [approval],
    }));
  };

  /** Signs `text` with `signers` (two rounds); the signature, or the failure. */
  const sign = async (signers: number[], text: string): Promise<{ signature: Buffer } | { failure: SessionFailed }> => {
    try {
      const o = await c.runner.run('frost-ed25519/sign', new Map(signers.map((i) => [i, c.ids[i - 1]!])), (session) => ({
        type: 'open',
        kind: 'sign',
        session,
        keyId: KEY,
        signers,
        request: {
          message: Buffer.from(text).toString('base64'),
          messageType: 'RAW',
          signingAlgorithm: 'ED25519_SHA_512',
          caller: { accessKeyId: 'AKIAX', principal: 'arn:aws:iam::111122223333:user/m' },
        },
      }));
      return { signature: Buffer.from((o.get(signers[0]!) as SignResult).signature, 'base64') };
    } catch (e) {
      if (e instanceof SessionFailed) return { failure: e };
      throw e;
    }
  };

  beforeAll(async () => {
    c = makePartyCluster(3);
    const out = await c.runner.run('frost-ed25519/dkg', new Map(c.ids.map((p, i) => [i + 1, p])), (session) => ({
      type: 'open',
      kind: 'dkg',
      session,
      keyId: KEY,
      keySpec: 'ECC_NIST_EDWARDS25519',
      protocol: 'frost-ed25519',
      threshold: 2,
      parties: c.ids,
      policy: P1,
    }));
    for (const [i, r] of out) acks.set(c.ids[i - 1]!, { revision: 1, policyHash: (r as DkgResult).policyHash, signature: (r as DkgResult).acknowledgement! });
    const pk = Buffer.from((out.get(1) as DkgResult).publicKey, 'hex');
    spki = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), pk]), format: 'der', type: 'spki' });
    const answers = await deliver([1]);
    const installed = (answers.get(1) as { ok: true; output: PolicyRevisionResult }).output;
    expect(installed.revision).toBe(2);
    acks.set('party-1', { revision: 2, policyHash: installed.policyHash, signature: installed.acknowledgement! });
  });
  afterAll(() => c.close());

  test('a signer set mixing revisions 1 and 2 aborts before any share, even for a message both allow', async () => {
    for (const signers of [
      [1, 2],
      [1, 3],
    ]) {
      const r = await sign(signers, 'hello alice');
      expect('failure' in r).toBe(true);
      const { failure } = r as { failure: SessionFailed };
      expect(failure.failure.kind).toBe('bad-parameters');
      expect(failure.message).toMatch(/enforces another signing-policy revision/);
    }
  });

  test('the owner sees the split: each party signed the revision it holds, and only party-1 signed revision 2', () => {
    for (const [i, id] of c.ids.entries()) {
      const a = acks.get(id)!;
      expect(verifyRevisionAck(c.allowlist[i]!.signPublic, { keyId: KEY, revision: a.revision, policyHash: a.policyHash }, a.signature)).toBe(true);
      expect([a.revision, a.policyHash]).toEqual(id === 'party-1' ? [2, policyHash(P2)] : [1, policyHash(P1)]);
    }
  });

  test('a message the withheld revision forbids is never signed by a set with the updated party', async () => {
    for (const signers of [
      [1, 2],
      [1, 3],
    ]) {
      const r = await sign(signers, 'hello mallory');
      expect('signature' in r).toBe(false);
    }
  });

  test('once every party installed revision 2, every set enforces it', async () => {
    await deliver([2, 3]);
    for (const signers of [
      [1, 2],
      [1, 3],
      [2, 3],
    ]) {
      const ok = await sign(signers, 'hello alice');
      expect('signature' in ok && verify(null, Buffer.from('hello alice'), spki, ok.signature)).toBe(true);
      const refused = await sign(signers, 'hello mallory');
      expect('failure' in refused && refused.failure.failure.kind).toBe('policy');
    }
  });
});
