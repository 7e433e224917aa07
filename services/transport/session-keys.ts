// One session's ephemeral X25519 keys: what gives point-to-point seals forward secrecy
// (docs/security.md "Forward secrecy of point-to-point payloads").
//
// Each party makes a fresh X25519 key pair when it opens a session that sends point-to-point
// frames, announces the public half on its round-1 broadcast — which its identity key signs over
// the session id (secure-envelope.ts, frame kind 3) — and seals every point-to-point frame of the
// session under X25519(its ephemeral secret, the peer's ephemeral public) mixed with the static
// X25519 of the two identities. The secret lives only in this object, as an OpenSSL KeyObject
// that never enters the JavaScript heap as bytes; erase() drops it and zeroes the agreed secrets
// when the session ends. Afterwards nothing any party stores — identity, shares, database — opens
// a frame recorded during the session.
import { diffieHellman, generateKeyPairSync, createPublicKey, type KeyObject } from 'node:crypto';
import { TransportError } from './errors.ts';

export const SESSION_KEY_BYTES = 32;

/** An X25519 pair, the public half as the key generation's own JWK (@types/node lacks that overload). */
const generateX25519 = generateKeyPairSync as unknown as (
  type: 'x25519',
  options: { publicKeyEncoding: { format: 'jwk' } },
) => { publicKey: { x: string }; privateKey: KeyObject };

export class SessionKeys {
  /** Our ephemeral X25519 public key (32 bytes), announced on our round-1 broadcast. */
  readonly publicKey: Uint8Array;
  #secret: KeyObject | null;
  /** Peer index → its announced ephemeral public key. */
  readonly #peers = new Map<number, Uint8Array>();
  /** Peer index → X25519(our ephemeral secret, its ephemeral public), zeroed by erase(). */
  readonly #agreed = new Map<number, Buffer>();

  constructor() {
    // The public half comes out of the key generation already encoded, never through
    // KeyObject.export(): on Node 20, exporting a generated X25519 KeyObject as JWK holds the
    // key's mutex while it allocates the string, and a garbage collection at that moment that
    // finalizes the (already unreferenced) key-generation job — whose destructor takes the same
    // mutex — blocks the thread forever. A party signing ≈ 30 sessions/s hit it about once in ten
    // minutes and stopped answering with no log line (docs/operations.md "A party that stopped
    // answering"); tests/services/transport/session-keys.test.ts makes the keys under GC pressure.
    // JWK rather than DER: OpenSSL's DER encoder costs ≈ 3× the key generation itself.
    const { publicKey, privateKey } = generateX25519('x25519', { publicKeyEncoding: { format: 'jwk' } });
    this.#secret = privateKey;
    this.publicKey = new Uint8Array(Buffer.from(publicKey.x, 'base64url'));
  }

  /** True once erase() ran: the session is over and nothing can be sealed or opened with it. */
  get erased(): boolean {
    return this.#secret === null;
  }

  /**
   * Records the ephemeral key that party `index` announced (on its signed round-1 broadcast) and
   * agrees a secret with it. The same key again is a no-op; another key for the same party, a key
   * of the wrong length or one of small order (all-zero agreement) is refused, naming the party.
   */
  learn(index: number, publicKey: Uint8Array): void {
    const known = this.#peers.get(index);
    if (known) {
      if (Buffer.from(known).equals(Buffer.from(publicKey))) return;
      throw new TransportError('bad-session-key', 'announced a second, different session key', index);
    }
    if (publicKey.length !== SESSION_KEY_BYTES) throw new TransportError('bad-session-key', `session key of ${publicKey.length} bytes`, index);
    const secret = this.#live();
    let agreed: Buffer;
    try {
      const peer = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(publicKey).toString('base64url') }, format: 'jwk' });
      // OpenSSL refuses an all-zero result (a small-order public key).
      agreed = diffieHellman({ privateKey: secret, publicKey: peer });
    } catch {
      throw new TransportError('bad-session-key', 'unusable session key', index);
    }
    this.#peers.set(index, Uint8Array.from(publicKey));
    this.#agreed.set(index, agreed);
  }

  /** The ephemeral public key party `index` announced, if it did. */
  peerKey(index: number): Uint8Array | undefined {
    return this.#peers.get(index);
  }

  /** X25519 of our ephemeral secret and party `index`'s ephemeral public key; refused (naming it) before its announcement. */
  agreed(index: number): Uint8Array {
    this.#live();
    const a = this.#agreed.get(index);
    if (!a) throw new TransportError('bad-session-key', 'no session key announced by this party (its round-1 broadcast carries it)', index);
    return a;
  }

  /** Ends the session's keys: the secret is dropped and every agreed secret zeroed. Idempotent. */
  erase(): void {
    for (const a of this.#agreed.values()) a.fill(0);
    this.#agreed.clear();
    this.#secret = null;
  }

  #live(): KeyObject {
    if (!this.#secret) throw new TransportError('bad-session-key', 'the session is over: its keys were erased');
    return this.#secret;
  }
}
