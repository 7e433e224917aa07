// A DKLs23 refresh WITHOUT a banned party, end to end (issue 4: "bans that peer for the key until a
// refresh without it"), in real gateway and party processes, driven through @aws-sdk/client-kms and
// the operator's cli.ts refresh. A 2-of-3 secp256k1 key; party-3 cheats in the OT extension and
// party-1 bans it; the gateway restarts (it forgets what it learned: the parties' ban tables decide);
// `cli.ts refresh --without-banned` leaves party-3 out. Then: the public key is unchanged, parties 1
// and 2 (now 1 and 2 of a 2-of-2) sign, and node:crypto verifies with the SPKI; party-3 holds no
// share of the key, the ban against it is gone with it, the gateway's key record lists the two;
// every party restarts and the key still signs.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { createPublicKey, verify } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Sqlite from 'better-sqlite3';
import { CreateKeyCommand, GetPublicKeyCommand, SignCommand, type KMSClient } from '@aws-sdk/client-kms';
import { paths } from '../../services/main/config.ts';
import { cliArgs } from '../../services/main/cluster.ts';
import { TestCluster } from '../support/cluster.ts';

jest.setTimeout(180_000);

let cluster: TestCluster;
let kms: KMSClient;
let keyId: string;
let spki: Uint8Array;

type SdkError = Error & { name: string };

async function sign(message: Uint8Array): Promise<Uint8Array> {
  const out = await kms.send(new SignCommand({ KeyId: keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }));
  return out.Signature!;
}

/** Signs and checks the DER signature with node:crypto, from the SPKI only. */
async function signedAndVerified(text: string): Promise<void> {
  const message = new TextEncoder().encode(text);
  const signature = await sign(message);
  expect(verify('sha256', message, createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }), signature)).toBe(true);
}

async function fails(p: Promise<unknown>, type: string, message?: RegExp): Promise<void> {
  const err = await p.then(
    (ok) => {
      throw new Error(`expected ${type}, got ${JSON.stringify(ok)}`);
    },
    (e: SdkError) => e,
  );
  expect(err.name).toBe(type);
  if (message) expect(err.message).toMatch(message);
}

function readDb<T>(db: string, fn: (db: Sqlite.Database) => T): T {
  const d = new Sqlite(db, { readonly: true });
  try {
    return fn(d);
  } finally {
    d.close();
  }
}
const partyDb = (partyId: string) => paths.sharesDb(paths.partyDir(cluster.dataDir, partyId));
const shareVersions = (partyId: string) =>
  readDb(partyDb(partyId), (db) => db.prepare(`SELECT version, state FROM shares WHERE key_id = ? ORDER BY version`).all(keyId));
const bansAt = (partyId: string) => readDb(partyDb(partyId), (db) => db.prepare(`SELECT peer_index, peer_id FROM bans WHERE key_id = ?`).all(keyId));
const keyParties = () =>
  readDb(
    paths.keysDb(paths.gatewayDir(cluster.dataDir)),
    (db) => JSON.parse((db.prepare(`SELECT parties FROM keys WHERE key_id = ?`).get(keyId) as { parties: string }).parties) as string[],
  );

async function waitFor(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * cli.ts refresh with `args`; its JSON answer and whether it exited 0. (Asynchronous: a blocked
 * event loop would miss the gateway closing the SDK's idle keep-alive socket.)
 */
async function cli(args: string[]): Promise<{ ok: boolean; body: Record<string, unknown> }> {
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [...cliArgs(), 'refresh', '--key', keyId, ...args, '--data', cluster.dataDir, '--endpoint', cluster.endpoint],
      { encoding: 'utf8' },
    );
    return { ok: true, body: JSON.parse(stdout) as Record<string, unknown> };
  } catch (e) {
    return { ok: false, body: JSON.parse((e as { stdout: string }).stdout) as Record<string, unknown> };
  }
}

beforeAll(async () => {
  // A left-out party deletes its old share only after its own waiting period (docs/security.md
  // "Deleting a key"): short here.
  cluster = await new TestCluster().start({ partyEnv: { TUTTI_DELETION_WAIT_MS: '300' } });
  kms = cluster.client();
  const created = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY' }));
  keyId = created.KeyMetadata!.KeyId!;
  spki = (await kms.send(new GetPublicKeyCommand({ KeyId: keyId }))).PublicKey!;
});

