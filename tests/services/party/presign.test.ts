// DKLs23 presignatures in the party (services/party/presign-pool.ts, sign.ts): real Party objects
// (real SQLite stores) relayed by the real SessionRunner (tests/support/party-harness.ts), a real
// DKLs23 2-of-3 secp256k1 key. The test plays the coordinator: it runs presign sessions, then
// one-round signatures naming a presignature, and combines with protocols/dkls23/presign.ts.
// Every presignature signs at most once: concurrent requests naming it, a restart, replays.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { combinePresignedShares, presignatureRecord, type DklsPresignature, type PresignatureRecord } from '../../../protocols/dkls23/presign.ts';
import { fromHex } from '../../../protocols/core/bytes.ts';
import { SessionFailed } from '../../../services/coordinator/session-runner.ts';
import type { PresignResult, PresignedSignResult } from '../../../services/control/messages.ts';
import { installDklsTestKeyOn } from '../../support/installed-dkls-key.ts';
import { makeHarness, sleep, until, type Harness } from '../../support/party-harness.ts';
import { PRESIGN_PARALLEL, PresignStock, refillPresigns, signerSetKey } from '../../../services/coordinator/presign-stock.ts';
import type { CoordinatorContext } from '../../../services/coordinator/context.ts';
import type { KeySpecInfo } from '../../../services/coordinator/key-specs.ts';
import type { StoredKey } from '../../../services/storage/key-repository.ts';

jest.setTimeout(120_000);

const KEY = '2f0e0d0c-0b0a-4908-8706-050403020100';
const signers = new Map([
  [1, 'party-1'],
  [2, 'party-2'],
]);
let h: Harness;
let publicKey: string;

beforeAll(() => {
  h = makeHarness();
  // The key from the cache of keys made by the real DKG (tests/support/installed-dkls-key.ts): the
  // subject here is presigning, not key generation.
  publicKey = installDklsTestKeyOn(h, 'secp256k1-2of3', KEY).publicKey;
});
afterAll(() => h?.close());

async function presign(): Promise<PresignatureRecord> {
  const out = await h.runner.run('dkls23-secp256k1/presign', signers, (session) => ({ type: 'open', kind: 'presign', session, keyId: KEY, signers: [1, 2] }));
  return presignatureRecord(
    'secp256k1',
    publicKey,
    [...out.values()].map((o) => (o as PresignResult).presignature),
  );
}

const request = (text: string) => ({
  message: Buffer.from(text).toString('base64'),
  messageType: 'RAW' as const,
  signingAlgorithm: 'ECDSA_SHA_256',
  caller: { accessKeyId: 'AKIA', principal: 'p' },
});

function online(id: string, text: string, session?: string) {
  return h.runner.run('dkls23-secp256k1/sign-presigned', signers, (s) => ({
    type: 'open',
    kind: 'sign',
    session: session ?? s,
    keyId: KEY,
    signers: [1, 2],
    request: request(text),
    presignature: id,
  }));
}

function combineVerify(record: PresignatureRecord, text: string, outputs: Map<number, unknown>): boolean {
  const digest = createHash('sha256').update(text).digest();
  const answers = [...outputs].map(([index, o]) => {
    const r = o as PresignedSignResult;
    return { index, w: fromHex(r.w), u: fromHex(r.u), request: fromHex(r.request) };
  });
  const { signature } = combinePresignedShares({ record, digest, answers });
  return secp256k1.verify(signature, digest, fromHex(publicKey), { prehash: false, lowS: true });
}

const failureOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'signed';
  } catch (e) {
    return e instanceof SessionFailed ? e.failure.kind : String(e);
  }
};

