// RFC 8785 JSON Canonicalization Scheme (JCS): object members sorted by their UTF-16 code units,
// no whitespace, strings and numbers serialized as ECMAScript's JSON.stringify does (RFC 8785 §3.2.2
// defers to ECMA-262 for both). Used for the policy hash, approval statements and EIP-712 payloads.
// parseCanonicalJson() accepts a byte string only if it is exactly the JCS form of what it parses
// to: that rejects duplicate keys (JSON.parse keeps the last one), unsorted keys, whitespace,
// needless escapes and integers that lose precision above 2^53 (docs/policies.md "Strict decoding").
import { DecodeError } from './errors.ts';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export function canonicalize(value: unknown): string {
  if (value === null || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('JCS: non-finite number');
    return JSON.stringify(value);
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalize).join(',')}]`;
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalize(obj[k])}`).join(',')}}`;
  }
  throw new TypeError(`JCS: cannot encode a ${typeof value}`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Strict UTF-8 decoding (no BOM stripping, no replacement characters). */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

/** Parses bytes that must be RFC 8785 canonical JSON; throws DecodeError otherwise. */
export function parseCanonicalJson(bytes: Uint8Array): JsonValue {
  const text = decodeUtf8(bytes);
  if (text === null) throw new DecodeError('PARSE_ERROR', 'JSON is not valid UTF-8');
  let value: JsonValue;
  try {
    value = JSON.parse(text) as JsonValue;
  } catch {
    throw new DecodeError('PARSE_ERROR', 'not valid JSON');
  }
  if (canonicalize(value) !== text) {
    throw new DecodeError('NONCANONICAL', 'JSON is not in RFC 8785 canonical form (duplicate or unsorted keys, whitespace, escapes or imprecise numbers)');
  }
  return value;
}
