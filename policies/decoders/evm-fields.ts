// Field decoders shared by the three Ethereum transaction formats (legacy / EIP-155, EIP-2930,
// EIP-1559) and the decoded transaction every policy condition reads. Range checks follow the
// consensus rules, so a value no node would accept never reaches a comparison (docs/policies.md "Strict decoding":
// a 33-byte value or a list-typed nonce must be a parse error, never `undefined`).
import { parseError } from '../errors.ts';
import { rlpBytes, rlpList, rlpUint, type RlpItem } from './rlp.ts';

export type EvmTxType = 'legacy' | 'legacyEip155' | 'eip2930' | 'eip1559';

export type AccessListEntry = { address: Uint8Array; storageKeys: Uint8Array[] };

/** An unsigned transaction as the party will sign it. Amounts are bigints; no field is ever undefined. */
export type EvmTransaction = {
  txType: EvmTxType;
  /** null only for a pre-EIP-155 legacy transaction (replayable on every chain). */
  chainId: bigint | null;
  nonce: bigint;
  /** gasPrice for legacy / EIP-2930, maxFeePerGas for EIP-1559: the most the sender can pay per gas. */
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint | null;
  gasLimit: bigint;
  /** null = contract creation (empty `to`). */
  to: Uint8Array | null;
  value: bigint;
  data: Uint8Array;
  accessList: AccessListEntry[];
};

/** EIP-2681: the nonce is below 2^64 − 1. */
export const nonceField = (item: RlpItem): bigint => {
  const n = rlpUint(item, 'nonce', 8);
  if (n >= 0xffffffffffffffffn) parseError('nonce must be below 2^64 - 1 (EIP-2681)');
  return n;
};
export const gasLimitField = (item: RlpItem): bigint => rlpUint(item, 'gasLimit', 8);
export const uint256Field = (item: RlpItem, name: string): bigint => rlpUint(item, name, 32);

export function chainIdField(item: RlpItem): bigint {
  const id = rlpUint(item, 'chainId', 32);
  if (id === 0n) parseError('chainId 0 is not a chain');
  return id;
}

/** Recipient: 20 bytes, or empty for contract creation. */
export function toField(item: RlpItem): Uint8Array | null {
  const b = rlpBytes(item, 'to');
  if (b.length === 0) return null;
  if (b.length !== 20) parseError(`to is ${b.length} bytes, an address has 20`);
  return b;
}

/** EIP-2930 access list: [[address(20), [storageKey(32), …]], …]. */
export function accessListField(item: RlpItem): AccessListEntry[] {
  return rlpList(item, 'accessList').map((entry, i) => {
    const pair = rlpList(entry, `accessList[${i}]`);
    if (pair.length !== 2) parseError(`accessList[${i}] has ${pair.length} fields, expected 2`);
    const address = rlpBytes(pair[0]!, `accessList[${i}].address`);
    if (address.length !== 20) parseError(`accessList[${i}].address is ${address.length} bytes`);
    const storageKeys = rlpList(pair[1]!, `accessList[${i}].storageKeys`).map((k, j) => {
      const key = rlpBytes(k, `accessList[${i}].storageKeys[${j}]`);
      if (key.length !== 32) parseError(`accessList[${i}].storageKeys[${j}] is ${key.length} bytes`);
      return key;
    });
    return { address, storageKeys };
  });
}

export function fieldCount(list: RlpItem[], expected: number, what: string): void {
  if (list.length !== expected) parseError(`${what} has ${list.length} fields, expected ${expected}`);
}
