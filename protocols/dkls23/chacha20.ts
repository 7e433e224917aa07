// The ChaCha20 block function (RFC 8439 §2.3), used as the fast PRG of the OT-extension hot loops:
// stretching a long-term seed into a 640-bit column (prg.ts) and a 32-byte row hash into the
// random-OT pads of the VOLE (rvole.ts). Keyed by secret seeds that are reused across sessions,
// with a per-session nonce, exactly as a stream cipher is used with one key and many nonces.
// Hand-written because @noble/ciphers is not a dependency; tested against RFC 8439 §2.3.2 and §2.4.2.

const S0 = 0x61707865,
  S1 = 0x3320646e,
  S2 = 0x79622d32,
  S3 = 0x6b206574; // "expand 32-byte k"
/** Scratch for one keystream block (module-level: the block function never re-enters). */
const W = new Uint32Array(16);

function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}

function u32le(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/** The keystream is little-endian words (RFC 8439 §2.4): on such a host a word view of the output takes them as they are. */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * Writes `bytes` bytes of keystream for (key, nonce) starting at block `counter` into out[offset…].
 * key: 32 bytes (at keyOffset), nonce: 12 bytes. `out32`, if given, is the caller's word view of
 * the whole of `out` (same buffer, same start): whole blocks then go out as 16 word stores instead
 * of 64 byte stores (the hot loops of prg.ts and rvole.ts call this thousands of times per session).
 */
export function chacha20(
  key: Uint8Array,
  keyOffset: number,
  nonce: Uint8Array,
  counter: number,
  out: Uint8Array,
  offset: number,
  bytes: number,
  out32?: Uint32Array,
): void {
  const words = out32 !== undefined && LITTLE_ENDIAN && (offset & 3) === 0 ? out32 : null;
  const k0 = u32le(key, keyOffset),
    k1 = u32le(key, keyOffset + 4),
    k2 = u32le(key, keyOffset + 8),
    k3 = u32le(key, keyOffset + 12);
  const k4 = u32le(key, keyOffset + 16),
    k5 = u32le(key, keyOffset + 20),
    k6 = u32le(key, keyOffset + 24),
    k7 = u32le(key, keyOffset + 28);
  const n0 = u32le(nonce, 0),
    n1 = u32le(nonce, 4),
    n2 = u32le(nonce, 8);
  for (let done = 0; done < bytes; done += 64, counter++) {
    let x0 = S0,
      x1 = S1,
      x2 = S2,
      x3 = S3;
    let x4 = k0,
      x5 = k1,
      x6 = k2,
      x7 = k3,
      x8 = k4,
      x9 = k5,
      x10 = k6,
      x11 = k7;
    let x12 = counter >>> 0,
      x13 = n0,
      x14 = n1,
      x15 = n2;
    for (let r = 0; r < 10; r++) {
      // column rounds
      x0 = (x0 + x4) | 0;
      x12 = rotl(x12 ^ x0, 16);
      x8 = (x8 + x12) | 0;
      x4 = rotl(x4 ^ x8, 12);
      x0 = (x0 + x4) | 0;
      x12 = rotl(x12 ^ x0, 8);
      x8 = (x8 + x12) | 0;
      x4 = rotl(x4 ^ x8, 7);
      x1 = (x1 + x5) | 0;
      x13 = rotl(x13 ^ x1, 16);
      x9 = (x9 + x13) | 0;
      x5 = rotl(x5 ^ x9, 12);
      x1 = (x1 + x5) | 0;
      x13 = rotl(x13 ^ x1, 8);
      x9 = (x9 + x13) | 0;
      x5 = rotl(x5 ^ x9, 7);
      x2 = (x2 + x6) | 0;
      x14 = rotl(x14 ^ x2, 16);
      x10 = (x10 + x14) | 0;
      x6 = rotl(x6 ^ x10, 12);
      x2 = (x2 + x6) | 0;
      x14 = rotl(x14 ^ x2, 8);
      x10 = (x10 + x14) | 0;
      x6 = rotl(x6 ^ x10, 7);
      x3 = (x3 + x7) | 0;
      x15 = rotl(x15 ^ x3, 16);
      x11 = (x11 + x15) | 0;
      x7 = rotl(x7 ^ x11, 12);
      x3 = (x3 + x7) | 0;
      x15 = rotl(x15 ^ x3, 8);
      x11 = (x11 + x15) | 0;
      x7 = rotl(x7 ^ x11, 7);
      // diagonal rounds
      x0 = (x0 + x5) | 0;
      x15 = rotl(x15 ^ x0, 16);
      x10 = (x10 + x15) | 0;
      x5 = rotl(x5 ^ x10, 12);
      x0 = (x0 + x5) | 0;
      x15 = rotl(x15 ^ x0, 8);
      x10 = (x10 + x15) | 0;
      x5 = rotl(x5 ^ x10, 7);
      x1 = (x1 + x6) | 0;
      x12 = rotl(x12 ^ x1, 16);
      x11 = (x11 + x12) | 0;
      x6 = rotl(x6 ^ x11, 12);
      x1 = (x1 + x6) | 0;
      x12 = rotl(x12 ^ x1, 8);
      x11 = (x11 + x12) | 0;
      x6 = rotl(x6 ^ x11, 7);
      x2 = (x2 + x7) | 0;
      x13 = rotl(x13 ^ x2, 16);
      x8 = (x8 + x13) | 0;
      x7 = rotl(x7 ^ x8, 12);
      x2 = (x2 + x7) | 0;
      x13 = rotl(x13 ^ x2, 8);
      x8 = (x8 + x13) | 0;
      x7 = rotl(x7 ^ x8, 7);
      x3 = (x3 + x4) | 0;
      x14 = rotl(x14 ^ x3, 16);
      x9 = (x9 + x14) | 0;
      x4 = rotl(x4 ^ x9, 12);
      x3 = (x3 + x4) | 0;
      x14 = rotl(x14 ^ x3, 8);
      x9 = (x9 + x14) | 0;
      x4 = rotl(x4 ^ x9, 7);
    }
    W[0] = x0 + S0;
    W[1] = x1 + S1;
    W[2] = x2 + S2;
    W[3] = x3 + S3;
    W[4] = x4 + k0;
    W[5] = x5 + k1;
    W[6] = x6 + k2;
    W[7] = x7 + k3;
    W[8] = x8 + k4;
    W[9] = x9 + k5;
    W[10] = x10 + k6;
    W[11] = x11 + k7;
    W[12] = x12 + (counter >>> 0);
    W[13] = x13 + n0;
    W[14] = x14 + n1;
    W[15] = x15 + n2;
    const n = Math.min(64, bytes - done);
    if (words !== null && n === 64) {
      const o = (offset + done) >>> 2;
      for (let i = 0; i < 16; i++) words[o + i] = W[i]!;
    } else for (let i = 0; i < n; i++) out[offset + done + i] = (W[i >>> 2]! >>> (8 * (i & 3))) & 0xff;
  }
}
