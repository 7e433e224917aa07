// services/transport/session-keys.ts for browsers (the bundle swaps it in, build.ts): the same
// class over noble's X25519 instead of OpenSSL KeyObjects. The secret is a Uint8Array here, zeroed
// by erase() — JavaScript gives no stronger guarantee that no copy lingers (docs/waas.md).
import { x25519 } from '@noble/curves/ed25519.js';
import { TransportError } from '../../../../services/transport/errors.ts';

export const SESSION_KEY_BYTES = 32;

export class SessionKeys {
  readonly publicKey: Uint8Array;
  #secret: Uint8Array | null;
  readonly #peers = new Map<number, Uint8Array>();
  readonly #agreed = new Map<number, Uint8Array>();

  constructor() {
    this.#secret = x25519.utils.randomSecretKey();
    this.publicKey = x25519.getPublicKey(this.#secret);
  }

  get erased(): boolean {
    return this.#secret === null;
  }

  learn(index: number, publicKey: Uint8Array): void {
    const known = this.#peers.get(index);
    if (known) {
      if (known.length === publicKey.length && known.every((b, i) => b === publicKey[i])) return;
      throw new TransportError('bad-session-key', 'announced a second, different session key', index);
    }
    if (publicKey.length !== SESSION_KEY_BYTES) throw new TransportError('bad-session-key', `session key of ${publicKey.length} bytes`, index);
    const secret = this.#live();
    let agreed: Uint8Array;
    try {
      agreed = x25519.getSharedSecret(secret, publicKey);
    } catch {
      throw new TransportError('bad-session-key', 'unusable session key', index);
    }
    // As OpenSSL does: an all-zero result means a small-order public key.
    if (agreed.every((b) => b === 0)) throw new TransportError('bad-session-key', 'unusable session key', index);
    this.#peers.set(index, Uint8Array.from(publicKey));
    this.#agreed.set(index, agreed);
  }

  peerKey(index: number): Uint8Array | undefined {
    return this.#peers.get(index);
  }

  agreed(index: number): Uint8Array {
    this.#live();
    const a = this.#agreed.get(index);
    if (!a) throw new TransportError('bad-session-key', 'no session key announced by this party (its round-1 broadcast carries it)', index);
    return a;
  }

  erase(): void {
    for (const a of this.#agreed.values()) a.fill(0);
    this.#agreed.clear();
    this.#secret?.fill(0);
    this.#secret = null;
  }

  #live(): Uint8Array {
    if (!this.#secret) throw new TransportError('bad-session-key', 'the session is over: its keys were erased');
    return this.#secret;
  }
}
