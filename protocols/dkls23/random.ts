// Randomness from the injected rng (protocols/core/session.ts Rng): never Math.random, never a
// global source, so that tests can replay a run exactly and services decide where entropy comes from.
import { bytesToNumberBE } from '@noble/curves/utils.js';
import type { Rng } from '../core/session.ts';
import type { DklsCurve } from './curve.ts';
import { sha256 } from './hash.ts';

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

/**
 * A deterministic rng for one step of a session, derived from the session's secret seed (drawn
 * from the injected rng at creation) and a context naming the step: SHA-256(seed ‖ context ‖ u32
 * counter). A session restored from a snapshot therefore recomputes exactly the messages it may
 * already have sent, instead of sending different ones (which peers would take for equivocation).
 */
export function derivedRng(seed: Uint8Array, context: string): Rng {
  const prefix = new TextEncoder().encode(context);
  const buf = new Uint8Array(seed.length + 4 + prefix.length + 4);
  buf.set(seed, 0);
  new DataView(buf.buffer).setUint32(seed.length, prefix.length);
  buf.set(prefix, seed.length + 4);
  const view = new DataView(buf.buffer);
  let counter = 0;
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 32) {
      view.setUint32(buf.length - 4, counter++);
      out.set(sha256(buf).subarray(0, Math.min(32, n - off)), off);
    }
    return out;
  };
}
