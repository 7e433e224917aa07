// What the engine enforces whatever a policy says (docs/policies.md "Built-in invariants"):
//   I-1  ECDSA_KECCAK_256 never signs raw bytes: Keccak-256 of RLP bytes IS an Ethereum transaction
//        hash, and Keccak of 0x19 0x01 ‖ two hashes is a blind EIP-712 signature. Under this
//        algorithm a RAW message must be one of the parsed formats (transaction, EIP-191, EIP-712 JSON).
//   I-2  No 32-byte RAW message under ECDSA_SHA_256 on secp256k1: SHA-256 of a SHA-256 is Bitcoin's
//        double-SHA-256 sighash (BIP-143 and legacy), so "RAW only" would not stop blind Bitcoin signing.
//   I-3  DIGEST only when some allow rule names DIGEST in messageType.
//   I-4  Ed25519 never signs, as raw bytes, bytes that begin with a Solana message: Solana signs the
//        serialized message itself (the runtime verifies over the packet from the message start on).
//        Such bytes are signable only as a whole solanaMessage under a rule that names that format.
// Plus the supported (key spec, algorithm, message type) combinations and DIGEST lengths.
// Both come from the one table of key specs (protocols/core/key-specs.ts).
import { KEY_SPEC_NAMES, KEY_SPEC_TABLE, SIGNING_ALGORITHMS } from '../protocols/core/key-specs.ts';
import type { FormatKind, KeySpec, SigningAlgorithm } from './types.ts';

const ALGORITHMS: Array<[KeySpec, readonly SigningAlgorithm[]]> = KEY_SPEC_NAMES.map((k) => [k, KEY_SPEC_TABLE[k].algorithms]);
export const ALGORITHMS_BY_KEY_SPEC = Object.fromEntries(ALGORITHMS) as Record<KeySpec, readonly SigningAlgorithm[]>;

export const FORMATS_BY_KEY_SPEC: Record<KeySpec, readonly FormatKind[]> = {
  ECC_SECG_P256K1: ['raw', 'eip191', 'eip712', 'evmTransaction'],
  ECC_NIST_P256: ['raw'],
  ECC_NIST_EDWARDS25519: ['raw', 'solanaMessage'],
  ECC_NIST_EDWARDS448: ['raw'],
};

/** DIGEST length per algorithm; pure EdDSA has no DIGEST form (RFC 8032 signs the message itself). */
const digestBytes = (algorithm: SigningAlgorithm): number | null => SIGNING_ALGORITHMS[algorithm].digestBytes;

export type InvariantId = 'I-1' | 'I-2' | 'I-3' | 'I-4';

export class InvariantViolation extends Error {
  constructor(
    readonly id: InvariantId,
    message: string,
  ) {
    super(message);
    this.name = 'InvariantViolation';
  }
}

/** Why (keySpec, algorithm, messageType, message length) is not a supported combination, or null. */
export function algorithmMismatch(keySpec: string, algorithm: string, messageType: string, messageLength: number): string | null {
  const algorithms = ALGORITHMS_BY_KEY_SPEC[keySpec as KeySpec] as readonly string[] | undefined;
  if (!algorithms) return `key spec ${keySpec} is not supported`;
  if (!algorithms.includes(algorithm)) return `${algorithm} is not an algorithm of ${keySpec}`;
  if (messageType === 'RAW') return null;
  if (messageType !== 'DIGEST') return `message type ${messageType} is not supported`;
  const len = digestBytes(algorithm as SigningAlgorithm);
  if (len === null) return `${algorithm} signs the message itself; DIGEST is not possible`;
  if (messageLength !== len) return `a ${algorithm} DIGEST is ${len} bytes, got ${messageLength}`;
  return null;
}

/** I-2: a 32-byte RAW message under ECDSA_SHA_256 on secp256k1. */
export function bitcoinSighashRisk(keySpec: string, algorithm: string, message: Uint8Array): boolean {
  return keySpec === 'ECC_SECG_P256K1' && algorithm === 'ECDSA_SHA_256' && message.length === 32;
}
