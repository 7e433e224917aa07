// The gateway's memory of its recent Sign outcomes, for the operator console (docs/console.md): a
// bounded ring in memory, nothing durable (the parties' audit logs are the durable record, each
// kept by the party itself). Recorded around the KeyService the KMS API calls, so the coordinator's
// Sign (services/coordinator/sign.ts) is unchanged.
import type { Caller, KeyService } from '../kms-api/key-service.ts';
import { KmsError } from '../kms-api/errors.ts';

export type SignatureRecord = {
  /** When the request finished, ms since the epoch. */
  at: number;
  /** The bare key id when the key was resolved, else the KeyId as given. */
  keyId: string;
  signingAlgorithm: string;
  messageType: string;
  principal: string;
  /** 'ok', or the AWS error type the caller got. */
  outcome: string;
  ms: number;
};

export const DEFAULT_RECENT_SIGNATURES = 200;

export class RecentSignatures {
  private readonly ring: SignatureRecord[] = [];
  private next = 0;

  constructor(private readonly capacity = DEFAULT_RECENT_SIGNATURES) {}

  add(r: SignatureRecord): void {
    if (this.ring.length < this.capacity) this.ring.push(r);
    else this.ring[this.next] = r;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Newest first. */
  list(): SignatureRecord[] {
    const oldestFirst = this.ring.length < this.capacity ? this.ring : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
    return [...oldestFirst].reverse();
  }
}

/**
 * `inner` with every `sign` recorded in `ring` (outcome and duration). A Proxy, so every other
 * method of the KeyService — and any it gains later — passes through untouched.
 */
export function recordingSigns(inner: KeyService, ring: RecentSignatures, now: () => number = Date.now): KeyService {
  const sign: KeyService['sign'] = async (req, caller: Caller) => {
    const started = now();
    const record = (keyId: string, outcome: string) =>
      ring.add({
        at: now(),
        keyId,
        signingAlgorithm: req.signingAlgorithm,
        messageType: req.messageType,
        principal: caller.principal,
        outcome,
        ms: now() - started,
      });
    try {
      const result = await inner.sign(req, caller);
      record(result.key.keyId, 'ok');
      return result;
    } catch (err) {
      record(req.keyId, err instanceof KmsError ? err.type : 'KMSInternalException');
      throw err;
    }
  };
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'sign') return sign;
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
