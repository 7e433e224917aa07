// Signing with a derived child key on real parties (services/party/derived-key.ts): the test plays
// the coordinator, honest or not. Each party derives the tweak itself from the parent's public key
// and the chain code it stored at the DKG (SHA-256 of a label and the DKG transcript hash, which the
// test recomputes from the DKG's output), checks the path against the parent's signing policy
// (derivation.allowedPaths) and signs under the child key; a coordinator that asks for a path the
// policy refuses, a hardened path, or shows the signers different paths gets no signature.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createPublicKey, verify } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { approverKey } from '../../policies/support/keys.ts';
import type { PolicyDocument } from '../../../policies/index.ts';
import { deriveChild } from '../../../protocols/core/hd-derivation.ts';
import { SessionFailed } from '../../../services/coordinator/session-runner.ts';
import type { DkgResult, OpenSign, SignResult } from '../../../services/control/messages.ts';
import { makePartyCluster, type PartyCluster } from '../../support/party-cluster.ts';
import { derivedSigning } from '../../../services/party/derived-key.ts';
import type { KeyMeta } from '../../../services/party/party-options.ts';

const GOV = approverKey('operator', 'ed25519');
const POLICY = {
  policyLanguage: 'tutti-signing-policy/1',
  keyBinding: { keySpec: 'ECC_NIST_EDWARDS25519' },
  defaultEffect: 'deny',
  approvers: [{ id: 'operator', scheme: 'ed25519', publicKey: `0x${Buffer.from(GOV.publicKey).toString('hex')}` }],
  governance: { changeApprovals: { threshold: 1, approvers: ['operator'] } },
  derivation: { allowedPaths: ['m/0/*'] },
  rules: [{ id: 'raw', effect: 'allow', conditions: { messageType: { in: ['RAW'] }, signingAlgorithm: { in: ['ED25519_SHA_512'] } } }],
} as PolicyDocument;
const KEY = '4d1e0c2b-8f7a-4e6d-9c5b-3a2918070605';
const CHILD = '5e2f1d3c-9a8b-4f7e-8d6c-4b3a29180706';
const spki = (pk: Uint8Array) => createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), pk]), format: 'der', type: 'spki' });

let c: PartyCluster;
let parent: Uint8Array;
let chainCode: Uint8Array;

async function sign(m: Buffer, derive: (index: number) => OpenSign['derive'], extra: Partial<OpenSign> = {}): Promise<Buffer | SessionFailed> {
  try {
    const o = await c.runner.run('frost-ed25519/sign', new Map([1, 2].map((i) => [i, c.ids[i - 1]!])), (session, index) => {
      const d = derive(index);
      return {
        type: 'open',
        kind: 'sign',
        session,
        keyId: KEY,
        signers: [1, 2],
        request: {
          message: m.toString('base64'),
          messageType: 'RAW',
          signingAlgorithm: 'ED25519_SHA_512',
          caller: { accessKeyId: 'AKIAX', principal: 'arn:aws:iam::111122223333:user/m' },
        },
        ...(d ? { derive: d } : {}),
        ...extra,
      };
    });
    return Buffer.from((o.get(1) as SignResult).signature, 'base64');
  } catch (e) {
    if (e instanceof SessionFailed) return e;
    throw e;
  }
}

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
    policy: POLICY,
  }));
  const r = out.get(1) as DkgResult;
  parent = Buffer.from(r.publicKey, 'hex');
  chainCode = sha256(Buffer.concat([Buffer.from('tutti/hd/chain-code/v1'), Buffer.from(r.transcriptHash, 'hex')]));
});

afterAll(() => c?.close());

describe('a derived Ed25519 key on real parties', () => {
  test('an allowed path: the signature verifies under the child key, not the parent; the parent still signs', async () => {
    const child = deriveChild('ed25519', parent, chainCode, 'm/0/5').publicKey;
    const m = Buffer.from('from the child');
    const sig = await sign(m, () => ({ keyId: CHILD, path: 'm/0/5' }));
    expect(sig).toBeInstanceOf(Buffer);
    expect(verify(null, m, spki(child), sig as Buffer)).toBe(true);
    expect(verify(null, m, spki(parent), sig as Buffer)).toBe(false);
    const own = await sign(m, () => undefined);
    expect(verify(null, m, spki(parent), own as Buffer)).toBe(true);
  });

  test('a path the parent signing policy does not allow: every signer refuses (policy)', async () => {
    const r = await sign(Buffer.from('x'), () => ({ keyId: CHILD, path: 'm/1/5' }));
    expect(r).toBeInstanceOf(SessionFailed);
    expect((r as SessionFailed).failure.kind).toBe('policy');
    expect((r as SessionFailed).failure.message).toMatch(/derivation|allowedPaths/);
  });

  test('a hardened path, or pre-made rounds with a child: refused before the policy', async () => {
    const hardened = await sign(Buffer.from('x'), () => ({ keyId: CHILD, path: "m/0'/5" }));
    expect((hardened as SessionFailed).failure.message).toMatch(/hardened/);
    const premake = await sign(Buffer.from('x'), () => ({ keyId: CHILD, path: 'm/0/5' }), { premake: 2 });
    expect((premake as SessionFailed).failure.message).toMatch(/two rounds/);
  });

  test('a coordinator showing the signers different paths gets no signature', async () => {
    const r = await sign(Buffer.from('split'), (index) => ({ keyId: CHILD, path: index === 1 ? 'm/0/5' : 'm/0/6' }));
    expect(r).toBeInstanceOf(SessionFailed);
    expect((r as SessionFailed).failure.kind).toBe('bad-parameters');
  });

  test('a key whose record has no chain code (made before HD derivation) is never derived from', () => {
    const meta = { keySpec: 'ECC_NIST_EDWARDS25519', protocol: 'frost-ed25519', suite: 'ed25519', publicKey: Buffer.from(parent).toString('hex') } as KeyMeta;
    const open = { keyId: KEY, derive: { keyId: CHILD, path: 'm/0/5' } } as OpenSign;
    expect(() => derivedSigning(open, meta, {})).toThrow(/created before HD derivation/);
    expect(() => derivedSigning(open, { ...meta, protocol: 'frost-ed448', suite: 'ed448', chainCode: '00'.repeat(32) }, {})).toThrow(/no HD derivation/);
  });
});
