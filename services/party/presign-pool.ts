// DKLs23 presignatures this party made with its co-signers ahead of requests (OpenPresign,
// protocols/dkls23/presign.ts), waiting for their one use. Like the FROST nonce pool
// (nonce-pool.ts), kept in memory only, never on disk (docs/security.md "Presignatures"): a
// restart forgets them, so none can outlive its process to be used twice, and the coordinator,
// which holds only their public parts, loses its stock of this party when the link drops. A
// presignature leaves the pool the moment a request names it, whatever happens next; its
// online id is then consumed durably, in the transaction of the policy decision, before the
// share leaves (sign.ts).
//
// Bounded: at most PER_KEY presignatures per key (the oldest go first) and MAX_KEYS keys (the key
// used least recently goes first). The coordinator asks for fewer (presign-stock.ts).
import { ProtocolError } from '../../protocols/core/errors.ts';
import type { DklsPresignature } from '../../protocols/dkls23/presign.ts';
import { presignatureRecordPart } from '../../protocols/dkls23/presign.ts';
import type { DklsKeyShare } from '../../protocols/dkls23/keyshare.ts';
import type { DklsCurveName } from '../../protocols/dkls23/curve.ts';
import type { OpenPresign, PresignResult } from '../control/messages.ts';
import { KEY_ID_RE } from '../control/messages.ts';
import { SessionKeys } from '../transport/session-keys.ts';
import { dealOnlyRefusal } from './protocol-families.ts';
import { RequestRefused } from './request-check.ts';
import { familyOf, type KeyMeta, type PartyOptions } from './party-options.ts';
import type { Running, SessionDriver } from './session-driver.ts';

export const PRESIGN_POOL_PER_KEY = 128;
export const PRESIGN_POOL_MAX_KEYS = 1024;

export class PresignPool {
  private readonly keys = new Map<string, Map<string, DklsPresignature>>();

  constructor(
    private readonly perKey = PRESIGN_POOL_PER_KEY,
    private readonly maxKeys = PRESIGN_POOL_MAX_KEYS,
  ) {}

  add(keyId: string, p: DklsPresignature): void {
    let pool = this.keys.get(keyId);
    if (pool) this.keys.delete(keyId);
    else if (this.keys.size >= this.maxKeys) this.keys.delete(this.keys.keys().next().value!);
    pool ??= new Map();
    this.keys.set(keyId, pool);
    pool.set(p.id, p);
    if (pool.size > this.perKey) pool.delete(pool.keys().next().value!);
  }

  /** The presignature named `id`, removed: it is never handed out again. */
  take(keyId: string, id: string): DklsPresignature | undefined {
    const pool = this.keys.get(keyId);
    const p = pool?.get(id);
    if (p) pool!.delete(id);
    return p;
  }

  /** The key's shares changed (refresh) or went away: its presignatures are dropped. */
  dropKey(keyId: string): void {
    this.keys.delete(keyId);
  }

  /** Presignatures held, over all keys. */
  get size(): number {
    let n = 0;
    for (const pool of this.keys.values()) n += pool.size;
    return n;
  }
}

/**
 * An OpenPresign: the key must be a DKLs23 key held here, the signer set valid and free of peers
 * this party banned for the key. No policy decision (nothing is signed; the online round decides).
 * On success the presignature goes into the pool, and its public part to the coordinator.
 */
export function openPresign(c: { o: PartyOptions; driver: SessionDriver; pool: PresignPool }, msg: OpenPresign, sessionId: Uint8Array): Running {
  const { o, driver, pool } = c;
  if (typeof msg.keyId !== 'string' || !KEY_ID_RE.test(msg.keyId)) throw new RequestRefused('malformed key id');
  const stored = o.shares.getActive(msg.keyId);
  if (!stored) throw new RequestRefused(`no share for key ${msg.keyId}`, 'unknown-key');
  const meta = stored.meta as KeyMeta;
  const family = familyOf(meta.protocol);
  if (family.name !== 'dkls23') throw new RequestRefused(`${meta.protocol} has no presignatures`);
  if (family.dealsOnly(stored.share)) throw new RequestRefused(dealOnlyRefusal(msg.keyId));
  const share = stored.share as DklsKeyShare;
  if (!Array.isArray(msg.signers) || msg.signers.some((i) => !Number.isInteger(i))) throw new RequestRefused('signers must be key indices');
  const banned = o.bans.ofKey(msg.keyId).filter((b) => msg.signers.includes(b.peerIndex));
  if (banned.length)
    throw new RequestRefused(
      `key ${msg.keyId}: this party banned ${banned.map((b) => `party ${b.peerIndex}`).join(', ')}; it presigns with them again only after a refresh`,
      'banned',
      banned.map((b) => b.peerIndex),
    );
  const session = driver.host(
    {
      factory: 'dkls23/presign',
      protocol: `${meta.protocol}/presign`,
      params: { curve: meta.suite as DklsCurveName, sessionId, self: share.index, signers: msg.signers, share },
    },
    family.signPlacement,
  );
  const version = stored.version;
  return {
    kind: 'sign',
    keyId: msg.keyId,
    session,
    family,
    queue: Promise.resolve(),
    shareVersion: version,
    signers: [...msg.signers],
    parties: meta.parties,
    self: share.index,
    startedAt: Date.now(),
    rounds: 0,
    keys: new SessionKeys(),
    onDone: (id, output) => {
      const p = output as DklsPresignature;
      // The key may have been deleted or refreshed meanwhile: then nothing is kept or published.
      if (o.shares.activeVersion(msg.keyId) !== version || !p?.secret) {
        o.send({ type: 'abort', session: id, kind: 'unknown-key', message: 'the key changed during presigning', culprits: [] });
        return;
      }
      pool.add(msg.keyId, p);
      const result: PresignResult = { presignature: presignatureRecordPart(p) };
      o.send({ type: 'done', session: id, output: result });
    },
  };
}

/** The presignature a sign request names, out of the pool (refused before the policy decides if it is not here). */
export function takePresignature(pool: PresignPool, keyId: string, id: unknown, protocolFamily: string): DklsPresignature {
  if (protocolFamily !== 'dkls23') throw new RequestRefused('presignatures are for DKLs23 keys only');
  if (typeof id !== 'string' || !/^[0-9a-f]{64}$/.test(id)) throw new RequestRefused('presignature must be a 64-digit hex id');
  const p = pool.take(keyId, id);
  if (!p) throw new RequestRefused(`this party holds no presignature ${id.slice(0, 16)}… of key ${keyId}`, 'premade-unknown');
  return p;
}

/** consumeBatch said the online id was used before (a replay after the pool was refilled by a copy): refuse. */
export function presignatureReused(consumeId: string): never {
  throw new ProtocolError('nonce-reuse', `presignature online id ${consumeId.slice(0, 16)}… was already used`);
}
