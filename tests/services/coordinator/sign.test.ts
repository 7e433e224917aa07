// The coordinator's side of Sign (services/coordinator/sign.ts) against a scripted session runner:
// which signers each attempt opens, when it tries again (a party that does not answer, a ban
// learned from the session, a pre-made FROST attempt that fails) and when it stops (a party's
// policy denial, a signature that does not verify). The "parties" here are one test key each
// signature is made with; every signature Sign returns is checked with node:crypto.
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { openDatabase, type Database } from '../../../services/storage/db.ts';
import { KeyRepository, type StoredKey } from '../../../services/storage/key-repository.ts';
import { sqliteKeyStore } from '../../../services/storage/gateway-store.ts';
import { Coordinator } from '../../../services/coordinator/coordinator.ts';
import { SessionFailed, type SessionFailure, type SessionRunner } from '../../../services/coordinator/session-runner.ts';
import type { OpenMessage, OpenSign } from '../../../services/control/messages.ts';
import type { Caller } from '../../../services/kms-api/key-service.ts';
import { storedKey } from '../../support/stored-key.ts';

const ECDSA_KEY = '11111111-2222-4333-8444-555555555555';
const EDDSA_KEY = '66666666-7777-4888-8999-aaaaaaaaaaaa';
const ECDSA_SECRET = secp256k1.utils.randomSecretKey();
const EDDSA_SECRET = ed25519.utils.randomSecretKey();
const PARTIES = ['party-1', 'party-2', 'party-3'];
const caller: Caller = { accessKeyId: 'AKIDEXAMPLE', principal: 'arn:aws:iam::111122223333:user/alice' };
const message = new TextEncoder().encode('pay 5 to bob');

/** What a scripted session does: return the members' outputs, or fail. */
type Script = (protocol: string, members: number[]) => Map<number, unknown> | SessionFailure;

let dir: string;
let db: Database;
let coordinator: Coordinator;
let opened: { protocol: string; members: number[]; opens: OpenSign[] }[];
let scripts: Script[];

const failure = (f: Partial<SessionFailure> & { kind: string }): SessionFailure => ({ message: f.kind, culprits: [], unresponsive: [], ...f });
const everyone = (members: number[], output: unknown) => new Map(members.map((i) => [i, output]));
const ecdsaSignature = () => ({ signature: Buffer.from(secp256k1.sign(message, ECDSA_SECRET)).toString('base64') });
const eddsaSignature = () => ({ signature: Buffer.from(ed25519.sign(message, EDDSA_SECRET)).toString('base64') });

function stored(keyId: string, keySpec: string, protocol: string, publicKey: Uint8Array): StoredKey {
  return storedKey(keyId, { keySpec, protocol, parties: PARTIES, publicKey: Buffer.from(publicKey).toString('hex') });
}

