// Signing under attack: bad commitments, bad shares, replays, nonce reuse. A relay that rewrites
// party j's messages models a malicious j.
import { describe, test, expect } from '@jest/globals';
import { createFrostSign, restoreFrostSign } from '../../../protocols/frost/sign.ts';
import { checkCommitmentList } from '../../../protocols/frost/commitments.ts';
import { FROST_SUITES } from '../../../protocols/frost/suite.ts';
import { ProtocolError } from '../../../protocols/core/errors.ts';
import { seededRng, simulate, outputsOf, type Relay } from '../../support/simulator.ts';
import { flipByte, from, payload, rewrite } from '../../support/adversaries.ts';
import { SUITES, badPoints, dealByDkg, expectBlame, expectNoOutput, sid, signSessions, splice } from './fixtures.ts';

const SIGNERS = [1, 2, 3],
  EVIL = 3,
  HONEST = [1, 2];
const MESSAGE = new TextEncoder().encode('transfer 10 coins');

describe.each(SUITES)('signing attacks, %s', (suite) => {
  const shares = dealByDkg(suite, 2, 3, `${suite}/sign-attacks`);
  const { elementBytes: E, scalarBytes: S } = FROST_SUITES[suite];
  const run = (label: string, relay?: Relay) => simulate(signSessions(suite, shares, SIGNERS, MESSAGE, label), relay ? { relay } : {});
  // The agreement, replay and nonce logic does not depend on the curve: run it on one suite.
  const once = (name: string, fn: () => void) => {
    if (suite === 'ed25519') test(name, fn);
  };

  test('honest baseline', () => {
    expect(outputsOf(run(`${suite}/baseline`)).size).toBe(3);
  });

  test('a wrong signature share is caught and its sender named', () => {
    const sim = run(
      `${suite}/bad-z`,
      payload(from(EVIL, 2), (p) => flipByte(p, 0)),
    );
    expectBlame(sim, HONEST, 'invalid-signature', [EVIL]);
  });

  once('a signature share only one party sees differently', () => {
    const sim = run(
      `${suite}/bad-z-one`,
      payload(from(EVIL, 2), (p, to) => (to === 1 ? flipByte(p, 0) : p)),
    );
    expect(sim.results.get(1)).toMatchObject({ kind: 'abort', error: { kind: 'invalid-signature', culprits: [EVIL] } });
    // Party 2 gets a valid signature: a share is public, and the signature it yields is valid.
    expect(sim.results.get(2)!.kind).toBe('done');
  });

  test.each(['identity', 'smallOrder', 'mixedOrder', 'nonCanonical'] as const)('%s point as a nonce commitment', (kind) => {
    const bad = badPoints(suite)[kind];
    const hiding = run(
      `${suite}/hiding-${kind}`,
      payload(from(EVIL, 1), (p) => splice(p, 0, bad)),
    );
    expectBlame(hiding, HONEST, 'malformed', [EVIL]);
    const binding = run(
      `${suite}/binding-${kind}`,
      payload(from(EVIL, 1), (p) => splice(p, E, bad)),
    );
    expectBlame(binding, HONEST, 'malformed', [EVIL]);
  });

  test.each([
    ['truncated commitments', 1, (p: Uint8Array) => p.slice(0, -1)],
    ['oversized commitments', 1, (p: Uint8Array) => new Uint8Array([...p, 0])],
    ['commitments without the request digest', 1, (p: Uint8Array) => p.slice(0, 2 * E)],
    ['truncated share', 2, (p: Uint8Array) => p.slice(0, -1)],
    ['oversized share', 2, (p: Uint8Array) => new Uint8Array([...p, 0])],
    ['share not below the group order', 2, () => new Uint8Array(S).fill(0xff)],
  ] as const)('%s', (name, round, f) => {
    const sim = run(`${suite}/size-${name}`, payload(from(EVIL, round), f));
    expectBlame(sim, HONEST, 'malformed', [EVIL]);
  });

  once('a party that reflects our own commitments as its own', () => {
    const sim = run(`${suite}/reflect`, (envelope, recipients) =>
      recipients.map((to) => {
        if (!from(EVIL, 1)(envelope, to) || to !== 1) return { to, envelope };
        return { to, envelope: { ...envelope, payload: splice(envelope.payload, 0, ownCommitment.get(1)!) } };
      }),
    );
    expect(sim.results.get(1)).toMatchObject({ kind: 'abort', error: { kind: 'invalid-commitment', culprits: [EVIL] } });
    expectNoOutput(sim, HONEST);
  });
  // Party 1's round-1 commitments (hiding ‖ binding), captured from an honest run of the same label.
  const ownCommitment = {
    get: (_p: number) => {
      const s = signSessions(suite, shares, SIGNERS, MESSAGE, `${suite}/reflect`)[0]!.start();
      if (s.kind !== 'send') throw new Error('no round 1');
      return s.messages[0]!.payload.slice(0, 2 * E);
    },
  };

  once('a party asked to sign a different message stops everyone before any share exists', () => {
    const label = `${suite}/other-message`;
    const sessions = signSessions(suite, shares, SIGNERS, MESSAGE, label);
    sessions[2] = createFrostSign({
      suite,
      sessionId: sid(label),
      self: 3,
      signers: SIGNERS,
      share: shares.get(3)!,
      message: new TextEncoder().encode('transfer 1000 coins'),
      rng: seededRng('x'),
    });
    const sim = simulate(sessions);
    expectBlame(sim, HONEST, 'bad-parameters', [3]);
    // Party 3 stops at the first request digest that differs from its own.
    expect(sim.results.get(3)).toMatchObject({ kind: 'abort', error: { kind: 'bad-parameters' } });
    expect(sim.sent.filter((e) => e.round === 2)).toHaveLength(0);
  });

  once('a party that enforces another policy revision (another context) stops everyone before any share exists', () => {
    const label = `${suite}/other-context`;
    const context = (revision: number) => new TextEncoder().encode(`policy revision ${revision}`);
    const sessions = SIGNERS.map((self) =>
      createFrostSign({
        suite,
        sessionId: sid(label),
        self,
        signers: SIGNERS,
        share: shares.get(self)!,
        message: MESSAGE,
        rng: seededRng(`${label}/${self}`),
        context: context(self === 3 ? 2 : 1),
      }),
    );
    const sim = simulate(sessions);
    expectBlame(sim, HONEST, 'bad-parameters', [3]);
    expect(sim.results.get(3)).toMatchObject({ kind: 'abort', error: { kind: 'bad-parameters' } });
    expect(sim.sent.filter((e) => e.round === 2)).toHaveLength(0);
    // The same context everywhere signs.
    const same = simulate(
      SIGNERS.map((self) =>
        createFrostSign({
          suite,
          sessionId: sid(`${label}/same`),
          self,
          signers: SIGNERS,
          share: shares.get(self)!,
          message: MESSAGE,
          rng: seededRng(`${label}/same/${self}`),
          context: context(2),
        }),
      ),
    );
    expect(outputsOf(same).size).toBe(3);
  });

  once('a replayed message from another session', () => {
    const old = run(`${suite}/replay-old`);
    const stale = old.sent.find((e) => e.from === EVIL && e.round === 1)!;
    // Dropped (nobody can be blamed: TOB-SILA-14); party 1 waits for the real one until its deadline.
    const sim = run(
      `${suite}/replay-new`,
      rewrite(from(EVIL, 1), (e, to) => (to === 1 ? stale : e)),
    );
    expect(sim.results.get(1)).toMatchObject({ kind: 'abort', error: { kind: 'timeout' } });
    expectNoOutput(sim, HONEST);
  });

  once('a message from a party outside the signer set is dropped; the signers finish without it', () => {
    const sessions = signSessions(suite, shares, [1, 2], MESSAGE, `${suite}/outsider`);
    const outsider = signSessions(suite, shares, [1, 2, 3], MESSAGE, `${suite}/outsider`)[2]!;
    const sim = simulate([...sessions, outsider]);
    for (const p of [1, 2]) expect(sim.results.get(p)!.kind).toBe('done');
    expect(sim.results.get(3)!.kind).toBe('abort');
  });

  once('reused nonce: a session restored from before it signed cannot sign again', () => {
    const label = `${suite}/reuse`;
    const sessions = signSessions(suite, shares, [1, 2], MESSAGE, label);
    const snapshot = sessions[0]!.toJSON(); // holds party 1's nonces, not yet used
    const consumed = new Set<string>(); // the party service's consumed-nonce table
    const first = simulate(sessions, { consumed });
    expect(outputsOf(first).size).toBe(2);
    // Once used, the nonces are gone from the session's state.
    expect((sessions[0]!.toJSON() as { nonces: unknown }).nonces).toBeNull();

    // The attack: replay party 1 from the snapshot against a party 2 with fresh nonces, so that
    // the same nonce pair would sign under a different binding factor (leaking the share).
    const again = restoreFrostSign(snapshot, seededRng('unused'));
    const fresh = createFrostSign({ suite, sessionId: sid(label), self: 2, signers: [1, 2], share: shares.get(2)!, message: MESSAGE, rng: seededRng('fresh') });
    const second = simulate([again, fresh], { consumed });
    expect(second.results.get(1)).toMatchObject({ kind: 'abort', error: { kind: 'nonce-reuse' } });
    // The durable step named the same nonce id both times, and party 1's share never left.
    const idsOf = (sim: typeof first) => sim.durables.filter((d) => d.party === 1).flatMap((d) => d.durable.consume ?? []);
    expect(idsOf(second)).toEqual(idsOf(first));
    expect(second.sent.filter((e) => e.from === 1 && e.round === 2)).toHaveLength(0);
    expectNoOutput(second, [1, 2]);
  });

  once('a session whose nonces are gone refuses to sign', () => {
    const sessions = signSessions(suite, shares, [1, 2], MESSAGE, `${suite}/no-nonces`);
    const json = sessions[0]!.toJSON() as { nonces: unknown };
    json.nonces = null;
    const sim = simulate([restoreFrostSign(json, seededRng('u')), sessions[1]!]);
    expect(sim.results.get(1)).toMatchObject({ kind: 'abort', error: { kind: 'nonce-reuse' } });
    expectNoOutput(sim, [1, 2]);
  });
});

