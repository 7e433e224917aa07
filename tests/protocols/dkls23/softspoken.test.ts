// SoftSpokenOT k = 4 with the KOS-style GF(2^128) check: the output rows satisfy
// q_i = t_i ⊕ β_i·Δ, and every tampering with the receiver's message is caught with a ban.
import { describe, test, expect } from '@jest/globals';
import { sha256 } from '@noble/hashes/sha2.js';
import { getBit } from '../../../protocols/dkls23/bits.ts';
import { isBanError } from '../../../protocols/dkls23/errors.ts';
import { OTE_CHOICE_BYTES, OTE_MESSAGE_BYTES, oteReceive, oteSend } from '../../../protocols/dkls23/softspoken.ts';
import { OTE_BLOCKS, OTE_ROW_BYTES, XI } from '../../../protocols/dkls23/params.ts';
import { flip, hex, seededRng, sid } from './fixtures.ts';
import { dealOteSeeds } from './ot-fixtures.ts';
import { checkKat } from './kat.ts';

const setupSid = sid('ote-setup');
const seeds = dealOteSeeds('ote', setupSid);

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

describe('SoftSpokenOT', () => {
  test('correlation q_i = t_i ⊕ β_i·Δ on all ξ rows; known answers; timing printed', () => {
    const s = sid('ote-1');
    const choices = seededRng('ote-choices')(OTE_CHOICE_BYTES);
    const t0 = performance.now();
    const r = oteReceive(s, seeds.receiverSeeds, choices, seededRng('ote-rng'));
    const t1 = performance.now();
    const q = oteSend(s, seeds.sender, r.message, 2);
    const t2 = performance.now();
    console.log(`[dkls23 timing] SoftSpokenOT ×${XI}: receiver ${(t1 - t0).toFixed(1)} ms, sender ${(t2 - t1).toFixed(1)} ms`);
    expect(r.message.length).toBe(OTE_MESSAGE_BYTES);
    for (let i = 0; i < XI; i++) {
      const b = getBit(choices, i);
      for (let k = 0; k < 32; k++) expect(q.rows[32 * i + k]! ^ r.rows[32 * i + k]!).toBe(b ? q.delta[k]! : 0);
    }
    checkKat('softspoken', {
      seeds: 'tests/protocols/dkls23/ot-fixtures.ts dealOteSeeds("ote", sid("ote-setup"))',
      sessionId: hex(s),
      choices: hex(choices),
      messageSha256: hex(sha256(r.message)),
      checkPart: hex(r.message.subarray(OTE_BLOCKS * OTE_ROW_BYTES, OTE_BLOCKS * OTE_ROW_BYTES + 64)),
      receiverRowsSha256: hex(sha256(r.rows)),
      senderRowsSha256: hex(sha256(q.rows)),
      delta: hex(q.delta),
    });
  });

  test('a receiver using different choice bits in one block is caught (ban names it)', () => {
    const s = sid('ote-2');
    const r = oteReceive(s, seeds.receiverSeeds, seededRng('c2')(OTE_CHOICE_BYTES), seededRng('r2'));
    // Flip one correction bit of block 9 (a data row): β' differs between blocks.
    expectBan(() => oteSend(s, seeds.sender, flip(r.message, 9 * OTE_ROW_BYTES + 3), 4), 4);
    // A mask row too.
    expectBan(() => oteSend(s, seeds.sender, flip(r.message, 9 * OTE_ROW_BYTES + 70), 4), 4);
    // x and t.
    expectBan(() => oteSend(s, seeds.sender, flip(r.message, OTE_BLOCKS * OTE_ROW_BYTES), 4), 4);
    expectBan(() => oteSend(s, seeds.sender, flip(r.message, OTE_MESSAGE_BYTES - 1), 4), 4);
    // The receiver's message of another session (replayed) fails too: other PRG output.
    expectBan(() => oteSend(sid('ote-3'), seeds.sender, r.message, 4), 4);
    expect(() => oteSend(s, seeds.sender, r.message.subarray(16), 4)).toThrow(expect.objectContaining({ kind: 'malformed', culprits: [4] }));
  });
});
