// The bit-matrix transpose of the OT extension (bits.ts) against its definition, entry by entry.
import { describe, test, expect } from '@jest/globals';
import { getBit, transposeColumnsToRows } from '../../../protocols/dkls23/bits.ts';
import { seededRng } from './fixtures.ts';

/** Entry (i, c) is bit i of column c; in the output it is bit c of row i. */
function naive(columns: Uint8Array, cols: number, colBytes: number, rows: number): Uint8Array {
  const rowBytes = cols / 8;
  const out = new Uint8Array(rows * rowBytes);
  for (let i = 0; i < rows; i++)
    for (let c = 0; c < cols; c++) out[i * rowBytes + (c >>> 3)]! |= getBit(columns.subarray(c * colBytes, (c + 1) * colBytes), i) << (c & 7);
  return out;
}

describe('transposeColumnsToRows', () => {
  const rng = seededRng('bits');
  test.each([
    [256, 80, 512],
    [256, 80, 640],
    [8, 1, 8],
    [16, 8, 64],
    [64, 4, 24],
  ])('%i columns of %i bytes, %i rows: equals the definition', (cols, colBytes, rows) => {
    for (let r = 0; r < 5; r++) {
      const m = rng(cols * colBytes);
      expect(transposeColumnsToRows(m, cols, colBytes, rows)).toEqual(naive(m, cols, colBytes, rows));
    }
    const ones = new Uint8Array(cols * colBytes).fill(0xff);
    expect(transposeColumnsToRows(ones, cols, colBytes, rows).every((b) => b === 0xff)).toBe(true);
  });

  test('refuses bad shapes', () => {
    expect(() => transposeColumnsToRows(new Uint8Array(80), 8, 10, 81)).toThrow(RangeError);
    expect(() => transposeColumnsToRows(new Uint8Array(79), 8, 10, 80)).toThrow(RangeError);
  });
});
