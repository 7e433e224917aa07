// Session mechanics shared by DKG, signing and refresh: snapshots, terminal steps, intake checks,
// parameter checks, delivery order.
import { describe, test, expect } from '@jest/globals';
import type { Envelope } from '../../../protocols/core/envelope.ts';
import type { Session, Step } from '../../../protocols/core/session.ts';
import { bytesToHex } from '../../../protocols/core/bytes.ts';
import { createFrostDkg, restoreFrostDkg } from '../../../protocols/frost/dkg.ts';
import { createFrostSign, restoreFrostSign } from '../../../protocols/frost/sign.ts';
import { createFrostRefresh, restoreFrostRefresh } from '../../../protocols/frost/refresh.ts';
import { parseKeyShare, type FrostKeyShare } from '../../../protocols/frost/share.ts';
import { outputsOf, seededRng, simulate } from '../../support/simulator.ts';
import { CONTEXT, SUITES, dealByDkg, dkgSessions, nodeVerify, refreshSessions, sid, signSessions } from './fixtures.ts';

const rng = seededRng('session-tests');

function restoreAny(json: unknown): Session<unknown, unknown> {
  const type = (json as { type: string }).type;
  const copy = JSON.parse(JSON.stringify(json));
  if (type === 'frost-dkg') return restoreFrostDkg(copy, rng) as Session<unknown, unknown>;
  if (type === 'frost-sign') return restoreFrostSign(copy, rng) as Session<unknown, unknown>;
  if (type === 'frost-refresh') return restoreFrostRefresh(copy, rng) as Session<unknown, unknown>;
  throw new Error(`unknown snapshot type ${type}`);
}

/** Before every delivery, the receiver is replaced by a session restored from its snapshot. */
const restoreEveryTime = { intercept: <O, S>(_p: number, s: Session<O, S>) => restoreAny(s.toJSON()) as Session<O, S> };

function first<O, S>(sessions: Session<O, S>[]): Session<O, S> {
  return sessions[0]!;
}

function isJsonSafe(x: unknown): boolean {
  if (x === null || ['string', 'number', 'boolean'].includes(typeof x)) return true;
  if (Array.isArray(x)) return x.every(isJsonSafe);
  if (typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) return Object.values(x as object).every(isJsonSafe);
  return false;
}

describe.each(SUITES)('snapshots, %s', (suite) => {
  const shares = dealByDkg(suite, 2, 3, `${suite}/snap-keys`);

  test('DKG restored before every message ends exactly like an uninterrupted run', () => {
    const plain = outputsOf(simulate(dkgSessions(suite, 2, 3, `${suite}/snap-dkg`)));
    const restored = outputsOf(simulate(dkgSessions(suite, 2, 3, `${suite}/snap-dkg`), restoreEveryTime));
    for (const [p, o] of plain) {
      expect(bytesToHex(restored.get(p)!.transcriptHash)).toBe(bytesToHex(o.transcriptHash));
      expect(restored.get(p)!.share).toEqual(o.share);
    }
  });

  test('signing restored before every message', () => {
    const message = new TextEncoder().encode('snapshot me');
    const out = outputsOf(simulate(signSessions(suite, shares, [1, 3], message, `${suite}/snap-sign`), restoreEveryTime));
    const sig = out.get(1)!.signature;
    expect(nodeVerify(suite, sig, message, new Uint8Array(Buffer.from(shares.get(1)!.groupPublicKey, 'hex')))).toBe(true);
  });

  test('refresh restored before every message', () => {
    const plain = outputsOf(simulate(refreshSessions(suite, shares, `${suite}/snap-refresh`)));
    const restored = outputsOf(simulate(refreshSessions(suite, shares, `${suite}/snap-refresh`), restoreEveryTime));
    for (const [p, o] of plain) expect(restored.get(p)!.share).toEqual(o.share);
  });

  test('snapshots are JSON-safe at every step and drop secret working state at the end', () => {
    const sessions = dkgSessions(suite, 2, 3, `${suite}/snap-json`);
    const snaps: unknown[] = [];
    simulate(sessions, {
      intercept: (_p, s) => {
        snaps.push(s.toJSON());
        return s;
      },
    });
    expect(snaps.length).toBeGreaterThan(0);
    for (const j of snaps) expect(isJsonSafe(j)).toBe(true);
    for (const s of sessions) expect(s.toJSON()).toMatchObject({ coefficients: null, outcome: { kind: 'done' } });
    const sign = signSessions(suite, shares, [1, 2], new Uint8Array([1]), `${suite}/snap-json-sign`);
    simulate(sign);
    for (const s of sign) expect(s.toJSON()).toMatchObject({ nonces: null, outcome: { kind: 'done' } });
  });

  test.each([['lifo'], [{ seed: 7 }]] as const)('delivery order %j does not matter', (order) => {
    const label = `${suite}/order-${JSON.stringify(order)}`;
    const dkg = outputsOf(simulate(dkgSessions(suite, 2, 3, label), { order }));
    expect(new Set([...dkg.values()].map((o) => bytesToHex(o.publicKey))).size).toBe(1);
    const signed = outputsOf(simulate(signSessions(suite, shares, [1, 2, 3], new Uint8Array([7]), label), { order }));
    expect(signed.size).toBe(3);
    expect(outputsOf(simulate(refreshSessions(suite, shares, label), { order })).size).toBe(3);
  });
});

