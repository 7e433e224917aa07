// Legacy transactions as signing preimages (Yellow Paper §4.2; EIP-155):
//   EIP-155:  rlp([nonce, gasPrice, gasLimit, to, value, data, chainId, 0, 0])
//   pre-155:  rlp([nonce, gasPrice, gasLimit, to, value, data])  — no chain id, replayable anywhere;
//             decoded so that a policy can name it, and no policy can allow it (the schema has no
//             txTypes value for it).
// A 9-field list whose last two fields are not empty is a *signed* transaction, not a preimage.
import { parseError } from '../errors.ts';
import { chainIdField, gasLimitField, nonceField, toField, uint256Field, type EvmTransaction } from './evm-fields.ts';
import { decodeRlpStrict, rlpBytes, rlpList } from './rlp.ts';

export function decodeLegacyTx(bytes: Uint8Array): EvmTransaction {
  const f = rlpList(decodeRlpStrict(bytes), 'legacy transaction');
  if (f.length !== 6 && f.length !== 9) parseError(`legacy transaction has ${f.length} fields, expected 9 (EIP-155) or 6`);
  let chainId: bigint | null = null;
  if (f.length === 9) {
    chainId = chainIdField(f[6]!);
    if (rlpBytes(f[7]!, 'r').length !== 0 || rlpBytes(f[8]!, 's').length !== 0) {
      parseError('EIP-155 signing preimage must end with r = 0 and s = 0');
    }
  }
  return {
    txType: chainId === null ? 'legacy' : 'legacyEip155',
    chainId,
    nonce: nonceField(f[0]!),
    maxFeePerGas: uint256Field(f[1]!, 'gasPrice'),
    maxPriorityFeePerGas: null,
    gasLimit: gasLimitField(f[2]!),
    to: toField(f[3]!),
    value: uint256Field(f[4]!, 'value'),
    data: rlpBytes(f[5]!, 'data'),
    accessList: [],
  };
}
