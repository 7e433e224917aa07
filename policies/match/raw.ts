// raw conditions — the "plain structure rule" used for Ed448 reward-key payloads and other
// fixed-layout messages (docs/policies.md "raw"): length range, byte fields at fixed offsets
// (exact bytes, one of several, or a big-endian integer range), a whole-text pattern, and a
// sequence field that must grow (checked with the party's state in evaluate.ts).
// Also the text conditions of eip191, which apply to the personal message inside the envelope.
import { decodeUtf8 } from '../jcs.ts';
import type { Pattern } from '../pattern.ts';
import type { ByteField, Eip191Format, LengthRange, RawFormat } from '../types.ts';
import { hexOf, inLengthRange, inUintRange } from './values.ts';
import { fails, firstMiss, unknown, type Verdict } from './verdict.ts';

export function readUintBE(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

function fieldVerdict(f: ByteField, message: Uint8Array, i: number): Verdict {
  if (f.offset + f.length > message.length) return unknown(`layout[${i}] (bytes ${f.offset}..${f.offset + f.length}) is past the end of the message`);
  const bytes = message.subarray(f.offset, f.offset + f.length);
  const hex = hexOf(bytes);
  if (f.equalsHex !== undefined && hex !== f.equalsHex) return fails(`layout[${i}] is ${hex}, not ${f.equalsHex}`);
  if (f.oneOfHex && !f.oneOfHex.includes(hex)) return fails(`layout[${i}] ${hex} is not an allowed value`);
  if (f.uintBigEndian) return inUintRange(f.uintBigEndian, readUintBE(bytes), `layout[${i}]`);
  return null;
}

function textVerdict(length: LengthRange | undefined, pattern: Pattern | null, message: Uint8Array, what: string): Verdict {
  return firstMiss(
    () => (length ? inLengthRange(length, message.length, what) : null),
    () => {
      if (!pattern) return null;
      const text = decodeUtf8(message);
      if (text === null) return fails(`${what} is not valid UTF-8`);
      return pattern.test(text) ? null : fails(`${what} does not match utf8Pattern`);
    },
  );
}

export function rawVerdict(f: RawFormat, pattern: Pattern | null, message: Uint8Array): Verdict {
  return firstMiss(
    () => textVerdict(f.length, pattern, message, 'message'),
    () => {
      for (const [i, field] of (f.layout ?? []).entries()) {
        const v = fieldVerdict(field, message, i);
        if (v) return v;
      }
      return null;
    },
    () => (f.sequence && f.sequence.offset + f.sequence.length > message.length ? unknown('sequence field is past the end of the message') : null),
  );
}

export function eip191Verdict(f: Eip191Format, pattern: Pattern | null, personalMessage: Uint8Array): Verdict {
  return textVerdict(f.length, pattern, personalMessage, 'personal message');
}

/** The sequence number a raw rule reads from the message (the field is known to be in range). */
export function sequenceOf(f: RawFormat, message: Uint8Array): bigint | null {
  if (!f.sequence) return null;
  return readUintBE(message.subarray(f.sequence.offset, f.sequence.offset + f.sequence.length));
}
