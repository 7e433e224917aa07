// All-but-one OT (Roy 2022/192 Fig. 13/14): the punctured side gets every seed but the one at Δ_j,
// and any inconsistent message fails the proof with a ban of the holder.
import { describe, test, expect } from '@jest/globals';
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes } from '../../../protocols/core/bytes.ts';
import { PPRF_BLOCK_BYTES, PPRF_MESSAGE_BYTES, pprfChoices, pprfReceive, pprfSend } from '../../../protocols/dkls23/pprf.ts';
import { isBanError } from '../../../protocols/dkls23/errors.ts';
import { OTE_BLOCKS, SOFTSPOKEN_Q } from '../../../protocols/dkls23/params.ts';
import { flip, hex, sid } from './fixtures.ts';
import { dealBaseOt } from './ot-fixtures.ts';
import { checkKat } from './kat.ts';

const pairSid = sid('pprf');
const seedAt = (s: Uint8Array, j: number, x: number) => s.subarray((SOFTSPOKEN_Q * j + x) * 32, (SOFTSPOKEN_Q * j + x + 1) * 32);

function expectBan(f: () => unknown, culprit: number) {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(isBanError(err)).toBe(true);
  expect((err as { culprits: number[] }).culprits).toEqual([culprit]);
}

describe('all-but-one OT', () => {
  test('choice bits are the complement of each path bit, most significant first', () => {
    const delta = new Uint8Array(OTE_BLOCKS);
    delta[0] = 0b1010;
    delta[1] = 15;
    const c = pprfChoices(delta);
    expect([...c.subarray(0, 8)]).toEqual([0, 1, 0, 1, 0, 0, 0, 0]);
    expect(() => pprfChoices(Uint8Array.of(16, ...new Uint8Array(63)))).toThrow();
  });

  test('the punctured side holds every seed except the one at Δ_j; known answers', () => {
    const d = dealBaseOt('pprf');
    const { message, seeds } = pprfSend(pairSid, d.keys0, d.keys1);
    expect(message.length).toBe(PPRF_MESSAGE_BYTES);
    const punctured = pprfReceive(pairSid, d.delta, d.received, message, 2);
    for (let j = 0; j < OTE_BLOCKS; j++)
      for (let x = 0; x < SOFTSPOKEN_Q; x++) {
        if (x === d.delta[j]) expect(seedAt(punctured, j, x).every((b) => b === 0)).toBe(true);
        else expect(equalBytes(seedAt(punctured, j, x), seedAt(seeds, j, x))).toBe(true);
      }
    checkKat('pprf', {
      baseOtKeys: 'tests/protocols/dkls23/ot-fixtures.ts dealBaseOt("pprf")',
      sessionId: hex(pairSid),
      delta: [...d.delta],
      messageSha256: hex(sha256(message)),
      firstBlock: hex(message.subarray(0, PPRF_BLOCK_BYTES)),
      holderSeedsSha256: hex(sha256(seeds)),
      puncturedSeedsSha256: hex(sha256(punctured)),
    });
  });

  test('every tampered correction the receiver uses, and a tampered T or S, fails the proof naming the holder', () => {
    const d = dealBaseOt('pprf-neg');
    const { message } = pprfSend(pairSid, d.keys0, d.keys1);
    const j = 5;
    for (let l = 2; l <= 4; l++) {
      const side = ((d.delta[j]! >>> (4 - l)) & 1) ^ 1; // the correction this receiver uses
      const off = j * PPRF_BLOCK_BYTES + (l - 2) * 64 + side * 32;
      expectBan(() => pprfReceive(pairSid, d.delta, d.received, flip(message, off + 3), 3), 3);
    }
    expectBan(() => pprfReceive(pairSid, d.delta, d.received, flip(message, j * PPRF_BLOCK_BYTES + 192), 3), 3);
    expectBan(() => pprfReceive(pairSid, d.delta, d.received, flip(message, j * PPRF_BLOCK_BYTES + 224), 3), 3);
    // A message for another pair or session does not pass either.
    expectBan(() => pprfReceive(sid('other'), d.delta, d.received, message, 3), 3);
    expect(() => pprfReceive(pairSid, d.delta, d.received, message.subarray(1), 3)).toThrow(expect.objectContaining({ kind: 'malformed', culprits: [3] }));
  });

  test('a holder that corrupts one leaf makes the proof fail for every Δ_j that can see it', () => {
    // Honest tree for block 0, but T adjusted as if leaf 7's check value were different: any
    // receiver that does not hold leaf 7 (α = 7) would compute a consistent-looking set only if
    // it could not tell; all others see the mismatch. Here α ≠ 7.
    const d = dealBaseOt('pprf-leaf');
    if (d.delta[0] === 7) d.delta[0] = 6;
    const { message } = pprfSend(pairSid, d.keys0, d.keys1);
    const choices = pprfChoices(d.delta);
    const received = new Uint8Array(d.received.length);
    for (let i = 0; i < choices.length; i++) received.set((choices[i] ? d.keys1 : d.keys0).subarray(32 * i, 32 * i + 32), 32 * i);
    expectBan(() => pprfReceive(pairSid, d.delta, received, flip(message, 192 + 31, 0x80), 4), 4);
  });
});
