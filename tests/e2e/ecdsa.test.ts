// Threshold ECDSA end to end (issue 4): 2-of-3 secp256k1 and P-256 keys made by DKLs23 in real party
// processes, driven through @aws-sdk/client-kms. Every signature is checked with node:crypto and
// noble using only the SPKI from GetPublicKey, is low-S, and Verify takes it (and its high-S twin).
// Ethereum (viem: an EIP-1559 transaction and an EIP-191 message, the recovered address equals the
// one computed from GetPublicKey) and Bitcoin (a SHA-256d digest). A signer killed mid-signature
// leaves nothing behind, and the other two parties sign.
//
// The cases that restart processes on purpose (each pair of parties signing with the third
// stopped, every party restarted, a party's health while its DKG runs, the OT-extension cheater
// banned durably, the operator refresh) are tests/e2e/ecdsa-processes.slow.test.ts, in
// `npm run test:slow`; `npm test` still bans a cheater and refreshes a DKLs23 key in real processes
// (refresh-without.test.ts, refresh-kill.test.ts).
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { createHash, createPublicKey } from 'node:crypto';
import { DescribeKeyCommand, GetPublicKeyCommand } from '@aws-sdk/client-kms';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  hashMessage,
  keccak256,
  parseEther,
  parseTransaction,
  recoverAddress,
  recoverMessageAddress,
  recoverTransactionAddress,
  serializeTransaction,
  toPrefixedMessage,
  verifyMessage,
  type Hex,
  type TransactionSerializableEIP1559,
} from 'viem';
import { TestCluster } from '../support/cluster.ts';
import { SPKI_PREFIX, ethAddress, ethSignature, highS, isLowS, nobleVerifies, opensslVerifies, pointOf, widePolicy } from '../support/ecdsa.ts';
import { KECCAK, createKey, ctx, eventually, fails, readDb, sign, signedAndChecked, verifyApi, type Key, type SdkError } from '../support/ecdsa-cluster.ts';

jest.setTimeout(180_000);

const keys = {} as { k1: Key; p256: Key };

beforeAll(async () => {
  ctx.cluster = await new TestCluster().start();
  ctx.kms = ctx.cluster.client();
  const [k1, p] = await Promise.all([createKey('ECC_SECG_P256K1', widePolicy('ECC_SECG_P256K1')), createKey('ECC_NIST_P256', widePolicy('ECC_NIST_P256'))]);
  const spkiOf = async (id: string) => (await ctx.kms.send(new GetPublicKeyCommand({ KeyId: id }))).PublicKey!;
  keys.k1 = { id: k1, spki: await spkiOf(k1), curve: 'secp256k1' };
  keys.p256 = { id: p, spki: await spkiOf(p), curve: 'p256' };
});

afterAll(async () => {
  ctx.kms?.destroy();
  await ctx.cluster?.stop();
});

const both = () => [keys.k1, keys.p256];

describe('keys', () => {
  test('DescribeKey: 2-of-3 ECC_SECG_P256K1 (ECDSA_SHA_256 and the Keccak extension) and ECC_NIST_P256 (ECDSA_SHA_256)', async () => {
    const md1 = (await ctx.kms.send(new DescribeKeyCommand({ KeyId: keys.k1.id }))).KeyMetadata!;
    expect(md1).toMatchObject({
      KeySpec: 'ECC_SECG_P256K1',
      KeyUsage: 'SIGN_VERIFY',
      KeyState: 'Enabled',
      SigningAlgorithms: ['ECDSA_SHA_256', 'ECDSA_KECCAK_256'],
    });
    const md2 = (await ctx.kms.send(new DescribeKeyCommand({ KeyId: keys.p256.id }))).KeyMetadata!;
    expect(md2).toMatchObject({ KeySpec: 'ECC_NIST_P256', SigningAlgorithms: ['ECDSA_SHA_256'] });
  });

  test('GetPublicKey: DER SubjectPublicKeyInfo with the uncompressed point, which node:crypto reads as the named curve', () => {
    for (const [key, bytes, named] of [
      [keys.k1, 88, 'secp256k1'],
      [keys.p256, 91, 'prime256v1'],
    ] as const) {
      expect(key.spki).toHaveLength(bytes);
      expect(Buffer.from(key.spki.subarray(0, key.spki.length - 65)).toString('hex')).toBe(SPKI_PREFIX[key.curve]);
      expect(pointOf(key.spki)[0]).toBe(0x04);
      const k = createPublicKey({ key: Buffer.from(key.spki), format: 'der', type: 'spki' });
      expect(k.asymmetricKeyDetails?.namedCurve).toBe(named);
    }
  });
});

