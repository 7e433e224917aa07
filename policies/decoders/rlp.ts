// Strict RLP (Ethereum Yellow Paper, Appendix B) for policy evaluation. Only the one canonical
// encoding of a value is accepted (docs/policies.md "Strict decoding": viem and ethers accept leading zeros
// and long-form single bytes, which lets two parties read one byte string differently):
//   - a single byte below 0x80 must be encoded as itself, never as 0x81 xx;
//   - short form (0x80–0xb7 / 0xc0–0xf7) whenever the payload is at most 55 bytes;
//   - long-form lengths have no leading zero byte;
//   - the whole input is one item, nothing trails it;
//   - nesting is bounded (maxDepth) so a 100,000-deep list fails cleanly, not with a stack overflow;
// and decodeRlpStrict() re-encodes the result and requires the same bytes back.
// Integers (uint) are decoded by rlpUint(): no leading zero byte, at most maxBytes bytes.
import { DecodeError, noncanonical, parseError } from '../errors.ts';

export type RlpItem = Uint8Array | RlpItem[];

/** Deepest nesting any supported format needs: tx list → access list → entry → storage keys. */
export const RLP_MAX_DEPTH = 8;
/** Total number of items in one message, a count limit rather than a time limit (docs/policies.md "Strict decoding"). */
export const RLP_MAX_ITEMS = 65_536;

type Cursor = { items: number };

function readLength(bytes: Uint8Array, at: number, lenOfLen: number): number {
  if (at + lenOfLen > bytes.length) parseError('RLP length runs past the end of the input');
  if (bytes[at] === 0) noncanonical('RLP long-form length has a leading zero byte');
  let n = 0;
  for (let i = 0; i < lenOfLen; i++) n = n * 256 + bytes[at + i]!;
  if (n <= 55) noncanonical('RLP long form used for a payload of at most 55 bytes');
  if (n > Number.MAX_SAFE_INTEGER) parseError('RLP length out of range');
  return n;
}

function decodeAt(bytes: Uint8Array, at: number, end: number, depth: number, maxDepth: number, cur: Cursor): [RlpItem, number] {
  if (at >= end) parseError('RLP input ends where an item was expected');
  if (++cur.items > RLP_MAX_ITEMS) parseError(`RLP has more than ${RLP_MAX_ITEMS} items`);
  const b = bytes[at]!;
  if (b < 0x80) return [bytes.subarray(at, at + 1), at + 1];
  if (b <= 0xbf) {
    let start: number;
    let len: number;
    if (b <= 0xb7) {
      len = b - 0x80;
      start = at + 1;
    } else {
      const lol = b - 0xb7;
      len = readLength(bytes, at + 1, lol);
      start = at + 1 + lol;
    }
    if (start + len > end) parseError('RLP string runs past the end of its container');
    if (len === 1 && bytes[start]! < 0x80) noncanonical('RLP single byte below 0x80 written as a one-byte string');
    return [bytes.subarray(start, start + len), start + len];
  }
  if (depth >= maxDepth) parseError(`RLP nesting deeper than ${maxDepth}`);
  let start: number;
  let len: number;
  if (b <= 0xf7) {
    len = b - 0xc0;
    start = at + 1;
  } else {
    const lol = b - 0xf7;
    len = readLength(bytes, at + 1, lol);
    start = at + 1 + lol;
  }
  const stop = start + len;
  if (stop > end) parseError('RLP list runs past the end of its container');
  const list: RlpItem[] = [];
  let p = start;
  while (p < stop) {
    const [item, next] = decodeAt(bytes, p, stop, depth + 1, maxDepth, cur);
    list.push(item);
    p = next;
  }
  return [list, stop];
}

/** Decodes exactly one item spanning all of `bytes`, rejecting every non-canonical form. */
export function decodeRlp(bytes: Uint8Array, maxDepth = RLP_MAX_DEPTH): RlpItem {
  const [item, next] = decodeAt(bytes, 0, bytes.length, 0, maxDepth, { items: 0 });
  if (next !== bytes.length) parseError(`${bytes.length - next} bytes trail the RLP item`);
  return item;
}

function lengthPrefix(len: number, short: number): Uint8Array {
  if (len <= 55) return Uint8Array.of(short + len);
  const digits: number[] = [];
  for (let n = len; n > 0; n = Math.floor(n / 256)) digits.unshift(n % 256);
  return Uint8Array.of(short + 55 + digits.length, ...digits);
}

function encodeInto(item: RlpItem, out: Uint8Array[]): number {
  if (item instanceof Uint8Array) {
    if (item.length === 1 && item[0]! < 0x80) {
      out.push(item);
      return 1;
    }
    const p = lengthPrefix(item.length, 0x80);
    out.push(p, item);
    return p.length + item.length;
  }
  const parts: Uint8Array[] = [];
  let len = 0;
  for (const x of item) len += encodeInto(x, parts);
  const p = lengthPrefix(len, 0xc0);
  out.push(p, ...parts);
  return p.length + len;
}

/** The canonical encoding of an item. */
export function encodeRlp(item: RlpItem): Uint8Array {
  const parts: Uint8Array[] = [];
  const len = encodeInto(item, parts);
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** decodeRlp, then the round-trip check of docs/policies.md "Strict decoding": re-encoding must give the same bytes. */
export function decodeRlpStrict(bytes: Uint8Array, maxDepth = RLP_MAX_DEPTH): RlpItem {
  const item = decodeRlp(bytes, maxDepth);
  const again = encodeRlp(item);
  if (again.length !== bytes.length || again.some((x, i) => x !== bytes[i])) noncanonical('RLP does not re-encode to the same bytes');
  return item;
}

/** A canonical unsigned integer: no leading zero byte (zero is the empty string), at most maxBytes bytes. */
export function rlpUint(item: RlpItem, field: string, maxBytes = 32): bigint {
  if (!(item instanceof Uint8Array)) parseError(`${field} must be an RLP string, got a list`);
  const b = item as Uint8Array;
  if (b.length > maxBytes) parseError(`${field} is ${b.length} bytes, more than ${maxBytes}`);
  if (b.length > 0 && b[0] === 0) noncanonical(`${field} has a leading zero byte`);
  let n = 0n;
  for (const x of b) n = (n << 8n) | BigInt(x);
  return n;
}

/** A byte string field (RLP string, not a list). */
export function rlpBytes(item: RlpItem, field: string): Uint8Array {
  if (!(item instanceof Uint8Array)) parseError(`${field} must be an RLP string, got a list`);
  return item as Uint8Array;
}

/** A list field. */
export function rlpList(item: RlpItem, field: string): RlpItem[] {
  if (item instanceof Uint8Array) parseError(`${field} must be an RLP list`);
  return item as RlpItem[];
}

export { DecodeError };
