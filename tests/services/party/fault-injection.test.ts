// The test-only fault injection (services/party/fault-injection.ts) that TUTTI_TEST_STALL and
// TUTTI_TEST_TAMPER turn on in a party daemon: the end-to-end tests rely on its log lines and on
// which frames it alters, so both are pinned here.
import { describe, expect, test } from '@jest/globals';
import { FaultInjection } from '../../../services/party/fault-injection.ts';
import type { Envelope } from '../../../protocols/core/envelope.ts';

const env = (round: number, to: number): Envelope => ({ protocol: 'p', session: new Uint8Array(32), round, from: 1, to, payload: Uint8Array.of(1, 2, 3) });

describe('FaultInjection', () => {
  test('a stall point silences that session from then on and logs the line the e2e tests look for', () => {
    const logs: string[] = [];
    const f = new FaultInjection({ partyId: 'party-3', log: (l) => logs.push(l), stallAt: ['dkg:2'] });
    const a = {},
      b = {};
    expect(f.silences(a, 'dkg', [env(1, 0)])).toBe(false);
    expect(f.silences(a, 'sign', [env(2, 0)])).toBe(false);
    expect(f.silences(a, 'dkg', [env(2, 0)])).toBe(true);
    expect(f.silences(a, 'dkg', [])).toBe(true); // stays silent, also for a step with no message
    expect(f.silences(b, 'dkg', [])).toBe(false);
    expect(logs).toEqual(['party party-3: stalling before dkg round 2 (TUTTI_TEST_STALL)']);
    expect(f.stopsAt('refresh:confirm', 'sending its refresh confirmation')).toBe(false);
  });

  test('a named refresh point stops there and says so', () => {
    const logs: string[] = [];
    const f = new FaultInjection({ partyId: 'party-1', log: (l) => logs.push(l), stallAt: ['refresh:confirm'] });
    expect(f.stopsAt('refresh:confirm', 'sending its refresh confirmation')).toBe(true);
    expect(f.stopsAt('refresh:activate', 'activating refresh abc')).toBe(false);
    expect(logs).toEqual(['party party-1: stalling before sending its refresh confirmation (TUTTI_TEST_STALL)']);
  });

  test('tampering flips the last byte of point-to-point payloads of the named round only, read from the list at each send', () => {
    const tamperAt: string[] = [];
    const f = new FaultInjection({ partyId: 'party-2', tamperAt });
    const step = [env(2, 0), env(2, 3)];
    expect(f.outgoing('sign', step)).toBe(step);
    tamperAt.push('sign:2');
    const out = f.outgoing('sign', step);
    expect(out[0]).toBe(step[0]); // the broadcast is left alone
    expect([...out[1]!.payload]).toEqual([1, 2, 2]);
    expect([...step[1]!.payload]).toEqual([1, 2, 3]); // the original is not altered
    expect(f.outgoing('dkg', step)).toBe(step);
  });
});
