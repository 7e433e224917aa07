// Policy-checked DIGEST: the preimage in GrantTokens (policies/preimage.ts), the party's reading of
// it (services/party/preimage-request.ts) and the client helper (services/client/preimage.ts).
import { describe, expect, test } from '@jest/globals';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hashTypedData, hexToBytes, serializeTransaction } from 'viem';
import { PreimageBook, eip191Preimage, typedDataPreimage } from '../../../services/client/preimage.ts';
import { PREIMAGE_PREFIX, preimageGrantTokens, readPreimage } from '../../../policies/preimage.ts';
import { applyPreimage } from '../../../services/party/preimage-request.ts';
import { RequestRefused, type CheckedSignRequest } from '../../../services/party/request-check.ts';

const K1 = ['ECDSA_SHA_256', 'ECDSA_KECCAK_256'];
const tx = hexToBytes(
  serializeTransaction({
    type: 'eip1559',
    chainId: 1,
    nonce: 0,
    to: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8',
    value: 1n,
    gas: 21000n,
    maxFeePerGas: 2n,
    maxPriorityFeePerGas: 1n,
  }),
);
const digestRequest = (message: Uint8Array, grantTokens: string[], signingAlgorithm = 'ECDSA_SHA_256'): CheckedSignRequest => ({
  message,
  messageType: 'DIGEST',
  signingAlgorithm,
  caller: { accessKeyId: 'AK', principal: 'p' },
  grantTokens,
});

describe('preimage grant tokens', () => {
  test('round trip, in as few tokens of at most 8192 characters as fit, in any order', () => {
    for (const size of [1, 2, 3, 100, 6000, 6200, 40_000]) {
      const preimage = Uint8Array.from({ length: size }, (_, i) => (i * 7) % 256);
      const tokens = preimageGrantTokens(preimage, 'sha256');
      expect(tokens.every((t) => t.length <= 8192 && t.startsWith(PREIMAGE_PREFIX))).toBe(true);
      expect(tokens.length).toBe(Math.max(1, Math.ceil(Math.ceil((size * 4) / 3) / (8192 - 32))));
      expect(readPreimage(['a grant', ...tokens.reverse()])).toEqual({ hash: 'sha256', algorithm: 'ECDSA_SHA_256', preimage });
    }
    expect(() => preimageGrantTokens(new Uint8Array(70_000), 'keccak256')).toThrow(/needs 12 grant tokens/);
    expect(readPreimage(['tutti-approval:v1:x'])).toBeNull();
  });

  test.each([
    ['bad syntax', ['tutti-preimage:v1:sha3:1/1:AA']],
    ['missing chunk', ['tutti-preimage:v1:sha256:1/2:AA']],
    ['repeated chunk', ['tutti-preimage:v1:sha256:1/2:AA', 'tutti-preimage:v1:sha256:1/2:AA']],
    ['mixed hashes', ['tutti-preimage:v1:sha256:1/2:AA', 'tutti-preimage:v1:keccak256:2/2:AA']],
    ['non-canonical base64url', ['tutti-preimage:v1:sha256:1/1:AB']],
    ['padding', ['tutti-preimage:v1:sha256:1/1:AA==']],
  ])('%s is an error, not "no preimage"', (_what, tokens) => {
    expect(readPreimage(tokens)).toBeInstanceOf(Error);
  });
});

describe('the party reads a DIGEST with its preimage as the RAW preimage', () => {
  test('an EIP-1559 transaction under ECDSA_SHA_256 DIGEST (what the Ethereum KMS signers send) becomes RAW ECDSA_KECCAK_256', () => {
    const book = new PreimageBook();
    const digest = book.add(tx);
    expect(digest).toEqual(keccak_256(tx));
    const out = applyPreimage(digestRequest(digest, ['tutti-approval:v1:a', ...book.tokensFor(digest)!]), K1);
    expect(out).toMatchObject({ messageType: 'RAW', signingAlgorithm: 'ECDSA_KECCAK_256', message: tx, grantTokens: ['tutti-approval:v1:a'] });
  });

  test('EIP-712: the typed data whose EIP-712 hash is the digest; EIP-191 and sha256 preimages', () => {
    const typed = {
      domain: { name: 'Ether Mail', version: '1', chainId: 1n, verifyingContract: '0xcccccccccccccccccccccccccccccccccccccccc' as const },
      types: {
        Person: [
          { name: 'name', type: 'string' },
          { name: 'wallet', type: 'address' },
        ],
        Mail: [
          { name: 'from', type: 'Person' },
          { name: 'contents', type: 'string' },
        ],
      },
      primaryType: 'Mail' as const,
      message: { from: { name: 'Cow', wallet: '0xcd2a3d9f938e13cd947ec05abc7fe734df8dd826' as const }, contents: 'Hello' },
    };
    const book = new PreimageBook();
    const json = typedDataPreimage(typed);
    expect(Buffer.from(book.add(json)).toString('hex')).toBe(hashTypedData(typed).slice(2));
    const personal = eip191Preimage('hello');
    expect(applyPreimage(digestRequest(keccak_256(personal), preimageGrantTokens(personal, 'keccak256')), K1)).toMatchObject({
      signingAlgorithm: 'ECDSA_KECCAK_256',
      message: personal,
    });
    const bytes = new TextEncoder().encode('a document');
    expect(applyPreimage(digestRequest(sha256(bytes), preimageGrantTokens(bytes, 'sha256')), ['ECDSA_SHA_256'])).toMatchObject({
      messageType: 'RAW',
      signingAlgorithm: 'ECDSA_SHA_256',
      message: bytes,
    });
  });

  test.each([
    ['a preimage of another digest', () => digestRequest(new Uint8Array(32), preimageGrantTokens(tx, 'keccak256')), K1, /does not hash/],
    ['keccak256 on a P-256 key', () => digestRequest(keccak_256(tx), preimageGrantTokens(tx, 'keccak256')), ['ECDSA_SHA_256'], /does not offer/],
    ['a preimage with a RAW request', () => ({ ...digestRequest(tx, preimageGrantTokens(tx, 'keccak256')), messageType: 'RAW' }), K1, /DIGEST only/],
    ['malformed tokens', () => digestRequest(keccak_256(tx), ['tutti-preimage:v1:keccak256:1/2:AA']), K1, /1 of 2 chunks/],
  ] as const)('refuses %s', (_what, req, algorithms, why) => {
    expect(() => applyPreimage(req(), algorithms)).toThrow(RequestRefused);
    expect(() => applyPreimage(req(), algorithms)).toThrow(why);
  });

  test('no preimage: the request is unchanged', () => {
    const r = digestRequest(keccak_256(tx), ['x']);
    expect(applyPreimage(r, K1)).toBe(r);
  });
});
