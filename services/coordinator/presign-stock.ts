// The coordinator's stock of DKLs23 presignatures (protocols/dkls23/presign.ts): per key and
// signer set, the public records (id, R, each signer's Φ_i, U_i, V_i) of presignatures the
// signers made together ahead of requests (OpenPresign). A Sign whose signer set has one in stock
// runs one round (OpenSign.presignature): each signer answers with its online share and this
// coordinator combines (combinePresigned) and verifies once (sign.ts); otherwise, or if that fails, the full
// four-round session runs. The secret parts stay in the parties' memory (services/party/presign-pool.ts).
//
// Each record is handed out once. Bounded: TARGET per key and signer set (the refill stops there;
// fewer than a party's pool keeps), MAX_KEYS keys (least recently used go first). A party whose
// link drops loses every record it is part of here (it may have restarted and lost its pool); a
// refresh or deletion of the key drops the key's stock.
import type { DklsCurveName } from '../../protocols/dkls23/curve.ts';
import { combinePresignedUnverified, presignatureRecord, type PresignatureRecord } from '../../protocols/dkls23/presign.ts';
import { fromHex } from '../../protocols/core/bytes.ts';
import type { StoredKey } from '../storage/key-repository.ts';
import type { PresignResult, PresignedSignResult } from '../control/messages.ts';
import { ecdsaDigest, type KeySpecInfo } from './key-specs.ts';
import type { CoordinatorContext } from './context.ts';

/** Presignatures kept per key and signer set by default (the gateway's TUTTI_PRESIGN_STOCK; 0 turns presigning off). */
export const PRESIGN_TARGET = 16;
/** Presign sessions in flight per key and signer set while refilling. */
export const PRESIGN_PARALLEL = 2;
export const PRESIGN_MAX_KEYS = 1024;

/** The stock's key for a signer set: index:party for each signer, in index order. */
export const signerSetKey = (members: Map<number, string>): string =>
  [...members]
    .sort(([a], [b]) => a - b)
    .map(([i, p]) => `${i}:${p}`)
    .join(',');

export class PresignStock {
  /** keyId → signer set → records, oldest first. Keys in least-recently-used order. */
  private readonly keys = new Map<string, Map<string, PresignatureRecord[]>>();
  /** `${keyId} ${set}` → presign sessions in flight. */
  private readonly inFlight = new Map<string, number>();
  /** Bumped by every drop: a presign session started before a drop must not add its record after it. */
  private readonly keyEpochs = new Map<string, number>();
  private partyEpoch = 0;

  constructor(
    readonly target = PRESIGN_TARGET,
    private readonly maxKeys = PRESIGN_MAX_KEYS,
  ) {}

  take(keyId: string, set: string): PresignatureRecord | undefined {
    return this.keys.get(keyId)?.get(set)?.shift();
  }

  add(keyId: string, set: string, record: PresignatureRecord): void {
    let sets = this.keys.get(keyId);
    if (sets) this.keys.delete(keyId);
    else if (this.keys.size >= this.maxKeys) this.keys.delete(this.keys.keys().next().value!);
    sets ??= new Map();
    this.keys.set(keyId, sets);
    const list = sets.get(set) ?? [];
    list.push(record);
    if (list.length > this.target) list.shift();
    sets.set(set, list);
  }

  /** How many presign sessions to start now for the set: what the stock lacks, less what is in flight, at most PARALLEL at once. */
  wanted(keyId: string, set: string): number {
    const flying = this.inFlight.get(`${keyId} ${set}`) ?? 0;
    return Math.max(0, Math.min(PRESIGN_PARALLEL - flying, this.target - this.count(keyId, set) - flying));
  }

  started(keyId: string, set: string, delta: 1 | -1): void {
    const id = `${keyId} ${set}`;
    const n = (this.inFlight.get(id) ?? 0) + delta;
    if (n > 0) this.inFlight.set(id, n);
    else this.inFlight.delete(id);
  }

  dropKey(keyId: string): void {
    this.keys.delete(keyId);
    this.keyEpochs.set(keyId, (this.keyEpochs.get(keyId) ?? 0) + 1);
  }

