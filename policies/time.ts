// Time conditions, in UTC only (docs/policies.md "Time": no IANA zones, whose data differs between
// Node/ICU builds). Windows are half-open [start, end) in minutes of the UTC day; 24:00 ends a day.
// All arithmetic is on the integer millisecond clock the party passes in.
import type { TimeCondition } from './types.ts';

const DAY_MS = 86_400_000;

/** "2025-06-01T12:00:00Z" → ms, or null when it is not a real calendar instant. */
export function parseUtcTimestamp(text: string): number | null {
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z$/.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  // Date.UTC normalises 2025-02-30 to March 2; re-derive the fields to refuse such dates.
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return null;
  return ms;
}

/** ISO weekday (Monday = 1 … Sunday = 7); 1970-01-01 was a Thursday. */
export const isoWeekday = (now: number): number => ((((Math.floor(now / DAY_MS) + 3) % 7) + 7) % 7) + 1;

const minutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export type CompiledTime = { notBefore: number | null; notAfter: number | null; windows: Array<{ days: Set<number>; start: number; end: number }> | null };

export function compileTime(t: TimeCondition): CompiledTime {
  return {
    notBefore: t.notBefore === undefined ? null : parseUtcTimestamp(t.notBefore),
    notAfter: t.notAfter === undefined ? null : parseUtcTimestamp(t.notAfter),
    windows: t.utcWindows?.map((w) => ({ days: new Set(w.isoWeekdays), start: minutes(w.start), end: minutes(w.end) })) ?? null,
  };
}

/** Why `now` is outside the condition, or null when it is inside. notBefore ≤ now < notAfter. */
export function timeMismatch(t: CompiledTime, now: number): string | null {
  if (t.notBefore !== null && now < t.notBefore) return 'before notBefore';
  if (t.notAfter !== null && now >= t.notAfter) return 'at or after notAfter';
  if (t.windows !== null) {
    const day = isoWeekday(now);
    const minute = Math.floor((((now % DAY_MS) + DAY_MS) % DAY_MS) / 60_000);
    if (!t.windows.some((w) => w.days.has(day) && minute >= w.start && minute < w.end)) return `outside the UTC windows (ISO weekday ${day}, minute ${minute})`;
  }
  return null;
}