describe('Sign and Verify', () => {
  test('RAW ECDSA_SHA_256: DER, low-S, verified by node:crypto and by noble over SHA-256(message), on both curves', async () => {
    for (const key of both()) {
      for (const message of [new TextEncoder().encode('hello'), new Uint8Array(4096).fill(0xa5), new Uint8Array([0])]) {
        const der = await signedAndChecked(key, message);
        expect(der[0]).toBe(0x30);
        expect(der.length).toBeGreaterThanOrEqual(8);
        expect(der.length).toBeLessThanOrEqual(72);
      }
    }
  });

  test('DIGEST ECDSA_SHA_256: the 32 bytes as given (noble, prehash off); Verify takes the digest and, as RAW, the message', async () => {
    for (const key of both()) {
      const message = new TextEncoder().encode(`digest me on ${key.curve}`);
      const digest = sha256(message);
      const der = await sign(key.id, digest, { type: 'DIGEST' });
      expect(nobleVerifies(key.curve, key.spki, digest, der, true)).toBe(true);
      // Over the message, OpenSSL agrees: a message and its SHA-256 digest are the same thing to ECDSA_SHA_256.
      expect(opensslVerifies(key.spki, message, der)).toBe(true);
      expect(await verifyApi(key.id, digest, der, { type: 'DIGEST' })).toBe(true);
      expect(await verifyApi(key.id, message, der)).toBe(true);
      await fails(sign(key.id, digest.subarray(0, 31), { type: 'DIGEST' }), 'ValidationException', /^Digest is invalid length for algorithm ECDSA_SHA_256\.$/);
    }
  });

  test('Verify accepts the signature and its high-S twin, and refuses a flipped bit, another message, another key', async () => {
    for (const key of both()) {
      const message = new TextEncoder().encode('verify me');
      const der = await sign(key.id, message);
      const high = highS(key.curve, der);
      expect(isLowS(key.curve, high)).toBe(false);
      expect(opensslVerifies(key.spki, message, high)).toBe(true);
      expect(await verifyApi(key.id, message, der)).toBe(true);
      expect(await verifyApi(key.id, message, high)).toBe(true);
      const flipped = Uint8Array.from(der);
      flipped[flipped.length - 1]! ^= 1;
      expect(await verifyApi(key.id, message, flipped)).toBe(false);
      expect(await verifyApi(key.id, new TextEncoder().encode('verify you'), der)).toBe(false);
      expect(await verifyApi(key === keys.k1 ? keys.p256.id : keys.k1.id, message, der)).toBe(false);
    }
  });

  test('the wrong algorithm for the key spec is InvalidKeyUsageException, in AWS words', async () => {
    await fails(
      sign(keys.p256.id, new Uint8Array(32), { algorithm: KECCAK }),
      'InvalidKeyUsageException',
      /^Algorithm ECDSA_KECCAK_256 is incompatible with key spec ECC_NIST_P256\.$/,
    );
    await fails(
      sign(keys.k1.id, new Uint8Array(32), { algorithm: 'ECDSA_SHA_384' }),
      'InvalidKeyUsageException',
      /^Algorithm ECDSA_SHA_384 is incompatible with key spec ECC_SECG_P256K1\.$/,
    );
    await fails(sign(keys.k1.id, new Uint8Array(32), { algorithm: 'ED25519_SHA_512' }), 'InvalidKeyUsageException');
  });
});