afterAll(async () => {
  kms?.destroy();
  await cluster?.stop();
});

describe('refresh without a banned party (2-of-3 secp256k1)', () => {
  test('party-3 cheats in the OT extension: party-1 bans it, durably', async () => {
    await cluster.restartParty('party-3', { TUTTI_TEST_TAMPER: 'sign:2' });
    await cluster.kill('party-2');
    await cluster.waitConnected((ids) => !ids.includes('party-2'));
    await fails(sign(new TextEncoder().encode('ban party-3')), 'KeyUnavailableException', /party 1 \(party-1\) banned party 3 \(party-3\).*--without-banned/);
    expect(bansAt('party-1')).toEqual([{ peer_index: 3, peer_id: 'party-3' }]);
    // Everyone back, party-3 honest again; the gateway restarts and forgets the ban it learned.
    await cluster.restartParty('party-3');
    await cluster.startParty('party-2');
    await cluster.waitConnected((ids) => ids.length === 3);
    await cluster.restartGateway();
  });

  test('refused: a party the key does not have, too few remaining (nothing changes)', async () => {
    expect(await cli(['--exclude', 'party-9'])).toEqual({
      ok: false,
      body: { error: 'ValidationException', message: expect.stringMatching(/party-9: not a party/) },
    });
    expect(await cli(['--exclude', 'party-2,party-3'])).toEqual({
      ok: false,
      body: { error: 'KeyUnavailableException', message: expect.stringMatching(/1 parties would remain, fewer than its threshold 2/) },
    });
    for (const p of ['party-1', 'party-2', 'party-3']) expect(shareVersions(p)).toEqual([{ version: 1, state: 'active' }]);
    expect(keyParties()).toEqual(['party-1', 'party-2', 'party-3']);
  });

  test('cli.ts refresh --without-banned leaves party-3 out: same public key, the two remaining parties sign, party-3 deletes its share', async () => {
    const t0 = Date.now();
    const out = await cli(['--without-banned']);
    console.log(`[e2e timing] refresh without party-3: ${Date.now() - t0} ms (cli process included)`);
    expect(out).toEqual({
      ok: true,
      body: {
        keyId,
        publicKey: expect.any(String),
        transcriptHash: expect.any(String),
        parties: ['party-1', 'party-2'],
        excluded: ['party-3'],
        bansLifted: false,
      },
    });
    expect(keyParties()).toEqual(['party-1', 'party-2']);
    for (const p of ['party-1', 'party-2']) expect(shareVersions(p)).toEqual([{ version: 2, state: 'active' }]);
    // The ban was against a party the key no longer has: gone with it.
    expect(bansAt('party-1')).toEqual([]);
    // party-3 was told to delete its share, and confirmed.
    await waitFor(() => shareVersions('party-3').length === 0);
    await waitFor(async () => (await cluster.health()).pendingShareDeletions === 0);

    expect((await kms.send(new GetPublicKeyCommand({ KeyId: keyId }))).PublicKey).toEqual(spki);
    await signedAndVerified('after a refresh without party-3');
    // A 2-of-2 now: with party-1 stopped, party-3 cannot stand in.
    await cluster.kill('party-1');
    await cluster.waitConnected((ids) => !ids.includes('party-1'));
    await fails(sign(new TextEncoder().encode('no')), 'KeyUnavailableException', /Only 1 of the key's 2 parties are reachable/);
  });

  test('every party restarts: the key still signs with the same public key', async () => {
    for (const p of ['party-2', 'party-3']) await cluster.kill(p);
    await cluster.waitConnected((ids) => ids.length === 0);
    await Promise.all(['party-1', 'party-2', 'party-3'].map((p) => cluster.startParty(p)));
    await cluster.waitConnected((ids) => ids.length === 3);
    await signedAndVerified('after a restart');
    expect((await kms.send(new GetPublicKeyCommand({ KeyId: keyId }))).PublicKey).toEqual(spki);
    expect(shareVersions('party-3')).toEqual([]);
    // A refresh (all of the key's parties: now two) still works, and leaving out one more is refused.
    expect(await cli([])).toMatchObject({ ok: true, body: { parties: ['party-1', 'party-2'], excluded: [] } });
    expect(await cli(['--exclude', 'party-2'])).toMatchObject({ ok: false, body: { error: 'KeyUnavailableException' } });
    await signedAndVerified('after a second refresh');
  });
});
