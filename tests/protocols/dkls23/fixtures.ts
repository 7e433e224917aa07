// Shared helpers for the DKLs23 tests (not a test file).
import { sha256 } from '@noble/hashes/sha2.js';
import { DKLS_CURVES, type DklsCurve, type DklsCurveName } from '../../../protocols/dkls23/curve.ts';

export const CURVE_NAMES: DklsCurveName[] = ['secp256k1', 'p256'];
export const CURVES: [DklsCurveName, DklsCurve][] = CURVE_NAMES.map((n) => [n, DKLS_CURVES[n]]);

/**
 * Deterministic test randomness: SHA-256 in counter mode over a seed string. The known-answer
 * files depend on it byte for byte, so it is defined here and must never change.
 */
export function seededRng(seed: string | number): (n: number) => Uint8Array {
  let counter = 0;
  const key = new TextEncoder().encode(`tutti-dkls23-test-rng/${seed}/`);
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 32) {
      const block = sha256(new Uint8Array([...key, ...new TextEncoder().encode(String(counter++))]));
      out.set(block.subarray(0, Math.min(32, n - off)), off);
    }
    return out;
  };
}

/** A 32-byte session id from a label. */
export function sid(label: string): Uint8Array {
  return sha256(new TextEncoder().encode(`dkls23-test-session/${label}`));
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export function flip(b: Uint8Array, at: number, bit = 1): Uint8Array {
  const out = b.slice();
  out[at]! ^= bit;
  return out;
}
