// services/party/session-host.ts for browsers (the bundle swaps it in, build.ts): sessions run
// inline only; worker threads are Node's. A Web Worker host would keep a DKLs23 key generation off
// the page's main thread (docs/waas.md "Limits").
import { randomBytes } from '@noble/hashes/utils.js';
import { buildSession, type SessionSpec } from '../../../../services/party/protocol-families.ts';
import type { HostedSession } from '../../../../services/party/session-host.ts';

export type { HostedSession };

export function inlineSession(spec: SessionSpec): HostedSession {
  const session = buildSession(spec, (n) => randomBytes(n));
  return {
    protocol: spec.protocol,
    start: () => Promise.resolve().then(() => session.start()),
    receive: (envelope) => Promise.resolve().then(() => session.receive(envelope)),
    close: () => {},
  };
}

export class SessionHost {
  constructor() {
    throw new Error('worker threads are not available in a browser: sessions run inline');
  }
}
