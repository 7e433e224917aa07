import { describe, test, expect, afterEach } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import {
  CoordinatorHub,
  PartyLink,
  type CoordinatorHubOptions,
  type LinkState,
  type LinkStateDetail,
  type PartyLinkOptions,
} from '../../../services/transport/channel.ts';
import { CLOSE, answerChallenge, createChallenge } from '../../../services/transport/auth.ts';
import { MAX_CONTROL_FRAME_BYTES, decodeControl, encodeBinaryEnvelope, encodeControl, type ControlMessage } from '../../../services/transport/control.ts';
import { generateIdentity, publicIdentity, type Identity } from '../../../services/transport/identity.ts';

const A = generateIdentity('party-a');
const B = generateIdentity('party-b');
const C = generateIdentity('party-c'); // not configured
const COORD = 'coord-test';

// Everything a test opens is closed after it, pass or fail.
let cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  const fns = cleanups.reverse();
  cleanups = [];
  for (const fn of fns) await fn();
});

async function waitFor(pred: () => boolean, what: string, timeoutMs = 4000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

type HubLog = { hub: CoordinatorHub; messages: [string, ControlMessage][]; connects: string[]; disconnects: string[]; events: string[] };

async function startHub(opts: Partial<CoordinatorHubOptions> = {}): Promise<HubLog> {
  const log: Omit<HubLog, 'hub'> = { messages: [], connects: [], disconnects: [], events: [] };
  const hub = new CoordinatorHub({
    server: 0,
    host: '127.0.0.1',
    coordinatorId: COORD,
    parties: [publicIdentity(A), publicIdentity(B)],
    onMessage: (id, m) => log.messages.push([id, m]),
    onConnect: (id) => log.connects.push(id) && log.events.push(`connect ${id}`),
    onDisconnect: (id) => log.disconnects.push(id) && log.events.push(`disconnect ${id}`),
    ...opts,
  });
  cleanups.push(() => hub.close());
  await hub.listening();
  return { hub, ...log };
}

type LinkLog = { link: PartyLink; messages: ControlMessage[]; states: [LinkState, LinkStateDetail][] };

function startLink(url: string, identity: Identity, opts: Partial<PartyLinkOptions> = {}): LinkLog {
  const log: Omit<LinkLog, 'link'> = { messages: [], states: [] };
  const link = new PartyLink({
    url,
    identity,
    minBackoffMs: 20,
    maxBackoffMs: 200,
    onMessage: (m) => log.messages.push(m),
    ...opts,
    onState: (s, d) => {
      log.states.push([s, d]);
      opts.onState?.(s, d);
    },
  });
  cleanups.push(() => link.close());
  link.start();
  return { link, ...log };
}

/** A raw client that authenticates by hand, for misbehaving-peer tests. */
async function rawClient(
  url: string,
  identity?: Identity,
  opts: { autoPong?: boolean } = {},
): Promise<{ ws: WebSocket; received: ControlMessage[]; closed: Promise<[number, string]> }> {
  const ws = new WebSocket(url, { autoPong: opts.autoPong ?? true });
  ws.on('error', () => undefined);
  cleanups.push(() => {
    ws.terminate();
  });
  const received: ControlMessage[] = [];
  const closed = new Promise<[number, string]>((resolve) => ws.on('close', (code, reason) => resolve([code, reason.toString()])));
  ws.on('message', (data) => {
    const m = decodeControl((data as Buffer).toString());
    if (!m) return;
    received.push(m);
    if (identity && m.type === 'auth-challenge') ws.send(encodeControl(answerChallenge(m, identity)!));
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  if (identity) await waitFor(() => received.some((m) => m.type === 'auth-ok'), 'auth-ok');
  else await waitFor(() => received.length > 0, 'challenge');
  return { ws, received, closed };
}

const closeCodes = (l: LinkLog): (number | undefined)[] => l.states.filter(([s]) => s === 'backoff').map(([, d]) => d.code);

describe('CoordinatorHub and PartyLink', () => {
  test('an authenticated party connects and messages flow both ways', async () => {
    const h = await startHub();
    const a = startLink(h.hub.url()!, A, { coordinatorId: COORD });
    await a.link.waitReady();
    await waitFor(() => h.hub.isConnected('party-a'), 'hub to see party-a');
    expect(h.connects).toEqual(['party-a']);
    expect(h.hub.connectedParties()).toEqual(['party-a']);
    expect(h.hub.isConnected('party-b')).toBe(false);
    expect(a.states.map(([s]) => s)).toEqual(['connecting', 'authenticating', 'ready']);

    expect(a.link.send({ type: 'result', session: 's1', data: 'AAEC' })).toBe(true);
    await waitFor(() => h.messages.length === 1, 'message at hub');
    expect(h.messages[0]).toEqual(['party-a', { type: 'result', session: 's1', data: 'AAEC' }]);

    expect(h.hub.send('party-a', { type: 'open', session: 's2' })).toBe(true);
    expect(h.hub.send('party-b', { type: 'open', session: 's2' })).toBe(false);
    await waitFor(() => a.messages.length === 1, 'message at party');
    expect(a.messages[0]).toEqual({ type: 'open', session: 's2' });

    // The link's own message types are not for the layers above.
    expect(() => h.hub.send('party-a', { type: 'auth-ok' })).toThrow(TypeError);
    expect(() => a.link.send({ type: 'auth-response' })).toThrow(TypeError);
    // Over the frame limit: refused, not sent.
    expect(a.link.send({ type: 'big', data: 'x'.repeat(MAX_CONTROL_FRAME_BYTES) })).toBe(false);
    expect(a.link.stats.unsendable).toBe(1);

    await a.link.close();
    await waitFor(() => h.disconnects.length === 1, 'disconnect');
    expect(h.disconnects).toEqual(['party-a']);
    expect(a.link.state).toBe('closed');
    expect(a.link.send({ type: 'late' })).toBe(false);
  });

  test('envelope messages with bytes travel as binary frames both ways, without JSON or base64', async () => {
    const h = await startHub();
    const a = startLink(h.hub.url()!, A);
    await a.link.waitReady();
    await waitFor(() => h.hub.isConnected('party-a'), 'hub to see party-a');
    const session = 'c3'.repeat(32);
    const data = new Uint8Array(60_000).map((_, i) => i * 7);
    expect(a.link.send({ type: 'envelope', session, from: 2, to: 0, data })).toBe(true);
    await waitFor(() => h.messages.length === 1, 'envelope at hub');
    const [from, m] = h.messages[0]!;
    expect(from).toBe('party-a');
    expect(m).toMatchObject({ type: 'envelope', session, from: 2, to: 0 });
    expect(m.data).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(m.data as Uint8Array).equals(Buffer.from(data))).toBe(true);
    expect(h.hub.send('party-a', { type: 'envelope', session, from: 1, to: 2, data: data.subarray(0, 10) })).toBe(true);
    await waitFor(() => a.messages.length === 1, 'envelope at party');
    expect(a.messages[0]).toMatchObject({ type: 'envelope', session, from: 1, to: 2 });
    expect([...(a.messages[0]!.data as Uint8Array)]).toEqual([...data.subarray(0, 10)]);
    // A bad session id or index is a TypeError for the sender; an oversized one is unsendable.
    expect(() => a.link.send({ type: 'envelope', session: 'xyz', from: 1, to: 0, data })).toThrow(TypeError);
    expect(() => a.link.send({ type: 'envelope', session, from: 256, to: 0, data })).toThrow(TypeError);
    expect(a.link.send({ type: 'envelope', session, from: 1, to: 0, data: new Uint8Array(MAX_CONTROL_FRAME_BYTES) })).toBe(false);
    expect(a.link.stats.unsendable).toBe(1);
  });

  test('binary frames are refused before authentication and malformed ones are dropped after it', async () => {
    const h = await startHub();
    const pre = await rawClient(h.hub.url()!);
    pre.ws.send(encodeBinaryEnvelope({ type: 'envelope', session: 'ab'.repeat(32), from: 1, to: 0, data: Uint8Array.of(1) }));
    expect((await pre.closed)[0]).toBe(CLOSE.malformed);
    const raw = await rawClient(h.hub.url()!, A);
    await waitFor(() => h.hub.isConnected('party-a'), 'connect');
    raw.ws.send(Buffer.from([2, ...new Uint8Array(40)])); // unknown kind
    raw.ws.send(Buffer.from([1, ...new Uint8Array(33)])); // truncated header
    raw.ws.send(encodeBinaryEnvelope({ type: 'envelope', session: 'ab'.repeat(32), from: 1, to: 0, data: Uint8Array.of(9) }));
    await waitFor(() => h.messages.length === 1, 'the valid envelope');
    expect(h.messages[0]![1]).toMatchObject({ type: 'envelope', session: 'ab'.repeat(32), from: 1, to: 0, data: Uint8Array.of(9) });
    expect(h.hub.stats.malformedFrames).toBe(3); // the one before authentication and the two bad ones
    expect(h.hub.isConnected('party-a')).toBe(true);
  });

  test('an unknown party is refused, and keeps retrying without getting in', async () => {
    const h = await startHub();
    const c = startLink(h.hub.url()!, C);
    await waitFor(() => closeCodes(c).length >= 2, 'two refusals');
    expect(closeCodes(c).every((code) => code === CLOSE.unknownParty)).toBe(true);
    expect(c.link.isReady()).toBe(false);
    expect(h.connects).toEqual([]);
    expect(h.hub.connectedParties()).toEqual([]);
    expect(h.hub.stats.authFailures).toBeGreaterThanOrEqual(2);
    expect(c.link.stats.authFailures).toBeGreaterThanOrEqual(2);
  });

  test('a wrong signature or wrong keys are refused', async () => {
    const h = await startHub();
    // Presents party-a's configured public keys but signs with another key.
    const forged: Identity = { ...generateIdentity('party-a'), signPublic: A.signPublic, kexPublic: A.kexPublic };
    const f = startLink(h.hub.url()!, forged);
    // party-b's id with fresh keys: configured, but not with these keys.
    const m = startLink(h.hub.url()!, generateIdentity('party-b'));
    await waitFor(() => closeCodes(f).length >= 1 && closeCodes(m).length >= 1, 'refusals');
    expect(closeCodes(f)[0]).toBe(CLOSE.badSignature);
    expect(closeCodes(m)[0]).toBe(CLOSE.identityMismatch);
    expect(h.hub.connectedParties()).toEqual([]);
  });

  test('reconnects after the coordinator restarts', async () => {
    const h1 = await startHub();
    const url = h1.hub.url()!;
    const port = (h1.hub.address() as AddressInfo).port;
    const a = startLink(url, A);
    await a.link.waitReady();
    await h1.hub.close();
    await waitFor(() => a.states.some(([s]) => s === 'backoff'), 'link to notice');
    expect(closeCodes(a)[0]).toBe(CLOSE.shutdown);
    expect(a.link.isReady()).toBe(false);
    await new Promise((r) => setTimeout(r, 150)); // a few failed dials against the dead port

    const h2 = await startHub({ server: port });
    await a.link.waitReady(5000);
    await waitFor(() => h2.hub.isConnected('party-a'), 'second hub to see party-a');
    expect(a.link.send({ type: 'hello' })).toBe(true);
    await waitFor(() => h2.messages.length === 1, 'message at the new hub');
    // Backoff stayed within its cap while the coordinator was down.
    const delays = a.states.filter(([s]) => s === 'backoff').map(([, d]) => d.delayMs!);
    expect(Math.max(...delays)).toBeLessThanOrEqual(200);
  });

  test('reconnects after the socket is killed', async () => {
    const h = await startHub();
    const a = startLink(h.hub.url()!, A);
    await a.link.waitReady();
    await waitFor(() => h.connects.length === 1, 'connect');
    expect(h.hub.terminate('party-a')).toBe(true);
    await waitFor(() => h.disconnects.length === 1, 'disconnect');
    await waitFor(() => h.connects.length === 2 && a.link.isReady(), 'reconnect');
    expect(h.connects).toEqual(['party-a', 'party-a']);
    expect(h.hub.send('party-a', { type: 'ping-app' })).toBe(true);
    await waitFor(() => a.messages.length === 1, 'message after reconnect');
  });

  test('a newer authenticated connection replaces the older one', async () => {
    const h = await startHub();
    // When the first link is told it was replaced, it stops (else two copies would take turns).
    let onReplaced = (): void => undefined;
    const replaced = new Promise<void>((resolve) => {
      onReplaced = resolve;
    });
    const first: LinkLog = startLink(h.hub.url()!, A, {
      onState: (s, d) => {
        if (s === 'backoff' && d.code === CLOSE.replaced) {
          void first.link.close();
          onReplaced();
        }
      },
    });
    await first.link.waitReady();
    const raw = await rawClient(h.hub.url()!, A);
    await replaced;
    expect(h.connects).toEqual(['party-a', 'party-a']);
    // The replaced link is reported gone (the party may have restarted and lost what it held on
    // it: presignatures, pre-made commitments, sessions) before the new one is reported.
    expect(h.disconnects).toEqual(['party-a']);
    expect(h.events).toEqual(['connect party-a', 'disconnect party-a', 'connect party-a']);
    expect(h.hub.isConnected('party-a')).toBe(true);
    // Messages go to (and come from) the new connection only.
    expect(h.hub.send('party-a', { type: 'to-newest' })).toBe(true);
    await waitFor(() => raw.received.some((m) => m.type === 'to-newest'), 'message on the new socket');
    expect(first.messages).toEqual([]);
  });

  test('the heartbeat drops a peer that stops answering pings', async () => {
    const h = await startHub({ heartbeatMs: 100 });
    const raw = await rawClient(h.hub.url()!, A, { autoPong: false });
    await waitFor(() => h.connects.length === 1, 'connect');
    const t0 = Date.now();
    await waitFor(() => h.disconnects.length === 1, 'dead peer dropped', 2000);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect((await raw.closed)[0]).toBe(1006);
  });

  test('the heartbeat keeps a peer that answers late (busy) but within the allowed misses', async () => {
    const h = await startHub({ heartbeatMs: 300 });
    const raw = await rawClient(h.hub.url()!, A, { autoPong: false });
    // Each ping is answered 450 ms late: one tick passes without a pong, never two in a row.
    raw.ws.on('ping', (data) => {
      setTimeout(() => {
        try {
          raw.ws.pong(data);
        } catch {
          /* closed */
        }
      }, 450);
    });
    await waitFor(() => h.connects.length === 1, 'connect');
    // Four ticks: the second passes without a pong (a miss), the later ones each see the pong
    // of an earlier ping; never two misses in a row.
    await new Promise((r) => setTimeout(r, 1250));
    expect(h.disconnects).toEqual([]);
    expect(h.hub.isConnected('party-a')).toBe(true);
  });

  test('the party redials a coordinator that goes silent', async () => {
    const h = await startHub({ heartbeatMs: 60_000 });
    const a = startLink(h.hub.url()!, A, { idleTimeoutMs: 200 });
    await a.link.waitReady();
    await waitFor(() => a.states.filter(([s]) => s === 'ready').length >= 2, 'second ready after idle timeout', 3000);
    expect(closeCodes(a)[0]).toBe(1006);
  });

  test('malformed frames are counted and dropped; the connection and the hub survive', async () => {
    const h = await startHub();
    const raw = await rawClient(h.hub.url()!, A);
    await waitFor(() => h.hub.isConnected('party-a'), 'connect');
    raw.ws.send('not json');
    raw.ws.send('[1,2]');
    raw.ws.send('{"type":5}');
    raw.ws.send(Buffer.from([1, 2, 3])); // binary
    raw.ws.send(encodeControl({ type: 'auth-response' })); // reserved after authentication
    raw.ws.send(encodeControl({ type: 'fine', n: 1 }));
    await waitFor(() => h.messages.length === 1, 'the valid message');
    expect(h.messages[0]).toEqual(['party-a', { type: 'fine', n: 1 }]);
    expect(h.hub.stats.malformedFrames).toBe(5);
    expect(h.hub.isConnected('party-a')).toBe(true);

    // An oversized frame closes that socket (1009) — and nothing else.
    const b = startLink(h.hub.url()!, B);
    await b.link.waitReady();
    raw.ws.send('x'.repeat(MAX_CONTROL_FRAME_BYTES + 1));
    expect((await raw.closed)[0]).toBe(1009);
    await waitFor(() => !h.hub.isConnected('party-a'), 'party-a dropped');
    expect(h.hub.isConnected('party-b')).toBe(true);
    expect(b.link.send({ type: 'still-here' })).toBe(true);
    await waitFor(() => h.messages.some(([id, m]) => id === 'party-b' && m.type === 'still-here'), 'party-b message');
  });

  test('garbage before authentication, silence and other paths are refused', async () => {
    const h = await startHub({ authTimeoutMs: 200 });
    const garbage = await rawClient(h.hub.url()!);
    garbage.ws.send('{"type":"envelope"}');
    expect((await garbage.closed)[0]).toBe(CLOSE.malformed);
    const big = await rawClient(h.hub.url()!);
    big.ws.send('x'.repeat(10_000));
    expect((await big.closed)[0]).toBe(CLOSE.malformed);
    const silent = await rawClient(h.hub.url()!);
    expect(silent.received[0]!.type).toBe('auth-challenge');
    expect((await silent.closed)[0]).toBe(CLOSE.authTimeout);
    // Wrong path: the upgrade is refused outright.
    const other = new WebSocket(h.hub.url()!.replace('/parties', '/other'));
    cleanups.push(() => {
      other.terminate();
    });
    await new Promise<void>((resolve) => {
      other.on('error', () => resolve());
    });
    expect(h.hub.stats.authFailures).toBe(3);
    expect(h.connects).toEqual([]);
  });

  test('the party refuses a coordinator with another id and frames it cannot parse', async () => {
    // A fake coordinator: challenges with its own id, then (once authenticated) sends garbage.
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    cleanups.push(
      () =>
        new Promise((r) => {
          for (const c of wss.clients) c.terminate();
          wss.close(() => r(undefined));
        }),
    );
    await new Promise<void>((r) => wss.once('listening', () => r()));
    let fakeId = 'coord-evil';
    const responses: ControlMessage[] = [];
    wss.on('connection', (ws) => {
      ws.on('message', (d) => {
        const m = decodeControl((d as Buffer).toString());
        if (m?.type !== 'auth-response') return;
        responses.push(m);
        ws.send(encodeControl({ type: 'auth-ok' }));
        ws.send('garbage');
        ws.send(encodeControl({ type: 'auth-challenge' }));
        ws.send(encodeControl({ type: 'real', x: 1 }));
      });
      ws.send(encodeControl(createChallenge(fakeId).message));
    });
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/parties`;
    const a = startLink(url, A, { coordinatorId: COORD });
    await waitFor(() => closeCodes(a).length >= 1, 'refusal');
    expect(closeCodes(a)[0]).toBe(CLOSE.malformed);
    expect(responses).toEqual([]); // never signed for the wrong coordinator
    const refusals = a.link.stats.malformedFrames;
    expect(refusals).toBeGreaterThanOrEqual(1);
    fakeId = COORD;
    await a.link.waitReady(3000);
    await waitFor(() => a.messages.length === 1, 'the valid message');
    expect(a.messages).toEqual([{ type: 'real', x: 1 }]);
    expect(responses.length).toBe(1);
    // Garbage and a late challenge after authentication: dropped and counted.
    expect(a.link.stats.malformedFrames - refusals).toBe(2);
    expect(a.link.isReady()).toBe(true);
  });

  test('a callback that throws does not take the link down', async () => {
    const h = await startHub({
      onMessage: () => {
        throw new Error('boom');
      },
    });
    const a = startLink(h.hub.url()!, A, {
      onMessage: () => {
        throw new Error('boom');
      },
    });
    await a.link.waitReady();
    await waitFor(() => h.hub.isConnected('party-a'), 'connect');
    a.link.send({ type: 'x' });
    h.hub.send('party-a', { type: 'y' });
    await waitFor(() => h.hub.stats.callbackErrors === 1 && a.link.stats.callbackErrors === 1, 'callbacks');
    expect(a.link.isReady() && h.hub.isConnected('party-a')).toBe(true);
  });

  test('attaches to an existing http.Server and leaves other paths alone', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    cleanups.push(
      () =>
        new Promise((r) => {
          server.closeAllConnections();
          server.close(() => r(undefined));
        }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const h = await startHub({ server });
    const port = (server.address() as AddressInfo).port;
    const a = startLink(`ws://127.0.0.1:${port}/parties`, A);
    await a.link.waitReady();
    await waitFor(() => h.hub.isConnected('party-a'), 'connect');
    const res = await fetch(`http://127.0.0.1:${port}/health`, { headers: { connection: 'close' } });
    expect(await res.text()).toBe('ok');
    // Removing the party from the allowlist drops it.
    h.hub.setParties([publicIdentity(B)]);
    await waitFor(() => closeCodes(a).includes(CLOSE.removed), 'removed');
    await waitFor(() => closeCodes(a).includes(CLOSE.unknownParty), 'refused on redial');
  });
});
