// Signed odd-digit recoding of a scalar, shared by the lockstep batches (batch-mul.ts), the
// single products (scalar-mul.ts) and the WebAssembly products (kernel/ec-kernel.ts).

/**
 * Regular recoding of an odd k < 2^(bits·(digits−1)) into odd signed base-2^bits digits:
 * k = Σ_i d_i·2^(bits·i), d_i odd in [−(2^bits − 1), 2^bits − 1], top digit 1. Every digit is
 * non-zero, so the sequence of additions does not depend on k (Joye–Tunstall).
 */
export function recodeOdd(k: bigint, digits = 65, bits = 4): number[] {
  const w = BigInt(bits);
  if ((k & 1n) === 0n || k <= 0n || k >= 1n << (w * BigInt(digits - 1))) throw new RangeError(`recodeOdd needs an odd k below 2^${bits * (digits - 1)}`);
  const mask = (1n << (w + 1n)) - 1n,
    half = 1 << bits;
  const d: number[] = [];
  for (let i = 0; i < digits - 1; i++) {
    const di = Number(k & mask) - half;
    d.push(di);
    k = (k - BigInt(di)) >> w;
  }
  if (k !== 1n) throw new Error('recoding invariant broken');
  d.push(1);
  return d;
}
