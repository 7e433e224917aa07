// Node globals the shared party code uses, for the browser bundle (build.ts `inject`): Buffer (the
// `buffer` package, pure JS, the same API) for base64 and binary frames, and setImmediate, with which
// the party batches one event-loop turn's work (services/party/sign.ts, consume-batcher.ts).
export { Buffer } from 'buffer';

const channel = typeof MessageChannel === 'function' ? new MessageChannel() : undefined;
const queue: Array<() => void> = [];
if (channel)
  (channel.port1 as unknown as { onmessage: (() => void) | null }).onmessage = () => {
    for (const f of queue.splice(0)) f();
  };

/** After the current task, like Node's setImmediate (a message is faster than setTimeout's clamped 4 ms). */
export function setImmediate(fn: (...args: unknown[]) => void, ...args: unknown[]): void {
  if (!channel) return void setTimeout(fn, 0, ...args);
  queue.push(() => fn(...args));
  if (queue.length === 1) channel.port2.postMessage(0);
}
