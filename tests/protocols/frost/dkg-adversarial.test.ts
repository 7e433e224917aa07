// DKG and refresh under attack. A relay that rewrites party j's messages models a malicious j
// (the transport authenticates senders). Each attack must end in an abort with no key share
// output at any honest party, naming the culprit where the protocol can tell.
import { describe, test, expect } from '@jest/globals';
import { createFrostDkg } from '../../../protocols/frost/dkg.ts';
import { FROST_SUITES } from '../../../protocols/frost/suite.ts';
import type { Envelope } from '../../../protocols/core/envelope.ts';
import { outputsOf, seededRng, simulate, type Relay } from '../../support/simulator.ts';
import { drop, duplicate, flipByte, from, payload, rewrite } from '../../support/adversaries.ts';
import { CONTEXT, SUITES, badPoints, dealByDkg, dkgSessions, expectBlame, expectNoOutput, refreshSessions, sid, splice } from './fixtures.ts';

const T = 2,
  N = 3,
  EVIL = 3,
  HONEST = [1, 2];

/** Party 3's round-1 payload from another instance of party 3 in the same session (other randomness or threshold). */
function altRound1(suite: 'ed25519' | 'ed448', label: string, t = T): Uint8Array {
  const s = createFrostDkg({ suite, sessionId: sid(label), self: EVIL, n: N, t, context: CONTEXT, rng: seededRng(`${label}/alt`) });
  const step = s.start();
  if (step.kind !== 'send') throw new Error('no round-1 message');
  return step.messages[0]!.payload;
}

