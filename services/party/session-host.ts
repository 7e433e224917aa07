// Runs protocol sessions either on the party's event loop ("inline") or inside worker threads, so
// that seconds of DKLs23 base-OT work do not stop a party from answering its health checks and its
// other sessions. Either way the party sees the same thing: a session whose start() and receive()
// resolve to Steps, in order. Messages in, steps out: the worker never touches storage or the
// network, so a step's durable part is still made durable by the main thread before any of the
// step's messages leave (session-driver.ts onStep).
//
// A host keeps a small pool of workers (spawned on first use, or at once with warm()); each session
// lives in one worker for its whole life and is placed in the least busy one. A worker that dies
// takes its sessions with it: each gets an 'internal' abort, and the next session gets a new worker.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import { ProtocolError } from '../../protocols/core/errors.ts';
import type { Envelope } from '../../protocols/core/envelope.ts';
import type { Step } from '../../protocols/core/session.ts';
import { buildSession, type SessionSpec } from './protocol-families.ts';
import { stepFromWire, type HostReply, type HostRequest } from './session-wire.ts';

/** A session as the party drives it, wherever it runs. Calls resolve in the order they were made. */
export interface HostedSession {
  readonly protocol: string;
  start(): Promise<Step<unknown, unknown>>;
  receive(envelope: Envelope): Promise<Step<unknown, unknown>>;
  /** Frees the session (it may still be computing; its later steps are dropped by the caller). */
  close(): void;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const rng = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

/**
 * A session on the calling thread. It is built here and now, so a session that cannot be built
 * (bad parameters, a share that does not parse) throws to the caller, as before hosts existed.
 */
export function inlineSession(spec: SessionSpec): HostedSession {
  const session = buildSession(spec, rng);
  return {
    protocol: spec.protocol,
    start: () => Promise.resolve().then(() => session.start()),
    receive: (envelope) => Promise.resolve().then(() => session.receive(envelope)),
    close: () => {},
  };
}

type Slot = { worker: Worker; pending: Map<number, (step: Step<unknown, unknown>, busyMs: number) => void>; sessions: number; dead: boolean };

export type SessionHostOptions = {
  /** Worker threads at most (default: the machine's parallelism, at most 4). */
  size?: number;
  log?: (line: string) => void;
  /** Called with the compute time of every request a worker answered. */
  onWork?: (protocol: string, ms: number) => void;
};

/**
 * Defined by esbuild in the daemons' bundle (scripts/bundle-daemons.mjs; the tests start the daemons from
 * it): the bundled worker, relative to the bundle's modules. From source it is not defined.
 */
declare const TUTTI_BUNDLED_SESSION_WORKER: string | undefined;

/**
 * The worker's entry. From source (npm start): tsx's ESM API registers the TypeScript loader inside
 * the worker, then session-worker.ts beside this file loads. In the bundle, where `import.meta.url`
 * is the bundle's: the bundled worker, plain JavaScript, loads as it is.
 */
function workerBootstrap(): string {
  const fail = `.catch((e) => { console.error('session worker failed to load:', e); process.exit(1); });`;
  if (typeof TUTTI_BUNDLED_SESSION_WORKER === 'string') {
    return `import(${JSON.stringify(new URL(TUTTI_BUNDLED_SESSION_WORKER, import.meta.url).href)})` + fail;
  }
  const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const api = pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href;
  const entry = new URL('./session-worker.ts', import.meta.url).href;
  return `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })` + fail;
}

export class SessionHost {
  private readonly size: number;
  private readonly slots: Slot[] = [];
  private nextCall = 1;
  private nextId = 1;
  private closed = false;

  constructor(private readonly o: SessionHostOptions = {}) {
    this.size = Math.max(1, o.size ?? Math.min(4, availableParallelism()));
  }

  /** Starts every worker now (each takes a few hundred ms to load), so no session waits for one. */
  warm(): void {
    while (this.slots.length < this.size) this.spawn();
  }

  get workers(): number {
    return this.slots.length;
  }

  /** A session inside one of the workers. Building it there may fail: start() then resolves to an abort. */
  open(spec: SessionSpec): HostedSession {
    if (this.closed) throw new Error('session host is closed');
    const slot = this.pick();
    const id = this.nextId++;
    slot.sessions++;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      slot.sessions--;
    };
    const call = (req: DistributiveOmit<HostRequest, 'call'>): Promise<Step<unknown, unknown>> =>
      new Promise((resolve) => {
        if (slot.dead) return resolve({ kind: 'abort', error: new ProtocolError('internal', 'the session worker exited') });
        const n = this.nextCall++;
        slot.pending.set(n, (step, busyMs) => {
          if (step.kind === 'done' || step.kind === 'abort') end();
          this.o.onWork?.(spec.protocol, busyMs);
          resolve(step);
        });
        slot.worker.postMessage({ ...req, call: n });
      });
    return {
      protocol: spec.protocol,
      start: () => call({ op: 'open', id, spec }),
      receive: (envelope) => call({ op: 'receive', id, envelope }),
      close: () => {
        if (ended) return;
        end();
        if (!slot.dead) slot.worker.postMessage({ op: 'close', call: 0, id } satisfies HostRequest);
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    await Promise.all(
      slots.map((s) => {
        s.dead = true;
        return s.worker.terminate();
      }),
    );
  }

  private pick(): Slot {
    const idle = this.slots.filter((s) => !s.dead).sort((a, b) => a.sessions - b.sessions)[0];
    if (idle && (idle.sessions === 0 || this.slots.length >= this.size)) return idle;
    return this.spawn();
  }

  private spawn(): Slot {
    const worker = new Worker(workerBootstrap(), { eval: true, execArgv: [], stdout: false, stderr: false });
    worker.unref();
    const slot: Slot = { worker, pending: new Map(), sessions: 0, dead: false };
    worker.on('message', (reply: HostReply) => {
      const resolve = slot.pending.get(reply.call);
      if (!resolve) return;
      slot.pending.delete(reply.call);
      resolve(stepFromWire(reply.step), reply.busyMs);
    });
    const die = (why: string) => {
      if (slot.dead) return;
      slot.dead = true;
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      if (!this.closed) this.o.log?.(`session host: a worker stopped (${why}); its ${slot.pending.size} pending requests abort`);
      for (const resolve of slot.pending.values()) resolve({ kind: 'abort', error: new ProtocolError('internal', `the session worker stopped: ${why}`) }, 0);
      slot.pending.clear();
    };
    worker.on('error', (e) => die(e.message));
    worker.on('exit', (code) => die(`exit code ${code}`));
    this.slots.push(slot);
    return slot;
  }
}