describe.each(SUITES)('commitment list checks, %s', (suite) => {
  const s = FROST_SUITES[suite];
  const pt = (k: bigint) => s.Point.BASE.multiply(k).toBytes();
  const own = { hiding: pt(11n), binding: pt(12n) };
  const list = [
    { index: 1, ...own },
    { index: 2, hiding: pt(21n), binding: pt(22n) },
    { index: 4, hiding: pt(41n), binding: pt(42n) },
  ];
  const check = (l: typeof list, t = 2, n = 5) => {
    try {
      checkCommitmentList(s, l, 1, own, t, n);
      return 'ok';
    } catch (e) {
      return (e as ProtocolError).kind + ': ' + (e as Error).message;
    }
  };

  test('a good list passes', () => expect(check(list)).toBe('ok'));
  test('without our own commitment', () => expect(check(list.slice(1))).toMatch(/^invalid-commitment: .*lacks our own/));
  test('with a wrong own commitment', () => {
    expect(check([{ index: 1, hiding: own.hiding, binding: pt(99n) }, ...list.slice(1)])).toMatch(/^invalid-commitment: .*not ours/);
    expect(check([{ index: 1, hiding: own.binding, binding: own.hiding }, ...list.slice(1)])).toMatch(/^invalid-commitment/);
  });
  test('unsorted or duplicated identifiers', () => {
    expect(check([list[1]!, list[0]!, list[2]!])).toMatch(/^invalid-commitment: .*sorted/);
    expect(check([list[0]!, list[1]!, list[1]!])).toMatch(/^invalid-commitment: .*sorted/);
  });
  test('fewer than t or more than n entries, unknown party', () => {
    expect(check(list, 4)).toMatch(/^invalid-commitment/);
    expect(check(list, 2, 2)).toMatch(/^invalid-commitment/);
    expect(check([...list, { index: 6, hiding: pt(61n), binding: pt(62n) }], 2, 5)).toMatch(/^invalid-commitment: .*unknown party/);
  });
  test('bad elements name their owner', () => {
    for (const bad of Object.values(badPoints(suite))) {
      try {
        checkCommitmentList(s, [list[0]!, { index: 2, hiding: bad, binding: pt(22n) }], 1, own, 2, 5);
        throw new Error('accepted a bad element');
      } catch (e) {
        expect(e).toBeInstanceOf(ProtocolError);
        expect((e as ProtocolError).kind).toBe('malformed');
        expect((e as ProtocolError).culprits).toEqual([2]);
      }
    }
  });
});
