// The WebSocket links between the coordinator and the parties. Each party dials out to the
// coordinator (CoordinatorHub, server side) with a PartyLink (client side), authenticates with its
// identity key on every connect (auth.ts), then both sides exchange ControlMessages (control.ts).
//
// The links carry no secrets of their own: envelopes inside ControlMessages are signed or sealed
// end to end (secure-envelope.ts). What the link adds is routing by authenticated party id,
// liveness (pings, so a dead peer is noticed within a few seconds) and reconnection.
import http from 'node:http';
import type https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { randomInt } from 'node:crypto';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import {
  AUTH_CHALLENGE,
  AUTH_OK,
  CHALLENGE_BYTES,
  CLOSE,
  answerChallenge,
  coordinatorAuthMessage,
  createChallenge,
  isCoordinatorId,
  partyChallengeOf,
  verifyResponse,
} from './auth.ts';
import { randomBytes } from 'node:crypto';
import { base64ToBytes, bytesToBase64 } from './control.ts';
import { pinVerifier, type CoordinatorIdentity, type CoordinatorPin } from './coordinator-identity.ts';
import { signControl, verifyControl, type LinkBinding } from './control-signature.ts';
import {
  MAX_CONTROL_FRAME_BYTES,
  decodeBinaryControl,
  decodeControl,
  encodeBinaryEnvelope,
  encodeControl,
  isBinaryEnvelope,
  isReservedType,
  type ControlMessage,
} from './control.ts';
import { parsePublicIdentity, type Identity, type PublicIdentity } from './identity.ts';

export { MAX_CONTROL_FRAME_BYTES, type ControlMessage } from './control.ts';

/** No legitimate auth-response comes near this; anything bigger before authentication is hostile. */
const MAX_PREAUTH_FRAME_BYTES = 4096;
/** How long a refused or closing socket gets to finish the close handshake before it is cut. */
const CLOSE_GRACE_MS = 1000;

export type LinkStats = {
  /** Frames that were binary, not JSON, not an object with a valid `type`, or used a reserved type. */
  malformedFrames: number;
  /** Connections the coordinator refused during authentication (unknown party, bad signature, ...). */
  authFailures: number;
  /** Outgoing messages that could not be encoded (over the frame limit). */
  unsendable: number;
  /** Exceptions thrown by callbacks (caught: a callback never takes the link down). */
  callbackErrors: number;
  /** Party side, with a pinned coordinator key: control messages refused (unsigned, bad signature, out of sequence). */
  refusedControl: number;
};

function newStats(): LinkStats {
  return { malformedFrames: 0, authFailures: 0, unsendable: 0, callbackErrors: 0, refusedControl: 0 };
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function rawBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** A message as it goes on the wire: envelopes with bytes as a binary frame, the rest as JSON text. */
function encodeFrame(msg: ControlMessage): string | Buffer {
  return isBinaryEnvelope(msg) ? encodeBinaryEnvelope(msg) : encodeControl(msg);
}

/** One frame from an authenticated peer: binary (an envelope) or JSON text; undefined if malformed. */
function decodeFrame(data: RawData, isBinary: boolean): ControlMessage | undefined {
  return isBinary ? decodeBinaryControl(rawBuffer(data)) : decodeControl(rawText(data));
}

function rawSize(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data.byteLength;
}

function closeSocket(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState === WebSocket.CLOSED) return;
  try {
    ws.close(code, reason);
  } catch {
    ws.terminate();
    return;
  }
  const t = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
  t.unref();
  ws.once('close', () => clearTimeout(t));
}

type Listener<A extends unknown[]> = (...args: A) => void;

class Listeners<A extends unknown[]> {
  private readonly fns = new Set<Listener<A>>();
  constructor(private readonly stats: LinkStats) {}
  add(fn: Listener<A>): () => void {
    this.fns.add(fn);
    return () => {
      this.fns.delete(fn);
    };
  }
  emit(...args: A): void {
    for (const fn of [...this.fns]) {
      try {
        fn(...args);
      } catch {
        this.stats.callbackErrors++;
      }
    }
  }
}

// ───────────────────────────────────────────── coordinator side ─────────────────────────────────

