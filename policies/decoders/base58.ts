// Base58 (Bitcoin alphabet) for Solana public keys in policies. Canonical: each leading '1' is one
// leading zero byte, and decode(encode(x)) = x, so one key has exactly one spelling.
const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

export function base58Encode(bytes: Uint8Array): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let out = '';
  while (n > 0n) {
    out = ALPHABET[Number(n % 58n)]! + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = `1${out}`;
  }
  return out;
}

/** Decodes to exactly `length` bytes, or returns null. */
export function base58Decode(text: string, length: number): Uint8Array | null {
  let n = 0n;
  let zeros = 0;
  for (const ch of text) {
    const d = ALPHABET.indexOf(ch);
    if (d < 0) return null;
    if (n === 0n && d === 0) {
      zeros++;
      continue;
    }
    n = n * 58n + BigInt(d);
  }
  const body: number[] = [];
  for (; n > 0n; n >>= 8n) body.unshift(Number(n & 0xffn));
  if (zeros + body.length !== length) return null;
  const out = new Uint8Array(length);
  out.set(body, zeros);
  return base58Encode(out) === text ? out : null;
}
