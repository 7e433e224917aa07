// Unambiguous hashing for every Fiat–Shamir challenge, commitment and derived value in DKLs23.
// Each use has its own label (protocols/core/labels.ts); the label and every input are encoded
// with a u32 length prefix (protocols/core/bytes.ts lengthPrefixed), so no two different input
// lists hash the same bytes (the TSSHOCK lesson, research notes §1.2). SHA-256 throughout: it
// matches the 128-bit security level of both curves. The default is @noble/hashes, so this runs in
// a browser (the embedded party, docs/waas.md); a host may swap in a faster SHA-256 of its own
// with `useSha256` — the party daemons install OpenSSL's through node:crypto
// (services/party/native-crypto.ts), byte for byte the same function (tests/protocols/dkls23/hash.test.ts
// compares the two) and several times faster on the 5–49 KB transcripts of the OT extension and the VOLE.
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import type { CHash } from '@noble/hashes/utils.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { lengthPrefixed, utf8ToBytes } from '../core/bytes.ts';
import type { DklsCurve } from './curve.ts';
import { MAX_PARTIES } from './params.ts';

/** A SHA-256 implementation: one-shot and incremental. Both must be exactly FIPS 180-4 SHA-256. */
export type Sha256Impl = { hash(data: Uint8Array): Uint8Array; create(): { update(data: Uint8Array): unknown; digest(): Uint8Array } };

const NOBLE_SHA256: Sha256Impl = { hash: (d) => nobleSha256(d), create: () => nobleSha256.create() };
let impl: Sha256Impl = NOBLE_SHA256;

/**
 * Replaces the SHA-256 every DKLs23 hash goes through (null: back to noble's). A host calls it
 * once at start-up, before any session; the function must be SHA-256 itself, not merely a hash.
 */
export function useSha256(next: Sha256Impl | null): void {
  impl = next ?? NOBLE_SHA256;
}

/** SHA-256 of `data` as a plain Uint8Array. */
export function sha256(data: Uint8Array): Uint8Array {
  return impl.hash(data);
}

/**
 * The same SHA-256 in the shape @noble/curves' RFC 9380 expand_message_xmd takes (a callable
 * with `outputLen`, `blockLen`, `create`), so that hash_to_field in h2c.ts also goes through what
 * the host installed: the base OT hashes 2 × 256 points per pair, ≈ a quarter of a DKG's
 * SHA-256 work.
 */
export const sha256Chash = Object.assign((data: Uint8Array): Uint8Array => impl.hash(data), {
  outputLen: 32,
  blockLen: 64,
  canXOF: false,
  // expand_message_xmd calls the function only; `create` is there for the CHash shape, whose
  // Hash instance type (clone, destroy, …) an installed implementation need not provide.
  create: () => impl.create(),
}) as unknown as CHash;

const labelBytes = new Map<string, Uint8Array>();
function labelToBytes(label: string): Uint8Array {
  let b = labelBytes.get(label);
  if (!b) labelBytes.set(label, (b = utf8ToBytes(label)));
  return b;
}

/** H(label, parts…) = SHA-256(lengthPrefixed(label, parts…)): 32 bytes. */
export function tagged(label: string, ...parts: Uint8Array[]): Uint8Array {
  return sha256(lengthPrefixed(labelToBytes(label), ...parts));
}

/**
 * H(label, parts…) as `tagged`, fed to the hash part by part instead of concatenated first: the
 * session transcript (machine.ts) absorbs tens of kilobytes per round that are already in memory.
 */
export function taggedParts(label: string, parts: readonly Uint8Array[]): Uint8Array {
  const h = impl.create();
  const len = new Uint8Array(4);
  const view = new DataView(len.buffer);
  for (const p of [labelToBytes(label), ...parts]) {
    view.setUint32(0, p.length);
    h.update(len);
    h.update(p);
  }
  return h.digest();
}

/** One byte for a party index (1..MAX_PARTIES): fixed length, so safe inside any encoding. */
export function partyByte(i: number): Uint8Array {
  if (!Number.isInteger(i) || i < 1 || i > MAX_PARTIES) throw new RangeError(`party index out of range: ${i}`);
  return Uint8Array.of(i);
}

/** Big-endian u16 (batch indices). */
export function u16(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError(`u16 out of range: ${n}`);
  return Uint8Array.of(n >>> 8, n & 0xff);
}

/**
 * `count` scalars from one labelled hash: seed = H(label, parts…), then scalar k is the 64-byte
 * string SHA-256(seed ‖ 2k) ‖ SHA-256(seed ‖ 2k+1) read big-endian and reduced mod q. Reducing
 * 512 bits mod a 256-bit q leaves a statistical bias below 2^-256 (the wide reduction RFC 9380
 * §5 hash_to_field uses, with a larger margin).
 */
export function hashToScalars(curve: DklsCurve, count: number, label: string, ...parts: Uint8Array[]): bigint[] {
  const seed = tagged(label, ...parts);
  const out: bigint[] = [];
  const buf = new Uint8Array(36);
  buf.set(seed, 0);
  const wide = new Uint8Array(64);
  const view = new DataView(buf.buffer);
  for (let k = 0; k < count; k++) {
    view.setUint32(32, 2 * k);
    wide.set(sha256(buf), 0);
    view.setUint32(32, 2 * k + 1);
    wide.set(sha256(buf), 32);
    out.push(curve.Fn.create(bytesToNumberBE(wide)));
  }
  return out;
}

export function hashToScalar(curve: DklsCurve, label: string, ...parts: Uint8Array[]): bigint {
  return hashToScalars(curve, 1, label, ...parts)[0]!;
}

/** n pseudo-random bytes from a 32-byte seed: SHA-256(seed ‖ u32(k)) for k = 0, 1, … */
export function expandSeed(seed: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  const buf = new Uint8Array(seed.length + 4);
  buf.set(seed, 0);
  const view = new DataView(buf.buffer);
  for (let k = 0, off = 0; off < n; k++, off += 32) {
    view.setUint32(seed.length, k);
    const block = sha256(buf);
    out.set(block.subarray(0, Math.min(32, n - off)), off);
  }
  return out;
}
