// The embedded party's connection to the gateway: the same protocol as the daemon's PartyLink
// (services/transport/party-link.ts) — challenge–response with the identity key, the gateway's proof
// of its pinned key, every JSON control message checked against the gateway's signature and
// sequence (control-signature.ts), envelopes as binary frames — over the WHATWG WebSocket API, which
// browsers have natively and Node gets from `ws` (passed in as `WebSocket`). Use wss:// in
// production: the sealed envelopes protect the protocol, TLS protects the rest (docs/waas.md).
import { ed25519 } from '@noble/curves/ed25519.js';
import { hexToBytes } from '../../../protocols/core/bytes.ts';
import { answerChallenge, AUTH_CHALLENGE, AUTH_OK, CHALLENGE_BYTES, coordinatorAuthMessage } from '../../../services/transport/auth.ts';
import {
  base64ToBytes,
  decodeBinaryControl,
  decodeControl,
  encodeBinaryEnvelope,
  encodeControl,
  isBinaryEnvelope,
  isReservedType,
  type ControlMessage,
} from '../../../services/transport/control.ts';
import { verifyControl, type LinkBinding } from '../../../services/transport/control-signature.ts';
import type { Identity } from '../../../services/transport/identity.ts';
import { randomBytes } from '@noble/hashes/utils.js';

/** The part of the WHATWG WebSocket this link uses. */
export type WebSocketLike = {
  binaryType: string;
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
};
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export type LinkState = 'connecting' | 'ready' | 'backoff' | 'closed';

export type DeviceLinkOptions = {
  url: string;
  identity: Identity;
  coordinator: { coordinatorId: string; signPublic: string };
  onMessage: (msg: ControlMessage) => void;
  onState?: (state: LinkState, detail: string) => void;
  /** Default: globalThis.WebSocket (browsers, Node ≥ 22); in Node 20 pass `ws`'s WebSocket. */
  WebSocket?: WebSocketConstructor;
  minBackoffMs?: number;
  maxBackoffMs?: number;
};

const OPEN = 1;

export class DeviceLink {
  #ws: WebSocketLike | undefined;
  #state: LinkState = 'closed';
  #closed = false;
  #failures = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #waiters: Array<() => void> = [];
  readonly #Ctor: WebSocketConstructor;
  readonly #pinKey: Uint8Array;

  constructor(private readonly o: DeviceLinkOptions) {
    const u = new URL(o.url);
    if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new TypeError(`the gateway URL must be ws:// or wss://, got ${o.url}`);
    const Ctor = o.WebSocket ?? (globalThis as unknown as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor) throw new TypeError("no WebSocket here: in Node 20 pass { WebSocket } from the 'ws' package");
    this.#Ctor = Ctor;
    this.#pinKey = hexToBytes(o.coordinator.signPublic);
  }

  get state(): LinkState {
    return this.#state;
  }

  start(): void {
    this.#closed = false;
    this.#connect();
  }

  /** Resolves once authenticated; rejects after `timeoutMs`. */
  ready(timeoutMs = 10_000): Promise<void> {
    if (this.#state === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`not connected to the gateway within ${timeoutMs} ms (state ${this.#state})`)), timeoutMs);
      this.#waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Sends on the authenticated connection; false when not connected (the coordinator then times the session out). */
  send(msg: ControlMessage): boolean {
    const ws = this.#ws;
    if (this.#state !== 'ready' || !ws || ws.readyState !== OPEN) return false;
    ws.send(isBinaryEnvelope(msg) ? new Uint8Array(encodeBinaryEnvelope(msg)) : encodeControl(msg));
    return true;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#ws?.close(1000, 'device closing');
    this.#ws = undefined;
    this.#set('closed', 'closed by the app');
  }

  #set(s: LinkState, detail: string): void {
    this.#state = s;
    this.o.onState?.(s, detail);
    if (s === 'ready') for (const w of this.#waiters.splice(0)) w();
  }

  #connect(): void {
    if (this.#closed) return;
    this.#set('connecting', this.o.url);
    const ws = new this.#Ctor(this.o.url);
    ws.binaryType = 'arraybuffer';
    this.#ws = ws;
    const own = randomBytes(CHALLENGE_BYTES);
    let theirs: Uint8Array | undefined;
    let link: LinkBinding | undefined;
    let seq = 0;
    const fail = (code: number, why: string) => {
      this.o.onState?.(this.#state, why);
      ws.close(code, why.slice(0, 120));
    };
    ws.onmessage = (ev) => {
      if (this.#ws !== ws) return;
      const binary = typeof ev.data !== 'string';
      const msg = binary ? decodeBinaryControl(toBuffer(ev.data)) : decodeControl(ev.data as string);
      if (!link) {
        if (!msg || binary) return fail(4000, 'malformed frame before authentication');
        if (msg.type === AUTH_CHALLENGE) {
          const response = answerChallenge(msg, this.o.identity, this.o.coordinator.coordinatorId, own);
          if (!response)
            return fail(
              4000,
              `refused a coordinator calling itself ${JSON.stringify(msg.coordinatorId)}: the pinned one is ${this.o.coordinator.coordinatorId}`,
            );
          theirs = base64ToBytes(msg.challenge as string);
          ws.send(encodeControl(response));
          return;
        }
        if (msg.type === AUTH_OK) {
          const sig = typeof msg.signature === 'string' ? base64ToBytes(msg.signature) : undefined;
          const m = theirs && coordinatorAuthMessage(this.o.coordinator.coordinatorId, this.o.identity.partyId, own, theirs);
          if (!m || !sig || sig.length !== 64 || !ed25519.verify(sig, m, this.#pinKey, { zip215: false }))
            return fail(4003, "the gateway's proof of its key does not verify under the pinned key: not the gateway the backend registered this device with");
          link = { coordinatorId: this.o.coordinator.coordinatorId, partyId: this.o.identity.partyId, nonce: own };
          this.#failures = 0;
          this.#set('ready', 'authenticated');
          return;
        }
        return fail(4000, 'unexpected message before authentication');
      }
      if (!msg || isReservedType(msg.type)) return;
      let delivered = msg;
      if (!binary) {
        const verdict = verifyControl(msg, seq + 1, link, (m, s) => s.length === 64 && ed25519.verify(s, m, this.#pinKey, { zip215: false }));
        if (!verdict.ok) return this.o.onState?.(this.#state, `refused a control message: ${verdict.reason}`);
        seq++;
        delivered = verdict.message;
      }
      this.o.onMessage(delivered);
    };
    ws.onclose = (ev) => {
      if (this.#ws !== ws) return;
      this.#ws = undefined;
      if (this.#closed) return;
      const base = Math.min(this.o.maxBackoffMs ?? 5000, (this.o.minBackoffMs ?? 200) * 2 ** Math.min(this.#failures++, 20));
      const delay = base / 2 + Math.random() * (base / 2);
      this.#set('backoff', `closed (${ev.code}${ev.reason ? ` ${ev.reason}` : ''}); reconnecting in ${Math.round(delay)} ms`);
      this.#timer = setTimeout(() => this.#connect(), delay);
    };
    ws.onerror = () => {};
  }
}

function toBuffer(data: unknown): Buffer {
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.alloc(0);
}
