// The coordinator's side of the links to the parties (CoordinatorHub): each party dials out to it
// and authenticates with its identity key on every connect (auth.ts); the hub answers with its own
// signature when it has an identity (mutual authentication), then routes ControlMessages by the
// authenticated party id, pings to notice a dead peer within seconds, and keeps the newest
// connection per party. The links carry no secrets of their own: envelopes inside ControlMessages
// are signed or sealed end to end (secure-envelope.ts).
import http from 'node:http';
import type https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { AUTH_OK, CLOSE, coordinatorAuthMessage, createChallenge, isCoordinatorId, partyChallengeOf, verifyResponse } from './auth.ts';
import { bytesToBase64 } from './control.ts';
import { type CoordinatorIdentity } from './coordinator-identity.ts';
import { signControl, type LinkBinding } from './control-signature.ts';
import { MAX_CONTROL_FRAME_BYTES, decodeControl, encodeControl, isReservedType, type ControlMessage } from './control.ts';
import { parsePublicIdentity, type PublicIdentity } from './identity.ts';
import { MAX_PREAUTH_FRAME_BYTES, Listeners, closeSocket, decodeFrame, encodeFrame, newStats, rawSize, rawText, type LinkStats } from './link-frames.ts';

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
 * CLOSE.replaced): onDisconnect fires for the replaced socket, then onConnect for the new one. A
 * party that reconnects before its old socket is noticed dead may have restarted, so what the
 * gateway holds for that link (its sessions in flight, presignature records and pre-made
 * commitments it is part of: presign-stock.ts dropParty) must go as on any disconnect.
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
    if (old) {
      closeSocket(old.ws, CLOSE.replaced, 'replaced by a newer connection');
      // onClose will not emit for `old` (it is no longer the party's connection): emit here, before
      // the new connection's onConnect, so that listeners see disconnect → connect in order.
      this.disconnectListeners.emit(partyId);
    }
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
