// The party's side of its link to a coordinator (PartyLink): dials out, authenticates both ways
// (its identity key; the coordinator's pinned key, auth.ts), verifies every control message's
// signature and sequence (control-signature.ts), and reconnects with backoff. The links carry no
// secrets of their own: envelopes inside ControlMessages are signed or sealed end to end
// (secure-envelope.ts).
import { randomBytes, randomInt } from 'node:crypto';
import { WebSocket } from 'ws';
import { AUTH_CHALLENGE, AUTH_OK, CHALLENGE_BYTES, CLOSE, answerChallenge, coordinatorAuthMessage } from './auth.ts';
import { base64ToBytes } from './control.ts';
import { pinVerifier, type CoordinatorPin } from './coordinator-identity.ts';
import { verifyControl, type LinkBinding } from './control-signature.ts';
import { MAX_CONTROL_FRAME_BYTES, decodeControl, encodeControl, isReservedType, type ControlMessage } from './control.ts';
import { type Identity } from './identity.ts';
import { closeSocket, decodeFrame, encodeFrame, newStats, rawText, type LinkStats } from './link-frames.ts';

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