describe.each(SUITES)('DKG attacks, %s', (suite) => {
  const { elementBytes: E, scalarBytes: S } = FROST_SUITES[suite];
  const run = (label: string, relay: Relay) => simulate(dkgSessions(suite, T, N, label), { relay });
  // The agreement, replay and nonce logic does not depend on the curve: run it on one suite.
  const once = (name: string, fn: () => void) => {
    if (suite === 'ed25519') test(name, fn);
  };

  test('bad proof of knowledge', () => {
    // Flip the low bit of μ: still a canonical scalar, no longer a proof.
    const sim = run(
      `${suite}/bad-pok`,
      payload(from(EVIL, 1), (p) => flipByte(p, p.length - S)),
    );
    expectBlame(sim, HONEST, 'invalid-proof', [EVIL]);
  });

  test('commitment vector of the wrong length (threshold raising)', () => {
    const label = `${suite}/raise`;
    const sim = run(
      label,
      payload(from(EVIL, 1), () => altRound1(suite, label, T + 1)),
    );
    expectBlame(sim, HONEST, 'invalid-commitment', [EVIL]);
  });

  once('bad secret share to one party: it blames the sender, nobody else finishes', () => {
    const sim = run(
      `${suite}/bad-share`,
      payload(from(EVIL, 2, 1), (p) => flipByte(p, 0)),
    );
    expect(sim.results.get(1)).toMatchObject({ kind: 'abort', error: { kind: 'invalid-share', culprits: [EVIL] } });
    // Party 2 got a good share but never sees party 1's confirmation (ZF issue #577).
    expectNoOutput(sim, HONEST);
    expect(sim.results.get(2)).toMatchObject({ kind: 'abort', error: { kind: 'timeout' } });
  });

  once('equivocated round-1 broadcast is caught by the echo before any share is used', () => {
    const label = `${suite}/equivocate`;
    const other = altRound1(suite, label);
    const sim = run(
      label,
      payload(from(EVIL, 1), (p, to) => (to === 2 ? other : p)),
    );
    // Party 2 got the odd package: it knows 3 cheated. Party 1 cannot tell whether 3 equivocated
    // or 2's echo lies (no transferable signatures at this layer), so it names both.
    expect(sim.results.get(2)).toMatchObject({ kind: 'abort', error: { kind: 'equivocation', culprits: [EVIL] } });
    expect(sim.results.get(1)).toMatchObject({ kind: 'abort', error: { kind: 'equivocation', culprits: [2, EVIL] } });
    expectBlame(sim, HONEST, 'equivocation', [EVIL], false);
    // The echo check ran before the Feldman check: no 'invalid-share' anywhere.
    for (const r of sim.results.values()) if (r.kind === 'abort') expect(r.error.kind).not.toBe('invalid-share');
  });

  once('a lying echo aborts too', () => {
    // Party 3 misreports party 1's package: party 1 knows, party 2 can only narrow it to {1, 3}.
    const sim = run(
      `${suite}/echo-lie`,
      payload(from(EVIL, 2, 0), (p) => flipByte(p, 5)),
    );
    expect(sim.results.get(1)).toMatchObject({ kind: 'abort', error: { kind: 'equivocation', culprits: [EVIL] } });
    expect(sim.results.get(2)).toMatchObject({ kind: 'abort', error: { kind: 'equivocation', culprits: [1, EVIL] } });
    expectBlame(sim, HONEST, 'equivocation', [EVIL], false);
  });

  test.each(['identity', 'smallOrder', 'mixedOrder', 'nonCanonical'] as const)('%s point in a commitment', (kind) => {
    const bad = badPoints(suite)[kind];
    const sim = run(
      `${suite}/point-${kind}`,
      payload(from(EVIL, 1), (p) => splice(p, 1 + E, bad)),
    );
    expectBlame(sim, HONEST, 'malformed', [EVIL]);
  });

  test('identity as the proof-of-knowledge R', () => {
    const sim = run(
      `${suite}/pok-identity`,
      payload(from(EVIL, 1), (p) => splice(p, 1 + T * E, badPoints(suite).identity)),
    );
    expectBlame(sim, HONEST, 'malformed', [EVIL]);
  });

  test('scalar not below the group order as a secret share', () => {
    const sim = run(
      `${suite}/share-overflow`,
      payload(from(EVIL, 2, 1), () => new Uint8Array(S).fill(0xff)),
    );
    expect(sim.results.get(1)).toMatchObject({ kind: 'abort', error: { kind: 'malformed', culprits: [EVIL] } });
    expectNoOutput(sim, HONEST);
  });

  test.each([
    ['truncated round-1 package', 1, undefined, (p: Uint8Array) => p.slice(0, -1)],
    ['oversized round-1 package', 1, undefined, (p: Uint8Array) => new Uint8Array([...p, 0])],
    ['truncated share', 2, 1, (p: Uint8Array) => p.slice(0, -1)],
    ['oversized share', 2, 1, (p: Uint8Array) => new Uint8Array([...p, 0])],
    ['truncated echo', 2, 0, (p: Uint8Array) => p.slice(0, -1)],
    ['oversized confirmation', 3, 0, (p: Uint8Array) => new Uint8Array([...p, 0])],
    ['empty payload', 1, undefined, () => new Uint8Array()],
  ] as const)('%s', (_name, round, to, f) => {
    const sim = run(`${suite}/size-${_name}`, payload(from(EVIL, round, to), f));
    expectBlame(sim, HONEST, 'malformed', [EVIL]);
  });

  once('mismatched confirmation', () => {
    const sim = run(
      `${suite}/confirm`,
      payload(from(EVIL, 3), (p) => flipByte(p, 0)),
    );
    expectBlame(sim, HONEST, 'equivocation', [EVIL]);
  });

  once('a party bound to a different context: confirmations differ, nobody finishes', () => {
    const label = `${suite}/context`;
    const sessions = dkgSessions(suite, T, N, label);
    sessions[2] = createFrostDkg({ suite, sessionId: sid(label), self: 3, n: N, t: T, context: new Uint8Array([9]), rng: seededRng('ctx') });
    const sim = simulate(sessions);
    expectNoOutput(sim, [1, 2, 3]);
    expect(sim.results.get(1)).toMatchObject({ kind: 'abort', error: { kind: 'equivocation', culprits: [3] } });
    expect(sim.results.get(3)).toMatchObject({ kind: 'abort', error: { kind: 'equivocation', culprits: [1, 2] } });
  });

  once('replayed message from another session', () => {
    const old = simulate(dkgSessions(suite, T, N, `${suite}/replay-old`));
    const stale = old.sent.find((e) => e.from === EVIL && e.round === 1)!;
    // Dropped (nobody can be blamed: TOB-SILA-14); party 1 waits for the real one until its deadline.
    const sim = run(
      `${suite}/replay-new`,
      rewrite(from(EVIL, 1), (e, to) => (to === 1 ? stale : e)),
    );
    expect(sim.results.get(1)).toMatchObject({ kind: 'abort', error: { kind: 'timeout' } });
    expectNoOutput(sim, HONEST);
  });

  once('a replayed (duplicated) message is dropped and the DKG finishes; a second, different one is equivocation', () => {
    const dup = run(`${suite}/dup`, duplicate(from(EVIL, 1)));
    expect(outputsOf(dup).size).toBe(N);
    const label = `${suite}/two-versions`;
    const other = altRound1(suite, label);
    const twice = run(label, (envelope: Envelope, recipients: number[]) =>
      recipients.flatMap((to) =>
        from(EVIL, 1)(envelope, to)
          ? [
              { to, envelope },
              { to, envelope: { ...envelope, payload: other } },
            ]
          : [{ to, envelope }],
      ),
    );
    expectBlame(twice, HONEST, 'equivocation', [EVIL]);
  });

  once('dropped messages end in a timeout, not in output', () => {
    const sim = run(`${suite}/drop`, drop(from(EVIL, 2, 1)));
    expectNoOutput(sim, [1, 2, 3]);
  });
});

