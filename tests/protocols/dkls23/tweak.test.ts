// DKLs23 signing on a derived child key (protocols/dkls23/tweak.ts): every signer adds the BIP-32
// tweak to its own share, the signature verifies (noble, node:crypto, recovery) under the child
// key that @scure/bip32 derives from the parent's xpub; a signer that applies another tweak is
// stopped before anything secret moves, and named.
import { describe, expect, test } from '@jest/globals';
import { HDKey } from '@scure/bip32';
import { sha256 } from '@noble/hashes/sha2.js';
import { chainCodeOf, deriveChild, parsePath } from '../../../protocols/core/hd-derivation.ts';
import { parseKeyShare } from '../../../protocols/dkls23/keyshare.ts';
import { tweakDklsShare } from '../../../protocols/dkls23/tweak.ts';
import { fromHex } from '../../../protocols/core/bytes.ts';
import { outputsOf } from '../../support/simulator.ts';
import { testKey, type TestKeyName } from '../../support/dkls23-test-keys.ts';
import { expectBlame, expectValidSignature, runSign } from './session-fixtures.ts';

const MESSAGE = new TextEncoder().encode('pay 1 BTC from a derived address');

describe.each([
  ['secp256k1-2of3', [1, 3], 'm/0/5'],
  ['secp256k1-3of5', [2, 4, 5], 'm/44/60/0/0/7'],
  ['p256-2of3', [1, 2], 'm/1/2'],
] as [TestKeyName, number[], string][])('DKLs23 key %s, signers %j, child %s', (name, signers, path) => {
  const key = testKey(name);
  const chainCode = chainCodeOf(fromHex(key.shares.get(1)!.transcriptHash));
  const child = deriveChild(key.curve, key.publicKey, chainCode, path);
  const tweaked = new Map([...key.shares].map(([p, s]) => [p, tweakDklsShare(s, child.tweak)]));

  test('the tweaked shares are a consistent sharing of the child key', () => {
    for (const s of tweaked.values()) {
      const parsed = parseKeyShare(s);
      expect(parsed.publicKey.toBytes(true)).toEqual(child.publicKey);
    }
    if (key.curve === 'secp256k1') {
      let scure = new HDKey({ publicKey: key.publicKey, chainCode });
      for (const i of parsePath(path)) scure = scure.deriveChild(i);
      expect(child.publicKey).toEqual(scure.publicKey);
    }
  });

  test('t signers sign; the signature verifies under the child key', () => {
    const outputs = outputsOf(runSign(key.curve, tweaked, signers, sha256(MESSAGE), `hd/${name}/${path}`));
    expect(outputs.size).toBe(signers.length);
    for (const out of outputs.values()) expectValidSignature(key.curve, MESSAGE, out, child.publicKey);
  });

  test('a signer that applies another tweak is named; no one outputs a signature', () => {
    const evil = signers[signers.length - 1]!;
    const other = deriveChild(key.curve, key.publicKey, chainCode, `${path}1`);
    const mixed = new Map(tweaked);
    mixed.set(evil, tweakDklsShare(key.shares.get(evil)!, other.tweak));
    const sim = runSign(key.curve, mixed, signers, sha256(MESSAGE), `hd/${name}/${path}/evil`);
    expectBlame(
      sim,
      signers.filter((p) => p !== evil),
      'bad-parameters',
      [evil],
    );
  });
});
