// What both ends of a coordinator–party WebSocket link share (coordinator-hub.ts, party-link.ts):
// the frame encoding (envelopes with bytes as binary frames, the rest as JSON text), link
// statistics, the close handshake with a grace period, and listener sets whose callbacks can never
// take a link down.
import { WebSocket, type RawData } from 'ws';
import { decodeBinaryControl, decodeControl, encodeBinaryEnvelope, encodeControl, isBinaryEnvelope, type ControlMessage } from './control.ts';

/** No legitimate auth-response comes near this; anything bigger before authentication is hostile. */
export const MAX_PREAUTH_FRAME_BYTES = 4096;
/** How long a refused or closing socket gets to finish the close handshake before it is cut. */
export const CLOSE_GRACE_MS = 1000;

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

export function newStats(): LinkStats {
  return { malformedFrames: 0, authFailures: 0, unsendable: 0, callbackErrors: 0, refusedControl: 0 };
}

export function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

export function rawBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** A message as it goes on the wire: envelopes with bytes as a binary frame, the rest as JSON text. */
export function encodeFrame(msg: ControlMessage): string | Buffer {
  return isBinaryEnvelope(msg) ? encodeBinaryEnvelope(msg) : encodeControl(msg);
}

/** One frame from an authenticated peer: binary (an envelope) or JSON text; undefined if malformed. */
export function decodeFrame(data: RawData, isBinary: boolean): ControlMessage | undefined {
  return isBinary ? decodeBinaryControl(rawBuffer(data)) : decodeControl(rawText(data));
}

export function rawSize(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data.byteLength;
}

export function closeSocket(ws: WebSocket, code: number, reason: string): void {
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

export type Listener<A extends unknown[]> = (...args: A) => void;

export class Listeners<A extends unknown[]> {
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
