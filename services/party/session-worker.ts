// The worker-thread side of the session host (session-host.ts): it builds sessions from their specs
// (protocol-families.ts SESSION_FACTORIES) and runs them, one request at a time, in the order the
// main thread sent them. Messages in, steps out; nothing here touches storage or the network — the
// main thread makes each step's durable part durable before its messages leave the party.
import { parentPort } from 'node:worker_threads';
import { randomBytes } from 'node:crypto';
import { ProtocolError } from '../../protocols/core/errors.ts';
import type { Session, Step } from '../../protocols/core/session.ts';
import { buildSession, type SessionSpec } from './protocol-families.ts';
import { stepToWire, type HostReply, type HostRequest } from './session-wire.ts';
import { installNativeCrypto } from './native-crypto.ts';

installNativeCrypto();

const rng = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const sessions = new Map<number, Session<unknown, unknown>>();

function run(req: HostRequest): Step<unknown, unknown> | null {
  switch (req.op) {
    case 'open': {
      const session = buildSession(req.spec as SessionSpec, rng);
      sessions.set(req.id, session);
      return session.start();
    }
    case 'receive': {
      const session = sessions.get(req.id);
      if (!session) return { kind: 'abort', error: new ProtocolError('internal', 'session is not open in the worker') };
      return session.receive(req.envelope);
    }
    case 'close':
      sessions.delete(req.id);
      return null;
  }
}

parentPort!.on('message', (req: HostRequest) => {
  let reply: HostReply;
  const started = performance.now();
  try {
    const step = run(req);
    if (step === null) return;
    // A session that ended needs nothing more from this thread.
    if (step.kind === 'done' || step.kind === 'abort') sessions.delete(req.id);
    reply = { call: req.call, step: stepToWire(step), busyMs: performance.now() - started };
  } catch (e) {
    sessions.delete(req.id);
    const error = e instanceof ProtocolError ? e : new ProtocolError('internal', e instanceof Error ? e.message : String(e));
    reply = { call: req.call, step: stepToWire({ kind: 'abort', error }), busyMs: performance.now() - started };
  }
  parentPort!.postMessage(reply);
});
