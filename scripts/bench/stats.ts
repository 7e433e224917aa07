// Timing helpers for the benchmark: bounded loops (a cap on iterations and on wall time, after a
// warm-up) and order statistics. Nearest-rank percentiles: p99 of 100 samples is the 99th.

export type Summary = { n: number; p50: number; p95: number; p99: number; mean: number; min: number; max: number };

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) return { n: 0, p50: NaN, p95: NaN, p99: NaN, mean: NaN, min: NaN, max: NaN };
  const s = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
  return { n: s.length, p50: rank(50), p95: rank(95), p99: rank(99), mean: s.reduce((a, b) => a + b, 0) / s.length, min: s[0]!, max: s[s.length - 1]! };
}

/** How long a loop may run: at least `warmup` calls and `warmupMs` of warm-up, then at most `maxIter` calls or `maxMs`. */
export type Loop = { warmup: number; warmupMs: number; maxIter: number; maxMs: number; minIter?: number };

/**
 * Times `f` call by call (ms); `f` gets the iteration number (warm-up calls are negative). If `f`
 * returns a number, that is recorded instead, so it can leave its checks out of the timing.
 */
export function timeSync(loop: Loop, f: (i: number) => number | void): number[] {
  const w0 = performance.now();
  for (let i = 0; i < loop.warmup || performance.now() - w0 < loop.warmupMs; i++) f(-1 - i);
  const samples: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < loop.maxIter && (performance.now() - t0 < loop.maxMs || i < (loop.minIter ?? 1)); i++) {
    const a = performance.now();
    const r = f(i);
    samples.push(typeof r === 'number' ? r : performance.now() - a);
  }
  return samples;
}

/** As timeSync for an async call; `f` returns the time to record (ms), so it can leave checks out of the timing. */
export async function timeAsync(loop: Loop, f: (i: number) => Promise<number>): Promise<number[]> {
  const w0 = performance.now();
  for (let i = 0; i < loop.warmup || performance.now() - w0 < loop.warmupMs; i++) await f(-1 - i);
  const samples: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < loop.maxIter && (performance.now() - t0 < loop.maxMs || i < (loop.minIter ?? 1)); i++) samples.push(await f(i));
  return samples;
}

export const round = (x: number, digits = 3): number => (Number.isFinite(x) ? Number(x.toPrecision(digits)) : x);
