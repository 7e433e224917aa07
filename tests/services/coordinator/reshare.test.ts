// The coordinator's side of ReshareKey (services/coordinator/reshare.ts) against a scripted session
// runner: the refusals that need no party (bad thresholds and party lists, parties
// not connected, a party not yet done deleting an earlier share) answer AWS-shaped errors
// and open nothing; an ECDSA (DKLs23) key is reshared like an EdDSA one; an accepted request opens dealers ∪ new parties with the roles every party
// derives, and the key record takes the new parties and threshold.
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../../services/storage/db.ts';
import { KeyRepository, type StoredKey } from '../../../services/storage/key-repository.ts';
import { sqliteKeyStore } from '../../../services/storage/gateway-store.ts';
import { Coordinator } from '../../../services/coordinator/coordinator.ts';
import type { SessionRunner } from '../../../services/coordinator/session-runner.ts';
import type { OpenMessage, OpenReshare } from '../../../services/control/messages.ts';
import { KmsError } from '../../../services/kms-api/errors.ts';
import { storedKey } from '../../support/stored-key.ts';

const ED = '11111111-2222-4333-8444-555555555555';
const EC = '11111111-2222-4333-8444-666666666666';
const PARTIES = ['party-1', 'party-2', 'party-3', 'party-4', 'party-5'];
const caller = { accessKeyId: 'AKIATUTTITEST0000001', principal: 'arn:aws:iam::111122223333:root' };
const PUBLIC_KEY = 'ab'.repeat(32);
/** secp256k1's generator, compressed: a valid 33-byte key for the ECDSA key's record. */
const EC_PUBLIC_KEY = '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798';

let dir: string;
let db: Database;
let keys: KeyRepository;
let opened: { protocol: string; members: Map<number, string>; opens: OpenReshare[] }[];
let connected: Set<string>;
let coordinator: Coordinator;
/** Party → the old holder whose restored share it reports holding (a key-package answer's `holds`). */
let holds: Map<string, string>;
/** What a holder reports of the key's signing-policy history (relayed as is: the new parties check it). */
const CHAIN = [{ revision: 1, previousHash: null, policy: { stand: 'in' }, approvals: [], acceptedAt: 1, activatesAt: 1 }];
let noChain: boolean;

function key(keyId: string, keySpec: string, protocol: string, publicKey = PUBLIC_KEY): StoredKey {
  return storedKey(keyId, { keySpec, protocol, publicKey, policyHash: null });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tutti-reshare-'));
  db = openDatabase(join(dir, 'keys.db'));
  keys = new KeyRepository(db);
  keys.insert(key(ED, 'ECC_NIST_EDWARDS25519', 'frost-ed25519'));
  keys.insert(key(EC, 'ECC_SECG_P256K1', 'dkls23-secp256k1', EC_PUBLIC_KEY));
  opened = [];
  connected = new Set(PARTIES);
  holds = new Map();
  noChain = false;
  const runner = {
    run: async (protocol: string, members: Map<number, string>, open: (session: string, index: number) => OpenMessage) => {
      opened.push({ protocol, members, opens: [...members.keys()].map((i) => open('ab'.repeat(32), i) as OpenReshare) });
      return new Map(
        [...members.keys()].map((i) => [
          i,
          {
            publicKey: protocol.startsWith('dkls23') ? EC_PUBLIC_KEY : PUBLIC_KEY,
            transcriptHash: 'cd'.repeat(32),
            policyHash: '',
            confirmation: 'ee'.repeat(64),
          },
        ]),
      );
    },
  } as unknown as SessionRunner;
  coordinator = new Coordinator({
    keys: sqliteKeyStore(keys),
    runner,
    parties: PARTIES,
    isConnected: (p) => connected.has(p),
    region: 'eu-west-1',
    accountId: '111122223333',
    askKeyPackage: async (p: string, keyId: string) => ({
      package: { groupPublicKey: keyId === EC ? EC_PUBLIC_KEY : PUBLIC_KEY },
      chainCode: '12'.repeat(32),
      ...(holds.has(p) ? { holds: holds.get(p) } : {}),
      ...(noChain ? {} : { policyChain: CHAIN }),
    }),
  });
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

async function refused(keyId: string, req: { threshold: unknown; parties: unknown; grantTokens?: unknown }): Promise<KmsError> {
  const err = await coordinator.reshareKey(keyId, req, caller).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KmsError);
  return err as KmsError;
}

