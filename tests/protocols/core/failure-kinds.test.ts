// One failure vocabulary across the wire (protocols/core/errors.ts): the kinds a session aborts with,
// a party refuses with and the coordinator's session runner fails with are one closed union,
// FailureKind, carried by one base class, TuttiError. A kind off the wire outside the union is read
// as 'internal' and goes no further as a free string.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import { FAILURE_KINDS, ProtocolError, TuttiError, failureKindOf, failureOf, isFailureKind } from '../../../protocols/core/errors.ts';
import { RequestRefused } from '../../../services/party/request-check.ts';
import { SessionFailed, SessionRunner } from '../../../services/coordinator/session-runner.ts';
import type { CoordinatorToParty, OpenMessage } from '../../../services/control/messages.ts';

const read = (path: string): string => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

describe('FailureKind', () => {
  test('is the union of what sessions, parties and the session runner raise', () => {
    expect(new Set(FAILURE_KINDS)).toEqual(
      new Set([
        'malformed',
        'unexpected',
        'duplicate',
        'equivocation',
        'invalid-proof',
        'invalid-share',
        'invalid-commitment',
        'invalid-signature',
        'bad-parameters',
        'nonce-reuse',
        'policy',
        'timeout',
        'internal',
        'unknown-key',
        'banned',
        'premade-unknown',
        'throttled',
        'unavailable',
      ]),
    );
    expect(isFailureKind('banned')).toBe(true);
    expect(isFailureKind('bannd')).toBe(false);
    expect(isFailureKind('toString')).toBe(false);
    expect(failureKindOf('premade-unknown')).toBe('premade-unknown');
    expect(failureKindOf('premade-unknwon')).toBe('internal');
    expect(failureKindOf(7)).toBe('internal');
  });

  test('every failure that crosses the wire is a TuttiError with its kind and culprits', () => {
    const protocol = new ProtocolError('invalid-share', 'share of party 3 does not match', [3, 2, 3]);
    const refused = new RequestRefused('peer 2 is banned', 'banned', [2]);
    const failed = new SessionFailed({ kind: 'timeout', message: 'no progress', culprits: [], unresponsive: [1] });
    for (const e of [protocol, refused, failed]) expect(e).toBeInstanceOf(TuttiError);
    expect([protocol.name, protocol.kind, protocol.culprits, protocol.message]).toEqual([
      'ProtocolError',
      'invalid-share',
      [2, 3],
      'share of party 3 does not match (culprit: 3, 2, 3)',
    ]);
    expect([refused.name, refused.kind, refused.culprits]).toEqual(['RequestRefused', 'banned', [2]]);
    expect(new RequestRefused('bad').kind).toBe('bad-parameters');
    expect([failed.name, failed.kind, failed.failure.unresponsive]).toEqual(['SessionFailed', 'timeout', [1]]);
    expect(failureOf(refused)).toEqual({ kind: 'banned', culprits: [2] });
    expect(failureOf(new Error('boom'))).toEqual({ kind: 'internal', culprits: [] });
  });

  test('no failure kind is typed as a free string where it crosses the wire', () => {
    expect(read('services/control/messages.ts')).toMatch(/type AbortMessage = \{[^}]*kind: FailureKind;/);
    const runner = read('services/coordinator/session-runner.ts');
    expect(runner).not.toMatch(/kind: string/);
    expect(runner).not.toMatch(/String\(msg\.kind\)/);
  });
});

describe("the session runner reads a party's abort kind through the union", () => {
  const runner = (sent: CoordinatorToParty[]) =>
    new SessionRunner(
      {
        isConnected: () => true,
        send: (_p, msg) => {
          sent.push(msg);
          return true;
        },
      },
      { roundTimeoutMs: 60_000 },
    );
  const open = (session: string): OpenMessage => ({ type: 'open', kind: 'refresh', session, keyId: 'k', liftBans: false });

  test.each([
    ['banned', 'banned'],
    ['not-a-kind', 'internal'],
  ])('an abort of kind %s fails the session as %s, and every member hears that kind', async (sentKind, expected) => {
    const sent: CoordinatorToParty[] = [];
    const r = runner(sent);
    const outcome = r
      .run(
        'test',
        new Map([
          [1, 'p1'],
          [2, 'p2'],
        ]),
        open,
      )
      .then(
        () => null,
        (e: unknown) => e,
      );
    const session = (sent[0] as OpenMessage).session;
    r.onMessage('p2', { type: 'abort', session, kind: sentKind, message: 'refused', culprits: [1] } as never);
    const err = await outcome;
    expect(err).toBeInstanceOf(SessionFailed);
    expect((err as SessionFailed).failure).toMatchObject({ kind: expected, culprits: [1], reporter: 2 });
    expect(sent.filter((m) => m.type === 'abort').map((m) => (m as { kind: string }).kind)).toEqual([expected, expected]);
  });
});
