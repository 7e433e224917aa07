// Bit-matrix helpers for OT extension, on flat byte buffers (no per-element allocation).
// Bit i of a byte string is bit (i & 7) of byte (i >> 3).

export function getBit(bytes: Uint8Array, i: number): number {
  return (bytes[i >>> 3]! >>> (i & 7)) & 1;
}

/**
 * Transposes the first `rows` rows of a bit matrix stored by columns (`cols` columns of
 * `colBytes` bytes each: bit i of column c is entry (i, c)) into `rows` rows of cols/8 bytes
 * (bit c of row i is entry (i, c)). rows and cols must be multiples of 8.
 */
export function transposeColumnsToRows(columns: Uint8Array, cols: number, colBytes: number, rows: number): Uint8Array {
  if (cols % 8 || rows % 8 || rows > 8 * colBytes || columns.length !== cols * colBytes) throw new RangeError('bad transpose shape');
  const rowBytes = cols >>> 3;
  const out = new Uint8Array(rows * rowBytes);
  for (let cg = 0; cg < rowBytes; cg++) {
    const c0 = 8 * cg * colBytes;
    for (let rg = 0; rg < rows >>> 3; rg++) {
      // 8×8 block: byte k of (lo, hi) holds rows 8rg..8rg+7 of column 8cg+k; bit 8k+r is entry (k, r).
      const at = c0 + rg;
      let lo = columns[at]! | (columns[at + colBytes]! << 8) | (columns[at + 2 * colBytes]! << 16) | (columns[at + 3 * colBytes]! << 24);
      let hi = columns[at + 4 * colBytes]! | (columns[at + 5 * colBytes]! << 8) | (columns[at + 6 * colBytes]! << 16) | (columns[at + 7 * colBytes]! << 24);
      // Transpose as a 64-bit matrix by three delta swaps (Hacker's Delight §7-3): (k, r) → (r, k).
      let t = (lo ^ (lo >>> 7)) & 0x00aa00aa;
      lo ^= t ^ (t << 7);
      t = (hi ^ (hi >>> 7)) & 0x00aa00aa;
      hi ^= t ^ (t << 7);
      t = (lo ^ (lo >>> 14)) & 0x0000cccc;
      lo ^= t ^ (t << 14);
      t = (hi ^ (hi >>> 14)) & 0x0000cccc;
      hi ^= t ^ (t << 14);
      t = (lo ^ ((lo >>> 28) | (hi << 4))) & 0xf0f0f0f0;
      lo ^= t;
      hi ^= t >>> 4;
      const o = 8 * rg * rowBytes + cg;
      out[o] = lo;
      out[o + rowBytes] = lo >>> 8;
      out[o + 2 * rowBytes] = lo >>> 16;
      out[o + 3 * rowBytes] = lo >>> 24;
      out[o + 4 * rowBytes] = hi;
      out[o + 5 * rowBytes] = hi >>> 8;
      out[o + 6 * rowBytes] = hi >>> 16;
      out[o + 7 * rowBytes] = hi >>> 24;
    }
  }
  return out;
}
