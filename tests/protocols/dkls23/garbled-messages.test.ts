// One garbled message does not end a DKLs23 session when the protocol can continue (TOB-SILA-14,
// research notes §1.5 "Abort handling"; dkls23-review F4), at the protocol level: a relay that
// delivers, before every real message, copies nobody can be blamed for (another session, another
// protocol, a sender that is not a participant, a wrong addressee) and a second copy after it
// does not stop the signers; the session drops those and waits for the real one. A message the
// sender authenticated but garbled (the transport has checked its signature or seal) still aborts,
// naming the sender; persistent silence ends at the deadline (the simulator's 'timeout').
import { describe, test, expect, beforeAll } from '@jest/globals';
import { sha256 } from '@noble/hashes/sha2.js';
import { BROADCAST, type Envelope } from '../../../protocols/core/envelope.ts';
import type { DklsKeyShare } from '../../../protocols/dkls23/keyshare.ts';
import { outputsOf, type Relay } from '../../support/simulator.ts';
import { from, payload } from '../../support/adversaries.ts';
import { sid } from './fixtures.ts';
import { expectBlame, expectValidSignature, runSign } from './session-fixtures.ts';
import { testKey } from '../../support/dkls23-test-keys.ts';

const CURVE = 'secp256k1' as const;
const MESSAGE = new TextEncoder().encode('garbled messages');

/** Unattributable copies of `e` for `to`, then the real one, then an exact second copy. */
const junk: Relay = (e, recipients) =>
  recipients.flatMap((to) => {
    const copies: Envelope[] = [
      { ...e, session: sid('garbled/another-session') },
      { ...e, protocol: 'dkls23-p256/sign' },
      { ...e, from: 9 },
      { ...e, from: to },
      ...(e.to !== BROADCAST ? [{ ...e, to: 9 }] : []),
    ];
    return [...copies.map((envelope) => ({ to, envelope })), { to, envelope: e }, { to, envelope: e }];
  });

describe('DKLs23 signing with garbled messages in between', () => {
  let shares: Map<number, DklsKeyShare>;
  let publicKey: Uint8Array;
  beforeAll(() => {
    // A 2-of-2 key made by the real DKG, from the test-key cache (tests/support/dkls23-test-keys.ts).
    const key = testKey(`${CURVE}-2of2`);
    shares = key.shares;
    publicKey = key.publicKey;
  });

  test('copies nobody can be blamed for are dropped: every signer finishes and the signature verifies', () => {
    const sim = runSign(CURVE, shares, [1, 2], sha256(MESSAGE), 'garbled/junk', { relay: junk });
    const outputs = outputsOf(sim);
    expect(outputs.size).toBe(2);
    expectValidSignature(CURVE, MESSAGE, outputs.get(1)!, publicKey);
  });

  test('an authenticated but truncated payload still aborts, naming its sender', () => {
    const sim = runSign(CURVE, shares, [1, 2], sha256(MESSAGE), 'garbled/truncated', { relay: payload(from(2, 2), (p) => p.subarray(0, p.length - 1)) });
    expectBlame(sim, [1], 'malformed', [2]);
  });
});