  /**
   * Changes whenever the key's stock is dropped (refresh, reshare, a failed presigned Sign) or a
   * party's records go: a refill compares it before adding what a session made.
   */
  epoch(keyId: string): string {
    return `${this.partyEpoch}.${this.keyEpochs.get(keyId) ?? 0}`;
  }

  /** The party's pool may be gone (it restarted): every record it is part of goes. */
  dropParty(partyId: string): void {
    this.partyEpoch++;
    for (const sets of this.keys.values()) for (const set of [...sets.keys()]) if (set.split(',').some((m) => m.endsWith(`:${partyId}`))) sets.delete(set);
  }

  count(keyId: string, set: string): number {
    return this.keys.get(keyId)?.get(set)?.length ?? 0;
  }

  /** Records held, over all keys (metrics, tests). */
  get size(): number {
    let n = 0;
    for (const sets of this.keys.values()) for (const list of sets.values()) n += list.length;
    return n;
  }
}

/**
 * Starts the presign sessions the signer set's stock lacks (in the background: Sign does not wait).
 * Each session's outputs (every signer's public part) must name one presignature
 * (presignatureRecord). A session that succeeds starts the next one, so the stock fills up to its
 * target at PARALLEL sessions at a time, not by PARALLEL per Sign; a failed session is only logged
 * and stops the refill — the next Sign asks again. A record made across a drop (the key refreshed
 * or reshared, a signer's link lost meanwhile) is thrown away.
 */
export function refillPresigns(ctx: CoordinatorContext, k: StoredKey, spec: KeySpecInfo, members: Map<number, string>): void {
  const stock = ctx.presigns;
  if (stock.target <= 0 || spec.scheme !== 'ecdsa' || !k.publicKey) return;
  const set = signerSetKey(members);
  const signers = [...members.keys()].sort((a, b) => a - b);
  const curve = spec.protocol.replace(/^dkls23-/, '') as DklsCurveName;
  const epoch = stock.epoch(k.keyId);
  for (let n = stock.wanted(k.keyId, set); n > 0; n--) {
    stock.started(k.keyId, set, 1);
    let more = false;
    ctx.o.runner
      .run(`${spec.protocol}/presign`, members, (session) => ({ type: 'open', kind: 'presign', session, keyId: k.keyId, signers }))
      .then((outputs) => {
        if (stock.epoch(k.keyId) !== epoch) return;
        const parts = [...outputs.values()].map((out) => (out as PresignResult).presignature);
        stock.add(k.keyId, set, presignatureRecord(curve, k.publicKey!, parts));
        more = true;
      })
      .catch((err: unknown) => ctx.o.log?.(`presign ${k.keyId}: ${(err as Error).message}`))
      .finally(() => {
        stock.started(k.keyId, set, -1);
        if (more) setImmediate(() => refillPresigns(ctx, k, spec, members));
      });
  }
}

/**
 * The signers' online shares for `record`, combined (presign.ts combinePresignedUnverified): r ‖ s
 * (low-S) and the digest, NOT verified — sign.ts verifies it once (key-specs.ts verifyIssued) and
 * asks `culprits` only if that fails — or why the shares did not combine.
 */
export function combinePresigned(
  record: PresignatureRecord,
  req: { signingAlgorithm: string; messageType: string; message: Uint8Array },
  outputs: Map<number, unknown>,
): { ok: true; signature: Uint8Array; culprits: () => number[] } | { ok: false; why: string } {
  try {
    const answers = [...outputs].map(([index, out]) => {
      const o = out as Partial<PresignedSignResult>;
      return { index, w: fromHex(o.w as string, 'w'), u: fromHex(o.u as string, 'u'), request: fromHex(o.request as string, 'request') };
    });
    const digest = ecdsaDigest(req.signingAlgorithm, req.messageType, req.message);
    const c = combinePresignedUnverified({ record, digest, answers });
    return { ok: true, signature: c.signature, culprits: c.culprits };
  } catch (err) {
    return { ok: false, why: (err as Error).message };
  }
}
