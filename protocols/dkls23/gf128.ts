// GF(2^128) = GF(2)[x] / (x^128 + x^7 + x^2 + x + 1), the field of the KOS-style OT-extension
// consistency check (KOS15 eprint 2015/546, corrected Fig. 10; SoftSpokenOT eprint 2022/192 uses
// the same universal hash). An element is 16 bytes, little-endian in bits: bit b of byte k is the
// coefficient of x^(8k+b); in memory it is 4 little-endian u32 words.
//
// The check multiplies many values by the same 4 challenges, so multiplication is by a fixed
// element: a table of a·x^i for i < 128 is built once, and a·b is the XOR of the rows selected by
// the bits of b, selected with masks rather than branches (b is secret OT-extension data).

export const GF128_BYTES = 16;

/** Little-endian u32 words of 16 bytes. */
export function gfFromBytes(bytes: Uint8Array, offset = 0, out = new Uint32Array(4)): Uint32Array {
  for (let w = 0; w < 4; w++) {
    const o = offset + 4 * w;
    out[w] = (bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24)) >>> 0;
  }
  return out;
}

export function gfToBytes(words: Uint32Array, out = new Uint8Array(16), offset = 0): Uint8Array {
  for (let w = 0; w < 4; w++) {
    const v = words[w]!;
    out[offset + 4 * w] = v & 0xff;
    out[offset + 4 * w + 1] = (v >>> 8) & 0xff;
    out[offset + 4 * w + 2] = (v >>> 16) & 0xff;
    out[offset + 4 * w + 3] = v >>> 24;
  }
  return out;
}

/** Multiplication by one fixed element. */
export class GfMultiplier {
  /** Row i (4 words at 4i) is a·x^i. */
  private readonly table = new Uint32Array(128 * 4);

  constructor(a: Uint32Array) {
    let w0 = a[0]!,
      w1 = a[1]!,
      w2 = a[2]!,
      w3 = a[3]!;
    for (let i = 0; i < 128; i++) {
      this.table[4 * i] = w0;
      this.table[4 * i + 1] = w1;
      this.table[4 * i + 2] = w2;
      this.table[4 * i + 3] = w3;
      // Multiply by x: shift left one bit; x^128 = x^7 + x^2 + x + 1 (0x87) folds the carry back.
      const carry = w3 >>> 31;
      w3 = ((w3 << 1) | (w2 >>> 31)) >>> 0;
      w2 = ((w2 << 1) | (w1 >>> 31)) >>> 0;
      w1 = ((w1 << 1) | (w0 >>> 31)) >>> 0;
      w0 = ((w0 << 1) ^ (0x87 & -carry)) >>> 0;
    }
  }

  /** acc ^= a·b, with b the 16 bytes at bytes[offset] and acc 4 words. */
  mulAddBytes(bytes: Uint8Array, offset: number, acc: Uint32Array): void {
    const T = this.table;
    let r0 = acc[0]!,
      r1 = acc[1]!,
      r2 = acc[2]!,
      r3 = acc[3]!;
    for (let k = 0; k < 16; k++) {
      const byte = bytes[offset + k]!;
      const base = 32 * k; // 8 rows of 4 words per byte
      for (let b = 0; b < 8; b++) {
        const m = -((byte >>> b) & 1);
        const o = base + 4 * b;
        r0 ^= T[o]! & m;
        r1 ^= T[o + 1]! & m;
        r2 ^= T[o + 2]! & m;
        r3 ^= T[o + 3]! & m;
      }
    }
    acc[0] = r0 >>> 0;
    acc[1] = r1 >>> 0;
    acc[2] = r2 >>> 0;
    acc[3] = r3 >>> 0;
  }

  /** a·b for b as words. */
  mul(b: Uint32Array): Uint32Array {
    const acc = new Uint32Array(4);
    this.mulAddBytes(gfToBytes(b), 0, acc);
    return acc;
  }
}

/** a·b (builds a table: for one-off products only). */
export function gfMul(a: Uint32Array, b: Uint32Array): Uint32Array {
  return new GfMultiplier(a).mul(b);
}
