// The FROST nonce pairs this party made ahead of requests (protocols/frost/premade.ts
// premakeFrostNonces), waiting for their one use. Kept in memory only, never on disk: a restart
// forgets them, so no pair can outlive its process to be used twice, and the coordinator, which
// holds only their commitments, loses its stock of this party when the link drops. A pair leaves
// the pool the moment a request names its commitment, whatever happens next; its id is then
// consumed durably before the share it yields leaves the party (sign.ts, as for any nonce).
//
// Bounded: at most PER_KEY pairs per key (the oldest go first) and MAX_KEYS keys (the key used
// least recently goes first). The coordinator keeps fewer per key and party than PER_KEY, and the
// newest ones, so what it holds is still here unless the party restarted.
import type { Commitment, PremadeNonces } from '../../protocols/frost/premade.ts';
import { bytesToHex, hexToBytes } from '../../protocols/core/bytes.ts';

export const POOL_PER_KEY = 96;
export const POOL_MAX_KEYS = 4096;

/** A commitment as the control messages carry it: hex of SerializeElement(D) ‖ SerializeElement(E). */
export const commitmentHex = (c: Commitment): string => bytesToHex(c.hiding) + bytesToHex(c.binding);

/** commitmentHex read back: the hex split in its two halves (the caller checked it is even-length hex of one suite's size). */
export function commitmentFromHex(hex: string): Commitment {
  const b = hexToBytes(hex);
  return { hiding: b.slice(0, b.length / 2), binding: b.slice(b.length / 2) };
}

export class NoncePool {
  private readonly keys = new Map<string, Map<string, PremadeNonces>>();

  constructor(
    private readonly perKey = POOL_PER_KEY,
    private readonly maxKeys = POOL_MAX_KEYS,
  ) {}

  /** Adds fresh pairs for a key; returns their commitments (hex) in order. */
  add(keyId: string, pairs: PremadeNonces[]): string[] {
    let pool = this.keys.get(keyId);
    if (pool) this.keys.delete(keyId);
    else if (this.keys.size >= this.maxKeys) this.keys.delete(this.keys.keys().next().value!);
    pool ??= new Map();
    this.keys.set(keyId, pool);
    return pairs.map((p) => {
      const id = commitmentHex(p.commitment);
      pool.set(id, p);
      if (pool.size > this.perKey) pool.delete(pool.keys().next().value!);
      return id;
    });
  }

  /** The pair behind `commitment`, removed: it is never handed out again. */
  take(keyId: string, commitment: string): PremadeNonces | undefined {
    const pool = this.keys.get(keyId);
    const pair = pool?.get(commitment);
    if (pair) pool!.delete(commitment);
    return pair;
  }

  /** The key's shares changed (refresh) or went away: its pairs are dropped. */
  dropKey(keyId: string): void {
    this.keys.delete(keyId);
  }

  /** Pairs held, over all keys. */
  get size(): number {
    let n = 0;
    for (const pool of this.keys.values()) n += pool.size;
    return n;
  }
}
