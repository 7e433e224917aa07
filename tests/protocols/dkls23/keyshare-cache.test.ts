// parseKeyShare's memory of frozen shares (protocols/dkls23/keyshare.ts): a share the party's store
// handed out deep-frozen is checked once per process; every later parse is a copy, and signing with
// shares parsed from memory still gives signatures node:crypto accepts.
import { describe, expect, test } from '@jest/globals';
import { sha256 } from '@noble/hashes/sha2.js';
import { parseKeyShare, type DklsKeyShare } from '../../../protocols/dkls23/keyshare.ts';
import { outputsOf } from '../../support/simulator.ts';
import { runSign, expectValidSignature } from './session-fixtures.ts';
import { testKey } from '../../support/dkls23-test-keys.ts';

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

describe('DKLs23 parseKeyShare of frozen shares', () => {
  // A key made by the real DKG, cached across files (tests/support/dkls23-test-keys.ts).
  const shares = testKey('secp256k1-2of3').shares;
  const frozen = new Map([...shares].map(([i, s]) => [i, deepFreeze(JSON.parse(JSON.stringify(s)) as DklsKeyShare)]));

  test('each parse is an equal, independent copy', () => {
    const a = parseKeyShare(frozen.get(1)!);
    const b = parseKeyShare(frozen.get(1)!);
    expect(b.secretShare).toBe(a.secretShare);
    expect(b.peers.get(2)!.zeroSeed).toEqual(a.peers.get(2)!.zeroSeed);
    a.peers.get(2)!.zeroSeed.fill(0);
    a.peers.get(2)!.voleSender.seeds.fill(0);
    const c = parseKeyShare(frozen.get(1)!);
    expect(c.peers.get(2)!.zeroSeed).toEqual(b.peers.get(2)!.zeroSeed);
    expect(c.peers.get(2)!.voleSender.seeds).toEqual(b.peers.get(2)!.voleSender.seeds);
    expect(c.peers.get(2)!.zeroSeed.some((x) => x !== 0)).toBe(true);
  });

  test('a share that is not frozen is checked every time: a change is caught', () => {
    const loose = JSON.parse(JSON.stringify(shares.get(1)!)) as DklsKeyShare;
    expect(() => parseKeyShare(loose)).not.toThrow();
    loose.secretShare = loose.secretShare.replace(/.$/, (d) => (d === '0' ? '1' : '0'));
    expect(() => parseKeyShare(loose)).toThrow(/secret share does not match/);
  });

  test('frozen shares sign, several times, and node:crypto accepts', () => {
    const publicKey = Buffer.from(frozen.get(1)!.publicKey, 'hex');
    for (let i = 0; i < 3; i++) {
      const message = new TextEncoder().encode(`frozen ${i}`);
      const sim = runSign('secp256k1', frozen, [1, 3], sha256(message), `keyshare-cache/sign/${i}`);
      for (const out of outputsOf(sim).values()) expectValidSignature('secp256k1', message, out, publicKey);
    }
  });
});
