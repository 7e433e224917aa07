// FROST signing on a derived child key (protocols/frost/tweak.ts, the additive Ed25519 scheme of
// protocols/core/hd-derivation.ts): every signer adds the tweak to its own share, the signature
// verifies under the child key in node:crypto (OpenSSL); a signer that applies another tweak is
// stopped and named.
import { describe, expect, test } from '@jest/globals';
import { ed25519 } from '@noble/curves/ed25519.js';
import { chainCodeOf, deriveChild } from '../../../protocols/core/hd-derivation.ts';
import { tweakFrostShare } from '../../../protocols/frost/tweak.ts';
import { fromHex } from '../../../protocols/core/bytes.ts';
import { outputsOf } from '../../support/simulator.ts';
import { dealByDkg, expectBlame, nodeVerify, runSign } from './fixtures.ts';

const MESSAGE = new TextEncoder().encode('a Solana transfer from a derived address');

describe.each([
  [2, 3, [1, 3], 'm/0/5'],
  [3, 5, [2, 4, 5], 'm/7/0/2147483647'],
] as [number, number, number[], string][])('FROST Ed25519 %i-of-%i, signers %j, child %s', (t, n, signers, path) => {
  const shares = dealByDkg('ed25519', t, n, `hd/${t}of${n}`);
  const parent = fromHex(shares.get(1)!.groupPublicKey);
  const chainCode = chainCodeOf(fromHex(shares.get(1)!.transcriptHash));
  const child = deriveChild('ed25519', parent, chainCode, path);
  const tweaked = new Map([...shares].map(([p, s]) => [p, tweakFrostShare(s, child.tweak)]));

  test('t signers sign; node:crypto verifies under the child key, not the parent', () => {
    expect(tweaked.get(1)!.groupPublicKey).toBe(Buffer.from(child.publicKey).toString('hex'));
    const outputs = outputsOf(runSign('ed25519', tweaked, signers, MESSAGE, `hd/${t}of${n}/${path}`));
    expect(outputs.size).toBe(signers.length);
    for (const out of outputs.values()) {
      expect(nodeVerify('ed25519', out.signature, MESSAGE, child.publicKey)).toBe(true);
      expect(nodeVerify('ed25519', out.signature, MESSAGE, parent)).toBe(false);
      expect(ed25519.verify(out.signature, MESSAGE, child.publicKey)).toBe(true);
    }
  });

  test('a signer that applies another tweak is named; no one outputs a signature', () => {
    const evil = signers[0]!;
    const other = deriveChild('ed25519', parent, chainCode, 'm/1');
    const mixed = new Map(tweaked);
    mixed.set(evil, tweakFrostShare(shares.get(evil)!, other.tweak));
    const sim = runSign('ed25519', mixed, signers, MESSAGE, `hd/${t}of${n}/${path}/evil`);
    expectBlame(
      sim,
      signers.filter((p) => p !== evil),
      'bad-parameters',
      [evil],
    );
  });
});