describe.each(SUITES)('refresh attacks, %s', (suite) => {
  const shares = dealByDkg(suite, T, N, `${suite}/refresh-attacks`);
  const { elementBytes: E } = FROST_SUITES[suite];
  const run = (label: string, relay: Relay) => simulate(refreshSessions(suite, shares, label), { relay });

  test('a refresh that tries to change the threshold', () => {
    // One more commitment, with the count byte raised to match.
    const sim = run(
      `${suite}/refresh-raise`,
      payload(from(EVIL, 1), (p) => {
        const out = new Uint8Array([...p, ...p.subarray(p.length - E)]);
        out[64] = T;
        return out;
      }),
    );
    expectBlame(sim, HONEST, 'invalid-commitment', [EVIL]);
  });

  test('bad refresh share', () => {
    const sim = run(
      `${suite}/refresh-bad-share`,
      payload(from(EVIL, 2, 2), (p) => flipByte(p, 0)),
    );
    expect(sim.results.get(2)).toMatchObject({ kind: 'abort', error: { kind: 'invalid-share', culprits: [EVIL] } });
    expectNoOutput(sim, HONEST);
  });

  test('identity refresh commitment', () => {
    const sim = run(
      `${suite}/refresh-identity`,
      payload(from(EVIL, 1), (p) => splice(p, 65, badPoints(suite).identity)),
    );
    expectBlame(sim, HONEST, 'malformed', [EVIL]);
  });

  test('a party holding another version of the key', () => {
    const other = dealByDkg(suite, T, N, `${suite}/refresh-other-key`);
    const mixed = new Map(shares);
    mixed.set(EVIL, other.get(EVIL)!);
    const sim = simulate(refreshSessions(suite, mixed, `${suite}/refresh-version`));
    expectBlame(sim, HONEST, 'bad-parameters', [EVIL]);
  });

  test('mismatched refresh confirmation', () => {
    const sim = run(
      `${suite}/refresh-confirm`,
      payload(from(EVIL, 3), (p) => flipByte(p, 0)),
    );
    expectBlame(sim, HONEST, 'equivocation', [EVIL]);
  });
});
