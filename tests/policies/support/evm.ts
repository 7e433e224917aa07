// Unsigned Ethereum transaction preimages built by hand with the tests' RLP encoder.
import { cat, hex, rlp, type RlpInput } from './rlp-encode.ts';

export const USDC = '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48';
export const TREASURY = '0x1111111111111111111111111111111111111111';
export const DEAD = '0x000000000000000000000000000000000000dead';
export const PAYEE = '0x4444444444444444444444444444444444444444';
export const ETH = 10n ** 18n;

export type Tx1559 = {
  chainId: bigint;
  nonce: bigint;
  maxPriorityFeePerGas: bigint;
  maxFeePerGas: bigint;
  gasLimit: bigint;
  to: string;
  value: bigint;
  data: string;
  accessList: RlpInput[];
};

export const baseTx = (over: Partial<Tx1559> = {}): Tx1559 => ({
  chainId: 1n,
  nonce: 7n,
  maxPriorityFeePerGas: 1_000_000_000n,
  maxFeePerGas: 30_000_000_000n,
  gasLimit: 90_000n,
  to: USDC,
  value: 0n,
  data: transferData(PAYEE, 5_000_000_000n),
  accessList: [],
  ...over,
});

/** The RLP field list of an EIP-1559 transaction (for mutation tests). */
export const fields1559 = (t: Tx1559): RlpInput[] => [
  t.chainId,
  t.nonce,
  t.maxPriorityFeePerGas,
  t.maxFeePerGas,
  t.gasLimit,
  t.to,
  t.value,
  t.data,
  t.accessList,
];

export const eip1559 = (t: Tx1559): Uint8Array => cat(Uint8Array.of(2), rlp(fields1559(t)));

export const eip2930 = (t: Tx1559): Uint8Array =>
  cat(Uint8Array.of(1), rlp([t.chainId, t.nonce, t.maxFeePerGas, t.gasLimit, t.to, t.value, t.data, t.accessList]));

export const legacy155 = (t: Tx1559): Uint8Array => rlp([t.nonce, t.maxFeePerGas, t.gasLimit, t.to, t.value, t.data, t.chainId, 0, 0]);

export const legacyPre155 = (t: Tx1559): Uint8Array => rlp([t.nonce, t.maxFeePerGas, t.gasLimit, t.to, t.value, t.data]);

const word = (h: string): string => h.replace(/^0x/, '').padStart(64, '0');

/** transfer(address,uint256) calldata. */
export function transferData(to: string, amount: bigint): string {
  return `0xa9059cbb${word(to)}${word(amount.toString(16))}`;
}

export { hex };
