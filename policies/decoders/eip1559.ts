// EIP-1559 signing preimage: 0x02 || rlp([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas,
// gasLimit, to, value, data, accessList]).
import { parseError } from '../errors.ts';
import { accessListField, chainIdField, fieldCount, gasLimitField, nonceField, toField, uint256Field, type EvmTransaction } from './evm-fields.ts';
import { decodeRlpStrict, rlpBytes, rlpList } from './rlp.ts';

export function decodeEip1559Tx(bytes: Uint8Array): EvmTransaction {
  if (bytes[0] !== 0x02) parseError('EIP-1559 transaction must start with type byte 0x02');
  const f = rlpList(decodeRlpStrict(bytes.subarray(1)), 'EIP-1559 transaction');
  fieldCount(f, 9, 'EIP-1559 transaction');
  const maxPriorityFeePerGas = uint256Field(f[2]!, 'maxPriorityFeePerGas');
  const maxFeePerGas = uint256Field(f[3]!, 'maxFeePerGas');
  if (maxPriorityFeePerGas > maxFeePerGas) parseError('maxPriorityFeePerGas exceeds maxFeePerGas (EIP-1559)');
  return {
    txType: 'eip1559',
    chainId: chainIdField(f[0]!),
    nonce: nonceField(f[1]!),
    maxFeePerGas,
    maxPriorityFeePerGas,
    gasLimit: gasLimitField(f[4]!),
    to: toField(f[5]!),
    value: uint256Field(f[6]!, 'value'),
    data: rlpBytes(f[7]!, 'data'),
    accessList: accessListField(f[8]!),
  };
}