export type CoordinatorHubOptions = {
  /**
   * An http.Server or https.Server to attach to (the hub handles upgrades on `path` only; the
   * caller listens and closes it; with https.Server parties connect over wss://), or a port for a
   * plain server of the hub's own (0 picks a free port). Default: 0.
   */
  server?: http.Server | https.Server | number;
  /** Interface for the hub's own server. Default 127.0.0.1: expose it deliberately. */
  host?: string;
  /** Default '/parties'. */
  path?: string;
  /** Bound into every authentication signature, so responses cannot be replayed to another coordinator. */
  coordinatorId: string;
  /** The parties allowed to connect, with their exact public keys. */
  parties: PublicIdentity[];
  /**
   * The coordinator's own key (coordinator-identity.ts): with it the hub proves itself to parties
   * that send a challenge of their own, and signs every JSON control message to them
   * (control-signature.ts). Its id must be `coordinatorId`.
   */
  identity?: CoordinatorIdentity;
  /** Ping interval. Default 2000 ms. */
  heartbeatMs?: number;
  /**
   * A party is disconnected when this many pings in a row went unanswered and nothing else came
   * from it either (any frame counts as a sign of life). Default 2: a party silent for 2–3
   * intervals (4–6 s by default) is dropped, while one whose event loop works through a backlog of
   * queued sessions for a few seconds — it answers a ping only after the frames queued before it —
   * is not. The party's own idle timeout (6 s) is of the same order.
   */
  heartbeatMisses?: number;
  /** From TCP accept to a valid auth-response. Default 5000 ms. */
  authTimeoutMs?: number;
  onMessage?: (partyId: string, msg: ControlMessage) => void;
  onConnect?: (partyId: string) => void;
  onDisconnect?: (partyId: string) => void;
};

type HubConn = {
  ws: WebSocket;
  challenge: Uint8Array;
  partyId?: string;
  identity?: PublicIdentity;
  alive: boolean;
  /** Consecutive heartbeat ticks with no pong and no frame. */
  missed: number;
  authTimer?: NodeJS.Timeout;
  /** Signed control messages: the party's challenge names the connection; `seq` counts messages on it. */
  link?: LinkBinding;
  seq: number;
};

/**
 * Accepts party connections, authenticates them and routes ControlMessages by party id. A newer
 * authenticated connection for a party replaces the older one (which is closed with
 * CLOSE.replaced): onConnect fires again, onDisconnect does not fire for the replaced socket.
 */
export class CoordinatorHub {
  readonly path: string;
  readonly coordinatorId: string;
  readonly stats: LinkStats = newStats();
  private readonly identity: CoordinatorIdentity | undefined;

  private parties = new Map<string, PublicIdentity>();
  private readonly conns = new Map<string, HubConn>();
  private readonly pending = new Set<HubConn>();
  private readonly server: http.Server;
  private readonly ownServer: boolean;
  private readonly wss: WebSocketServer;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly authTimeoutMs: number;
  private readonly heartbeatMisses: number;
  private readonly ready: Promise<void>;
  private closing: Promise<void> | undefined;

  private readonly messageListeners = new Listeners<[string, ControlMessage]>(this.stats);
  private readonly connectListeners = new Listeners<[string]>(this.stats);
  private readonly disconnectListeners = new Listeners<[string]>(this.stats);

