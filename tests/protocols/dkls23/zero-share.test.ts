// Zero-sharing (DKLs23 Functionality 3.4): the shares of any signing set sum to zero, are fresh per
// session, and need both parties' contributions to the pair seed.
import { describe, test, expect } from '@jest/globals';
import { zeroSeed, zeroShare } from '../../../protocols/dkls23/zero-share.ts';
import { CURVES, hex, seededRng, sid } from './fixtures.ts';
import { checkKat } from './kat.ts';

const N = 5;
const rng = seededRng('dkls23-kat/zero-share');
const contributions = new Map<string, Uint8Array>(); // `${i}->${j}`: i's contribution to pair {i, j}
for (let i = 1; i <= N; i++) for (let j = 1; j <= N; j++) if (i !== j) contributions.set(`${i}->${j}`, rng(32));
const seedOf = (i: number, j: number) => zeroSeed(i, contributions.get(`${i}->${j}`)!, j, contributions.get(`${j}->${i}`)!);

describe.each(CURVES)('zero-sharing on %s', (name, curve) => {
  const { Fn } = curve;
  const shares = (set: number[], s: Uint8Array) => set.map((i) => zeroShare(curve, i, set, (j) => seedOf(i, j), s));

  test('both ends of a pair derive the same seed, and it depends on both contributions', () => {
    expect(hex(seedOf(2, 4))).toBe(hex(seedOf(4, 2)));
    expect(hex(zeroSeed(2, new Uint8Array(32), 4, contributions.get('4->2')!))).not.toBe(hex(seedOf(2, 4)));
    expect(hex(zeroSeed(2, contributions.get('2->4')!, 4, new Uint8Array(32)))).not.toBe(hex(seedOf(2, 4)));
  });

  test('the shares of every signing set sum to zero; known answers', () => {
    for (const set of [
      [1, 2],
      [2, 5],
      [1, 3, 4],
      [1, 2, 3, 4, 5],
    ]) {
      const z = shares(set, sid('zero'));
      expect(z.reduce((a, b) => Fn.add(a, b), 0n)).toBe(0n);
      expect(z.every((x) => x !== 0n)).toBe(true);
    }
    checkKat(`zero-share-${name}`, {
      contributions: 'seededRng("dkls23-kat/zero-share"), 32 bytes per ordered pair (i, j), i then j ascending',
      sessionId: hex(sid('zero')),
      set: [1, 3, 4],
      seeds: { '1-3': hex(seedOf(1, 3)), '1-4': hex(seedOf(1, 4)), '3-4': hex(seedOf(3, 4)) },
      shares: shares([1, 3, 4], sid('zero')).map((z) => hex(Fn.toBytes(z))),
    });
  });

  test('fresh per session: another session id gives unrelated shares', () => {
    const a = shares([1, 2, 3], sid('a')),
      b = shares([1, 2, 3], sid('b'));
    a.forEach((z, k) => expect(z).not.toBe(b[k]));
  });

  test('refuses a set without self or with duplicates', () => {
    expect(() => zeroShare(curve, 1, [2, 3], (j) => seedOf(1, j), sid('x'))).toThrow();
    expect(() => zeroShare(curve, 1, [1, 2, 2], (j) => seedOf(1, j), sid('x'))).toThrow();
  });
});
