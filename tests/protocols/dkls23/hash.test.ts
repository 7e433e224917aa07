// The SHA-256 behind every DKLs23 hash — noble's by default (a browser), OpenSSL's where a daemon
// installs it (services/party/native-crypto.ts) — against noble's implementation and the FIPS 180-4
// / NIST example vectors: they must agree byte for byte, since every label, pad, challenge and
// known-answer vector depends on it.
import { afterAll, beforeAll, describe, test, expect } from '@jest/globals';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { sha256, tagged, taggedParts, useSha256 } from '../../../protocols/dkls23/hash.ts';
import { NATIVE_SHA256 } from '../../../services/party/native-crypto.ts';
import { sha256Short } from '../../../protocols/dkls23/sha256-block.ts';
import { lengthPrefixed, utf8ToBytes } from '../../../protocols/core/bytes.ts';
import { hex, seededRng } from './fixtures.ts';

describe.each([
  ['noble (the default)', null],
  ['node:crypto (installed by the daemons)', NATIVE_SHA256],
])('SHA-256: %s', (_name, impl) => {
  beforeAll(() => useSha256(impl));
  afterAll(() => useSha256(null));

  test('NIST example vectors', () => {
    expect(hex(sha256(utf8ToBytes('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hex(sha256(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(sha256(utf8ToBytes('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  test('agrees with noble on every length 0..300 and on 5–49 KB inputs, at any offset', () => {
    const rng = seededRng('hash-test');
    for (let n = 0; n <= 300; n++) {
      const m = rng(n + 3).subarray(3); // a view at an offset into a larger buffer
      expect(hex(sha256(m))).toBe(hex(nobleSha256(m)));
    }
    for (const n of [5120, 16384, 49444, 65536]) {
      const m = rng(n);
      expect(hex(sha256(m))).toBe(hex(nobleSha256(m)));
    }
  });

  test('returns a plain 32-byte Uint8Array of its own (not a view of a shared buffer)', () => {
    const d = sha256(utf8ToBytes('x'));
    expect(d.constructor).toBe(Uint8Array);
    expect(d.length).toBe(32);
    expect(d.buffer.byteLength).toBe(32);
  });

  test('tagged() is SHA-256 over the length-prefixed label and parts', () => {
    const parts = [utf8ToBytes('a'), new Uint8Array(0), seededRng('tagged')(1000)];
    expect(hex(tagged('tutti/test', ...parts))).toBe(hex(nobleSha256(lengthPrefixed(utf8ToBytes('tutti/test'), ...parts))));
    expect(hex(taggedParts('tutti/test', parts))).toBe(hex(tagged('tutti/test', ...parts)));
  });
});

describe('SHA-256 of one block (sha256-block.ts, the VOLE row hash)', () => {
  test('agrees with noble for every length 0..55 (20 messages each), written at an offset', () => {
    const rng = seededRng('sha256-block');
    const out = new Uint8Array(40);
    for (let n = 0; n <= 55; n++)
      for (let r = 0; r < 20; r++) {
        const m = rng(n);
        sha256Short(m, out, 8);
        expect(hex(out.subarray(8))).toBe(hex(nobleSha256(m)));
      }
    sha256Short(utf8ToBytes('abc'), out, 0);
    expect(hex(out.subarray(0, 32))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  test('refuses more than one block', () => {
    expect(() => sha256Short(new Uint8Array(56), new Uint8Array(32))).toThrow(RangeError);
  });
});
