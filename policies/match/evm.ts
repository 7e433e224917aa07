// evmTransaction conditions (docs/policies.md "evmTransaction"), evaluated in a fixed order:
// txTypes, chainId, contract creation / to, value, gasLimit, maxFeePerGas, nonce, accessList, data.
import { decodeStaticArgs } from '../decoders/abi.ts';
import { DecodeError } from '../errors.ts';
import type { EvmTransaction } from '../decoders/evm-fields.ts';
import type { EvmTransactionFormat } from '../types.ts';
import { hexOf, inStringSet, inUintRange, inUintSet, satisfies } from './values.ts';
import { fails, firstMiss, unknown, type Verdict } from './verdict.ts';

function dataVerdict(d: NonNullable<EvmTransactionFormat['data']>, data: Uint8Array): Verdict {
  if (d.maxBytes !== undefined && data.length > d.maxBytes) return fails(`calldata of ${data.length} bytes is above ${d.maxBytes}`);
  if (data.length === 0) {
    if (d.allowEmpty === true) return null;
    if (d.allowEmpty === false || d.selectors || d.abi) return fails('empty calldata is not allowed');
    return null;
  }
  if (data.length < 4 && (d.selectors || d.abi)) return fails(`calldata of ${data.length} bytes has no selector`);
  const selector = hexOf(data.subarray(0, 4));
  if (d.selectors && !d.selectors.in.includes(selector)) return fails(`selector ${selector} is not allowed`);
  // An ABI restricts to its functions (docs/policies.md "evmTransaction"): a selector the rule
  // names no entry for does not match, with or without `selectors`. Otherwise a rule meant to cap
  // transfer(to, amount) would let approve(spender, 2^256 − 1) through unconstrained.
  if (d.abi && !d.abi.some((a) => a.selector === selector)) return fails(`selector ${selector} is not one of the rule's ABI functions`);
  for (const a of d.abi ?? []) {
    if (a.selector !== selector) continue;
    let args;
    try {
      args = decodeStaticArgs(data, a.abi);
    } catch (e) {
      if (e instanceof DecodeError) return unknown(`calldata for ${selector}(${a.abi.join(',')}): ${e.code}: ${e.message}`);
      throw e;
    }
    for (const arg of a.args ?? []) {
      const v = satisfies(arg.constraint, args[arg.index]!, `argument ${arg.index} of ${selector}`);
      if (v) return v;
    }
  }
  return null;
}

export function evmVerdict(f: EvmTransactionFormat, tx: EvmTransaction, effect: 'allow' | 'deny'): Verdict {
  const creation = f.contractCreation ?? (effect === 'allow' ? 'excluded' : 'included');
  return firstMiss(
    () => (f.txTypes && !(f.txTypes.in as string[]).includes(tx.txType) ? fails(`transaction type ${tx.txType} is not allowed`) : null),
    () => (f.chainId ? (tx.chainId === null ? fails('transaction has no chain id (pre-EIP-155)') : inUintSet(f.chainId, tx.chainId, 'chainId')) : null),
    () => {
      if (tx.to === null) return creation === 'excluded' ? fails('contract creation is not allowed') : null;
      return creation === 'only' ? fails('rule covers contract creation only') : null;
    },
    () => (f.to ? (tx.to === null ? ('in' in f.to ? fails('contract creation has no recipient') : null) : inStringSet(f.to, hexOf(tx.to), 'to')) : null),
    () => (f.value ? inUintRange(f.value, tx.value, 'value') : null),
    () => (f.gasLimit ? inUintRange(f.gasLimit, tx.gasLimit, 'gasLimit') : null),
    () => (f.maxFeePerGas ? inUintRange(f.maxFeePerGas, tx.maxFeePerGas, 'maxFeePerGas') : null),
    () => (f.nonce ? inUintRange(f.nonce, tx.nonce, 'nonce') : null),
    () => (f.accessList === 'mustBeEmpty' && tx.accessList.length > 0 ? fails('access list must be empty') : null),
    () => (f.data ? dataVerdict(f.data, tx.data) : null),
  );
}