describe('Ethereum (viem) and Bitcoin', () => {
  const tx: TransactionSerializableEIP1559 = {
    type: 'eip1559',
    chainId: 11155111,
    nonce: 3,
    to: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8',
    value: parseEther('0.01'),
    maxPriorityFeePerGas: 1_500_000_000n,
    maxFeePerGas: 40_000_000_000n,
    gas: 21_000n,
  };

  test('an EIP-1559 transaction: ECDSA_KECCAK_256 over the unsigned serialization; viem recovers the address of GetPublicKey', async () => {
    const address = ethAddress(keys.k1.spki);
    const unsigned = serializeTransaction(tx);
    const der = await sign(keys.k1.id, Buffer.from(unsigned.slice(2), 'hex'), { algorithm: KECCAK });
    expect(isLowS('secp256k1', der)).toBe(true);
    const hash = keccak256(unsigned);
    expect(nobleVerifies('secp256k1', keys.k1.spki, Buffer.from(hash.slice(2), 'hex'), der, true)).toBe(true);
    const signed = serializeTransaction(tx, await ethSignature(der, hash, address));
    expect(parseTransaction(signed)).toMatchObject({ chainId: tx.chainId, to: tx.to, value: tx.value, nonce: tx.nonce });
    expect((await recoverTransactionAddress({ serializedTransaction: signed as `0x02${string}` })).toLowerCase()).toBe(address.toLowerCase());
    // Verify over the same RAW bytes under the same algorithm.
    expect(await verifyApi(keys.k1.id, Buffer.from(unsigned.slice(2), 'hex'), der, { algorithm: KECCAK })).toBe(true);
  });

  test('the same transaction as a DIGEST of its Keccak-256 hash, under ECDSA_KECCAK_256 and under ECDSA_SHA_256 (what AWS Ethereum signers send)', async () => {
    const address = ethAddress(keys.k1.spki);
    const hash = keccak256(serializeTransaction({ ...tx, nonce: 4 }));
    for (const algorithm of [KECCAK, 'ECDSA_SHA_256' as const]) {
      const der = await sign(keys.k1.id, Buffer.from(hash.slice(2), 'hex'), { algorithm, type: 'DIGEST' });
      const sig = await ethSignature(der, hash, address);
      expect(await recoverAddress({ hash, signature: sig })).toBe(address);
      expect(isLowS('secp256k1', der)).toBe(true);
    }
  });

  test('an EIP-191 personal message: ECDSA_KECCAK_256 over the prefixed bytes; viem recovers and verifies it', async () => {
    const address = ethAddress(keys.k1.spki);
    const text = 'Sign in to tutti.example\nNonce: 0123456789abcdef';
    const prefixed = toPrefixedMessage(text);
    const der = await sign(keys.k1.id, Buffer.from(prefixed.slice(2), 'hex'), { algorithm: KECCAK });
    const sig = await ethSignature(der, hashMessage(text), address);
    const serialized = `0x${sig.r.slice(2)}${sig.s.slice(2)}${sig.yParity ? '1c' : '1b'}` as Hex;
    expect(await recoverMessageAddress({ message: text, signature: serialized })).toBe(address);
    expect(await verifyMessage({ address, message: text, signature: serialized })).toBe(true);
  });

  test('Bitcoin: a SHA-256d digest signed as DIGEST verifies (noble, prehash off) and is low-S', async () => {
    const preimage = new TextEncoder().encode('a BIP-143 sighash preimage stands here');
    const sighash = createHash('sha256').update(createHash('sha256').update(preimage).digest()).digest();
    const der = await sign(keys.k1.id, sighash, { type: 'DIGEST' });
    expect(nobleVerifies('secp256k1', keys.k1.spki, sighash, der, true)).toBe(true);
    expect(isLowS('secp256k1', der)).toBe(true);
    expect(await verifyApi(keys.k1.id, sighash, der, { type: 'DIGEST' })).toBe(true);
  });
});

describe('parties', () => {
  test('a signer killed during a signature: each Sign completes with the other parties or fails cleanly; nothing is left behind', async () => {
    const message = new TextEncoder().encode('interrupted');
    // The coordinator picks parties 1 and 2; party 2 dies while the signatures run.
    const signs = Array.from({ length: 4 }, () =>
      sign(keys.k1.id, message).then(
        (der) => ({ der }),
        (e: SdkError) => ({ error: e }),
      ),
    );
    await new Promise((r) => setTimeout(r, 40));
    await ctx.cluster.kill('party-2');
    for (const r of await Promise.all(signs)) {
      if ('der' in r) expect(opensslVerifies(keys.k1.spki, message, r.der)).toBe(true);
      else expect(['KeyUnavailableException', 'DependencyTimeoutException']).toContain(r.error.name);
    }
    await ctx.cluster.waitConnected((ids) => !ids.includes('party-2'));
    // Nothing is left running or pending: no session at the gateway or the live parties, no pending share.
    // (Background presign sessions, refilling the stock after these Signs, end within moments.)
    await eventually(async () => (await ctx.cluster.health()).sessions === 0);
    for (const p of ['party-1', 'party-3']) {
      await eventually(async () => (await ctx.cluster.partyHealth(p)).sessions === 0);
      expect(readDb(p, (db) => db.prepare(`SELECT count(*) AS n FROM shares WHERE state = 'pending'`).get())).toEqual({ n: 0 });
    }
    await signedAndChecked(keys.k1, message);
    await ctx.cluster.startParty('party-2');
    await ctx.cluster.waitConnected((ids) => ids.includes('party-2'));
    for (const key of both()) await signedAndChecked(key, message);
  });
});