describe('DKLs23 presignatures between parties', () => {
  test('presign, then a one-round signature that verifies; the presignature lives only in the signers’ memory', async () => {
    const record = await presign();
    expect(h.nodes.get('party-1')!.party.presignPool.size).toBe(1);
    expect(h.nodes.get('party-3')!.party.presignPool.size).toBe(0);
    const out = await online(record.id, 'one round');
    expect(combineVerify(record, 'one round', out)).toBe(true);
    expect(h.nodes.get('party-1')!.party.presignPool.size).toBe(0);
  });

  test('two concurrent requests naming the same presignature: exactly one signs', async () => {
    const record = await presign();
    const results = await Promise.allSettled([online(record.id, 'first'), online(record.id, 'second')]);
    const signed = results.filter((r) => r.status === 'fulfilled');
    expect(signed.length).toBe(1);
    const text = results[0]!.status === 'fulfilled' ? 'first' : 'second';
    expect(combineVerify(record, text, (signed[0] as PromiseFulfilledResult<Map<number, unknown>>).value)).toBe(true);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((refused.reason as SessionFailed).failure.kind).toBe('premade-unknown');
  });

  test('replays: the same open again, another session naming a used presignature, a copy put back in the pool', async () => {
    const record = await presign();
    // A copy of each signer's presignature, as if it had leaked out of the pool (a snapshot, a bug).
    const copies = ['party-1', 'party-2'].map((p) => {
      const pool = h.nodes.get(p)!.party.presignPool;
      const mine = pool.take(KEY, record.id)!;
      pool.add(KEY, mine);
      return { pool, copy: structuredClone(mine) as DklsPresignature };
    });
    const out = await online(record.id, 'replayed');
    expect(combineVerify(record, 'replayed', out)).toBe(true);
    // The very same open again (same session id), straight to a signer: refused as a reused session.
    const done = h.sent.filter((x) => x.party === 'party-1' && x.msg.type === 'done').at(-1)!.msg as { session: string };
    h.deliver('party-1', {
      type: 'open',
      kind: 'sign',
      session: done.session,
      keyId: KEY,
      signers: [1, 2],
      request: request('replayed'),
      presignature: record.id,
    });
    await until(() => h.sent.some((x) => x.party === 'party-1' && x.msg.type === 'abort' && x.msg.session === done.session));
    const abort = h.sent.find((x) => x.party === 'party-1' && x.msg.type === 'abort' && x.msg.session === done.session)!.msg as { kind: string };
    expect(abort.kind).toBe('unexpected');
    expect(await failureOf(online(record.id, 'other message'))).toBe('premade-unknown');
    // The online id was consumed durably with the policy decision: the copy is refused too.
    for (const { pool, copy } of copies) pool.add(KEY, copy);
    expect(await failureOf(online(record.id, 'other message'))).toBe('nonce-reuse');
  });

  test('a restarted party has lost its presignatures: refused before its policy decides, nothing reused', async () => {
    const record = await presign();
    h.restart('party-2');
    expect(h.nodes.get('party-2')!.party.presignPool.size).toBe(0);
    expect(await failureOf(online(record.id, 'after restart'))).toBe('premade-unknown');
    // The full protocol still signs (the coordinator's fallback).
    const fresh = await presign();
    expect(combineVerify(fresh, 'after restart', await online(fresh.id, 'after restart'))).toBe(true);
  });
});

describe("the gateway's refill (services/coordinator/presign-stock.ts refillPresigns) against real parties", () => {
  const spec = { scheme: 'ecdsa', protocol: 'dkls23-secp256k1' } as unknown as KeySpecInfo;
  const set = signerSetKey(signers);
  const contextWith = (stock: PresignStock) => ({ presigns: stock, o: { runner: h.runner, log: () => undefined } }) as unknown as CoordinatorContext;
  const stored = () => ({ keyId: KEY, publicKey }) as unknown as StoredKey;
  const waitFor = async (ok: () => boolean, ms = 60_000) => {
    for (const end = Date.now() + ms; !ok() && Date.now() < end;) await sleep(20);
    return ok();
  };

  test('one call fills the stock up to its target (PARALLEL sessions at a time), then stops', async () => {
    const stock = new PresignStock(5);
    refillPresigns(contextWith(stock), stored(), spec, signers);
    expect(await waitFor(() => stock.count(KEY, set) === 5)).toBe(true);
    await sleep(200);
    expect(stock.count(KEY, set)).toBe(5);
    expect(stock.wanted(KEY, set)).toBe(0); // nothing left in flight
    const record = stock.take(KEY, set)!;
    expect(combineVerify(record, 'from the refilled stock', await online(record.id, 'from the refilled stock'))).toBe(true);
  });

  test('a drop while sessions are in flight: what they made is thrown away and the refill stops', async () => {
    const stock = new PresignStock(5);
    refillPresigns(contextWith(stock), stored(), spec, signers);
    stock.dropKey(KEY); // e.g. the key was refreshed: these presignatures belong to the old shares
    expect(await waitFor(() => stock.wanted(KEY, set) === PRESIGN_PARALLEL)).toBe(true); // both sessions ended
    await sleep(200);
    expect(stock.count(KEY, set)).toBe(0);
  });
});
