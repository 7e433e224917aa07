// The gateway's test-only fault injection (services/coordinator/fault-injection.ts): built only
// when asked for, and the production classes behave as before without it.
import { describe, expect, test } from '@jest/globals';
import type { CoordinatorToParty, EnvelopeMessage, RefreshCertificate } from '../../../services/control/messages.ts';
import { CertificateWithholding, TappedSessionRunner, refreshActivations, sessionRunner } from '../../../services/coordinator/fault-injection.ts';
import { RefreshActivations } from '../../../services/coordinator/refresh-activation.ts';
import { SessionRunner } from '../../../services/coordinator/session-runner.ts';

const net = { isConnected: () => true, send: () => true };
const certificate: RefreshCertificate = {
  keyId: '11111111-2222-4333-8444-555555555555',
  session: 'a'.repeat(64),
  publicKey: 'pk',
  transcriptHash: 'th',
  members: ['party-1', 'party-2'],
  confirmations: ['c1', 'c2'],
};

describe('coordinator fault injection', () => {
  test('without faults the gateway gets the plain classes', () => {
    expect(sessionRunner(net, { roundTimeoutMs: 1000 }).constructor).toBe(SessionRunner);
    expect(refreshActivations({ send: () => true }).constructor).toBe(RefreshActivations);
    expect(refreshActivations({ send: () => true }, { stallAt: ['dkg:2'] }).constructor).toBe(RefreshActivations);
    expect(sessionRunner(net, { roundTimeoutMs: 1000 }, { tap: (m) => m })).toBeInstanceOf(TappedSessionRunner);
    expect(refreshActivations({ send: () => true }, { stallAt: ['refresh:certificate'] })).toBeInstanceOf(CertificateWithholding);
  });

  test('the tap sees only envelopes of sessions the runner runs', async () => {
    const seen: string[] = [];
    const opened: string[] = [];
    const recording = { isConnected: () => true, send: (_p: string, m: CoordinatorToParty) => (m.type === 'open' && opened.push(m.session), true) };
    const runner = new TappedSessionRunner(recording, { roundTimeoutMs: 1000 }, (msg, from) => {
      seen.push(`${from}:${msg.type}:${msg.session.slice(0, 4)}`);
      return msg;
    });
    const members = new Map([
      [1, 'party-1'],
      [2, 'party-2'],
    ]);
    const done = runner.run('test', members, (session) => ({ type: 'open', kind: 'sign', session }) as never);
    const session = opened[0]!;
    const envelope = (s: string): EnvelopeMessage => ({ type: 'envelope', session: s, from: 1, to: 0, data: new Uint8Array(1) });
    runner.onMessage('party-1', envelope('b'.repeat(64))); // not a session of this runner
    runner.onMessage('party-1', envelope(session));
    runner.onMessage('party-1', { type: 'done', session, output: {} } as never);
    runner.onMessage('party-2', { type: 'done', session, output: {} } as never);
    await done;
    expect(seen).toEqual([`party-1:envelope:${session.slice(0, 4)}`]);
  });

  test("'refresh:certificate' keeps the certificate from the members; the plain class sends it", async () => {
    const sent: [string, CoordinatorToParty][] = [];
    const send = (p: string, m: CoordinatorToParty) => (sent.push([p, m]), true);
    await new CertificateWithholding({ send, log: () => {} }).certify(certificate, 10);
    expect(sent).toEqual([]);
    await new RefreshActivations({ send }).certify(certificate, 10);
    expect(sent.map(([p, m]) => `${p}:${m.type}`)).toEqual(['party-1:refresh-certificate', 'party-2:refresh-certificate']);
  });
});
