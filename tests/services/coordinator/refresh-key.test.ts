// The coordinator's side of a refresh without some parties (Coordinator.refreshKey with `exclude` /
// `withoutBanned`), against a scripted session runner: the remaining parties only are opened,
// renumbered 1..n'; an exclusion the key cannot take is refused before any party is asked; with
// `withoutBanned` a party's 'banned' refusal (session indices) leaves that peer out of the next try;
// on success the key record lists the remaining parties and each excluded one must delete its share.
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { openDatabase, type Database } from '../../../services/storage/db.ts';
import { KeyRepository } from '../../../services/storage/key-repository.ts';
import { sqliteKeyStore } from '../../../services/storage/gateway-store.ts';
import { Coordinator } from '../../../services/coordinator/coordinator.ts';
import { SessionFailed, type SessionRunner } from '../../../services/coordinator/session-runner.ts';
import type { OpenMessage, OpenRefresh } from '../../../services/control/messages.ts';
import { storedKey } from '../../support/stored-key.ts';

const KEY = '11111111-2222-4333-8444-555555555555';
const PUBLIC_KEY = Buffer.from(secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true)).toString('hex');

let dir: string;
let db: Database;
let keys: KeyRepository;
/** Every session opened: its members (index → party id) and the open each got. */
let opened: { members: Map<number, string>; opens: OpenRefresh[] }[];
/** Decides each session's fate from its members; default: every member is done. */
let script: (members: Map<number, string>) => SessionFailed | undefined;
let deletionsAnnounced: number;
let coordinator: Coordinator;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tutti-refresh-key-'));
  db = openDatabase(join(dir, 'keys.db'));
  keys = new KeyRepository(db);
  const k = storedKey(KEY, { parties: ['party-1', 'party-2', 'party-3', 'party-4'], publicKey: PUBLIC_KEY });

  keys.insert(k);
  opened = [];
  script = () => undefined;
  deletionsAnnounced = 0;
  const runner = {
    run: async (_protocol: string, members: Map<number, string>, open: (session: string, index: number) => OpenMessage) => {
      opened.push({ members, opens: [...members.keys()].map((i) => open('ab'.repeat(32), i) as OpenRefresh) });
      const failure = script(members);
      if (failure) throw failure;
      return new Map([...members.keys()].map((i) => [i, { publicKey: PUBLIC_KEY, transcriptHash: 'cd'.repeat(32), policyHash: 'ab'.repeat(32) }]));
    },
  } as unknown as SessionRunner;
  coordinator = new Coordinator({
    keys: sqliteKeyStore(keys),
    runner,
    parties: ['party-1', 'party-2', 'party-3', 'party-4'],
    isConnected: (p) => p !== 'party-4',
    region: 'eu-west-1',
    accountId: '111122223333',
    onShareDeletions: () => {
      deletionsAnnounced++;
    },
  });
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Coordinator.refreshKey without parties', () => {
  test('--exclude: only the remaining parties are opened, renumbered in key order; the key record and share deletions follow', async () => {
    // party-4 is offline: leaving it out is exactly what makes the refresh possible.
    await expect(coordinator.refreshKey(KEY, { liftBans: false })).rejects.toThrow(/party-4 are not connected/);
    const out = await coordinator.refreshKey(KEY, { liftBans: false, exclude: ['party-2', 'party-4'] });
    expect(out).toMatchObject({ parties: ['party-1', 'party-3'], excluded: ['party-2', 'party-4'], bansLifted: false });
    const last = opened[opened.length - 1]!;
    expect([...last.members]).toEqual([
      [1, 'party-1'],
      [2, 'party-3'],
    ]);
    expect(last.opens.every((o) => o.kind === 'refresh' && JSON.stringify(o.exclude) === '["party-2","party-4"]' && o.withoutBanned === undefined)).toBe(true);
    expect(keys.get(KEY)!.parties).toEqual(['party-1', 'party-3']);
    expect(keys.pendingShareDeletions()).toEqual([
      { keyId: KEY, partyId: 'party-2' },
      { keyId: KEY, partyId: 'party-4' },
    ]);
    expect(deletionsAnnounced).toBe(1);
  });

  test('refused before any party is asked: a party the key does not have, a duplicate, fewer than t remaining', async () => {
    await expect(coordinator.refreshKey(KEY, { liftBans: false, exclude: ['party-9'] })).rejects.toMatchObject({ type: 'ValidationException' });
    await expect(coordinator.refreshKey(KEY, { liftBans: false, exclude: ['party-4', 'party-4'] })).rejects.toMatchObject({ type: 'ValidationException' });
    await expect(coordinator.refreshKey(KEY, { liftBans: false, exclude: ['party-2', 'party-3', 'party-4'] })).rejects.toMatchObject({
      type: 'KeyUnavailableException',
      message: expect.stringMatching(/fewer than its threshold 2/),
    });
    expect(opened).toEqual([]);
    expect(keys.get(KEY)!.parties).toEqual(['party-1', 'party-2', 'party-3', 'party-4']);
  });

  test('a failed refresh changes nothing', async () => {
    script = () => new SessionFailed({ kind: 'invalid-commitment', message: 'party 2 cheated', culprits: [2], unresponsive: [], reporter: 1 });
    await expect(coordinator.refreshKey(KEY, { liftBans: false, exclude: ['party-4'] })).rejects.toMatchObject({ type: 'KMSInternalException' });
    expect(keys.get(KEY)!.parties).toEqual(['party-1', 'party-2', 'party-3', 'party-4']);
    expect(keys.pendingShareDeletions()).toEqual([]);
  });

  test('--without-banned: a party that refuses naming a peer it banned (by session index) has that peer left out on the next try', async () => {
    // party-1 banned party-3 and refuses every refresh party-3 is in, naming it by its index in that session.
    script = (members) => {
      const index3 = [...members].find(([, p]) => p === 'party-3')?.[0];
      if (index3 === undefined) return undefined;
      return new SessionFailed({ kind: 'banned', message: 'party-1 refused: banned party 3 (party-3)', culprits: [index3], unresponsive: [], reporter: 1 });
    };
    const out = await coordinator.refreshKey(KEY, { liftBans: false, exclude: ['party-4'], withoutBanned: true });
    expect(out).toMatchObject({ parties: ['party-1', 'party-2'], excluded: ['party-4', 'party-3'] });
    expect(opened.map((o) => [...o.members.values()])).toEqual([
      ['party-1', 'party-2', 'party-3'],
      ['party-1', 'party-2'],
    ]);
    expect(opened[1]!.opens.every((o) => o.withoutBanned === true)).toBe(true);
    expect(keys.get(KEY)!.parties).toEqual(['party-1', 'party-2']);
  });

  test('--without-banned gives up when the parties keep refusing and too few would remain', async () => {
    script = (members) => new SessionFailed({ kind: 'banned', message: 'banned', culprits: [members.size], unresponsive: [], reporter: 1 });
    await expect(coordinator.refreshKey(KEY, { liftBans: false, exclude: ['party-4'], withoutBanned: true })).rejects.toMatchObject({
      type: 'KeyUnavailableException',
      message: expect.stringMatching(/fewer than its threshold/),
    });
    expect(keys.get(KEY)!.parties).toEqual(['party-1', 'party-2', 'party-3', 'party-4']);
  });
});
