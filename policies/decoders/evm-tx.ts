// One entry point for Ethereum transaction preimages, dispatching on the first byte (EIP-2718):
//   0x01 → EIP-2930, 0x02 → EIP-1559, 0xc0–0xff → legacy RLP list,
//   other values in 0x00–0x7f → a typed transaction this engine does not evaluate (EIP-4844 blob
//   transactions 0x03, EIP-7702 set-code transactions 0x04, future types): refused, never guessed.
import { DecodeError } from '../errors.ts';
import { decodeEip1559Tx } from './eip1559.ts';
import { decodeEip2930Tx } from './eip2930.ts';
import type { EvmTransaction } from './evm-fields.ts';
import { decodeLegacyTx } from './legacy-tx.ts';

const KNOWN_UNSUPPORTED: Record<number, string> = { 0x03: 'EIP-4844 blob transaction', 0x04: 'EIP-7702 set-code transaction' };

export function decodeEvmTransaction(bytes: Uint8Array): EvmTransaction {
  const first = bytes[0];
  if (first === undefined) throw new DecodeError('PARSE_ERROR', 'empty transaction');
  if (first === 0x01) return decodeEip2930Tx(bytes);
  if (first === 0x02) return decodeEip1559Tx(bytes);
  if (first >= 0xc0) return decodeLegacyTx(bytes);
  if (first >= 0x80) throw new DecodeError('PARSE_ERROR', 'an RLP string is not a transaction (EIP-2718 types are 0x00–0x7f)');
  const name = KNOWN_UNSUPPORTED[first] ?? `typed transaction 0x${first.toString(16).padStart(2, '0')}`;
  throw new DecodeError('UNSUPPORTED_FORMAT', `${name} is not evaluated by this engine`);
}