describe('steps and intake (ed25519)', () => {
  const suite = 'ed25519' as const;
  const shares = dealByDkg(suite, 2, 3, 'intake-keys');
  const env = (s: Session<unknown, unknown>, over: Partial<Envelope>): Envelope => ({
    protocol: s.protocol,
    session: s.sessionId,
    round: 1,
    from: 2,
    to: 0,
    payload: new Uint8Array(10),
    ...over,
  });
  const fresh = () => {
    const s = first(dkgSessions(suite, 2, 3, 'intake')) as Session<unknown, unknown>;
    s.start();
    return s;
  };
  const abortOf = (step: Step<unknown, unknown>) => (step.kind === 'abort' ? { kind: step.error.kind, culprits: step.error.culprits } : step.kind);

  // Nobody can be blamed for these (a relay's replay or misrouting): dropped, and the session
  // keeps waiting for the real message (TOB-SILA-14; protocols/core/round-machine.ts accept).
  test.each([
    ['from self', { from: 1 }],
    ['from a non-participant', { from: 4 }],
    ['addressed to someone else', { to: 3 }],
    ['another protocol', { protocol: 'frost-ed448/dkg' }],
    ['another session', { session: sid('elsewhere') }],
  ] as const)('%s: dropped, the session goes on', (_name, over) => {
    const s = fresh();
    const step = s.receive(env(fresh(), over));
    expect(step).toMatchObject({ kind: 'wait', dropped: expect.any(String) });
    expect(abortOf(s.receive(env(s, {})))).toEqual({ kind: 'malformed', culprits: [2] });
  });

  test.each([
    ['round 0', { round: 0 }, 'unexpected', [2]],
    ['a round that does not exist', { round: 9 }, 'unexpected', [2]],
    ['two rounds ahead', { round: 3 }, 'unexpected', [2]],
    ['point-to-point in a broadcast round', { to: 1 }, 'unexpected', [2]],
    ['a malformed payload', {}, 'malformed', [2]],
  ] as const)('%s', (_name, over, kind, culprits) => {
    expect(abortOf(fresh().receive(env(fresh(), over)))).toEqual({ kind, culprits });
  });

  test('a next-round message is buffered, not rejected', () => {
    const s = fresh();
    expect(s.receive(env(s, { round: 2, to: 0, payload: new Uint8Array(3 * 64) })).kind).toBe('wait');
  });

  test('messages before start() are kept and processed when it starts', () => {
    const sessions = dkgSessions(suite, 2, 2, 'early');
    const a = sessions[0]!,
      b = sessions[1]!;
    const bStart = b.start();
    if (bStart.kind !== 'send') throw new Error('b sent nothing');
    expect(a.receive(bStart.messages[0]!).kind).toBe('wait');
    const aStart = a.start();
    // a's start() sends round 1 and, since b's round-1 message is in, round 2 as well.
    expect(aStart.kind === 'send' && aStart.messages.map((m) => m.round)).toEqual([1, 2, 2]);
  });

  test('start() twice aborts', () => {
    const s = first(dkgSessions(suite, 2, 3, 'twice'));
    s.start();
    expect(abortOf(s.start() as Step<unknown, unknown>)).toEqual({ kind: 'internal', culprits: [] });
  });

  test('after an abort every call returns the same abort; restoring keeps it', () => {
    const s = fresh();
    const a = s.receive(env(s, { round: 9 }));
    expect(s.receive(env(s, {}))).toBe(a);
    expect(s.start()).toBe(a);
    const restored = restoreAny(s.toJSON());
    expect(abortOf(restored.receive(env(s, {})))).toEqual(abortOf(a));
  });

  test('after done, calls return done with the output and nothing to send or store again', () => {
    const sessions = dkgSessions(suite, 2, 2, 'done-twice');
    const sim = simulate(sessions);
    const out = outputsOf(sim).get(1)!;
    const again = sessions[0]!.receive(sim.sent.find((e) => e.from === 2)!);
    expect(again).toMatchObject({ kind: 'done', messages: [] });
    expect(again.kind === 'done' && again.durable).toBeFalsy();
    expect(again.kind === 'done' && again.output.share).toEqual(out.share);
    const restored = restoreAny(sessions[0]!.toJSON()).receive(sim.sent[0]!);
    expect(restored).toMatchObject({ kind: 'done', messages: [] });
  });

  test('the key share is handed over for storage together with the confirmation, once', () => {
    const sim = simulate(dkgSessions(suite, 2, 3, 'durable'));
    for (const p of [1, 2, 3]) {
      const d = sim.durables.filter((x) => x.party === p);
      expect(d).toHaveLength(1);
      expect(d[0]!.durable.share).toEqual(outputsOf(sim).get(p)!.share);
    }
  });

  test('bad parameters', () => {
    const base = { suite, sessionId: sid('params'), self: 1, n: 3, t: 2, context: CONTEXT, rng };
    const kindOf = (f: () => unknown) => {
      try {
        f();
        return 'ok';
      } catch (e) {
        return (e as { kind?: string }).kind ?? String(e);
      }
    };
    expect(kindOf(() => createFrostDkg(base))).toBe('ok');
    for (const over of [
      { t: 1 },
      { t: 4 },
      { n: 11, t: 2 },
      { self: 0 },
      { self: 4 },
      { sessionId: new Uint8Array(31) },
      { suite: 'p256' as 'ed25519' },
      { t: 2.5 },
    ])
      expect([over, kindOf(() => createFrostDkg({ ...base, ...over }))]).toEqual([over, 'bad-parameters']);
    const share = shares.get(1)!;
    const sign = { suite, sessionId: sid('params'), self: 1, signers: [1, 2], share, message: new Uint8Array(), rng };
    expect(kindOf(() => createFrostSign(sign))).toBe('ok');
    for (const over of [
      { signers: [2, 1] },
      { signers: [1] },
      { signers: [2, 3] },
      { signers: [1, 1, 2] },
      { signers: [1, 4] },
      { self: 2 },
      { suite: 'ed448' as const },
    ])
      expect([over, kindOf(() => createFrostSign({ ...sign, ...over }))]).toEqual([over, 'bad-parameters']);
    const tampered: FrostKeyShare[] = [
      { ...share, signingShare: shares.get(2)!.signingShare },
      { ...share, t: 3 },
      { ...share, verifyingShares: { ...share.verifyingShares, '2': share.verifyingShares['3']! } },
      { ...share, groupPublicKey: share.verifyingShares['1']! },
      { ...share, commitments: [share.commitments[0]!] },
      { ...share, transcriptHash: 'abcd' },
      { ...share, index: 2 },
    ];
    for (const bad of tampered) {
      expect(kindOf(() => parseKeyShare(bad))).toBe('bad-parameters');
      expect(kindOf(() => createFrostRefresh({ suite, sessionId: sid('p'), self: bad.index, share: bad, context: CONTEXT, rng }))).toBe('bad-parameters');
    }
  });

  test('restoring something that is not a snapshot of this kind fails', () => {
    const sign = first(signSessions(suite, shares, [1, 2], new Uint8Array(), 'wrong-kind'));
    expect(() => restoreFrostDkg(sign.toJSON(), rng)).toThrow(/snapshot/);
    expect(() => restoreFrostSign(null, rng)).toThrow(/snapshot/);
    expect(() => restoreFrostRefresh({ v: 2 }, rng)).toThrow(/snapshot/);
  });

  test('an rng that returns the wrong length is refused', () => {
    expect(() => createFrostDkg({ suite, sessionId: sid('rng'), self: 1, n: 3, t: 2, context: CONTEXT, rng: () => new Uint8Array(1) })).toThrow(/rng/);
  });
});
