// A key's end (kms-conformance ST-16): when its deletion window has passed, the gateway's sweeper
// deletes the key record and its aliases and every party deletes its share — a party that is
// offline then deletes when it next connects, from a durable list the coordinator keeps across
// restarts. The gateway runs in this process so the test can move its clock; the parties are real
// processes with real share stores.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  EnableKeyCommand,
  KMSClient,
  ListAliasesCommand,
  GetPublicKeyCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
} from '@aws-sdk/client-kms';
import { prepareCluster, spawnParty, type Spawned } from '../../services/main/cluster.ts';
import { startGateway, type RunningGateway } from '../../services/main/gateway.ts';
import { paths, type GatewayConfig } from '../../services/main/config.ts';
import { openDatabase } from '../../services/storage/db.ts';
import { KeyRepository } from '../../services/storage/key-repository.ts';
import { ACCOUNT, REGION, TEST_CREDENTIALS, freePort } from '../support/cluster.ts';
import { rawRequest } from '../services/kms-api/support.ts';
import { verifyAttestation } from '../../services/control/receipts.ts';
import { readFileSync } from 'node:fs';

jest.setTimeout(120_000);

const DAY = 24 * 60 * 60 * 1000;
/** Each party's own wait between a signed deletion record and the deletion (docs/security.md "Deleting a key"): short here. */
const PARTY_WAIT_MS = 300;
const dataDir = mkdtempSync(join(tmpdir(), 'tutti-deletion-'));
let config: GatewayConfig;
let port: number;
let gateway: RunningGateway;
const parties = new Map<string, Spawned>();
let kms: KMSClient;
/** The gateway's key-lifecycle clock: real time plus what the test adds. */
let offset = 0;
const logs: string[] = [];

async function start(): Promise<void> {
  gateway = await startGateway(config, paths.gatewayDir(dataDir), {
    host: '127.0.0.1',
    port,
    roundTimeoutMs: 3000,
    sweepIntervalMs: 3_600_000,
    now: () => Date.now() + offset,
    log: (l) => logs.push(l),
  });
}

function startParty(id: string): Spawned {
  const p = spawnParty(dataDir, id, `ws://127.0.0.1:${port}/parties`, { TUTTI_DELETION_WAIT_MS: String(PARTY_WAIT_MS) });
  parties.set(id, p);
  return p;
}

