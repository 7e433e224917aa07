import { describe, expect, test } from '@jest/globals';
import { checkDkgRequest, checkSignRequest, RequestRefused } from '../../../services/party/request-check.ts';
import { generateIdentity, publicIdentity } from '../../../services/transport/identity.ts';
import type { OpenDkg, OpenSign } from '../../../services/control/messages.ts';

const ids = ['party-1', 'party-2', 'party-3'].map((id) => publicIdentity(generateIdentity(id)));
const allowlist = new Map(ids.map((p) => [p.partyId, p]));
const dkg = (over: Partial<OpenDkg> = {}): OpenDkg => ({
  type: 'open',
  kind: 'dkg',
  session: 'ab'.repeat(32),
  keyId: '0f0e0d0c-0b0a-4908-8706-050403020100',
  keySpec: 'ECC_NIST_EDWARDS25519',
  protocol: 'frost-ed25519',
  threshold: 2,
  parties: ['party-1', 'party-2', 'party-3'],
  policy: {},
  ...over,
});
const sign = (over: Partial<OpenSign['request']> = {}, signers = [1, 2]): OpenSign => ({
  type: 'open',
  kind: 'sign',
  session: 'cd'.repeat(32),
  keyId: '0f0e0d0c-0b0a-4908-8706-050403020100',
  signers,
  request: {
    message: Buffer.from('hi').toString('base64'),
    messageType: 'RAW',
    signingAlgorithm: 'ED25519_SHA_512',
    caller: { accessKeyId: 'AK', principal: 'p' },
    ...over,
  },
});
const meta = { protocol: 'frost-ed25519', threshold: 2, n: 3 };

function refusal(fn: () => unknown): RequestRefused {
  try {
    fn();
  } catch (err) {
    if (err instanceof RequestRefused) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('what a party checks itself before a DKG', () => {
  test('accepts a sane request and finds its own index', () => {
    const r = checkDkgRequest(dkg(), 'party-2', allowlist);
    expect(r.self).toBe(2);
    expect(r.suite).toBe('ed25519');
    expect(r.parties.map((p) => p.partyId)).toEqual(['party-1', 'party-2', 'party-3']);
  });
  test.each([
    ['a party off the allowlist', dkg({ parties: ['party-1', 'party-2', 'mallory'] }), /not on the allowlist/],
    ['a duplicate party', dkg({ parties: ['party-1', 'party-2', 'party-2'] }), /duplicates/],
    ['threshold 1', dkg({ threshold: 1 }), /outside 2 <= t <= n/],
    ['threshold above n', dkg({ threshold: 4 }), /outside 2 <= t <= n/],
    ['an unknown protocol', dkg({ protocol: 'gg18-secp256k1' }), /unsupported protocol/],
    ['a key spec another protocol makes', dkg({ protocol: 'dkls23-secp256k1' }), /key spec 'ECC_NIST_EDWARDS25519' is not made by dkls23-secp256k1/],
    ['a key spec the protocol does not make', dkg({ keySpec: 'ECC_NIST_EDWARDS448' }), /not made by frost-ed25519/],
    ['a malformed key id', dkg({ keyId: '../../etc' }), /malformed key id/],
  ])('refuses %s', (_name, req, why) => {
    expect(refusal(() => checkDkgRequest(req, 'party-1', allowlist)).message).toMatch(why);
  });
  test('a DKLs23 key generation: family dkls23, the curve as its suite', () => {
    for (const [protocol, keySpec, suite] of [
      ['dkls23-secp256k1', 'ECC_SECG_P256K1', 'secp256k1'],
      ['dkls23-p256', 'ECC_NIST_P256', 'p256'],
    ]) {
      expect(checkDkgRequest(dkg({ protocol, keySpec }), 'party-3', allowlist)).toMatchObject({ self: 3, family: 'dkls23', suite });
    }
    expect(refusal(() => checkDkgRequest(dkg({ protocol: 'dkls23-p256', keySpec: 'ECC_SECG_P256K1' }), 'party-1', allowlist)).message).toMatch(
      /not made by dkls23-p256/,
    );
  });
  test('refuses a DKG it is not part of', () => {
    expect(refusal(() => checkDkgRequest(dkg({ parties: ['party-1', 'party-3'] }), 'party-2', allowlist)).message).toMatch(/not among/);
  });
});

describe('what a party checks itself before signing', () => {
  test('returns the request as the policy engine reads it', () => {
    const r = checkSignRequest(sign({ grantTokens: ['tutti-approval:v1:x:1:AA'] }), meta, 1);
    expect(Buffer.from(r.message).toString()).toBe('hi');
    expect(r).toMatchObject({
      messageType: 'RAW',
      signingAlgorithm: 'ED25519_SHA_512',
      caller: { accessKeyId: 'AK', principal: 'p' },
      grantTokens: ['tutti-approval:v1:x:1:AA'],
    });
  });
  test('leaves message type and size to the signing policy', () => {
    // A DIGEST for pure EdDSA and messages over AWS's 4096 bytes are the policy engine's to refuse (and log).
    expect(checkSignRequest(sign({ messageType: 'DIGEST' }), meta, 1).messageType).toBe('DIGEST');
    expect(checkSignRequest(sign({ message: Buffer.alloc(5000).toString('base64') }), meta, 1).message).toHaveLength(5000);
  });
  test.each([
    ['too few signers', sign({}, [1]), 'bad-parameters'],
    ['unsorted signers', sign({}, [2, 1]), 'bad-parameters'],
    ['a signer index out of range', sign({}, [1, 4]), 'bad-parameters'],
    ['an algorithm the protocol cannot compute', sign({ signingAlgorithm: 'ECDSA_SHA_256' }), 'policy'],
    ['non-canonical base64', sign({ message: 'aGk' }), 'bad-parameters'],
    ['a message over the 1 MiB sanity bound', sign({ message: Buffer.alloc(1024 * 1024 + 1).toString('base64') }), 'bad-parameters'],
    ['a malformed caller', sign({ caller: { accessKeyId: 1 } as never }), 'bad-parameters'],
    ['eleven grant tokens', sign({ grantTokens: Array(11).fill('t') }), 'bad-parameters'],
  ])('refuses %s', (_name, req, kind) => {
    expect(refusal(() => checkSignRequest(req, meta, 1)).kind).toBe(kind);
  });
  test('ECDSA keys: their algorithms, and no other', () => {
    const k1 = { protocol: 'dkls23-secp256k1', threshold: 2, n: 3 };
    const p256 = { protocol: 'dkls23-p256', threshold: 2, n: 3 };
    for (const alg of ['ECDSA_SHA_256', 'ECDSA_KECCAK_256']) expect(checkSignRequest(sign({ signingAlgorithm: alg }), k1, 1).signingAlgorithm).toBe(alg);
    expect(checkSignRequest(sign({ signingAlgorithm: 'ECDSA_SHA_256', messageType: 'DIGEST' }), p256, 1).messageType).toBe('DIGEST');
    expect(refusal(() => checkSignRequest(sign({ signingAlgorithm: 'ECDSA_KECCAK_256' }), p256, 1)).kind).toBe('policy');
    expect(refusal(() => checkSignRequest(sign({ signingAlgorithm: 'ED25519_SHA_512' }), k1, 1)).kind).toBe('policy');
  });
  test('refuses when it is not among the signers', () => {
    expect(refusal(() => checkSignRequest(sign({}, [2, 3]), meta, 1)).message).toMatch(/not among the signers/);
  });
});
