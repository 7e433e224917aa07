// The tests' own RLP encoder, written independently of policies/decoders/rlp.ts so that the engine
// is checked against transactions it did not build itself. Values: bigint/number (canonical
// big-endian, zero = empty string), Uint8Array, hex string ("0x…"), or nested arrays.
export type RlpInput = bigint | number | Uint8Array | string | RlpInput[];

export const hex = (s: string): Uint8Array => Uint8Array.from((s.startsWith('0x') ? s.slice(2) : s).match(/../g) ?? [], (h) => parseInt(h, 16));
export const toHex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`;
export const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

function intBytes(n: bigint): Uint8Array {
  if (n < 0n) throw new RangeError('negative');
  const h = n === 0n ? '' : n.toString(16);
  return hex(h.length % 2 ? `0${h}` : h);
}

function header(len: number, base: number): Uint8Array {
  if (len < 56) return Uint8Array.of(base + len);
  const l = intBytes(BigInt(len));
  return Uint8Array.of(base + 55 + l.length, ...l);
}

export function rlp(x: RlpInput): Uint8Array {
  if (Array.isArray(x)) {
    const body = cat(...x.map(rlp));
    return cat(header(body.length, 0xc0), body);
  }
  const b = typeof x === 'bigint' || typeof x === 'number' ? intBytes(BigInt(x)) : typeof x === 'string' ? hex(x) : x;
  if (b.length === 1 && b[0]! < 0x80) return b;
  return cat(header(b.length, 0x80), b);
}