async function kill(id: string): Promise<void> {
  const p = parties.get(id)!;
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  await new Promise<void>((r) => {
    p.child.once('exit', () => r());
    p.child.kill('SIGKILL');
  });
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** How many share rows (any version) a party's own database holds for the key. */
function sharesHeld(partyId: string, keyId: string): number {
  const db = new Sqlite(paths.sharesDb(paths.partyDir(dataDir, partyId)), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM shares WHERE key_id = ?').get(keyId) as { n: number }).n;
  } finally {
    db.close();
  }
}

const connected = () => gateway.hub.connectedParties();

beforeAll(async () => {
  config = prepareCluster({ dataDir, parties: 3, region: REGION, accountId: ACCOUNT, ...TEST_CREDENTIALS });
  port = await freePort();
  await start();
  for (const p of config.parties) startParty(p.partyId);
  await Promise.all([...parties.values()].map((p) => p.ready));
  await until('three parties', () => connected().length === 3);
  kms = new KMSClient({ endpoint: `http://127.0.0.1:${port}`, region: REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
});

afterAll(async () => {
  kms?.destroy();
  for (const id of parties.keys()) await kill(id);
  await gateway?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function newKey(): Promise<string> {
  const out = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' }));
  return out.KeyMetadata!.KeyId!;
}

describe('key creation receipts', () => {
  test('GetKeyAttestation: every party signed the key it made, checked against its own peers.json', async () => {
    const keyId = await newKey();
    const endpoint = { url: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}` };
    const res = await rawRequest(endpoint, { target: 'GetKeyAttestation', body: JSON.stringify({ KeyId: keyId }), region: REGION, ...TEST_CREDENTIALS });
    expect(res.status).toBe(200);
    const receipts = (res.json as { Receipts: unknown[] }).Receipts;
    const pinned = (JSON.parse(readFileSync(paths.peers(paths.partyDir(dataDir, 'party-1')), 'utf8')) as { peers: never[] }).peers;
    const { problems, facts } = verifyAttestation(receipts, { pinned, keyId, threshold: 2 });
    expect(problems).toEqual([]);
    const pub = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
    // The SPKI of an Ed25519 key ends with the 32-byte key itself.
    expect(Buffer.from(pub.PublicKey!).subarray(-32).toString('hex')).toBe(facts!.publicKey);
    const missing = await rawRequest(endpoint, {
      target: 'GetKeyAttestation',
      body: JSON.stringify({ KeyId: '00000000-0000-4000-8000-000000000000' }),
      region: REGION,
      ...TEST_CREDENTIALS,
    });
    expect([missing.status, missing.json?.__type]).toEqual([400, 'NotFoundException']);
  });
});

describe('key deletion', () => {
  test('ST-16: after the window the key, its aliases and every share are gone; an offline party deletes on reconnect', async () => {
    const doomed = await newKey();
    const kept = await newKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/doomed', TargetKeyId: doomed }));
    for (const p of ['party-1', 'party-2', 'party-3']) expect(sharesHeld(p, doomed)).toBe(1);

    const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: doomed, PendingWindowInDays: 7 }));
    expect(Math.abs(scheduled.DeletionDate!.getTime() - (Date.now() + offset + 7 * DAY))).toBeLessThan(5_000);
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: kept, PendingWindowInDays: 7 }));
    await kms.send(new CancelKeyDeletionCommand({ KeyId: kept }));

    // Before the window ends nothing is deleted.
    offset += 6 * DAY;
    expect(await gateway.deletions.sweep()).toEqual([]);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: 'alias/doomed' }))).KeyMetadata!.KeyState).toBe('PendingDeletion');

    await kill('party-3');
    await until('party-3 gone', () => !connected().includes('party-3'));
    offset += 1 * DAY + 60_000;
    expect(await gateway.deletions.sweep()).toEqual([doomed]);

    await expect(kms.send(new DescribeKeyCommand({ KeyId: doomed }))).rejects.toMatchObject({
      name: 'NotFoundException',
      message: `Key 'arn:aws:kms:${REGION}:${ACCOUNT}:key/${doomed}' does not exist`,
    });
    await expect(kms.send(new DescribeKeyCommand({ KeyId: 'alias/doomed' }))).rejects.toMatchObject({ name: 'NotFoundException' });
    expect((await kms.send(new ListAliasesCommand({}))).Aliases!.map((a) => a.AliasName)).not.toContain('alias/doomed');

    // The connected parties delete at once and confirm; the offline one is still owed its deletion.
    await until('party-1 and party-2 confirm', async () => (await gateway.deletions.pending()).length === 1);
    expect(await gateway.deletions.pending()).toEqual([{ keyId: doomed, partyId: 'party-3' }]);
    expect(sharesHeld('party-1', doomed)).toBe(0);
    expect(sharesHeld('party-2', doomed)).toBe(0);
    expect(sharesHeld('party-3', doomed)).toBe(1);

    // party-3 comes back: it is told on connect, deletes, confirms.
    await startParty('party-3').ready;
    await until('party-3 confirms', async () => (await gateway.deletions.pending()).length === 0);
    expect(sharesHeld('party-3', doomed)).toBe(0);
    expect(logs.join('\n')).toContain(`party-3 confirmed it deleted its share of key ${doomed}`);
    // The deleted key id is used up at the gateway and at every party (a DKG under it is refused there).
    const keysDb = new Sqlite(paths.keysDb(paths.gatewayDir(dataDir)), { readonly: true, fileMustExist: true });
    try {
      expect(keysDb.prepare('SELECT key_id FROM deleted_key_ids WHERE key_id = ?').pluck().all(doomed)).toEqual([doomed]);
    } finally {
      keysDb.close();
    }
    for (const p of ['party-1', 'party-2', 'party-3']) {
      const db = new Sqlite(paths.sharesDb(paths.partyDir(dataDir, p)), { readonly: true, fileMustExist: true });
      try {
        expect(db.prepare('SELECT key_id FROM key_tombstones WHERE key_id = ?').pluck().all(doomed)).toEqual([doomed]);
        expect(db.prepare(`SELECT event FROM audit_log WHERE key_id = ? AND event LIKE 'key-%' ORDER BY seq`).pluck().all(doomed)).toEqual([
          'key-deletion-requested',
          'key-deleted',
        ]);
      } finally {
        db.close();
      }
    }

    // The cancelled key survived the sweep: Disabled, and it signs again once enabled.
    expect((await kms.send(new DescribeKeyCommand({ KeyId: kept }))).KeyMetadata!.KeyState).toBe('Disabled');
    await kms.send(new EnableKeyCommand({ KeyId: kept }));
    const sig = await kms.send(new SignCommand({ KeyId: kept, Message: new TextEncoder().encode('still here'), SigningAlgorithm: 'ED25519_SHA_512' }));
    expect(sig.Signature).toHaveLength(64);
  });

  test('a share deletion owed to an offline party survives a gateway restart', async () => {
    const doomed = await newKey();
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: doomed, PendingWindowInDays: 7 }));
    await kill('party-2');
    await until('party-2 gone', () => !connected().includes('party-2'));
    offset += 7 * DAY + 60_000;
    expect(await gateway.deletions.sweep()).toEqual([doomed]);
    await until('party-1 and party-3 confirm', async () => (await gateway.deletions.pending()).length === 1);

    await gateway.close();
    await start();
    await until('party-1 and party-3 reconnect', () => connected().includes('party-1') && connected().includes('party-3'));
    expect(await gateway.deletions.pending()).toEqual([{ keyId: doomed, partyId: 'party-2' }]);
    expect(sharesHeld('party-2', doomed)).toBe(1);
    await startParty('party-2').ready;
    await until('party-2 confirms', async () => (await gateway.deletions.pending()).length === 0);
    expect(sharesHeld('party-2', doomed)).toBe(0);
  });

  test('a key left Creating by a stopped gateway is removed at startup and its parties drop any share', async () => {
    // What a gateway that died in the middle of a DKG leaves behind: a Creating record (no share
    // anywhere here, so each party just confirms).
    await gateway.close();
    const db = openDatabase(paths.keysDb(paths.gatewayDir(dataDir)));
    const keyId = '0badc0de-0000-4000-8000-000000000001';
    new KeyRepository(db).insert({
      keyId,
      arn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/${keyId}`,
      accountId: ACCOUNT,
      region: REGION,
      creationDate: Date.now(),
      description: '',
      keyUsage: 'SIGN_VERIFY',
      keySpec: 'ECC_NIST_EDWARDS25519',
      keyState: 'Creating',
      protocol: 'frost-ed25519',
      threshold: 2,
      parties: ['party-1', 'party-2', 'party-3'],
      publicKey: null,
      policyHash: null,
      tags: [],
      deletionDate: null,
      pendingWindowInDays: null,
      policy: null,
    });
    db.close();
    await start();
    await until('every party confirms', async () => connected().length === 3 && (await gateway.deletions.pending()).length === 0);
    expect(logs.join('\n')).toContain(`key ${keyId} was still being created when the gateway stopped`);
    await expect(kms.send(new DescribeKeyCommand({ KeyId: keyId }))).rejects.toMatchObject({ name: 'NotFoundException' });
  });
});
