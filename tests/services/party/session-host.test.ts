// The session host (services/party/session-host.ts): DKLs23 sessions run whole inside worker
// threads — messages in, steps out — while this thread's event loop keeps turning; aborts cross the
// thread boundary with their kind, culprits and ban mark; a session that cannot be built, or whose
// worker dies, ends in an abort rather than a hang.
import { afterAll, describe, expect, jest, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { Envelope } from '../../../protocols/core/envelope.ts';
import type { Step } from '../../../protocols/core/session.ts';
import { ProtocolError } from '../../../protocols/core/errors.ts';
import { banError, isBanError } from '../../../protocols/dkls23/errors.ts';
import type { DklsDkgOutput } from '../../../protocols/dkls23/dkg.ts';
import { FAMILIES } from '../../../services/party/protocol-families.ts';
import { SessionHost, inlineSession, type HostedSession } from '../../../services/party/session-host.ts';
import { stepFromWire, stepToWire } from '../../../services/party/session-wire.ts';

jest.setTimeout(120_000);

const host = new SessionHost({ size: 2 });
afterAll(() => host.close());

/** Runs hosted sessions to the end, delivering every message; resolves with each party's last step. */
async function runAll(sessions: Map<number, HostedSession>): Promise<Map<number, Step<unknown, unknown>>> {
  const last = new Map<number, Step<unknown, unknown>>();
  const queues = new Map([...sessions.keys()].map((i) => [i, Promise.resolve()]));
  let pending = 0;
  let settle!: () => void;
  const finished = new Promise<void>((r) => {
    settle = r;
  });
  const handle = (i: number, step: Step<unknown, unknown>) => {
    last.set(i, step);
    if (step.kind === 'send' || step.kind === 'done') {
      for (const e of step.messages) for (const j of sessions.keys()) if (j !== i && (e.to === 0 || e.to === j)) deliver(j, e);
    }
  };
  const deliver = (j: number, e: Envelope) => {
    pending++;
    queues.set(
      j,
      queues.get(j)!.then(async () => {
        const prev = last.get(j);
        if (prev?.kind !== 'done' && prev?.kind !== 'abort') handle(j, await sessions.get(j)!.receive(e));
        if (--pending === 0) settle();
      }),
    );
  };
  pending += sessions.size;
  for (const [i, s] of sessions)
    void s.start().then((step) => {
      handle(i, step);
      if (--pending === 0) settle();
    });
  await finished;
  return last;
}

describe('DKLs23 in worker threads', () => {
  test('a 2-of-2 secp256k1 DKG and a signature run in the workers; this event loop keeps turning meanwhile', async () => {
    const sid = new Uint8Array(randomBytes(32));
    const context = new Uint8Array(4);
    const dkg = new Map(
      [1, 2].map((self) => [
        self,
        host.open(FAMILIES.dkls23.dkg({ protocol: 'dkls23-secp256k1', suite: 'secp256k1', sessionId: sid, self, n: 2, t: 2, context })),
      ]),
    );
    // The event loop's worst gap while the base OTs run elsewhere.
    let worst = 0;
    let prev = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - prev);
      prev = now;
    }, 5);
    const steps = await runAll(dkg);
    clearInterval(ticker);
    expect(host.workers).toBe(2);
    const outs = [1, 2].map((i) => {
      const s = steps.get(i)!;
      expect(s.kind).toBe('done');
      return (s as { output: DklsDkgOutput }).output;
    });
    expect(outs[0]!.publicKey).toEqual(outs[1]!.publicKey);
    expect(worst).toBeLessThan(250);

    const digest = new Uint8Array(32).fill(9);
    const sign = new Map(
      [1, 2].map((self) => [
        self,
        host.open(
          FAMILIES.dkls23.sign({
            protocol: 'dkls23-secp256k1',
            suite: 'secp256k1',
            sessionId: new Uint8Array(32).fill(7),
            self,
            signers: [1, 2],
            share: outs[self - 1]!.share,
            input: digest,
          }),
        ),
      ]),
    );
    const signed = await runAll(sign);
    const out = signed.get(1) as { kind: 'done'; output: { signature: Uint8Array } };
    expect(out.kind).toBe('done');
    expect(secp256k1.verify(out.output.signature, digest, outs[0]!.publicKey, { prehash: false })).toBe(true);
  });

  test('a session that cannot be built in the worker starts with an abort (inline: the build throws)', async () => {
    const spec = FAMILIES.dkls23.dkg({
      protocol: 'dkls23-p256',
      suite: 'p256',
      sessionId: new Uint8Array(32),
      self: 3,
      n: 2,
      t: 2,
      context: new Uint8Array(0),
    });
    const step = await host.open(spec).start();
    expect(step).toMatchObject({ kind: 'abort', error: { kind: 'bad-parameters' } });
    expect((step as { error: unknown }).error).toBeInstanceOf(ProtocolError);
    expect(() => inlineSession(spec)).toThrow(ProtocolError);
  });

  test('an abort keeps its kind, culprits and ban mark across the thread boundary', () => {
    const ban = banError('VOLE check failed', 3);
    const back = stepFromWire(structuredClone(stepToWire({ kind: 'abort', error: ban })));
    expect(back.kind).toBe('abort');
    const e = (back as { error: ProtocolError }).error;
    expect([e.kind, e.culprits, e.message]).toEqual([ban.kind, [3], ban.message]);
    expect(isBanError(e)).toBe(true);
  });

  test('a worker that dies takes its sessions with it: their pending steps abort, and the next session gets a new worker', async () => {
    const lone = new SessionHost({ size: 1 });
    try {
      const spec = (self: number) =>
        FAMILIES.dkls23.dkg({
          protocol: 'dkls23-secp256k1',
          suite: 'secp256k1',
          sessionId: new Uint8Array(32).fill(1),
          self,
          n: 2,
          t: 2,
          context: new Uint8Array(0),
        });
      const s = lone.open(spec(1));
      expect((await s.start()).kind).toBe('send');
      // Kill the worker from outside, as a crash would.
      await (lone as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots[0]!.worker.terminate();
      const step = await s.receive({
        protocol: 'dkls23-secp256k1/dkg',
        session: new Uint8Array(32).fill(1),
        round: 1,
        from: 2,
        to: 0,
        payload: new Uint8Array(64),
      });
      expect(step).toMatchObject({ kind: 'abort', error: { kind: 'internal' } });
      expect((await lone.open(spec(2)).start()).kind).toBe('send');
    } finally {
      await lone.close();
    }
  });
});
