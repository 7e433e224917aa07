// Reads the message the way the party will sign it. The format follows from the algorithm and the
// first bytes — never from a caller-supplied label — and the formats are disjoint by construction
// (docs/policies.md "Built-in invariants"): legacy RLP starts at ≥ 0xc0, typed transactions with their EIP-2718 type byte
// (0x00–0x7f), EIP-191/712 preimages with 0x19, EIP-712 JSON with '{'.
//
//   DIGEST                               → digest (opaque)
//   ECDSA_KECCAK_256, RAW: 0x19 …        → eip191 (version 0x45 only)
//                          '{' …         → eip712 (canonical JSON typed data)
//                          0x01, 0x02, ≥ 0xc0, other 0x00–0x7f → evmTransaction (or UNSUPPORTED_FORMAT)
//                          anything else → I-1
//   ECDSA_SHA_256, RAW                   → raw (I-2 on secp256k1 for 32 bytes)
//   ED25519_SHA_512, RAW                 → solanaMessage if the bytes are exactly one; I-4 if they
//                                          begin with one; raw otherwise
//   ED25519_PH_SHA_512 / ED448_SHAKE_256 → raw
import { decodeEip191, type Eip191Message } from './decoders/eip191.ts';
import { decodeEip712, type Eip712Data } from './decoders/eip712.ts';
import type { EvmTransaction } from './decoders/evm-fields.ts';
import { decodeEvmTransaction } from './decoders/evm-tx.ts';
import { decodeSolanaMessage, startsWithSolanaMessage, type SolanaMessage } from './decoders/solana-message.ts';
import { DecodeError } from './errors.ts';
import { bitcoinSighashRisk, InvariantViolation } from './invariants.ts';
import { parseCanonicalJson } from './jcs.ts';

export type ParsedMessage =
  | { kind: 'digest' }
  | { kind: 'raw' }
  | { kind: 'eip191'; eip191: Eip191Message }
  | { kind: 'eip712'; eip712: Eip712Data }
  | { kind: 'evmTransaction'; tx: EvmTransaction }
  | { kind: 'solanaMessage'; solana: SolanaMessage };

/** Throws DecodeError (malformed) or InvariantViolation (I-1, I-2, I-4). */
export function classifyMessage(keySpec: string, algorithm: string, messageType: string, message: Uint8Array): ParsedMessage {
  if (messageType === 'DIGEST') return { kind: 'digest' };
  const first = message[0];
  switch (algorithm) {
    case 'ECDSA_KECCAK_256': {
      if (first === 0x19) return { kind: 'eip191', eip191: decodeEip191(message) };
      if (first === 0x7b) return { kind: 'eip712', eip712: decodeEip712(parseCanonicalJson(message)) };
      if (first !== undefined && (first < 0x80 || first >= 0xc0)) return { kind: 'evmTransaction', tx: decodeEvmTransaction(message) };
      throw new InvariantViolation('I-1', 'ECDSA_KECCAK_256 never signs raw bytes: the message must be a transaction, an EIP-191 message or EIP-712 JSON');
    }
    case 'ECDSA_SHA_256':
      if (bitcoinSighashRisk(keySpec, algorithm, message)) {
        throw new InvariantViolation('I-2', 'a 32-byte RAW message under ECDSA_SHA_256 on secp256k1 signs SHA-256(SHA-256(x)), a Bitcoin sighash');
      }
      return { kind: 'raw' };
    case 'ED25519_SHA_512':
      try {
        return { kind: 'solanaMessage', solana: decodeSolanaMessage(message) };
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        if (startsWithSolanaMessage(message)) {
          throw new InvariantViolation('I-4', 'the bytes begin with a Solana transaction message and are not signable as raw bytes');
        }
        return { kind: 'raw' };
      }
    default:
      return { kind: 'raw' };
  }
}
