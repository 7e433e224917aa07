// The ChaCha20 block function behind the OT-extension PRG, against RFC 8439.
import { describe, test, expect } from '@jest/globals';
import { chacha20 } from '../../../protocols/dkls23/chacha20.ts';
import { hexToBytes } from '../../../protocols/core/bytes.ts';
import { hex } from './fixtures.ts';

describe('ChaCha20 (RFC 8439)', () => {
  test('§2.3.2 block function test vector', () => {
    const key = hexToBytes('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
    const out = new Uint8Array(64);
    chacha20(key, 0, hexToBytes('000000090000004a00000000'), 1, out, 0, 64);
    expect(hex(out)).toBe(
      '10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e' + 'd2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e',
    );
  });

  test('§A.1 test vectors #1 and #2 (two blocks, counter 0 and 1), and partial output at an offset', () => {
    const out = new Uint8Array(128);
    chacha20(new Uint8Array(32), 0, new Uint8Array(12), 0, out, 0, 128);
    expect(hex(out.subarray(0, 64))).toBe(
      '76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7' + 'da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586',
    );
    expect(hex(out.subarray(64))).toBe(
      '9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed' + '29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f',
    );
    const part = new Uint8Array(90);
    const keyAt = new Uint8Array(40); // key at offset 8
    chacha20(keyAt, 8, new Uint8Array(12), 0, part, 10, 80);
    expect(hex(part.subarray(10))).toBe(hex(out.subarray(0, 80)));
  });
});
