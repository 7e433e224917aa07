// Randomness from the injected rng (protocols/core/session.ts Rng): never Math.random, never a
// global source, so that tests can replay a run exactly and services decide where entropy comes from.
import { bytesToNumberBE } from '@noble/curves/utils.js';
import type { Rng } from '../core/session.ts';
import type { DklsCurve } from './curve.ts';

/** n bytes from the rng, refusing a short or non-byte answer. */
export function randomBytes(rng: Rng, n: number): Uint8Array {
  const out = rng(n);
  if (!(out instanceof Uint8Array) || out.length !== n) throw new Error(`rng returned ${String((out as { length?: number })?.length)} bytes, wanted ${n}`);
  return Uint8Array.from(out);
}

/**
 * A uniform non-zero scalar: 48 random bytes reduced mod q (bias below 2^-128, as RFC 9380 §5
 * hash_to_field with L = 48), redrawn in the negligible case of zero.
 */
export function randomScalar(curve: DklsCurve, rng: Rng): bigint {
  for (;;) {
    const s = curve.Fn.create(bytesToNumberBE(randomBytes(rng, 48)));
    if (s !== 0n) return s;
  }
}
