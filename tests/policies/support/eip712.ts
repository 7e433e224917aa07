// Safe v1.3.0 SafeTx typed data (EIP712Domain(uint256 chainId,address verifyingContract)) as canonical JSON.
import { canonicalize } from '../../../policies/jcs.ts';

export const SAFE = '0x2222222222222222222222222222222222222222';
export const HOT_WALLET = '0x3333333333333333333333333333333333333333';
export const ZERO = '0x0000000000000000000000000000000000000000';

export const SAFE_TX_TYPE = [
  { name: 'to', type: 'address' },
  { name: 'value', type: 'uint256' },
  { name: 'data', type: 'bytes' },
  { name: 'operation', type: 'uint8' },
  { name: 'safeTxGas', type: 'uint256' },
  { name: 'baseGas', type: 'uint256' },
  { name: 'gasPrice', type: 'uint256' },
  { name: 'gasToken', type: 'address' },
  { name: 'refundReceiver', type: 'address' },
  { name: 'nonce', type: 'uint256' },
];

export type TypedData = {
  types: Record<string, Array<{ name: string; type: string }>>;
  primaryType: string;
  domain: Record<string, unknown>;
  message: Record<string, unknown>;
};

export function safeTx(
  over: { message?: Record<string, unknown>; domain?: Record<string, unknown>; domainType?: Array<{ name: string; type: string }> } = {},
): TypedData {
  return {
    types: {
      EIP712Domain: over.domainType ?? [
        { name: 'chainId', type: 'uint256' },
        { name: 'verifyingContract', type: 'address' },
      ],
      SafeTx: SAFE_TX_TYPE,
    },
    primaryType: 'SafeTx',
    domain: over.domain ?? { chainId: 1, verifyingContract: SAFE },
    message: {
      to: HOT_WALLET,
      value: '1000000000000000000',
      data: '0x',
      operation: 0,
      safeTxGas: '0',
      baseGas: '0',
      gasPrice: '0',
      gasToken: ZERO,
      refundReceiver: ZERO,
      nonce: '42',
      ...over.message,
    },
  };
}

export const jsonBytes = (x: unknown): Uint8Array => new TextEncoder().encode(canonicalize(x));
