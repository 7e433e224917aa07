// GF(2^128) arithmetic of the OT-extension check against a slow BigInt reference
// (carry-less schoolbook multiplication, then reduction by x^128 + x^7 + x^2 + x + 1).
import { describe, test, expect } from '@jest/globals';
import { GfMultiplier, gfFromBytes, gfMul, gfToBytes } from '../../../protocols/dkls23/gf128.ts';
import { seededRng } from './fixtures.ts';

const MOD = (1n << 128n) | 0x87n;

function toBig(w: Uint32Array): bigint {
  let v = 0n;
  for (let k = 3; k >= 0; k--) v = (v << 32n) | BigInt(w[k]!);
  return v;
}

function fromBig(v: bigint): Uint32Array {
  const w = new Uint32Array(4);
  for (let k = 0; k < 4; k++) w[k] = Number((v >> BigInt(32 * k)) & 0xffffffffn);
  return w;
}

function slowMul(a: bigint, b: bigint): bigint {
  let p = 0n;
  for (let i = 0n; i < 128n; i++) if ((b >> i) & 1n) p ^= a << i;
  for (let i = 254n; i >= 128n; i--) if ((p >> i) & 1n) p ^= MOD << (i - 128n);
  return p;
}

describe('GF(2^128)', () => {
  test('bytes ↔ words: bit b of byte k is the coefficient of x^(8k+b)', () => {
    const bytes = new Uint8Array(16);
    bytes[1] = 0b100; // x^10
    expect(toBig(gfFromBytes(bytes))).toBe(1n << 10n);
    expect(gfToBytes(fromBig(1n << 10n))).toEqual(bytes);
  });

  test('x · x^127 = x^7 + x^2 + x + 1; 1 is the identity; 0 annihilates', () => {
    expect(toBig(gfMul(fromBig(2n), fromBig(1n << 127n)))).toBe(0x87n);
    const a = fromBig(0x0123456789abcdef0011223344556677n);
    expect(toBig(gfMul(a, fromBig(1n)))).toBe(toBig(a));
    expect(toBig(gfMul(a, fromBig(0n)))).toBe(0n);
  });

  test('matches the slow reference on 300 random pairs, and is commutative', () => {
    const rng = seededRng('gf128');
    for (let k = 0; k < 300; k++) {
      const a = gfFromBytes(rng(16)),
        b = gfFromBytes(rng(16));
      const want = slowMul(toBig(a), toBig(b));
      expect(toBig(gfMul(a, b))).toBe(want);
      expect(toBig(gfMul(b, a))).toBe(want);
    }
  });

  test('mulAddBytes accumulates: a·b ⊕ a·c = a·(b ⊕ c)', () => {
    const rng = seededRng('gf128-acc');
    const a = gfFromBytes(rng(16));
    const b = rng(16),
      c = rng(16);
    const m = new GfMultiplier(a);
    const acc = new Uint32Array(4);
    m.mulAddBytes(b, 0, acc);
    m.mulAddBytes(c, 0, acc);
    const bc = b.map((v, i) => v ^ c[i]!);
    expect(toBig(acc)).toBe(slowMul(toBig(a), toBig(gfFromBytes(bc))));
  });
});
