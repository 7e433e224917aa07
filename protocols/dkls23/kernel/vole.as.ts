// AssemblyScript source of the random-VOLE row kernel (compiled by scripts/build-wasm.mjs into
// vole-wasm.ts; rvole.ts has the same computation in TypeScript, which stays the reference and
// the fallback, and the tests pin both to the same bytes). It does the per-row work of DKLs23
// Protocol 5.2 that dominates a signer's CPU: the random-OT pads (SHA-256 of the 50-byte row
// input, one compression, FIPS 180-4; ChaCha20 keystream, RFC 8439 §2.3; 48 bytes per scalar
// reduced mod q) and the mod-q sums ã, μ, c, d, on 8 × 32-bit limbs with Montgomery products
// (CIOS, Koç–Acar–Kaliski 1996). Secret-dependent data never chooses a branch or an address:
// choices and reductions are masks.
//
// Scalars in linear memory are 8 little-endian u32 limbs ("LE"); wire bytes are big-endian ("BE").
// The caller (vole-kernel.ts) owns every buffer above the first 64 KiB; the static scratch below
// lives in the data segment and is wiped by `wipe()`.

const K: usize = memory.data<u32>([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74,
  0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d,
  0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e,
  0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
  0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV: usize = memory.data<u32>([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

// Static scratch, all wiped by wipe().
const SCRATCH: usize = memory.data(2048, 16);
const SW: usize = SCRATCH + 80; // 64 × u32: the SHA-256 message schedule (the first 80 bytes are spare)
const SIN: usize = SCRATCH + 336; // 64 bytes: the padded SHA-256 block
const KEY: usize = SCRATCH + 400; // 8 × u32: the row key as ChaCha20 key words
const HI: usize = SCRATCH + 432; // scalar temporaries
const LO: usize = SCRATCH + 464;
const P1: usize = SCRATCH + 496;
const P2: usize = SCRATCH + 528;
const M: usize = SCRATCH + 560;
const RX: usize = SCRATCH + 592; // a row XOR Δ
const Q: usize = SCRATCH + 624; // the modulus q (not secret, kept by wipe)
const R2: usize = SCRATCH + 656; // 2^512 mod q (not secret, kept by wipe)
const PADS: usize = SCRATCH + 704; // up to 9 scalars: 288 bytes
const G1: usize = SCRATCH + 992; // up to 9 scalars
const STREAM: usize = SCRATCH + 1280; // 7 ChaCha20 blocks (448 bytes ≥ 9 × 48)
const SCRATCH_SECRET_END: usize = SCRATCH + 1856; // through R, the OT-extension column (below)
let QINV: u32 = 0; // −q⁻¹ mod 2^32

@inline function limb(p: usize, j: i32): u64 {
  return <u64>load<u32>(p + (<usize>j << 2));
}

/** Sets q (LE), 2^512 mod q (LE) and −q⁻¹ mod 2^32 for the calls that follow. */
export function setModulus(q: usize, r2: usize, qinv: u32): void {
  memory.copy(Q, q, 32);
  memory.copy(R2, r2, 32);
  QINV = qinv;
}

/** Zeroes the secret part of the static scratch (row keys, keystream, pads, temporaries). */
export function wipe(): void {
  memory.fill(SCRATCH, 0, Q - SCRATCH);
  memory.fill(PADS, 0, SCRATCH_SECRET_END - PADS);
}

/** out = s − q if s + top·2^256 ≥ q, else s, with s in 8 u32 limbs at `s` (top ∈ {0, 1}); no branch. */
@inline function reduceOnce(out: usize, s: usize, top: u32): void {
  let borrow: u64 = 0;
  for (let j = 0; j < 8; j++) {
    const d = limb(s, j) - limb(Q, j) - borrow;
    store<u32>(M + (<usize>j << 2), <u32>d);
    borrow = (d >> 63) & 1;
  }
  // Keep s − q when there was a carry out of s or no borrow from the subtraction.
  const take = <u32>0 - (top | (<u32>borrow ^ 1));
  for (let j = 0; j < 8; j++) {
    const o = <usize>j << 2;
    store<u32>(out + o, (load<u32>(M + o) & take) | (load<u32>(s + o) & ~take));
  }
}

/** out = a + b mod q (a, b < q); out may alias either. */
function modAdd(out: usize, a: usize, b: usize): void {
  let c: u64 = 0;
  for (let j = 0; j < 8; j++) {
    const v = limb(a, j) + limb(b, j) + c;
    store<u32>(P2 + (<usize>j << 2), <u32>v);
    c = v >> 32;
  }
  reduceOnce(out, P2, <u32>c);
}

/** out = a − b mod q (a, b < q); out may alias either. */
function modSub(out: usize, a: usize, b: usize): void {
  let borrow: u64 = 0;
  for (let j = 0; j < 8; j++) {
    const d = limb(a, j) - limb(b, j) - borrow;
    store<u32>(P2 + (<usize>j << 2), <u32>d);
    borrow = (d >> 63) & 1;
  }
  const mask = <u32>0 - <u32>borrow;
  let c: u64 = 0;
  for (let j = 0; j < 8; j++) {
    const v = limb(P2, j) + <u64>(load<u32>(Q + (<usize>j << 2)) & mask) + c;
    store<u32>(out + (<usize>j << 2), <u32>v);
    c = v >> 32;
  }
}

/**
 * out = a·b·2^-256 mod q (a, b < q): CIOS Montgomery multiplication, the limbs of a, q and the
 * accumulator t in locals (the inner loops unrolled); out may alias either. Every partial sum
 * t_j + a_j·b_i + carry is below 2^64.
 */
function montMul(out: usize, a: usize, b: usize): void {
  const a0 = limb(a, 0), a1 = limb(a, 1), a2 = limb(a, 2), a3 = limb(a, 3);
  const a4 = limb(a, 4), a5 = limb(a, 5), a6 = limb(a, 6), a7 = limb(a, 7);
  const q0 = limb(Q, 0), q1 = limb(Q, 1), q2 = limb(Q, 2), q3 = limb(Q, 3);
  const q4 = limb(Q, 4), q5 = limb(Q, 5), q6 = limb(Q, 6), q7 = limb(Q, 7);
  const qinv = <u64>QINV;
  let t0: u64 = 0, t1: u64 = 0, t2: u64 = 0, t3: u64 = 0, t4: u64 = 0, t5: u64 = 0, t6: u64 = 0, t7: u64 = 0, t8: u64 = 0;
  for (let i = 0; i < 8; i++) {
    const bi = limb(b, i);
    // t += a·b_i
    let v = t0 + a0 * bi; t0 = v & 0xffffffff; let c = v >> 32;
    v = t1 + a1 * bi + c; t1 = v & 0xffffffff; c = v >> 32;
    v = t2 + a2 * bi + c; t2 = v & 0xffffffff; c = v >> 32;
    v = t3 + a3 * bi + c; t3 = v & 0xffffffff; c = v >> 32;
    v = t4 + a4 * bi + c; t4 = v & 0xffffffff; c = v >> 32;
    v = t5 + a5 * bi + c; t5 = v & 0xffffffff; c = v >> 32;
    v = t6 + a6 * bi + c; t6 = v & 0xffffffff; c = v >> 32;
    v = t7 + a7 * bi + c; t7 = v & 0xffffffff; c = v >> 32;
    v = t8 + c; t8 = v & 0xffffffff;
    const t9 = v >> 32;
    // t = (t + m·q) / 2^32 with m = t_0·(−q⁻¹) mod 2^32, so the low limb cancels
    const m = (t0 * qinv) & 0xffffffff;
    v = t0 + m * q0; c = v >> 32;
    v = t1 + m * q1 + c; t0 = v & 0xffffffff; c = v >> 32;
    v = t2 + m * q2 + c; t1 = v & 0xffffffff; c = v >> 32;
    v = t3 + m * q3 + c; t2 = v & 0xffffffff; c = v >> 32;
    v = t4 + m * q4 + c; t3 = v & 0xffffffff; c = v >> 32;
    v = t5 + m * q5 + c; t4 = v & 0xffffffff; c = v >> 32;
    v = t6 + m * q6 + c; t5 = v & 0xffffffff; c = v >> 32;
    v = t7 + m * q7 + c; t6 = v & 0xffffffff; c = v >> 32;
    v = t8 + c; t7 = v & 0xffffffff;
    t8 = t9 + (v >> 32);
  }
  store<u32>(P1, <u32>t0);
  store<u32>(P1 + 4, <u32>t1);
  store<u32>(P1 + 8, <u32>t2);
  store<u32>(P1 + 12, <u32>t3);
  store<u32>(P1 + 16, <u32>t4);
  store<u32>(P1 + 20, <u32>t5);
  store<u32>(P1 + 24, <u32>t6);
  store<u32>(P1 + 28, <u32>t7);
  reduceOnce(out, P1, <u32>t8);
}

/** acc = acc + a·b mod q, with bM = b·2^256 mod q (Montgomery form), so the product is a·b. */
@inline function mulAcc(acc: usize, a: usize, bM: usize): void {
  montMul(HI, a, bM);
  modAdd(acc, acc, HI);
}

@inline function loadBE(out: usize, bytes: usize): void {
  for (let j = 0; j < 8; j++) store<u32>(out + (<usize>j << 2), bswap<u32>(load<u32>(bytes + 28 - (<usize>j << 2))));
}
@inline function storeBE(bytes: usize, s: usize): void {
  for (let j = 0; j < 8; j++) store<u32>(bytes + 28 - (<usize>j << 2), bswap<u32>(load<u32>(s + (<usize>j << 2))));
}

/** SHA-256 compression of the block at SIN from the IV; the digest goes to KEY as ChaCha20 key words. */
function sha256Key(): void {
  for (let t = 0; t < 16; t++) store<u32>(SW + (<usize>t << 2), bswap<u32>(load<u32>(SIN + (<usize>t << 2))));
  for (let t = 16; t < 64; t++) {
    const w15 = load<u32>(SW + (<usize>(t - 15) << 2));
    const w2 = load<u32>(SW + (<usize>(t - 2) << 2));
    const s0 = rotr<u32>(w15, 7) ^ rotr<u32>(w15, 18) ^ (w15 >>> 3);
    const s1 = rotr<u32>(w2, 17) ^ rotr<u32>(w2, 19) ^ (w2 >>> 10);
    store<u32>(SW + (<usize>t << 2), load<u32>(SW + (<usize>(t - 16) << 2)) + s0 + load<u32>(SW + (<usize>(t - 7) << 2)) + s1);
  }
  let a = load<u32>(IV),
    b = load<u32>(IV + 4),
    c = load<u32>(IV + 8),
    d = load<u32>(IV + 12),
    e = load<u32>(IV + 16),
    f = load<u32>(IV + 20),
    g = load<u32>(IV + 24),
    h = load<u32>(IV + 28);
  for (let t = 0; t < 64; t++) {
    const S1 = rotr<u32>(e, 6) ^ rotr<u32>(e, 11) ^ rotr<u32>(e, 25);
    const ch = (e & f) ^ (~e & g);
    const t1 = h + S1 + ch + load<u32>(K + (<usize>t << 2)) + load<u32>(SW + (<usize>t << 2));
    const S0 = rotr<u32>(a, 2) ^ rotr<u32>(a, 13) ^ rotr<u32>(a, 22);
    const maj = (a & b) ^ (a & c) ^ (b & c);
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + S0 + maj;
  }
  // The digest is the big-endian bytes of H_j; a ChaCha20 key word is the little-endian word of
  // the same four bytes, so each key word is bswap(H_j).
  store<u32>(KEY, bswap<u32>(a + load<u32>(IV)));
  store<u32>(KEY + 4, bswap<u32>(b + load<u32>(IV + 4)));
  store<u32>(KEY + 8, bswap<u32>(c + load<u32>(IV + 8)));
  store<u32>(KEY + 12, bswap<u32>(d + load<u32>(IV + 12)));
  store<u32>(KEY + 16, bswap<u32>(e + load<u32>(IV + 16)));
  store<u32>(KEY + 20, bswap<u32>(f + load<u32>(IV + 20)));
  store<u32>(KEY + 24, bswap<u32>(g + load<u32>(IV + 24)));
  store<u32>(KEY + 28, bswap<u32>(h + load<u32>(IV + 28)));
}

/**
 * `blocks` ChaCha20 blocks (RFC 8439 §2.3: key = the 32 bytes at `key`, nonce = (n0, n1, n2) as
 * little-endian words, block counter from 0) into `out`.
 */
function chacha(key: usize, n0: u32, n1: u32, n2: u32, blocks: i32, out: usize): void {
  const k0 = load<u32>(key),
    k1 = load<u32>(key + 4),
    k2 = load<u32>(key + 8),
    k3 = load<u32>(key + 12),
    k4 = load<u32>(key + 16),
    k5 = load<u32>(key + 20),
    k6 = load<u32>(key + 24),
    k7 = load<u32>(key + 28);
  for (let n = 0; n < blocks; n++) {
    let x0: u32 = 0x61707865,
      x1: u32 = 0x3320646e,
      x2: u32 = 0x79622d32,
      x3: u32 = 0x6b206574;
    let x4 = k0,
      x5 = k1,
      x6 = k2,
      x7 = k3,
      x8 = k4,
      x9 = k5,
      x10 = k6,
      x11 = k7;
    let x12 = <u32>n,
      x13 = n0,
      x14 = n1,
      x15 = n2;
    for (let r = 0; r < 10; r++) {
      x0 += x4; x12 = rotl<u32>(x12 ^ x0, 16); x8 += x12; x4 = rotl<u32>(x4 ^ x8, 12);
      x0 += x4; x12 = rotl<u32>(x12 ^ x0, 8); x8 += x12; x4 = rotl<u32>(x4 ^ x8, 7);
      x1 += x5; x13 = rotl<u32>(x13 ^ x1, 16); x9 += x13; x5 = rotl<u32>(x5 ^ x9, 12);
      x1 += x5; x13 = rotl<u32>(x13 ^ x1, 8); x9 += x13; x5 = rotl<u32>(x5 ^ x9, 7);
      x2 += x6; x14 = rotl<u32>(x14 ^ x2, 16); x10 += x14; x6 = rotl<u32>(x6 ^ x10, 12);
      x2 += x6; x14 = rotl<u32>(x14 ^ x2, 8); x10 += x14; x6 = rotl<u32>(x6 ^ x10, 7);
      x3 += x7; x15 = rotl<u32>(x15 ^ x3, 16); x11 += x15; x7 = rotl<u32>(x7 ^ x11, 12);
      x3 += x7; x15 = rotl<u32>(x15 ^ x3, 8); x11 += x15; x7 = rotl<u32>(x7 ^ x11, 7);
      x0 += x5; x15 = rotl<u32>(x15 ^ x0, 16); x10 += x15; x5 = rotl<u32>(x5 ^ x10, 12);
      x0 += x5; x15 = rotl<u32>(x15 ^ x0, 8); x10 += x15; x5 = rotl<u32>(x5 ^ x10, 7);
      x1 += x6; x12 = rotl<u32>(x12 ^ x1, 16); x11 += x12; x6 = rotl<u32>(x6 ^ x11, 12);
      x1 += x6; x12 = rotl<u32>(x12 ^ x1, 8); x11 += x12; x6 = rotl<u32>(x6 ^ x11, 7);
      x2 += x7; x13 = rotl<u32>(x13 ^ x2, 16); x8 += x13; x7 = rotl<u32>(x7 ^ x8, 12);
      x2 += x7; x13 = rotl<u32>(x13 ^ x2, 8); x8 += x13; x7 = rotl<u32>(x7 ^ x8, 7);
      x3 += x4; x14 = rotl<u32>(x14 ^ x3, 16); x9 += x14; x4 = rotl<u32>(x4 ^ x9, 12);
      x3 += x4; x14 = rotl<u32>(x14 ^ x3, 8); x9 += x14; x4 = rotl<u32>(x4 ^ x9, 7);
    }
    const o = out + (<usize>n << 6);
    store<u32>(o, x0 + 0x61707865);
    store<u32>(o + 4, x1 + 0x3320646e);
    store<u32>(o + 8, x2 + 0x79622d32);
    store<u32>(o + 12, x3 + 0x6b206574);
    store<u32>(o + 16, x4 + k0);
    store<u32>(o + 20, x5 + k1);
    store<u32>(o + 24, x6 + k2);
    store<u32>(o + 28, x7 + k3);
    store<u32>(o + 32, x8 + k4);
    store<u32>(o + 36, x9 + k5);
    store<u32>(o + 40, x10 + k6);
    store<u32>(o + 44, x11 + k7);
    store<u32>(o + 48, x12 + <u32>n);
    store<u32>(o + 52, x13 + n0);
    store<u32>(o + 56, x14 + n1);
    store<u32>(o + 60, x15 + n2);
  }
}

/**
 * The pads of row i (rvole.ts RowPads.pads): key = SHA-256(prefix ‖ u16 i ‖ row), then each
 * 48-byte big-endian chunk of ChaCha20(key) mod q, as hi·2^256 + lo with hi < 2^128 and lo < 2q
 * (both curves' q exceed 2^255): hi·2^256 mod q is one Montgomery product with 2^512 mod q.
 */
function rowPads(prefix: usize, i: i32, row: usize, width: i32, out: usize): void {
  memory.copy(SIN, prefix, 16);
  store<u8>(SIN + 16, <u8>(i >>> 8));
  store<u8>(SIN + 17, <u8>i);
  memory.copy(SIN + 18, row, 32);
  store<u8>(SIN + 50, 0x80);
  memory.fill(SIN + 51, 0, 11);
  store<u8>(SIN + 62, 0x01); // 50 bytes = 400 bits = 0x0190
  store<u8>(SIN + 63, 0x90);
  sha256Key();
  chacha(KEY, 0, 0, 0, (48 * width + 63) >> 6, STREAM);
  for (let k = 0; k < width; k++) {
    const chunk = STREAM + <usize>(48 * k);
    for (let j = 0; j < 4; j++) store<u32>(HI + (<usize>j << 2), bswap<u32>(load<u32>(chunk + 12 - (<usize>j << 2))));
    for (let j = 4; j < 8; j++) store<u32>(HI + (<usize>j << 2), 0);
    loadBE(LO, chunk + 16);
    reduceOnce(LO, LO, 0);
    montMul(P1, HI, R2);
    modAdd(out + (<usize>k << 5), P1, LO);
  }
}

/**
 * Alice's rows (rvole.ts voleSend): for each row i, γ⁰_i into g0 (LE, kept for μ), γ¹_i, and
 * ã_i = γ⁰_i − γ¹_i + α (BE into aTilde); acc_k = Σ_i g_i·γ⁰_{i,k} for k < width − 1 (LE into acc,
 * gadget given in Montgomery form).
 */
export function senderRows(prefix: usize, rows: usize, xi: i32, delta: usize, alpha: usize, gadgetM: usize, width: i32, aTilde: usize, g0: usize, acc: usize): void {
  memory.fill(acc, 0, <usize>(32 * width));
  for (let i = 0; i < xi; i++) {
    const row = rows + (<usize>i << 5);
    const z = g0 + <usize>(32 * width * i);
    rowPads(prefix, i, row, width, z);
    for (let j = 0; j < 32; j += 4) store<u32>(RX + j, load<u32>(row + j) ^ load<u32>(delta + j));
    rowPads(prefix, i, RX, width, G1);
    for (let k = 0; k < width; k++) {
      const o = <usize>(k << 5);
      modSub(LO, z + o, G1 + o);
      modAdd(LO, LO, alpha + o);
      storeBE(aTilde + <usize>(32 * (width * i + k)), LO);
    }
    const g = gadgetM + (<usize>i << 5);
    for (let k = 0; k < width - 1; k++) mulAcc(acc + (<usize>k << 5), z + (<usize>k << 5), g);
  }
}

/** Alice's μ_i = −(γ⁰_{i,ℓ} + Σ_k θ_k·γ⁰_{i,k}) mod q (BE into mu); θ in Montgomery form. */
export function senderMu(thetaM: usize, g0: usize, xi: i32, width: i32, mu: usize): void {
  const ell = width - 1;
  for (let i = 0; i < xi; i++) {
    const z = g0 + <usize>(32 * width * i);
    memory.copy(G1, z + (<usize>ell << 5), 32);
    for (let k = 0; k < ell; k++) mulAcc(G1, z + (<usize>k << 5), thetaM + (<usize>k << 5));
    memory.fill(LO, 0, 32);
    modSub(LO, LO, G1);
    storeBE(mu + (<usize>i << 5), LO);
  }
}

/**
 * Returns the index of the first BE scalar of `count` at `bytes` that is not below q, or −1
 * (the receiver's strict decoding of ã; public data, so the early exit leaks nothing).
 */
export function firstNonCanonical(bytes: usize, count: i32): i32 {
  for (let n = 0; n < count; n++) {
    loadBE(P1, bytes + (<usize>n << 5));
    let borrow: u64 = 0;
    for (let j = 0; j < 8; j++) borrow = ((limb(P1, j) - limb(Q, j) - borrow) >> 63) & 1;
    if (borrow == 0) return n;
  }
  return -1;
}

/**
 * Bob's rows (rvole.ts voleReceiveFinish), ã already checked canonical: z_i = γ_i + β_i·ã_i,
 * μ'_i = β_i·η − (z_{i,ℓ} + Σ_k θ_k·z_{i,k}) (BE into mu), acc_k = Σ_i g_i·z_{i,k} for k < ℓ.
 */
export function receiverRows(prefix: usize, rows: usize, xi: i32, choices: usize, aTilde: usize, thetaM: usize, eta: usize, gadgetM: usize, width: i32, mu: usize, acc: usize): void {
  const ell = width - 1;
  memory.fill(acc, 0, <usize>(32 * width));
  for (let i = 0; i < xi; i++) {
    const bit = (<u32>load<u8>(choices + (<usize>i >> 3)) >>> (<u32>i & 7)) & 1;
    const mask = <u32>0 - bit;
    rowPads(prefix, i, rows + (<usize>i << 5), width, PADS);
    for (let k = 0; k < width; k++) {
      const o = <usize>(k << 5);
      loadBE(LO, aTilde + <usize>(32 * (width * i + k)));
      for (let j = 0; j < 32; j += 4) store<u32>(LO + j, load<u32>(LO + j) & mask);
      modAdd(PADS + o, PADS + o, LO);
    }
    memory.copy(G1, PADS + (<usize>ell << 5), 32);
    for (let k = 0; k < ell; k++) mulAcc(G1, PADS + (<usize>k << 5), thetaM + (<usize>k << 5));
    for (let j = 0; j < 32; j += 4) store<u32>(LO + j, load<u32>(eta + j) & mask);
    modSub(LO, LO, G1);
    storeBE(mu + (<usize>i << 5), LO);
    const g = gadgetM + (<usize>i << 5);
    for (let k = 0; k < ell; k++) mulAcc(acc + (<usize>k << 5), PADS + (<usize>k << 5), g);
  }
}

// SoftSpokenOT's column expansion (softspoken.ts oteReceive / oteSend, Roy eprint 2022/192 §4):
// each of the 64 × 16 seeds stretched by ChaCha20 (prg.ts: key = seed, nonce = the session's 12
// bytes, counter from 0) to one 640-bit column r, XORed into the block's columns.

const OTE_BLOCKS = 64;
const ROW: usize = 80; // bytes of one 640-bit column
const R: usize = SCRATCH + 1728; // 128 bytes: two ChaCha20 blocks, r is the first 80 (wiped)

@inline function xorInto(dst: usize, src: usize, mask: u32): void {
  for (let w: usize = 0; w < ROW; w += 4) store<u32>(dst + w, load<u32>(dst + w) ^ (load<u32>(src + w) & mask));
}

/**
 * The receiver's side: for each block j, c_j = β' ⊕ ⊕_x r_x (into corrections, 64 × 80 bytes)
 * and column 4j+b = ⊕_{x : bit b of x} r_x (into columns, 256 × 80 bytes, zeroed first).
 */
export function oteReceiverColumns(nonce: usize, seeds: usize, betaPrime: usize, corrections: usize, columns: usize): void {
  const n0 = load<u32>(nonce), n1 = load<u32>(nonce + 4), n2 = load<u32>(nonce + 8);
  memory.fill(columns, 0, OTE_BLOCKS * 4 * ROW);
  for (let j = 0; j < OTE_BLOCKS; j++) {
    const c = corrections + <usize>j * ROW;
    memory.copy(c, betaPrime, ROW);
    for (let x = 0; x < 16; x++) {
      chacha(seeds + (<usize>(16 * j + x) << 5), n0, n1, n2, 2, R);
      xorInto(c, R, 0xffffffff);
      for (let b = 0; b < 4; b++) xorInto(columns + <usize>(4 * j + b) * ROW, R, <u32>0 - ((<u32>x >>> <u32>b) & 1));
    }
  }
}

/**
 * The sender's side, Δ_j = delta[j] ∈ [0, 16): column 4j+b = ⊕_{x ≠ Δ_j : bit b of x ⊕ Δ_j} r_x
 * ⊕ Δ_{j,b}·c_j (into columns, zeroed first). Δ is secret: the seed at Δ_j (zeros, unknown to
 * the sender) is expanded like the others and masked out, and every choice is a mask.
 */
export function oteSenderColumns(nonce: usize, seeds: usize, delta: usize, corrections: usize, columns: usize): void {
  const n0 = load<u32>(nonce), n1 = load<u32>(nonce + 4), n2 = load<u32>(nonce + 8);
  memory.fill(columns, 0, OTE_BLOCKS * 4 * ROW);
  for (let j = 0; j < OTE_BLOCKS; j++) {
    const dj = <u32>load<u8>(delta + <usize>j);
    for (let x = 0; x < 16; x++) {
      chacha(seeds + (<usize>(16 * j + x) << 5), n0, n1, n2, 2, R);
      const d = <u32>x ^ dj;
      const keep = <u32>0 - (((d | (<u32>0 - d)) >>> 31) & 1); // all ones iff x ≠ Δ_j
      for (let b = 0; b < 4; b++) xorInto(columns + <usize>(4 * j + b) * ROW, R, keep & (<u32>0 - ((d >>> <u32>b) & 1)));
    }
    for (let b = 0; b < 4; b++) xorInto(columns + <usize>(4 * j + b) * ROW, corrections + <usize>j * ROW, <u32>0 - ((dj >>> <u32>b) & 1));
  }
}

// Variable-base scalar multiplication on a short Weierstrass curve with a = 0 (secp256k1), for an
// instance whose modulus (setModulus) is the field prime p: Jacobian coordinates in Montgomery
// form, a table of the odd multiples P, 3P, …, 15P, and the signed odd 4-bit digits of the
// scalar (batch-mul.ts recodeOdd: every digit odd, so every step adds), read from the table by
// masks. Formulas: dbl-2009-l and add-2007-bl (Bernstein–Lange, Explicit-Formulas Database).
// A step whose addition meets equal x-coordinates (probability ≈ 2^-250 for a secret scalar)
// is reported, and the caller recomputes with its generic code.

const EC: usize = memory.data(2048, 16);
const TX: usize = EC; // 8 × 32: the table
const TY: usize = EC + 256;
const TZ: usize = EC + 512;
const AX: usize = EC + 768; // the accumulator
const AY: usize = EC + 800;
const AZ: usize = EC + 832;
const SX: usize = EC + 864; // the selected entry, and 2P
const SY: usize = EC + 896;
const SZ: usize = EC + 928;
const F0: usize = EC + 960; // temporaries F0 … F9
const ONE: usize = EC + 1344; // 1 in Montgomery form (2^256 mod p)
const PLAIN1: usize = EC + 1376; // the integer 1
const EC_SECRET_END: usize = EC + 1344;
const W: usize = EC + 1408; // 16 × 32: powers b^0 … b^15 of powMany (public values)
let degenerate: u32 = 0;

@inline function F(i: i32): usize {
  return F0 + (<usize>i << 5);
}

/** 1 if the 8 limbs at x are all zero, else 0; no branch. */
@inline function isZero(x: usize): u32 {
  let acc: u32 = 0;
  for (let j = 0; j < 8; j++) acc |= load<u32>(x + (<usize>j << 2));
  return ((acc | (<u32>0 - acc)) >>> 31) ^ 1;
}

/** (X, Y, Z) ← 2·(X, Y, Z) in place (dbl-2009-l, a = 0). */
function dbl(X: usize, Y: usize, Z: usize): void {
  const A = F(0), B = F(1), C = F(2), D = F(3), E = F(4), T = F(5);
  montMul(A, X, X);
  montMul(B, Y, Y);
  montMul(C, B, B);
  modAdd(T, X, B);
  montMul(T, T, T);
  modSub(T, T, A);
  modSub(T, T, C);
  modAdd(D, T, T); // D = 2((X + B)² − A − C)
  modAdd(E, A, A);
  modAdd(E, E, A); // E = 3A
  montMul(Z, Y, Z);
  modAdd(Z, Z, Z); // Z3 = 2·Y·Z, before Y changes
  montMul(T, E, E); // F = E²
  modSub(X, T, D);
  modSub(X, X, D); // X3 = F − 2D
  modSub(T, D, X);
  montMul(T, E, T);
  modAdd(C, C, C);
  modAdd(C, C, C);
  modAdd(C, C, C); // 8C
  modSub(Y, T, C); // Y3 = E·(D − X3) − 8C
}

/** (X1, Y1, Z1) ← (X1, Y1, Z1) + (X2, Y2, Z2) in place (add-2007-bl); flags H = 0. */
function add(X1: usize, Y1: usize, Z1: usize, X2: usize, Y2: usize, Z2: usize): void {
  const Z1Z1 = F(0), Z2Z2 = F(1), U1 = F(2), U2 = F(3), S1 = F(4), S2 = F(5), H = F(6), I = F(7), J = F(8), T = F(9);
  montMul(Z1Z1, Z1, Z1);
  montMul(Z2Z2, Z2, Z2);
  montMul(U1, X1, Z2Z2);
  montMul(U2, X2, Z1Z1);
  montMul(S1, Y1, Z2);
  montMul(S1, S1, Z2Z2);
  montMul(S2, Y2, Z1);
  montMul(S2, S2, Z1Z1);
  modSub(H, U2, U1);
  degenerate |= isZero(H);
  modAdd(I, H, H);
  montMul(I, I, I); // I = (2H)²
  montMul(J, H, I);
  modSub(S2, S2, S1);
  modAdd(S2, S2, S2); // r = 2(S2 − S1)
  montMul(U1, U1, I); // V = U1·I
  // Z3 = ((Z1 + Z2)² − Z1Z1 − Z2Z2)·H, before Z1 changes
  modAdd(T, Z1, Z2);
  montMul(T, T, T);
  modSub(T, T, Z1Z1);
  modSub(T, T, Z2Z2);
  montMul(Z1, T, H);
  montMul(X1, S2, S2);
  modSub(X1, X1, J);
  modSub(X1, X1, U1);
  modSub(X1, X1, U1); // X3 = r² − J − 2V
  modSub(T, U1, X1);
  montMul(T, S2, T);
  montMul(S1, S1, J);
  modAdd(S1, S1, S1);
  modSub(Y1, T, S1); // Y3 = r(V − X3) − 2·S1·J
}

/** The table entry for an odd digit d ∈ [−15, 15] into (SX, SY, SZ), negated for d < 0; every entry is read. */
function select(d: i32): void {
  const sign = d >> 31;
  const m = <u32>(((d ^ sign) - sign - 1) >> 1); // (|d| − 1) / 2
  memory.fill(SX, 0, 96);
  for (let e: u32 = 0; e < 8; e++) {
    const x = e ^ m;
    const take = (((x | (<u32>0 - x)) >>> 31) ^ 1) * 0xffffffff; // all ones iff e = m
    for (let j: usize = 0; j < 32; j += 4) {
      const o = <usize>(e << 5) + j;
      store<u32>(SX + j, load<u32>(SX + j) | (load<u32>(TX + o) & take));
      store<u32>(SY + j, load<u32>(SY + j) | (load<u32>(TY + o) & take));
      store<u32>(SZ + j, load<u32>(SZ + j) | (load<u32>(TZ + o) & take));
    }
  }
  // −(X, Y, Z) = (X, −Y, Z): p − Y, kept when the sign is set.
  memory.fill(F(0), 0, 32);
  modSub(F(0), F(0), SY);
  const neg = <u32>sign;
  for (let j: usize = 0; j < 32; j += 4) store<u32>(SY + j, (load<u32>(F(0) + j) & neg) | (load<u32>(SY + j) & ~neg));
}

/** out = a^(p−2) = a⁻¹ (Fermat; the exponent is public, so its bits may branch). */
function invert(out: usize, a: usize): void {
  const r = F(8), b = F(9);
  memory.copy(b, a, 32);
  memory.copy(r, ONE, 32);
  for (let i = 255; i >= 0; i--) {
    montMul(r, r, r);
    // bit i of p − 2: p is odd and p − 2 differs from p only in its low limb (p_0 ≥ 2 on these curves)
    let w = load<u32>(Q + (<usize>(i >> 5) << 2));
    if (i < 32) w -= 2;
    if ((w >>> (<u32>i & 31)) & 1) montMul(r, r, b);
  }
  memory.copy(out, r, 32);
}

/** Sets the Montgomery constants of the field: call once after setModulus(p, …). */
export function fieldInit(): void {
  memory.fill(PLAIN1, 0, 32);
  store<u32>(PLAIN1, 1);
  montMul(ONE, R2, PLAIN1); // 2^512·1·2^-256 = 2^256 mod p
}

/**
 * out (64 bytes: x ‖ y big-endian, affine) = k·P for P = (x, y) at `point` (64 bytes big-endian, on
 * the curve) and k given by its `n` signed odd digits at `digits` (i8, least significant first,
 * the top one 1). Returns 1 if a step was degenerate (the output is then meaningless), else 0.
 */
export function ecMul(point: usize, digits: usize, n: i32, out: usize): u32 {
  degenerate = 0;
  loadBE(TX, point);
  loadBE(TY, point + 32);
  montMul(TX, TX, R2);
  montMul(TY, TY, R2);
  memory.copy(TZ, ONE, 32);
  // 2P into (SX, SY, SZ), then T[m] = T[m−1] + 2P = (2m + 1)·P
  memory.copy(SX, TX, 32);
  memory.copy(SY, TY, 32);
  memory.copy(SZ, TZ, 32);
  dbl(SX, SY, SZ);
  for (let m: usize = 1; m < 8; m++) {
    const o = m << 5;
    memory.copy(TX + o, TX + o - 32, 32);
    memory.copy(TY + o, TY + o - 32, 32);
    memory.copy(TZ + o, TZ + o - 32, 32);
    add(TX + o, TY + o, TZ + o, SX, SY, SZ);
  }
  select(<i32>load<i8>(digits + <usize>(n - 1)));
  memory.copy(AX, SX, 96);
  for (let i = n - 2; i >= 0; i--) {
    dbl(AX, AY, AZ);
    dbl(AX, AY, AZ);
    dbl(AX, AY, AZ);
    dbl(AX, AY, AZ);
    select(<i32>load<i8>(digits + <usize>i));
    add(AX, AY, AZ, SX, SY, SZ);
  }
  // Affine: x = X/Z², y = Y/Z³, out of Montgomery form.
  const zi = F(0), zi2 = F(1);
  invert(zi, AZ);
  montMul(zi2, zi, zi);
  montMul(AX, AX, zi2);
  montMul(zi2, zi2, zi);
  montMul(AY, AY, zi2);
  montMul(AX, AX, PLAIN1);
  montMul(AY, AY, PLAIN1);
  storeBE(out, AX);
  storeBE(out + 32, AY);
  memory.fill(EC, 0, EC_SECRET_END - EC);
  return degenerate;
}

/**
 * out_n = base_n^e mod p for `count` canonical values (LE) at `base`, with a public exponent e (LE
 * limbs at `exp`): a fixed 4-bit window, 256 squarings and 64 products per value (RFC 9380
 * sqrt_ratio's t^((p+1)/4) in h2c.ts, for the base OT's 1,024 hashes per peer).
 */
export function powMany(base: usize, count: i32, exp: usize, out: usize): void {
  const r = F(8);
  for (let n = 0; n < count; n++) {
    const b = base + (<usize>n << 5);
    memory.copy(W, ONE, 32);
    montMul(W + 32, b, R2);
    for (let i: usize = 2; i < 16; i++) montMul(W + (i << 5), W + ((i - 1) << 5), W + 32);
    memory.copy(r, ONE, 32);
    for (let w = 63; w >= 0; w--) {
      montMul(r, r, r);
      montMul(r, r, r);
      montMul(r, r, r);
      montMul(r, r, r);
      const digit = (load<u32>(exp + (<usize>(w >> 3) << 2)) >>> ((<u32>w & 7) << 2)) & 15;
      montMul(r, r, W + (<usize>digit << 5));
    }
    montMul(out + (<usize>n << 5), r, PLAIN1);
  }
}
