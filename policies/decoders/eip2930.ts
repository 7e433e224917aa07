// EIP-2930 signing preimage: 0x01 || rlp([chainId, nonce, gasPrice, gasLimit, to, value, data, accessList]).
import { parseError } from '../errors.ts';
import { accessListField, chainIdField, fieldCount, gasLimitField, nonceField, toField, uint256Field, type EvmTransaction } from './evm-fields.ts';
import { decodeRlpStrict, rlpBytes, rlpList } from './rlp.ts';

export function decodeEip2930Tx(bytes: Uint8Array): EvmTransaction {
  if (bytes[0] !== 0x01) parseError('EIP-2930 transaction must start with type byte 0x01');
  const f = rlpList(decodeRlpStrict(bytes.subarray(1)), 'EIP-2930 transaction');
  fieldCount(f, 8, 'EIP-2930 transaction');
  return {
    txType: 'eip2930',
    chainId: chainIdField(f[0]!),
    nonce: nonceField(f[1]!),
    maxFeePerGas: uint256Field(f[2]!, 'gasPrice'),
    maxPriorityFeePerGas: null,
    gasLimit: gasLimitField(f[3]!),
    to: toField(f[4]!),
    value: uint256Field(f[5]!, 'value'),
    data: rlpBytes(f[6]!, 'data'),
    accessList: accessListField(f[7]!),
  };
}
