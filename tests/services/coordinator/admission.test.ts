// Admission control in the SessionRunner: at most maxSessionsPerParty sessions per party run at
// once; later ones wait first come first served for room at all of their members, fail as
// 'throttled' when they wait too long or the queue is full, and are never opened meanwhile.
import { describe, expect, test } from '@jest/globals';
import { SessionFailed, SessionRunner } from '../../../services/coordinator/session-runner.ts';
import type { CoordinatorToParty, OpenMessage } from '../../../services/control/messages.ts';

function harness(o: { max: number; queueTimeoutMs?: number; maxQueued?: number }) {
  const opened: { partyId: string; session: string }[] = [];
  const runner = new SessionRunner(
    {
      isConnected: () => true,
      send: (partyId: string, msg: CoordinatorToParty) => {
        if (msg.type === 'open') opened.push({ partyId, session: msg.session });
        return true;
      },
    },
    { roundTimeoutMs: 60_000, maxSessionsPerParty: o.max, queueTimeoutMs: o.queueTimeoutMs, maxQueued: o.maxQueued },
  );
  const open = (session: string): OpenMessage => ({ type: 'open', kind: 'refresh', session, keyId: 'k', liftBans: false });
  const start = (...parties: string[]) => {
    const members = new Map(parties.map((p, k) => [k + 1, p]));
    const outcome = runner.run('test', members, open).then(
      () => 'done',
      (e: unknown) => (e instanceof SessionFailed ? e.failure.kind : String(e)),
    );
    return { members, outcome };
  };
  /** The sessions opened so far, in order (one entry per session). */
  const sessions = () => [...new Set(opened.map((x) => x.session))];
  const finish = (session: string, parties: string[]) => {
    parties.forEach((p) => runner.onMessage(p, { type: 'done', session, output: {} } as never));
  };
  const tick = () => new Promise((r) => setTimeout(r, 0));
  return { runner, opened, start, sessions, finish, tick };
}

describe('SessionRunner admission control', () => {
  test('a third session on two busy parties waits until one finishes, then opens', async () => {
    const h = harness({ max: 2 });
    const a = h.start('p1', 'p2');
    const b = h.start('p1', 'p2');
    const c = h.start('p1', 'p2');
    expect(h.sessions()).toHaveLength(2);
    expect(h.runner.queued).toBe(1);
    h.finish(h.sessions()[0]!, ['p1', 'p2']);
    await expect(a.outcome).resolves.toBe('done');
    await h.tick();
    expect(h.sessions()).toHaveLength(3);
    expect(h.runner.queued).toBe(0);
    h.finish(h.sessions()[1]!, ['p1', 'p2']);
    h.finish(h.sessions()[2]!, ['p1', 'p2']);
    await expect(b.outcome).resolves.toBe('done');
    await expect(c.outcome).resolves.toBe('done');
  });

  test('first come, first served per party; a session on other parties is not held up', async () => {
    const h = harness({ max: 1 });
    h.start('p1', 'p2');
    const waiting = h.start('p1', 'p3'); // p1 is busy
    const behind = h.start('p3', 'p4'); // p3 has room, but must not overtake the session waiting for p3
    const free = h.start('p5', 'p6'); // nobody waits for these
    expect(h.sessions()).toHaveLength(2);
    expect(h.opened.filter((x) => x.partyId === 'p6')).toHaveLength(1);
    expect(h.opened.filter((x) => x.partyId === 'p4')).toHaveLength(0);
    expect(h.runner.queued).toBe(2);
    h.finish(h.sessions()[0]!, ['p1', 'p2']);
    h.finish(h.sessions()[1]!, ['p5', 'p6']);
    await expect(free.outcome).resolves.toBe('done');
    await h.tick();
    expect(h.sessions()).toHaveLength(3); // the one on p1, p3
    expect(h.runner.queued).toBe(1);
    h.finish(h.sessions()[2]!, ['p1', 'p3']);
    await expect(waiting.outcome).resolves.toBe('done');
    await h.tick();
    expect(h.sessions()).toHaveLength(4);
    h.finish(h.sessions()[3]!, ['p3', 'p4']);
    await expect(behind.outcome).resolves.toBe('done');
  });

  test('an aborted session frees its room too', async () => {
    const h = harness({ max: 1 });
    const a = h.start('p1', 'p2');
    const b = h.start('p1', 'p2');
    h.runner.onMessage('p2', { type: 'abort', session: h.sessions()[0]!, kind: 'malformed', message: 'x', culprits: [] } as never);
    await expect(a.outcome).resolves.toBe('malformed');
    await h.tick();
    expect(h.sessions()).toHaveLength(2);
    h.finish(h.sessions()[1]!, ['p1', 'p2']);
    await expect(b.outcome).resolves.toBe('done');
  });

  test('waiting too long fails as throttled and the session is never opened', async () => {
    const h = harness({ max: 1, queueTimeoutMs: 30 });
    h.start('p1', 'p2');
    const late = h.start('p1', 'p2');
    await expect(late.outcome).resolves.toBe('throttled');
    expect(h.sessions()).toHaveLength(1);
    expect(h.runner.queued).toBe(0);
    h.finish(h.sessions()[0]!, ['p1', 'p2']);
    await h.tick();
    expect(h.sessions()).toHaveLength(1);
  });

  test('a full queue refuses at once', async () => {
    const h = harness({ max: 1, maxQueued: 1 });
    h.start('p1', 'p2');
    h.start('p1', 'p2');
    const over = h.start('p1', 'p2');
    await expect(over.outcome).resolves.toBe('throttled');
    expect(h.runner.queued).toBe(1);
  });

  test('no limit (0): everything opens at once', () => {
    const h = harness({ max: 0 });
    for (let k = 0; k < 50; k++) h.start('p1', 'p2');
    expect(h.sessions()).toHaveLength(50);
  });
});