describe('ReshareKey at the coordinator', () => {
  test('an ECDSA key runs the DKLs23 reshare (dkls23-secp256k1/reshare) and the record follows', async () => {
    const out = await coordinator.reshareKey(EC, { threshold: 2, parties: ['party-4', 'party-5'] }, caller);
    expect([out.threshold, out.parties]).toEqual([2, ['party-4', 'party-5']]);
    const [{ protocol, members, opens }] = opened as [(typeof opened)[number]];
    expect(protocol).toBe('dkls23-secp256k1/reshare');
    expect([...members.values()]).toEqual(['party-4', 'party-5', 'party-1', 'party-2']);
    expect(opens[0]).toMatchObject({
      kind: 'reshare',
      keySpec: 'ECC_SECG_P256K1',
      protocol: 'dkls23-secp256k1',
      dealers: ['party-1', 'party-2'],
      threshold: 2,
    });
    expect(keys.get(EC)).toMatchObject({ parties: ['party-4', 'party-5'], threshold: 2 });
  });

  test.each([
    [{ threshold: 1, parties: PARTIES }, 'ValidationException', /Threshold 1 of 5/],
    [{ threshold: 2, parties: ['party-1', 'party-x'] }, 'ValidationException', /Unknown parties party-x/],
    [{ threshold: 2, parties: 'party-1' }, 'ValidationException', /list of party ids/],
  ])('bad request %j: %s, nothing opened', async (req, type, message) => {
    const err = await refused(ED, req);
    expect([err.type, err.message]).toEqual([type, expect.stringMatching(message)]);
    expect(opened).toEqual([]);
  });

  test('a new party not connected, or fewer than t old holders connected: KeyUnavailableException, nothing opened', async () => {
    connected.delete('party-5');
    expect((await refused(ED, { threshold: 3, parties: PARTIES })).type).toBe('KeyUnavailableException');
    connected = new Set(['party-1', 'party-4', 'party-5']);
    expect((await refused(ED, { threshold: 2, parties: ['party-4', 'party-5'] })).message).toMatch(/fewer than its threshold 2/);
    expect(opened).toEqual([]);
  });

  test('a party left out earlier that has not deleted its share yet is not named again', async () => {
    keys.reshare(ED, ['party-1', 'party-2', 'party-3'], ['party-2', 'party-3'], 2, 5);
    const err = await refused(ED, { threshold: 2, parties: ['party-1', 'party-2', 'party-3'] });
    expect([err.type, err.message]).toEqual(['KeyUnavailableException', expect.stringMatching(/party-1 yet/)]);
  });

  test('accepted: dealers are t old holders (those staying first), the session is new parties then other dealers, the record follows', async () => {
    const out = await coordinator.reshareKey(ED, { threshold: 2, parties: ['party-3', 'party-4', 'party-5'] }, caller);
    expect([out.threshold, out.parties]).toEqual([2, ['party-3', 'party-4', 'party-5']]);
    const [{ members, opens }] = opened as [(typeof opened)[number]];
    expect([...members.values()]).toEqual(['party-3', 'party-4', 'party-5', 'party-1']);
    expect(opens[0]).toMatchObject({
      kind: 'reshare',
      oldParties: ['party-1', 'party-2', 'party-3'],
      dealers: ['party-3', 'party-1'],
      parties: ['party-3', 'party-4', 'party-5'],
      threshold: 2,
      oldKey: { groupPublicKey: PUBLIC_KEY },
      chainCode: '12'.repeat(32),
      policyChain: CHAIN,
      fromThreshold: 2,
    });
    expect(opens[0]!.approvals).toBeUndefined();
    expect(keys.get(ED)).toMatchObject({ parties: ['party-3', 'party-4', 'party-5'], threshold: 2 });
    expect(keys.pendingShareDeletions()).toEqual([
      { keyId: ED, partyId: 'party-1' },
      { keyId: ED, partyId: 'party-2' },
    ]);
  });

  test('a lost holder: a new party holding its restored share deals in its place (standIns); a claim for a connected holder is ignored', async () => {
    connected = new Set(['party-2', 'party-4', 'party-5']);
    holds.set('party-4', 'party-1').set('party-5', 'party-2');
    const out = await coordinator.reshareKey(ED, { threshold: 2, parties: ['party-2', 'party-4'] }, caller);
    expect([out.threshold, out.parties]).toEqual([2, ['party-2', 'party-4']]);
    const [{ members, opens }] = opened as [(typeof opened)[number]];
    expect([...members.values()]).toEqual(['party-2', 'party-4']);
    expect(opens[0]).toMatchObject({ oldParties: ['party-1', 'party-2', 'party-3'], dealers: ['party-4', 'party-2'], standIns: { 'party-4': 'party-1' } });
  });

  test('grant tokens go to every party as the reshare approvals; a holder that reports no policy history stops a reshare onto new parties', async () => {
    await coordinator.reshareKey(ED, { threshold: 2, parties: ['party-1', 'party-2'], grantTokens: ['tutti-approval:v1:x:1:AA'] }, caller);
    expect(opened[0]!.opens.map((o) => o.approvals)).toEqual([['tutti-approval:v1:x:1:AA'], ['tutti-approval:v1:x:1:AA']]);
    expect((await refused(ED, { threshold: 2, parties: ['party-1', 'party-2'], grantTokens: 'no' })).type).toBe('ValidationException');
    noChain = true;
    const err = await refused(ED, { threshold: 2, parties: ['party-1', 'party-4'] });
    expect([err.type, err.message]).toEqual(['KeyUnavailableException', expect.stringMatching(/signing-policy revisions/)]);
    expect(opened).toHaveLength(1);
  });

  test('without a stand-in, fewer than t old holders connected is still KeyUnavailableException', async () => {
    connected = new Set(['party-2', 'party-4', 'party-5']);
    expect((await refused(ED, { threshold: 2, parties: ['party-2', 'party-4'] })).message).toMatch(/fewer than its threshold 2/);
    expect(opened).toEqual([]);
  });
});
