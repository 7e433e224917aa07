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
  const a = new Uint8Array(8);
  for (let cg = 0; cg < rowBytes; cg++) {
    for (let rg = 0; rg < rows >>> 3; rg++) {
      // 8×8 block: a[k] holds rows 8rg..8rg+7 of column 8cg+k.
      for (let k = 0; k < 8; k++) a[k] = columns[(8 * cg + k) * colBytes + rg]!;
      for (let r = 0; r < 8; r++) {
        let v = 0;
        for (let k = 0; k < 8; k++) v |= ((a[k]! >>> r) & 1) << k;
        out[(8 * rg + r) * rowBytes + cg] = v;
      }
    }
  }
  return out;
}
