// Randomness from the injected rng (protocols/core/session.ts Rng): never Math.random, never a
// global source, so that tests can replay a run exactly and services decide where entropy comes from.
import { bytesToNumberBE } from '@noble/curves/utils.js';
import type { Rng } from '../core/session.ts';
import type { DklsCurve } from './curve.ts';
import { sha256 } from './hash.ts';
import { lengthPrefixed, u32, utf8ToBytes } from '../core/bytes.ts';
import { LABELS } from '../core/labels.ts';

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
 * A deterministic rng derived from a session's secret seed (drawn from the injected rng at
 * creation) and a context: SHA-256(seed ‖ u32 len ctx ‖ ctx ‖ u32 counter). Sessions draw their
 * later rounds' randomness through transcriptRng, never with a fixed context alone: a context that
 * does not bind the transcript gives a restored session the same secrets for different peer
 * messages (dkls23-review F1). The OT setup (ot-setup.ts) expands a 32-byte seed that itself came
 * from transcriptRng.
 */
export function derivedRng(seed: Uint8Array, context: string | Uint8Array): Rng {
  const prefix = typeof context === 'string' ? new TextEncoder().encode(context) : context;
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

/**
 * The randomness of one step of a session: derivedRng(seed, ctx) with ctx = lengthPrefixed(
 * LABELS.dkls23StepRandomness, step name, u32 round, transcript), where `transcript` is the
 * session's running hash of every message it received and sent so far (machine.ts). The same
 * transcript gives the same values, so a session restored from a snapshot and fed the same
 * messages recomputes the messages it may already have sent; a different message from any peer
 * gives fresh, unrelated values (hedged, as RFC 6979 §3.6 binds the message), so a restored
 * session fed different peer messages never answers twice with related secrets (dkls23-review F1).
 */
export function transcriptRng(seed: Uint8Array, step: string, round: number, transcript: Uint8Array): Rng {
  return derivedRng(seed, lengthPrefixed(utf8ToBytes(LABELS.dkls23StepRandomness), utf8ToBytes(step), u32(round), transcript));
}
