// The soak's growth verdict (scripts/bench/soak.ts): a garbage-collected saw-tooth is flat, a
// steady climb grows, and the warm-up lasts a tenth of the run within 10–60 s.
import { expect, test } from '@jest/globals';
import { slope, trend, warmupSeconds } from '../../../scripts/bench/soak.ts';

const t = Array.from({ length: 109 }, (_, i) => i * 5); // 9 minutes, a sample every 5 s

test('least-squares slope', () => {
  expect(slope([0, 1, 2, 3], [1, 3, 5, 7])).toBeCloseTo(2);
  expect(slope([0], [1])).toBeNaN();
});

test('a saw-tooth around a constant level is flat', () => {
  const y = t.map((_, i) => 200 + ((i % 6) - 2.5) * 6);
  expect(trend(t, y).verdict).toBe('flat');
});

test('a steady climb of 3 MiB/min grows', () => {
  const y = t.map((s) => 200 + (3 * s) / 60);
  const r = trend(t, y);
  expect(r.slopeSecondHalf).toBeCloseTo(3);
  expect(r.lastThirdMedian - r.firstThirdMedian).toBeGreaterThan(8);
  expect(r.verdict).toBe('grows');
});

test('a single step up that then stays flat is unclear, not growth', () => {
  const y = t.map((s) => (s < 180 ? 126 : 142));
  expect(trend(t, y).verdict).toBe('unclear');
});

test('warm-up: a tenth of the run, at least 10 s, at most 60 s', () => {
  expect(warmupSeconds(600)).toBe(60);
  expect(warmupSeconds(1800)).toBe(60);
  expect(warmupSeconds(45)).toBe(10);
  expect(warmupSeconds(300)).toBe(30);
});
