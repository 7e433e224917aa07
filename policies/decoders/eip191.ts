// EIP-191 version 0x45 ("personal_sign") preimage, as the party receives it under ECDSA_KECCAK_256:
//   0x19 || "Ethereum Signed Message:\n" || decimal(len(message)) || message
// The party hashes these bytes with Keccak-256, so the message reaches it in full. The length is
// decimal ASCII without leading zeros and must equal the number of bytes that follow; with that
// rule exactly one split of the digits is possible, so the decoding is unambiguous.
// Versions 0x00 (data with validator) and 0x01 (EIP-712 hash preimage) are not evaluated: 0x19 0x01
// followed by two hashes is blind typed-data signing and must come as EIP-712 JSON instead.
import { DecodeError, parseError } from '../errors.ts';

export const EIP191_PREFIX = new TextEncoder().encode('\x19Ethereum Signed Message:\n');

export type Eip191Message = { message: Uint8Array };

export function decodeEip191(bytes: Uint8Array): Eip191Message {
  if (bytes[0] !== 0x19) parseError('EIP-191 data must start with 0x19');
  if (bytes[1] !== 0x45) {
    throw new DecodeError(
      'UNSUPPORTED_FORMAT',
      `EIP-191 version 0x${(bytes[1] ?? 0).toString(16).padStart(2, '0')} is not evaluated; only 0x45 (personal message)`,
    );
  }
  for (let i = 0; i < EIP191_PREFIX.length; i++) if (bytes[i] !== EIP191_PREFIX[i]) parseError('EIP-191 personal message prefix mismatch');
  const rest = bytes.subarray(EIP191_PREFIX.length);
  let value = 0;
  for (let k = 1; k <= Math.min(rest.length, 16); k++) {
    const d = rest[k - 1]!;
    if (d < 0x30 || d > 0x39) break;
    if (k === 2 && rest[0] === 0x30) break; // "0" may only stand alone
    value = value * 10 + (d - 0x30);
    if (value === rest.length - k) return { message: rest.subarray(k) };
  }
  return parseError('EIP-191 length prefix does not match the message length');
}

export function encodeEip191(message: Uint8Array): Uint8Array {
  const len = new TextEncoder().encode(String(message.length));
  const out = new Uint8Array(EIP191_PREFIX.length + len.length + message.length);
  out.set(EIP191_PREFIX, 0);
  out.set(len, EIP191_PREFIX.length);
  out.set(message, EIP191_PREFIX.length + len.length);
  return out;
}
