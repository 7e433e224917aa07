// The messages between the session host (main thread) and its workers. Steps cross the thread
// boundary by structured clone; only the abort's ProtocolError needs care (a clone keeps neither
// its class nor its kind and culprits), so it travels as plain fields and is rebuilt.
import { ProtocolError, type AbortKind } from '../../protocols/core/errors.ts';
import type { Envelope } from '../../protocols/core/envelope.ts';
import type { Step } from '../../protocols/core/session.ts';

export type HostRequest =
  | { op: 'open'; call: number; id: number; spec: unknown }
  | { op: 'receive'; call: number; id: number; envelope: Envelope }
  | { op: 'close'; call: number; id: number };

export type WireError = { kind: AbortKind; message: string; culprits: number[] };
export type WireStep = Exclude<Step<unknown, unknown>, { kind: 'abort' }> | { kind: 'abort'; error: WireError };

/** `busyMs`: how long the worker computed for this request (for metrics and the benchmark notes). */
export type HostReply = { call: number; step: WireStep; busyMs: number };

export function errorToWire(e: ProtocolError): WireError {
  // ProtocolError appends " (culprit: …)" to its message; drop it so the rebuilt error has it once.
  const suffix = e.culprits.length ? ` (culprit: ${e.culprits.join(', ')})` : '';
  const message = suffix && e.message.endsWith(suffix) ? e.message.slice(0, -suffix.length) : e.message;
  return { kind: e.kind, message, culprits: [...e.culprits] };
}

export function stepToWire(step: Step<unknown, unknown>): WireStep {
  return step.kind === 'abort' ? { kind: 'abort', error: errorToWire(step.error) } : step;
}

export function stepFromWire(step: WireStep): Step<unknown, unknown> {
  if (step.kind !== 'abort') return step;
  return { kind: 'abort', error: new ProtocolError(step.error.kind, step.error.message, step.error.culprits) };
}
