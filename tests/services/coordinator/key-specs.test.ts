// The coordinator's key-spec table for ECDSA keys: SPKI with the uncompressed point, the DER form of
// the parties' r ‖ s, low-S, and Verify's rules (digest per algorithm and message type, high-S
// accepted, node:crypto agreeing for SHA-256 over RAW).
import { describe, expect, test } from '@jest/globals';
import { createPublicKey, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { KEY_SPECS, apiSignature, ecdsaDigest, isLowS, spkiDer, verifySignature } from '../../../services/coordinator/key-specs.ts';

const K1 = KEY_SPECS.ECC_SECG_P256K1!;
const P256 = KEY_SPECS.ECC_NIST_P256!;

describe.each([
  ['secp256k1', K1, secp256k1, 'secp256k1'],
  ['P-256', P256, p256, 'prime256v1'],
] as const)('%s', (_name, spec, curve, named) => {
  const { secretKey, publicKey } = curve.keygen();
  const spki = spkiDer(spec, publicKey);
  const message = new TextEncoder().encode('hello');

  test('SPKI: the prefix of docs/kms-compatibility.md "Key specs and algorithms" the uncompressed point, readable by node:crypto', () => {
    expect(Buffer.from(spki.subarray(0, spki.length - 65)).toString('hex')).toBe(spec.spkiPrefix);
    expect(spki.subarray(spki.length - 65)).toEqual(curve.Point.fromBytes(publicKey).toBytes(false));
    expect(createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).asymmetricKeyDetails?.namedCurve).toBe(named);
    expect(() => spkiDer(spec, publicKey.subarray(1))).toThrow(/must be 33 bytes/);
  });

  test("the parties' r ‖ s becomes minimal DER; other lengths are refused", () => {
    const rs = curve.sign(sha256(message), secretKey, { prehash: false });
    const der = apiSignature(spec, rs)!;
    expect(der[0]).toBe(0x30);
    expect(curve.Signature.fromBytes(der, 'der').toBytes('compact')).toEqual(rs);
    expect(isLowS(spec, der)).toBe(true);
    expect(apiSignature(spec, rs.subarray(1))).toBeNull();
  });

  test('Verify: RAW over SHA-256 (noble and node:crypto), DIGEST as given, high-S accepted, anything else refused', () => {
    const digest = sha256(message);
    const der = apiSignature(spec, curve.sign(digest, secretKey, { prehash: false }))!;
    const raw = { signingAlgorithm: 'ECDSA_SHA_256', messageType: 'RAW', message };
    expect(verifySignature(spec, spki, raw, der)).toBe(true);
    expect(verifySignature(spec, spki, { ...raw, messageType: 'DIGEST', message: digest }, der)).toBe(true);
    const sig = curve.Signature.fromBytes(der, 'der');
    const high = new curve.Signature(sig.r, curve.Point.Fn.ORDER - sig.s).toBytes('der');
    expect(isLowS(spec, high)).toBe(false);
    expect(verifySignature(spec, spki, raw, high)).toBe(true);
    expect(verifySignature(spec, spki, { ...raw, message: new TextEncoder().encode('hellO') }, der)).toBe(false);
    expect(verifySignature(spec, spki, raw, sig.toBytes('compact'))).toBe(false);
    expect(verifySignature(spec, spki, raw, new Uint8Array([0x30, 0x00]))).toBe(false);
  });

  test('Verify takes a signature OpenSSL made (a client that holds the key in some HSM)', () => {
    const { privateKey, publicKey: pub } = generateKeyPairSync('ec', { namedCurve: named });
    const otherSpki = new Uint8Array(pub.export({ format: 'der', type: 'spki' }));
    const der = new Uint8Array(nodeSign('sha256', message, { key: privateKey, dsaEncoding: 'der' }));
    expect(verifySignature(spec, otherSpki, { signingAlgorithm: 'ECDSA_SHA_256', messageType: 'RAW', message }, der)).toBe(true);
  });
});

describe('ECDSA_KECCAK_256 (secp256k1)', () => {
  test('RAW is Keccak-256 of the bytes; EIP-712 JSON its EIP-712 digest; JSON-looking bytes that are no typed data, Keccak-256 again', () => {
    const tx = Uint8Array.of(0x02, 0xc0);
    expect(ecdsaDigest('ECDSA_KECCAK_256', 'RAW', tx)).toEqual(keccak_256(tx));
    const notTyped = new TextEncoder().encode('{"a":1}');
    expect(ecdsaDigest('ECDSA_KECCAK_256', 'RAW', notTyped)).toEqual(keccak_256(notTyped));
    const typed = new TextEncoder().encode(
      JSON.stringify({
        domain: { chainId: 1, name: 'x' },
        message: { a: '1' },
        primaryType: 'T',
        types: {
          EIP712Domain: [
            { name: 'name', type: 'string' },
            { name: 'chainId', type: 'uint256' },
          ],
          T: [{ name: 'a', type: 'uint256' }],
        },
      }),
    );
    const d = ecdsaDigest('ECDSA_KECCAK_256', 'RAW', typed);
    expect(d).toHaveLength(32);
    expect(d).not.toEqual(keccak_256(typed));
    expect(ecdsaDigest('ECDSA_KECCAK_256', 'DIGEST', keccak_256(tx))).toEqual(keccak_256(tx));
  });

  test('a signature over Keccak-256 of a message verifies under ECDSA_KECCAK_256, not under ECDSA_SHA_256', () => {
    const { secretKey, publicKey } = secp256k1.keygen();
    const spki = spkiDer(K1, publicKey);
    const message = Uint8Array.of(0x02, 0xc1, 0x80);
    const der = apiSignature(K1, secp256k1.sign(keccak_256(message), secretKey, { prehash: false }))!;
    expect(verifySignature(K1, spki, { signingAlgorithm: 'ECDSA_KECCAK_256', messageType: 'RAW', message }, der)).toBe(true);
    expect(verifySignature(K1, spki, { signingAlgorithm: 'ECDSA_SHA_256', messageType: 'RAW', message }, der)).toBe(false);
  });
});