  constructor(opts: CoordinatorHubOptions) {
    if (!isCoordinatorId(opts.coordinatorId)) throw new TypeError(`bad coordinator id ${JSON.stringify(opts.coordinatorId)}`);
    this.coordinatorId = opts.coordinatorId;
    if (opts.identity && opts.identity.coordinatorId !== opts.coordinatorId)
      throw new TypeError(`the coordinator key belongs to '${opts.identity.coordinatorId}', not '${opts.coordinatorId}'`);
    this.identity = opts.identity;
    this.path = opts.path ?? '/parties';
    if (!this.path.startsWith('/')) throw new TypeError('path must start with /');
    this.authTimeoutMs = opts.authTimeoutMs ?? 5000;
    this.heartbeatMisses = Math.max(1, opts.heartbeatMisses ?? 2);
    this.setParties(opts.parties);
    if (opts.onMessage) this.onMessage(opts.onMessage);
    if (opts.onConnect) this.onConnect(opts.onConnect);
    if (opts.onDisconnect) this.onDisconnect(opts.onDisconnect);

    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CONTROL_FRAME_BYTES, perMessageDeflate: false });
    this.wss.on('error', () => {
      /* per-socket errors are handled on the sockets */
    });

    if (typeof opts.server === 'object') {
      // An https.Server has http.Server's request and upgrade events: parties then dial wss://.
      this.server = opts.server;
      this.ownServer = false;
      this.ready = this.server.listening ? Promise.resolve() : new Promise((resolve) => this.server.once('listening', () => resolve()));
    } else {
      this.ownServer = true;
      this.server = http.createServer((_req, res) => {
        res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' }).end('WebSocket only\n');
      });
      const port = opts.server ?? 0;
      this.ready = new Promise((resolve, reject) => {
        this.server.once('error', reject);
        this.server.listen(port, opts.host ?? '127.0.0.1', () => {
          this.server.off('error', reject);
          resolve();
        });
      });
      // Observed so a failed listen surfaces through listening(), not as an unhandled rejection.
      this.ready.catch(() => undefined);
    }
    this.server.on('upgrade', this.onUpgrade);

    const heartbeatMs = opts.heartbeatMs ?? 2000;
    this.heartbeat = setInterval(() => this.tick(), heartbeatMs);
    this.heartbeat.unref();
  }

  /** Resolves once the server listens (rejects if the hub's own server could not bind). */
  listening(): Promise<void> {
    return this.ready;
  }

  /** The bound address (useful with port 0); undefined until listening. */
  address(): AddressInfo | undefined {
    const a = this.server.address();
    return a && typeof a === 'object' ? a : undefined;
  }

  /** ws://host:port/path for the hub's own server; undefined until listening. */
  url(): string | undefined {
    const a = this.address();
    if (!a) return undefined;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `ws://${host}:${a.port}${this.path}`;
  }

  /** Replaces the allowlist. Connected parties that were removed or whose keys changed are dropped. */
  setParties(parties: PublicIdentity[]): void {
    const next = new Map<string, PublicIdentity>();
    for (const p of parties) {
      const v = parsePublicIdentity(p);
      if (next.has(v.partyId)) throw new TypeError(`party ${v.partyId} listed twice`);
      next.set(v.partyId, v);
    }
    this.parties = next;
    // Keys are checked at authentication, so a removed party or a key change forces it off.
    for (const [id, conn] of this.conns) {
      const p = next.get(id);
      if (!p || !conn.identity || p.signPublic !== conn.identity.signPublic || p.kexPublic !== conn.identity.kexPublic) {
        closeSocket(conn.ws, CLOSE.removed, p ? 'party keys changed' : 'party removed');
      }
    }
  }

  isConnected(partyId: string): boolean {
    const c = this.conns.get(partyId);
    return c !== undefined && c.ws.readyState === WebSocket.OPEN;
  }

  connectedParties(): string[] {
    return [...this.conns.keys()].filter((id) => this.isConnected(id)).sort();
  }

  /**
   * Sends to a connected party. False if the party is not connected or the message is over the
   * frame limit. Throws TypeError for a message without a valid type or with a reserved one.
   */
  send(partyId: string, msg: ControlMessage): boolean {
    if (isReservedType(String(msg?.type))) throw new TypeError(`message type '${msg.type}' is reserved for the link`);
    const c = this.conns.get(partyId);
    if (!c || c.ws.readyState !== WebSocket.OPEN) return false;
    let frame: string | Buffer;
    try {
      frame = encodeFrame(msg);
      if (this.identity && c.link && typeof frame === 'string') {
        // The sequence number is used up only by a frame that is sent: the party expects no gaps.
        frame = signControl(msg, c.seq + 1, c.link, this.identity.sign);
        if (Buffer.byteLength(frame, 'utf8') > MAX_CONTROL_FRAME_BYTES) throw new TypeError(`control message exceeds ${MAX_CONTROL_FRAME_BYTES} bytes`);
        c.seq++;
      }
    } catch (e) {
      if (/exceeds/.test((e as Error).message)) {
        this.stats.unsendable++;
        return false;
      }
      throw e;
    }
    c.ws.send(frame, () => {
      /* a failed write ends in 'close', handled there */
    });
    return true;
  }

  /** Drops a party's connection (it will reconnect). False if it was not connected. */
  disconnect(partyId: string, code: number = 4000, reason = 'disconnected by coordinator'): boolean {
    const c = this.conns.get(partyId);
    if (!c) return false;
    closeSocket(c.ws, code, reason);
    return true;
  }

  /** Forcibly cuts a party's TCP connection without a close handshake (tests, dead peers). */
  terminate(partyId: string): boolean {
    const c = this.conns.get(partyId);
    if (!c) return false;
    c.ws.terminate();
    return true;
  }

  onMessage(fn: (partyId: string, msg: ControlMessage) => void): () => void {
    return this.messageListeners.add(fn);
  }
  onConnect(fn: (partyId: string) => void): () => void {
    return this.connectListeners.add(fn);
  }
  onDisconnect(fn: (partyId: string) => void): () => void {
    return this.disconnectListeners.add(fn);
  }

  /** Closes every connection and stops listening (and closes the hub's own server). */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    clearInterval(this.heartbeat);
    this.server.off('upgrade', this.onUpgrade);
    const sockets = [...this.pending, ...this.conns.values()].map((c) => c.ws);
    this.closing = (async () => {
      await Promise.all(
        sockets.map(
          (ws) =>
            new Promise<void>((resolve) => {
              if (ws.readyState === WebSocket.CLOSED) return resolve();
              ws.once('close', () => resolve());
              closeSocket(ws, CLOSE.shutdown, 'coordinator shutting down');
            }),
        ),
      );
      await new Promise<void>((resolve) => this.wss.close(() => resolve()));
      if (this.ownServer && this.server.listening) {
        await new Promise<void>((resolve) => {
          this.server.close(() => resolve());
          this.server.closeAllConnections();
        });
      }
    })();
    return this.closing;
  }

  private readonly onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      pathname = '';
    }
    if (pathname !== this.path) {
      // Leave other paths to other upgrade listeners; if there are none, do not leave it hanging.
      if (this.ownServer || this.server.listenerCount('upgrade') <= 1) socket.destroy();
      return;
    }
    if (this.closing) {
      socket.destroy();
      return;
    }
    socket.on('error', () => {
      /* surfaced as a closed WebSocket */
    });
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  };

  private accept(ws: WebSocket): void {
    const { message, challenge } = createChallenge(this.coordinatorId);
    const conn: HubConn = { ws, challenge, alive: true, missed: 0, seq: 0 };
    this.pending.add(conn);
    conn.authTimer = setTimeout(() => {
      this.stats.authFailures++;
      closeSocket(ws, CLOSE.authTimeout, 'authentication timeout');
    }, this.authTimeoutMs);
    conn.authTimer.unref();
    ws.on('error', () => {
      /* always followed by 'close' */
    });
    ws.on('pong', () => {
      conn.alive = true;
    });
    ws.on('message', (data, isBinary) => this.onFrame(conn, data, isBinary));
    ws.on('close', () => this.onClose(conn));
    ws.send(encodeControl(message), () => undefined);
  }

  private onFrame(conn: HubConn, data: RawData, isBinary: boolean): void {
    conn.alive = true;
    const authed = conn.partyId !== undefined;
    if (!authed && !this.pending.has(conn)) return; // refused: closing, ignore stragglers
    if (!authed && rawSize(data) > MAX_PREAUTH_FRAME_BYTES) {
      this.stats.malformedFrames++;
      this.refuse(conn, CLOSE.malformed, 'oversized frame before authentication');
      return;
    }
    // Binary frames (envelopes) only once authenticated.
    const msg = authed ? decodeFrame(data, isBinary) : isBinary ? undefined : decodeControl(rawText(data));
    if (!authed) {
      if (!msg) {
        this.stats.malformedFrames++;
        this.refuse(conn, CLOSE.malformed, 'expected auth-response');
        return;
      }
      this.authenticate(conn, msg);
      return;
    }
    if (!msg || isReservedType(msg.type)) {
      this.stats.malformedFrames++;
      return;
    }
    if (this.conns.get(conn.partyId!) !== conn) return; // replaced: the old socket speaks no more
    this.messageListeners.emit(conn.partyId!, msg);
  }

  private refuse(conn: HubConn, code: number, reason: string): void {
    clearTimeout(conn.authTimer);
    this.stats.authFailures++;
    closeSocket(conn.ws, code, reason);
  }

  private authenticate(conn: HubConn, msg: ControlMessage): void {
    if (this.closing || !this.pending.has(conn)) return;
    const verdict = verifyResponse(msg, this.coordinatorId, conn.challenge, this.parties);
    if (!verdict.ok) {
      this.pending.delete(conn);
      this.refuse(conn, verdict.code, verdict.reason);
      return;
    }
    clearTimeout(conn.authTimer);
    this.pending.delete(conn);
    const partyId = verdict.party.partyId;
    conn.partyId = partyId;
    conn.identity = verdict.party;
    const old = this.conns.get(partyId);
    this.conns.set(partyId, conn);
    if (old) closeSocket(old.ws, CLOSE.replaced, 'replaced by a newer connection');
    // Mutual authentication: the party's own challenge, signed with the coordinator's key (auth.ts).
    const partyChallenge = partyChallengeOf(msg);
    let ok: ControlMessage = { type: AUTH_OK };
    if (this.identity && partyChallenge) {
      conn.link = { coordinatorId: this.coordinatorId, partyId, nonce: partyChallenge };
      ok = { type: AUTH_OK, signature: bytesToBase64(this.identity.sign(coordinatorAuthMessage(this.coordinatorId, partyId, partyChallenge, conn.challenge))) };
    }
    conn.ws.send(encodeControl(ok), () => undefined);
    this.connectListeners.emit(partyId);
  }

  private onClose(conn: HubConn): void {
    clearTimeout(conn.authTimer);
    this.pending.delete(conn);
    const id = conn.partyId;
    if (id !== undefined && this.conns.get(id) === conn) {
      this.conns.delete(id);
      this.disconnectListeners.emit(id);
    }
  }

  private tick(): void {
    for (const conn of this.conns.values()) {
      if (conn.alive) conn.missed = 0;
      else if (++conn.missed >= this.heartbeatMisses) {
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      try {
        conn.ws.ping();
      } catch {
        conn.ws.terminate();
      }
    }
  }
}

