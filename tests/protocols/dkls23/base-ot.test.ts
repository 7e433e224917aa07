// Endemic base OT (Masny–Rindal Fig. 8 with RFC 9380 hash-to-curve): correctness of a full batch
// of 256, known answers for a small batch, and the checks on both messages.
import { describe, test, expect } from '@jest/globals';
import { equalBytes } from '../../../protocols/core/bytes.ts';
import { ProtocolError } from '../../../protocols/core/errors.ts';
import { BASE_OT_RECEIVER_BYTES_PER_OT, baseOtReceive1, baseOtReceive2, baseOtSend, baseOtSessionId } from '../../../protocols/dkls23/base-ot.ts';
import { KAPPA } from '../../../protocols/dkls23/params.ts';
import { CURVES, flip, hex, seededRng, sid } from './fixtures.ts';
import { checkKat } from './kat.ts';
import { sha256 } from '@noble/hashes/sha2.js';

const key = (keys: Uint8Array, i: number) => keys.subarray(32 * i, 32 * i + 32);
const choicesFrom = (seed: string, n: number) => Uint8Array.from(seededRng(seed)(n), (b) => b & 1);

describe.each(CURVES)('base OT on %s', (name, curve) => {
  const pairSid = baseOtSessionId(sid('base-ot'), 1, 2);

  test(`a batch of ${KAPPA}: the receiver gets key_c, and key_{1−c} differs (timing printed)`, () => {
    const choices = choicesFrom(`choices/${name}`, KAPPA);
    const t0 = performance.now();
    const r1 = baseOtReceive1(curve, pairSid, choices, seededRng(`r/${name}`));
    const t1 = performance.now();
    const s = baseOtSend(curve, pairSid, r1.message, KAPPA, seededRng(`s/${name}`), 2);
    const t2 = performance.now();
    const keys = baseOtReceive2(curve, pairSid, r1.state, s.message, 1);
    const t3 = performance.now();
    console.log(
      `[dkls23 timing] base OT ×${KAPPA} on ${name}: receiver ${(t1 - t0).toFixed(0)} ms, sender ${(t2 - t1).toFixed(0)} ms, receiver finish ${(t3 - t2).toFixed(0)} ms`,
    );
    expect(r1.message.length).toBe(KAPPA * BASE_OT_RECEIVER_BYTES_PER_OT);
    for (let i = 0; i < KAPPA; i++) {
      const [mine, other] = choices[i] ? [s.keys1, s.keys0] : [s.keys0, s.keys1];
      expect(equalBytes(key(keys, i), key(mine, i))).toBe(true);
      expect(equalBytes(key(keys, i), key(other, i))).toBe(false);
    }
  });

  test('known answers (8 OTs)', () => {
    const choices = Uint8Array.of(0, 1, 1, 0, 1, 0, 0, 1);
    const r1 = baseOtReceive1(curve, pairSid, choices, seededRng(`dkls23-kat/base-ot/receiver/${name}`));
    const s = baseOtSend(curve, pairSid, r1.message, 8, seededRng(`dkls23-kat/base-ot/sender/${name}`), 2);
    const keys = baseOtReceive2(curve, pairSid, r1.state, s.message, 1);
    for (let i = 0; i < 8; i++) expect(hex(key(keys, i))).toBe(hex(key(choices[i] ? s.keys1 : s.keys0, i)));
    checkKat(`base-ot-${name}`, {
      receiverRngSeed: `dkls23-kat/base-ot/receiver/${name}`,
      senderRngSeed: `dkls23-kat/base-ot/sender/${name}`,
      sessionId: hex(pairSid),
      choices: [...choices],
      receiverMessage: hex(r1.message),
      senderMessage: hex(s.message),
      keys0: hex(s.keys0),
      keys1: hex(s.keys1),
      receiverKeys: hex(keys),
    });
  });

  test('receiver message: wrong length, bad point or a degenerate pair blame the receiver', () => {
    const choices = Uint8Array.of(0, 1);
    const { message } = baseOtReceive1(curve, pairSid, choices, seededRng('neg'));
    const blame = (f: () => unknown, re: RegExp) => {
      expect(f).toThrow(re);
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(ProtocolError);
        expect((e as ProtocolError).culprits).toEqual([2]);
      }
    };
    blame(() => baseOtSend(curve, pairSid, message.subarray(1), 2, seededRng('x'), 2), /bytes, expected/);
    blame(() => baseOtSend(curve, pairSid, message, 3, seededRng('x'), 2), /bytes, expected/);
    blame(() => baseOtSend(curve, pairSid, flip(message, 0, 7), 2, seededRng('x'), 2), /compressed/);
    // x with no point on the curve.
    const bad = message.slice();
    for (let x = 1; ; x++) {
      bad.fill(0, 34, 66);
      bad[33] = 2;
      bad[65] = x;
      try {
        curve.Point.fromBytes(bad.subarray(33, 66));
      } catch {
        break;
      }
    }
    blame(() => baseOtSend(curve, pairSid, bad, 2, seededRng('x'), 2), /not a point/);
  });

  test('sender message: malformed or identity B blames the sender; another session gives other keys', () => {
    const choices = Uint8Array.of(1, 0, 1);
    const r1 = baseOtReceive1(curve, pairSid, choices, seededRng('neg2'));
    const s = baseOtSend(curve, pairSid, r1.message, 3, seededRng('neg2s'), 2);
    expect(() => baseOtReceive2(curve, pairSid, r1.state, new Uint8Array(33), 1)).toThrow(expect.objectContaining({ culprits: [1] }));
    expect(() => baseOtReceive2(curve, pairSid, r1.state, s.message.subarray(1), 1)).toThrow(/expected 33/);
    // A sender in another session (or another pair) derives unrelated keys.
    const other = baseOtSend(curve, baseOtSessionId(sid('base-ot'), 2, 1), r1.message, 3, seededRng('neg2s'), 2);
    const keys = baseOtReceive2(curve, pairSid, r1.state, other.message, 1);
    for (let i = 0; i < 3; i++) {
      expect(equalBytes(key(keys, i), key(other.keys0, i))).toBe(false);
      expect(equalBytes(key(keys, i), key(other.keys1, i))).toBe(false);
    }
    void sha256;
  });
});