/** The signature verifies under the key's public key as GetPublicKey gives it, with node:crypto. */
function verifiesWithNode(publicKeyDer: Uint8Array, signature: Uint8Array, ecdsa: boolean): boolean {
  const key = createPublicKey({ key: Buffer.from(publicKeyDer), format: 'der', type: 'spki' });
  return ecdsa ? nodeVerify('sha256', message, { key, dsaEncoding: 'der' }, signature) : nodeVerify(null, message, key, signature);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tutti-sign-'));
  db = openDatabase(join(dir, 'keys.db'));
  const keys = new KeyRepository(db);
  keys.insert(stored(ECDSA_KEY, 'ECC_SECG_P256K1', 'dkls23-secp256k1', secp256k1.getPublicKey(ECDSA_SECRET, true)));
  keys.insert(stored(EDDSA_KEY, 'ECC_NIST_EDWARDS25519', 'frost-ed25519', ed25519.getPublicKey(EDDSA_SECRET)));
  opened = [];
  scripts = [];
  const runner = {
    run: async (protocol: string, members: Map<number, string>, open: (session: string, index: number) => OpenMessage) => {
      const indices = [...members.keys()];
      opened.push({ protocol, members: indices, opens: indices.map((i) => open('ab'.repeat(32), i) as OpenSign) });
      const script = scripts.shift();
      if (!script) throw new Error(`no script for session ${opened.length} (${protocol})`);
      const out = script(protocol, indices);
      if (out instanceof Map) return out;
      throw new SessionFailed(out);
    },
  } as unknown as SessionRunner;
  coordinator = new Coordinator({
    keys: sqliteKeyStore(keys),
    runner,
    parties: PARTIES,
    isConnected: () => true,
    region: 'eu-west-1',
    accountId: '111122223333',
  });
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const signEcdsa = () => coordinator.sign({ keyId: ECDSA_KEY, message, messageType: 'RAW', signingAlgorithm: 'ECDSA_SHA_256' }, caller);
const signEddsa = () => coordinator.sign({ keyId: EDDSA_KEY, message, messageType: 'RAW', signingAlgorithm: 'ED25519_SHA_512' }, caller);

describe('Sign: signer choice and retries', () => {
  test('the first t parties sign; every signer gets the full request; the signature verifies with node:crypto', async () => {
    scripts.push((_, m) => everyone(m, ecdsaSignature()));
    const out = await signEcdsa();
    expect(opened.map((o) => [o.protocol, o.members])).toEqual([['dkls23-secp256k1/sign', [1, 2]]]);
    expect(opened[0]!.opens[0]).toMatchObject({
      kind: 'sign',
      keyId: ECDSA_KEY,
      signers: [1, 2],
      request: { message: Buffer.from(message).toString('base64'), messageType: 'RAW', signingAlgorithm: 'ECDSA_SHA_256', grantTokens: [] },
    });
    expect(verifiesWithNode(out.key.publicKeyDer!, out.signature, true)).toBe(true);
  });

  test('a party that does not answer is left out of the next attempt', async () => {
    scripts.push(
      () => failure({ kind: 'timeout', unresponsive: [2] }),
      (_, m) => everyone(m, ecdsaSignature()),
    );
    const out = await signEcdsa();
    expect(opened.map((o) => o.members)).toEqual([
      [1, 2],
      [1, 3],
    ]);
    expect(verifiesWithNode(out.key.publicKeyDer!, out.signature, true)).toBe(true);
  });

  test('when too few parties remain after timeouts, the timeout is what the caller is told', async () => {
    scripts.push(
      () => failure({ kind: 'timeout', unresponsive: [2] }),
      () => failure({ kind: 'timeout', unresponsive: [3] }),
    );
    await expect(signEcdsa()).rejects.toMatchObject({ type: 'DependencyTimeoutException' });
    expect(opened.map((o) => o.members)).toEqual([
      [1, 2],
      [1, 3],
    ]);
  });

  test('a ban learned from a session keeps the banned pair apart from then on', async () => {
    scripts.push(
      () => failure({ kind: 'banned', reporter: 1, culprits: [2] }),
      (_, m) => everyone(m, ecdsaSignature()),
    );
    await signEcdsa();
    scripts.push((_, m) => everyone(m, ecdsaSignature()));
    await signEcdsa();
    expect(opened.map((o) => o.members)).toEqual([
      [1, 2],
      [1, 3],
      [1, 3],
    ]);
  });

  test("a party's policy denial is final: AccessDeniedException, no second attempt", async () => {
    scripts.push(() => failure({ kind: 'policy', reporter: 1, message: 'no rule allows this message' }));
    await expect(signEcdsa()).rejects.toMatchObject({ type: 'AccessDeniedException', message: expect.stringContaining('no rule allows this message') });
    expect(opened).toHaveLength(1);
  });

  test('a signature that does not verify is never returned', async () => {
    scripts.push((_, m) => everyone(m, { signature: Buffer.alloc(64, 1).toString('base64') }));
    await expect(signEcdsa()).rejects.toMatchObject({ type: 'KMSInternalException' });
  });

  test('a dry run opens no session', async () => {
    await expect(
      coordinator.sign({ keyId: ECDSA_KEY, message, messageType: 'RAW', signingAlgorithm: 'ECDSA_SHA_256', dryRun: true }, caller),
    ).rejects.toMatchObject({ type: 'DryRunOperationException' });
    expect(opened).toHaveLength(0);
  });
});

describe('Sign: the one-round pre-made FROST path and its two-round fallback', () => {
  /** Well-formed (hex D ‖ E) commitments; the signers, not the coordinator, validate the points. */
  const commitments = (n: number, tag: number) => Array.from({ length: n }, (_, i) => (tag * 16 + i).toString(16).padStart(2, '0').repeat(64));
  const stock = async () => {
    for (const [i, p] of PARTIES.entries()) await coordinator.onPremade(p, { keyId: EDDSA_KEY, commitments: commitments(2, i + 1) });
  };

  test('with no commitments in stock a FROST key signs in two rounds and asks its signers to make some', async () => {
    scripts.push((_, m) => everyone(m, eddsaSignature()));
    const out = await signEddsa();
    expect(opened.map((o) => o.protocol)).toEqual(['frost-ed25519/sign']);
    expect(opened[0]!.opens.every((o) => o.premade === undefined && (o.premake ?? 0) > 0)).toBe(true);
    expect(verifiesWithNode(out.key.publicKeyDer!, out.signature, false)).toBe(true);
  });

  test('shares that do not combine: the stock is dropped and the request signed again in two rounds', async () => {
    await stock();
    scripts.push(
      (_, m) => everyone(m, { signatureShare: '00'.repeat(32), groupCommitment: '00'.repeat(32), request: '00'.repeat(32) }),
      (_, m) => everyone(m, eddsaSignature()),
    );
    const out = await signEddsa();
    expect(opened.map((o) => o.protocol)).toEqual(['frost-ed25519/sign-premade', 'frost-ed25519/sign']);
    expect(opened[0]!.opens[0]!.premade).toEqual([commitments(2, 1)[0], commitments(2, 2)[0]]);
    expect(coordinator.premade.count(EDDSA_KEY, 'party-1')).toBe(0);
    expect(verifiesWithNode(out.key.publicKeyDer!, out.signature, false)).toBe(true);
  });

  test("a signer that no longer holds its pair ('premade-unknown'): signed again in two rounds", async () => {
    await stock();
    scripts.push(
      () => failure({ kind: 'premade-unknown', reporter: 2 }),
      (_, m) => everyone(m, eddsaSignature()),
    );
    await signEddsa();
    expect(opened.map((o) => o.protocol)).toEqual(['frost-ed25519/sign-premade', 'frost-ed25519/sign']);
  });

  test('a policy denial on the pre-made path is not asked again in two rounds', async () => {
    await stock();
    scripts.push(() => failure({ kind: 'policy', reporter: 1 }));
    await expect(signEddsa()).rejects.toMatchObject({ type: 'AccessDeniedException' });
    expect(opened.map((o) => o.protocol)).toEqual(['frost-ed25519/sign-premade']);
  });
});