// ───────────────────────────────────────────── party side ───────────────────────────────────────

export type LinkState = 'connecting' | 'authenticating' | 'ready' | 'backoff' | 'closed';

export type LinkStateDetail = {
  /** Close code and reason of the connection that just ended (CLOSE.* from auth.ts when refused). */
  code?: number;
  reason?: string;
  error?: string;
  /** For 'backoff': how long until the next attempt. */
  delayMs?: number;
};

export type PartyLinkOptions = {
  /** ws:// or wss:// URL of the coordinator's hub, e.g. wss://gateway:4599/parties. */
  url: string;
  /**
   * For wss://: the CA bundle (PEM) the gateway's certificate must chain to (default: the system's
   * CAs). The certificate's hostname is checked too. The pinned `coordinator` key is checked on
   * top of it: TLS alone does not make a coordinator.
   */
  ca?: string | Buffer;
  identity: Identity;
  onMessage: (msg: ControlMessage) => void;
  onState?: (state: LinkState, detail: LinkStateDetail) => void;
  /** If set, refuse (and reconnect from) a coordinator presenting another id. */
  coordinatorId?: string;
  /**
   * The coordinator's pinned key (peers.json `coordinator`): the link becomes ready only once the
   * coordinator signed this connection's challenge with it, and every JSON control message must
   * then carry a valid signature and the next sequence number (control-signature.ts); anything
   * else is dropped and reported through onRefused. Implies `coordinatorId`.
   */
  coordinator?: CoordinatorPin;
  /** Why a frame from the coordinator was refused (for the party's log). */
  onRefused?: (reason: string) => void;
  /** Reconnect backoff: first delay and cap (jittered). Defaults 100 ms and 2000 ms. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** From dialing to auth-ok. Default 5000 ms. */
  authTimeoutMs?: number;
  /** Reconnect if nothing (no frame, no ping) arrives from the coordinator for this long. Default 6000 ms. */
  idleTimeoutMs?: number;
};

