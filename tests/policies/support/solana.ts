// Solana legacy / v0 messages built by hand (docs: "Transactions" message format).
import { base58Decode } from '../../../policies/decoders/base58.ts';
import { cat } from './rlp-encode.ts';

export const SYSTEM_PROGRAM = '11111111111111111111111111111111';
export const TOKEN_PROGRAM = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA';
export const key = (b58: string): Uint8Array => base58Decode(b58, 32)!;
export const filled = (byte: number): Uint8Array => new Uint8Array(32).fill(byte);

export function compactU16(n: number): Uint8Array {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if (n === 0) {
      out.push(b);
      return Uint8Array.from(out);
    }
    out.push(b | 0x80);
  }
}

export type Ix = { program: number; accounts: number[]; data: Uint8Array };

export function message(o: {
  header?: [number, number, number];
  keys: Uint8Array[];
  instructions: Ix[];
  v0?: boolean;
  lookups?: Array<{ table: Uint8Array; writable: number[]; readonly: number[] }>;
}): Uint8Array {
  const parts: Uint8Array[] = [];
  if (o.v0) parts.push(Uint8Array.of(0x80));
  parts.push(Uint8Array.from(o.header ?? [1, 0, 1]), compactU16(o.keys.length), ...o.keys, filled(0xbb), compactU16(o.instructions.length));
  for (const ix of o.instructions)
    parts.push(Uint8Array.of(ix.program), compactU16(ix.accounts.length), Uint8Array.from(ix.accounts), compactU16(ix.data.length), ix.data);
  if (o.v0) {
    const ls = o.lookups ?? [];
    parts.push(compactU16(ls.length));
    for (const l of ls)
      parts.push(l.table, compactU16(l.writable.length), Uint8Array.from(l.writable), compactU16(l.readonly.length), Uint8Array.from(l.readonly));
  }
  return cat(...parts);
}

/** System-program transfer of `lamports` from `payer` to a recipient. */
export function transfer(payer: Uint8Array, lamports = 1_000_000n, extra: Ix[] = [], extraKeys: Uint8Array[] = []): Uint8Array {
  const data = new Uint8Array(12);
  new DataView(data.buffer).setUint32(0, 2, true);
  new DataView(data.buffer).setBigUint64(4, lamports, true);
  return message({
    header: [1, 0, 1 + extraKeys.length],
    keys: [payer, filled(0x22), key(SYSTEM_PROGRAM), ...extraKeys],
    instructions: [{ program: 2, accounts: [0, 1], data }, ...extra],
  });
}
