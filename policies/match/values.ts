// Comparisons of decoded values against policy values. Integers are bigints (docs/policies.md "Strict decoding");
// hex (addresses, bytes, selectors) compares lower-case; other strings compare as exact text.
import type { InSet, LengthRange, StringSet, UintRange, ValueConstraint } from '../types.ts';
import { fails, unknown, type Verdict } from './verdict.ts';

export const hexOf = (b: Uint8Array): string => `0x${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')}`;

export function inStringSet(set: StringSet, value: string, what: string): Verdict {
  if ('in' in set) return set.in.includes(value) ? null : fails(`${what} ${value} is not in the allowed set`);
  return set.notIn.includes(value) ? fails(`${what} ${value} is in the excluded set`) : null;
}

export function inUintSet(set: InSet, value: bigint, what: string): Verdict {
  return set.in.some((x) => BigInt(x) === value) ? null : fails(`${what} ${value} is not one of ${set.in.join(', ')}`);
}

export function inUintRange(r: UintRange, value: bigint, what: string): Verdict {
  if (r.min !== undefined && value < BigInt(r.min)) return fails(`${what} ${value} is below ${r.min}`);
  if (r.max !== undefined && value > BigInt(r.max)) return fails(`${what} ${value} is above ${r.max}`);
  return null;
}

export function inLengthRange(r: LengthRange, length: number, what: string): Verdict {
  if (r.min !== undefined && length < r.min) return fails(`${what} of ${length} bytes is below ${r.min}`);
  if (r.max !== undefined && length > r.max) return fails(`${what} of ${length} bytes is above ${r.max}`);
  return null;
}

/** A decoded scalar: its canonical text and, for integer types, its value. */
export type Scalar = { type: string; text: string; num: bigint | null };

const isHexType = (type: string): boolean => type === 'address' || type.startsWith('bytes');
const DEC = /^-?(0|[1-9][0-9]*)$/;

function equal(v: Scalar, policyValue: string): boolean {
  if (v.num !== null && v.type !== 'bool') return DEC.test(policyValue) && BigInt(policyValue) === v.num;
  if (isHexType(v.type)) return v.text === policyValue.toLowerCase();
  return v.text === policyValue;
}

export function satisfies(c: ValueConstraint, v: Scalar, what: string): Verdict {
  switch (c.op) {
    case 'eq':
      return equal(v, c.value!) ? null : fails(`${what} is ${v.text}, not ${c.value}`);
    case 'neq':
      return equal(v, c.value!) ? fails(`${what} is ${v.text}`) : null;
    case 'in':
      return c.values!.some((x) => equal(v, x)) ? null : fails(`${what} ${v.text} is not in the allowed values`);
    case 'notIn':
      return c.values!.some((x) => equal(v, x)) ? fails(`${what} ${v.text} is an excluded value`) : null;
    default: {
      if (v.num === null || v.type === 'bool' || !DEC.test(c.value ?? '')) return unknown(`${what} (${v.type}) cannot be compared with ${c.op}`);
      const p = BigInt(c.value!);
      const ok = c.op === 'lt' ? v.num < p : c.op === 'lte' ? v.num <= p : c.op === 'gt' ? v.num > p : v.num >= p;
      return ok ? null : fails(`${what} ${v.text} is not ${c.op} ${c.value}`);
    }
  }
}