/**
 * The party's link to the coordinator: dials, authenticates, and redials with capped backoff
 * forever until close(). Messages are delivered only on an authenticated connection; send()
 * does not queue (it returns false when not ready) — the layers above resynchronize on 'ready'.
 */
export class PartyLink {
  readonly stats: LinkStats = newStats();
  private readonly opts: Required<Pick<PartyLinkOptions, 'minBackoffMs' | 'maxBackoffMs' | 'authTimeoutMs' | 'idleTimeoutMs'>> & PartyLinkOptions;
  private ws: WebSocket | undefined;
  private current: LinkState | 'idle' = 'idle';
  private failures = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private authTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private closing: Promise<void> | undefined;

  constructor(opts: PartyLinkOptions) {
    const u = new URL(opts.url);
    if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new TypeError('url must be ws:// or wss://');
    this.opts = { minBackoffMs: 100, maxBackoffMs: 2000, authTimeoutMs: 5000, idleTimeoutMs: 6000, ...opts };
    if (opts.coordinator) {
      if (opts.coordinatorId !== undefined && opts.coordinatorId !== opts.coordinator.coordinatorId)
        throw new TypeError('coordinatorId differs from the pinned coordinator');
      this.opts.coordinatorId = opts.coordinator.coordinatorId;
      this.verifyCoordinator = pinVerifier(opts.coordinator);
    }
  }

