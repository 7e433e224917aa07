// The cached DKLs23 test keys (tests/support/dkls23-test-keys.ts) are what they claim to be: every
// share parses (parseKeyShare checks s_i·G against its verification share and the Feldman
// commitment), all parties hold the same key, indices and (t, n) are as declared, and t of them
// sign a message that node:crypto verifies under the public key. Checked by signing, never by
// putting the secret back together.
import { describe, expect, test } from '@jest/globals';
import { sha256 } from '@noble/hashes/sha2.js';
import { parseKeyShare } from '../../../protocols/dkls23/keyshare.ts';
import { outputsOf } from '../../support/simulator.ts';
import { TEST_KEYS, testKey, type TestKeyName } from '../../support/dkls23-test-keys.ts';
import { hex } from './fixtures.ts';
import { expectValidSignature, runSign } from './session-fixtures.ts';

describe.each(Object.keys(TEST_KEYS) as TestKeyName[])('cached DKLs23 test key %s', (name) => {
  test('the shares parse and agree; t of them sign, node:crypto verifies', () => {
    const key = testKey(name);
    const { curve, t, n } = TEST_KEYS[name];
    expect({ curve: key.curve, t: key.t, n: key.n }).toEqual({ curve, t, n });
    expect([...key.shares.keys()].sort()).toEqual(Array.from({ length: n }, (_, k) => k + 1));
    const first = key.shares.get(1)!;
    for (const [p, share] of key.shares) {
      expect({ curve: share.curve, t: share.t, n: share.n, index: share.index }).toEqual({ curve, t, n, index: p });
      expect(share.publicKey).toBe(hex(key.publicKey));
      expect(share.transcriptHash).toBe(first.transcriptHash);
      expect(share.verificationShares).toEqual(first.verificationShares);
      expect(() => parseKeyShare(share)).not.toThrow();
    }
    const signers = Array.from({ length: t }, (_, k) => n - k).sort();
    const message = new TextEncoder().encode(`test key ${name} signs`);
    const outputs = outputsOf(runSign(curve, key.shares, signers, sha256(message), `test-key-check/${name}`));
    expect(outputs.size).toBe(t);
    for (const out of outputs.values()) expectValidSignature(curve, message, out, key.publicKey);
  });

  test('each call hands out its own copies', () => {
    const a = testKey(name);
    a.shares.get(1)!.secretShare = '00';
    a.publicKey.fill(0);
    const b = testKey(name);
    expect(b.shares.get(1)!.secretShare).not.toBe('00');
    expect(b.publicKey.some((x) => x !== 0)).toBe(true);
  });
});
