// Static Solidity ABI arguments (Solidity ABI spec, "Formal Specification of the Encoding"): calldata
// = 4-byte selector || one 32-byte word per argument, for head-only types (address, bool, bytesN,
// uintN). Strict: exactly 4 + 32·n bytes, and every word in its one canonical padding (an address
// with non-zero upper 12 bytes, a bool of 2, a uint8 of 256 — test case 10 — are refused).
import { noncanonical, parseError } from '../errors.ts';

export type AbiValue = { type: string; text: string; num: bigint | null };

const toHex = (b: Uint8Array): string => `0x${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')}`;

export function decodeStaticArgs(data: Uint8Array, abi: readonly string[]): AbiValue[] {
  if (data.length !== 4 + 32 * abi.length) parseError(`calldata is ${data.length} bytes, ${abi.map(String).join(',')} needs exactly ${4 + 32 * abi.length}`);
  return abi.map((type, i) => {
    const w = data.subarray(4 + 32 * i, 36 + 32 * i);
    let n = 0n;
    for (const x of w) n = (n << 8n) | BigInt(x);
    if (type === 'address') {
      if (n >> 160n !== 0n) noncanonical(`argument ${i} (address) has non-zero upper bytes`);
      return { type, text: toHex(w.subarray(12)), num: null };
    }
    if (type === 'bool') {
      if (n > 1n) noncanonical(`argument ${i} (bool) is neither 0 nor 1`);
      return { type, text: n === 1n ? 'true' : 'false', num: n };
    }
    const bytesN = /^bytes([0-9]+)$/.exec(type);
    if (bytesN) {
      const len = Number(bytesN[1]);
      if (w.subarray(len).some((x) => x !== 0)) noncanonical(`argument ${i} (${type}) is not zero-padded on the right`);
      return { type, text: toHex(w.subarray(0, len)), num: null };
    }
    const bits = BigInt(/^uint([0-9]+)$/.exec(type)![1]!);
    if (n >> bits !== 0n) noncanonical(`argument ${i} (${type}) exceeds ${bits} bits`);
    return { type, text: n.toString(), num: n };
  });
}