  private readonly verifyCoordinator: ((m: Uint8Array, s: Uint8Array) => boolean) | undefined;

  private refused(reason: string): void {
    this.stats.refusedControl++;
    try {
      this.opts.onRefused?.(reason);
    } catch {
      this.stats.callbackErrors++;
    }
  }

  get state(): LinkState | 'idle' {
    return this.current;
  }

  isReady(): boolean {
    return this.current === 'ready' && this.ws?.readyState === WebSocket.OPEN;
  }

  start(): void {
    if (this.current !== 'idle') return;
    this.connect();
  }

  /** Resolves when the link is (or next becomes) ready; rejects on timeout or close(). */
  waitReady(timeoutMs = 10_000): Promise<void> {
    if (this.isReady()) return Promise.resolve();
    if (this.closing) return Promise.reject(new Error('link closed'));
    return new Promise((resolve, reject) => {
      const w = {
        resolve: () => {
          clearTimeout(t);
          resolve();
        },
        reject: (e: Error) => {
          clearTimeout(t);
          reject(e);
        },
      };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`link not ready within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Sends on the authenticated connection; false if not ready or over the frame limit. */
  send(msg: ControlMessage): boolean {
    if (isReservedType(String(msg?.type))) throw new TypeError(`message type '${msg.type}' is reserved for the link`);
    if (!this.isReady()) return false;
    let frame: string | Buffer;
    try {
      frame = encodeFrame(msg);
    } catch (e) {
      if (/exceeds/.test((e as Error).message)) {
        this.stats.unsendable++;
        return false;
      }
      throw e;
    }
    this.ws!.send(frame, () => undefined);
    return true;
  }

  /** Stops for good: no reconnect; resolves once the socket is closed. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    clearTimeout(this.reconnectTimer);
    this.clearConnTimers();
    const ws = this.ws;
    this.closing = new Promise<void>((resolve) => {
      if (!ws || ws.readyState === WebSocket.CLOSED) return resolve();
      ws.once('close', () => resolve());
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else closeSocket(ws, 1000, 'party closing');
    }).then(() => {
      this.ws = undefined;
      this.setState('closed', {});
    });
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(new Error('link closed'));
    return this.closing;
  }

  private setState(s: LinkState, detail: LinkStateDetail): void {
    this.current = s;
    try {
      this.opts.onState?.(s, detail);
    } catch {
      this.stats.callbackErrors++;
    }
  }

  private clearConnTimers(): void {
    clearTimeout(this.authTimer);
    clearTimeout(this.idleTimer);
    this.authTimer = this.idleTimer = undefined;
  }

  private touch(ws: WebSocket): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => ws.terminate(), this.opts.idleTimeoutMs);
    this.idleTimer.unref();
  }

  private connect(): void {
    if (this.closing) return;
    this.setState('connecting', {});
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.opts.url, {
        maxPayload: MAX_CONTROL_FRAME_BYTES,
        perMessageDeflate: false,
        handshakeTimeout: this.opts.authTimeoutMs,
        ...(this.opts.ca !== undefined ? { ca: this.opts.ca } : {}),
      });
    } catch (e) {
      this.scheduleReconnect({ error: (e as Error).message });
      return;
    }
    this.ws = ws;
    let authed = false;
    let lastError: string | undefined;
    // Mutual authentication: our challenge for this connection, and the coordinator's (to check its proof).
    const ownChallenge = this.verifyCoordinator ? Uint8Array.from(randomBytes(CHALLENGE_BYTES)) : undefined;
    let theirChallenge: Uint8Array | undefined;
    let link: LinkBinding | undefined;
    let seq = 0;
    this.authTimer = setTimeout(() => ws.terminate(), this.opts.authTimeoutMs);
    this.authTimer.unref();
    ws.on('open', () => {
      this.touch(ws);
      this.setState('authenticating', {});
    });
    ws.on('ping', () => this.touch(ws));
    ws.on('error', (e) => {
      lastError = e.message;
    });
    ws.on('message', (data, isBinary) => {
      if (this.ws !== ws) return;
      this.touch(ws);
      const msg = authed ? decodeFrame(data, isBinary) : isBinary ? undefined : decodeControl(rawText(data));
      if (!authed) {
        if (!msg) {
          this.stats.malformedFrames++;
          ws.terminate();
          return;
        }
        if (msg.type === AUTH_CHALLENGE) {
          const response = answerChallenge(msg, this.opts.identity, this.opts.coordinatorId, ownChallenge);
          if (!response) {
            this.stats.malformedFrames++;
            if (this.opts.coordinator && msg.coordinatorId !== this.opts.coordinatorId)
              this.refused(`refused a coordinator calling itself ${JSON.stringify(msg.coordinatorId)}: the pinned coordinator is '${this.opts.coordinatorId}'`);
            closeSocket(ws, CLOSE.malformed, 'bad challenge');
            return;
          }
          theirChallenge = base64ToBytes(msg.challenge as string);
          ws.send(encodeControl(response), () => undefined);
          return;
        }
        if (msg.type === AUTH_OK) {
          if (this.verifyCoordinator) {
            const sig = typeof msg.signature === 'string' ? base64ToBytes(msg.signature) : undefined;
            const me = this.opts.identity.partyId;
            if (!theirChallenge || !sig || !this.verifyCoordinator(coordinatorAuthMessage(this.opts.coordinatorId!, me, ownChallenge!, theirChallenge), sig)) {
              this.stats.authFailures++;
              this.refused(
                sig
                  ? "the coordinator's proof of its key does not verify under the pinned key: not the configured gateway"
                  : 'the coordinator did not prove its key (no signature in auth-ok): not the configured gateway',
              );
              closeSocket(ws, CLOSE.badSignature, 'coordinator not authenticated');
              return;
            }
            link = { coordinatorId: this.opts.coordinatorId!, partyId: me, nonce: ownChallenge! };
          }
          authed = true;
          clearTimeout(this.authTimer);
          this.failures = 0;
          this.setState('ready', {});
          const waiters = this.waiters;
          this.waiters = [];
          for (const w of waiters) w.resolve();
          return;
        }
        this.stats.malformedFrames++;
        closeSocket(ws, CLOSE.malformed, 'unexpected message before authentication');
        return;
      }
      if (!msg || isReservedType(msg.type)) {
        this.stats.malformedFrames++;
        return;
      }
      let delivered = msg;
      if (link && !isBinary) {
        const verdict = verifyControl(msg, seq + 1, link, this.verifyCoordinator!);
        if (!verdict.ok) {
          this.refused(verdict.reason);
          return;
        }
        seq++;
        delivered = verdict.message;
      }
      try {
        this.opts.onMessage(delivered);
      } catch {
        this.stats.callbackErrors++;
      }
    });
    ws.on('close', (code, reasonBuf) => {
      if (this.ws !== ws) return;
      this.clearConnTimers();
      this.ws = undefined;
      if (this.closing) return;
      if (!authed && code >= CLOSE.malformed && code <= CLOSE.authTimeout) this.stats.authFailures++;
      const detail: LinkStateDetail = { code, reason: reasonBuf.toString('utf8') };
      if (lastError !== undefined) detail.error = lastError;
      this.scheduleReconnect(detail);
    });
  }

  private scheduleReconnect(detail: LinkStateDetail): void {
    if (this.closing) return;
    const { minBackoffMs, maxBackoffMs } = this.opts;
    const base = Math.min(maxBackoffMs, minBackoffMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    const half = Math.floor(base / 2);
    const delayMs = half + randomInt(0, base - half + 1);
    // Armed before the callback runs, so that a close() from inside onState cancels it.
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delayMs);
    this.setState('backoff', { ...detail, delayMs });
  }
}
