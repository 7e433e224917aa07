// Threshold ECDSA end to end (issue 4): 2-of-3 secp256k1 and P-256 keys made by DKLs23 in real party
// processes, driven through @aws-sdk/client-kms. Every signature is checked with node:crypto and
// noble using only the SPKI from GetPublicKey, is low-S, and Verify takes it (and its high-S twin).
// Ethereum (viem: an EIP-1559 transaction and an EIP-191 message, the recovered address equals the
// one computed from GetPublicKey) and Bitcoin (a SHA-256d digest). Each pair of parties signs; the
// keys survive a restart of every party; a signer killed mid-signature leaves nothing behind; a
// party stays responsive while its DKG's base OTs run in worker threads; and a party that cheats in
// the OT extension is banned — durably, by the party that caught it — and never signs that key with
// it again.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { createHash, createPublicKey } from 'node:crypto';
import Sqlite from 'better-sqlite3';
import {
  CreateKeyCommand,
  DescribeKeyCommand,
  GetPublicKeyCommand,
  type KMSClient,
  SignCommand,
  VerifyCommand,
  type KeySpec,
  type MessageType,
  type SigningAlgorithmSpec,
} from '@aws-sdk/client-kms';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  hashMessage,
  keccak256,
  parseEther,
  parseTransaction,
  recoverAddress,
  recoverMessageAddress,
  recoverTransactionAddress,
  serializeTransaction,
  toPrefixedMessage,
  verifyMessage,
  type Hex,
  type TransactionSerializableEIP1559,
} from 'viem';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { paths } from '../../services/main/config.ts';
import { CLI } from '../../services/main/cluster.ts';
import { ACCOUNT, TestCluster } from '../support/cluster.ts';
import {
  SPKI_PREFIX,
  ethAddress,
  ethSignature,
  highS,
  isLowS,
  nobleVerifies,
  opensslVerifies,
  pointOf,
  widePolicy,
  type EcdsaCurveName,
} from '../support/ecdsa.ts';

jest.setTimeout(300_000);

type SdkError = Error & { name: string; $metadata?: { httpStatusCode?: number } };

const ROOT = { Sid: 'root', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' };
const KECCAK = 'ECDSA_KECCAK_256' as SigningAlgorithmSpec;
const keyPolicy = (signing: object) => JSON.stringify({ Version: '2012-10-17', Statement: [ROOT], TuttiSigningPolicy: signing });

let cluster: TestCluster;
let kms: KMSClient;
type Key = { id: string; spki: Uint8Array; curve: EcdsaCurveName };
const keys = {} as { k1: Key; p256: Key; ed: string };
/** The secp256k1 key made while a party's health was polled; the ban and refresh cases reuse it (one DKG fewer). */
let fresh: Key | undefined;

async function createKey(keySpec: string, policy?: object): Promise<string> {
  const out = await kms.send(new CreateKeyCommand({ KeySpec: keySpec as KeySpec, KeyUsage: 'SIGN_VERIFY', ...(policy ? { Policy: keyPolicy(policy) } : {}) }));
  return out.KeyMetadata!.KeyId!;
}

async function sign(keyId: string, message: Uint8Array, o: { algorithm?: SigningAlgorithmSpec; type?: MessageType } = {}): Promise<Uint8Array> {
  const out = await kms.send(
    new SignCommand({ KeyId: keyId, Message: message, MessageType: o.type ?? 'RAW', SigningAlgorithm: o.algorithm ?? 'ECDSA_SHA_256' }),
  );
  return out.Signature!;
}

async function verifyApi(
  keyId: string,
  message: Uint8Array,
  signature: Uint8Array,
  o: { algorithm?: SigningAlgorithmSpec; type?: MessageType } = {},
): Promise<boolean> {
  try {
    const out = await kms.send(
      new VerifyCommand({
        KeyId: keyId,
        Message: message,
        MessageType: o.type ?? 'RAW',
        Signature: signature,
        SigningAlgorithm: o.algorithm ?? 'ECDSA_SHA_256',
      }),
    );
    return out.SignatureValid === true;
  } catch (e) {
    if ((e as SdkError).name === 'KMSInvalidSignatureException') return false;
    throw e;
  }
}

async function fails(p: Promise<unknown>, type: string, message?: RegExp): Promise<string> {
  const err = await p.then(
    (ok) => {
      throw new Error(`expected ${type}, got ${JSON.stringify(ok)}`);
    },
    (e: SdkError) => e,
  );
  expect(err.name).toBe(type);
  if (message) expect(err.message).toMatch(message);
  return err.message;
}

/** A RAW ECDSA_SHA_256 signature of `message` by `key`, checked every way a client can. */
async function signedAndChecked(key: Key, message: Uint8Array): Promise<Uint8Array> {
  const der = await sign(key.id, message);
  expect(opensslVerifies(key.spki, message, der)).toBe(true);
  expect(nobleVerifies(key.curve, key.spki, sha256(message), der, true)).toBe(true);
  expect(isLowS(key.curve, der)).toBe(true);
  return der;
}

/** Waits (up to 5 s) until `check` holds. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached within 5 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function readDb<T>(partyId: string, fn: (db: Sqlite.Database) => T): T {
  const db = new Sqlite(paths.sharesDb(paths.partyDir(cluster.dataDir, partyId)), { readonly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  cluster = await new TestCluster().start();
  kms = cluster.client();
  const [k1, p, ed] = await Promise.all([
    createKey('ECC_SECG_P256K1', widePolicy('ECC_SECG_P256K1')),
    createKey('ECC_NIST_P256', widePolicy('ECC_NIST_P256')),
    createKey('ECC_NIST_EDWARDS25519'),
  ]);
  const spkiOf = async (id: string) => (await kms.send(new GetPublicKeyCommand({ KeyId: id }))).PublicKey!;
  keys.k1 = { id: k1!, spki: await spkiOf(k1!), curve: 'secp256k1' };
  keys.p256 = { id: p!, spki: await spkiOf(p!), curve: 'p256' };
  keys.ed = ed!;
});

afterAll(async () => {
  kms?.destroy();
  await cluster?.stop();
});

const both = () => [keys.k1, keys.p256];

describe('keys', () => {
  test('DescribeKey: 2-of-3 ECC_SECG_P256K1 (ECDSA_SHA_256 and the Keccak extension) and ECC_NIST_P256 (ECDSA_SHA_256)', async () => {
    const md1 = (await kms.send(new DescribeKeyCommand({ KeyId: keys.k1.id }))).KeyMetadata!;
    expect(md1).toMatchObject({
      KeySpec: 'ECC_SECG_P256K1',
      KeyUsage: 'SIGN_VERIFY',
      KeyState: 'Enabled',
      SigningAlgorithms: ['ECDSA_SHA_256', 'ECDSA_KECCAK_256'],
    });
    const md2 = (await kms.send(new DescribeKeyCommand({ KeyId: keys.p256.id }))).KeyMetadata!;
    expect(md2).toMatchObject({ KeySpec: 'ECC_NIST_P256', SigningAlgorithms: ['ECDSA_SHA_256'] });
  });

  test('GetPublicKey: DER SubjectPublicKeyInfo with the uncompressed point, which node:crypto reads as the named curve', () => {
    for (const [key, bytes, named] of [
      [keys.k1, 88, 'secp256k1'],
      [keys.p256, 91, 'prime256v1'],
    ] as const) {
      expect(key.spki).toHaveLength(bytes);
      expect(Buffer.from(key.spki.subarray(0, key.spki.length - 65)).toString('hex')).toBe(SPKI_PREFIX[key.curve]);
      expect(pointOf(key.spki)[0]).toBe(0x04);
      const k = createPublicKey({ key: Buffer.from(key.spki), format: 'der', type: 'spki' });
      expect(k.asymmetricKeyDetails?.namedCurve).toBe(named);
    }
  });
});

describe('Sign and Verify', () => {
  test('RAW ECDSA_SHA_256: DER, low-S, verified by node:crypto and by noble over SHA-256(message), on both curves', async () => {
    for (const key of both()) {
      for (const message of [new TextEncoder().encode('hello'), new Uint8Array(4096).fill(0xa5), new Uint8Array([0])]) {
        const der = await signedAndChecked(key, message);
        expect(der[0]).toBe(0x30);
        expect(der.length).toBeGreaterThanOrEqual(8);
        expect(der.length).toBeLessThanOrEqual(72);
      }
    }
  });

  test('DIGEST ECDSA_SHA_256: the 32 bytes as given (noble, prehash off); Verify takes the digest and, as RAW, the message', async () => {
    for (const key of both()) {
      const message = new TextEncoder().encode(`digest me on ${key.curve}`);
      const digest = sha256(message);
      const der = await sign(key.id, digest, { type: 'DIGEST' });
      expect(nobleVerifies(key.curve, key.spki, digest, der, true)).toBe(true);
      // Over the message, OpenSSL agrees: a message and its SHA-256 digest are the same thing to ECDSA_SHA_256.
      expect(opensslVerifies(key.spki, message, der)).toBe(true);
      expect(await verifyApi(key.id, digest, der, { type: 'DIGEST' })).toBe(true);
      expect(await verifyApi(key.id, message, der)).toBe(true);
      await fails(sign(key.id, digest.subarray(0, 31), { type: 'DIGEST' }), 'ValidationException', /^Digest is invalid length for algorithm ECDSA_SHA_256\.$/);
    }
  });

  test('Verify accepts the signature and its high-S twin, and refuses a flipped bit, another message, another key', async () => {
    for (const key of both()) {
      const message = new TextEncoder().encode('verify me');
      const der = await sign(key.id, message);
      const high = highS(key.curve, der);
      expect(isLowS(key.curve, high)).toBe(false);
      expect(opensslVerifies(key.spki, message, high)).toBe(true);
      expect(await verifyApi(key.id, message, der)).toBe(true);
      expect(await verifyApi(key.id, message, high)).toBe(true);
      const flipped = Uint8Array.from(der);
      flipped[flipped.length - 1]! ^= 1;
      expect(await verifyApi(key.id, message, flipped)).toBe(false);
      expect(await verifyApi(key.id, new TextEncoder().encode('verify you'), der)).toBe(false);
      expect(await verifyApi(key === keys.k1 ? keys.p256.id : keys.k1.id, message, der)).toBe(false);
    }
  });

  test('the wrong algorithm for the key spec is InvalidKeyUsageException, in AWS words', async () => {
    await fails(
      sign(keys.p256.id, new Uint8Array(32), { algorithm: KECCAK }),
      'InvalidKeyUsageException',
      /^Algorithm ECDSA_KECCAK_256 is incompatible with key spec ECC_NIST_P256\.$/,
    );
    await fails(
      sign(keys.k1.id, new Uint8Array(32), { algorithm: 'ECDSA_SHA_384' }),
      'InvalidKeyUsageException',
      /^Algorithm ECDSA_SHA_384 is incompatible with key spec ECC_SECG_P256K1\.$/,
    );
    await fails(sign(keys.k1.id, new Uint8Array(32), { algorithm: 'ED25519_SHA_512' }), 'InvalidKeyUsageException');
  });
});

describe('Ethereum (viem) and Bitcoin', () => {
  const tx: TransactionSerializableEIP1559 = {
    type: 'eip1559',
    chainId: 11155111,
    nonce: 3,
    to: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8',
    value: parseEther('0.01'),
    maxPriorityFeePerGas: 1_500_000_000n,
    maxFeePerGas: 40_000_000_000n,
    gas: 21_000n,
  };

  test('an EIP-1559 transaction: ECDSA_KECCAK_256 over the unsigned serialization; viem recovers the address of GetPublicKey', async () => {
    const address = ethAddress(keys.k1.spki);
    const unsigned = serializeTransaction(tx);
    const der = await sign(keys.k1.id, Buffer.from(unsigned.slice(2), 'hex'), { algorithm: KECCAK });
    expect(isLowS('secp256k1', der)).toBe(true);
    const hash = keccak256(unsigned);
    expect(nobleVerifies('secp256k1', keys.k1.spki, Buffer.from(hash.slice(2), 'hex'), der, true)).toBe(true);
    const signed = serializeTransaction(tx, await ethSignature(der, hash, address));
    expect(parseTransaction(signed)).toMatchObject({ chainId: tx.chainId, to: tx.to, value: tx.value, nonce: tx.nonce });
    expect((await recoverTransactionAddress({ serializedTransaction: signed as `0x02${string}` })).toLowerCase()).toBe(address.toLowerCase());
    // Verify over the same RAW bytes under the same algorithm.
    expect(await verifyApi(keys.k1.id, Buffer.from(unsigned.slice(2), 'hex'), der, { algorithm: KECCAK })).toBe(true);
  });

  test('the same transaction as a DIGEST of its Keccak-256 hash, under ECDSA_KECCAK_256 and under ECDSA_SHA_256 (what AWS Ethereum signers send)', async () => {
    const address = ethAddress(keys.k1.spki);
    const hash = keccak256(serializeTransaction({ ...tx, nonce: 4 }));
    for (const algorithm of [KECCAK, 'ECDSA_SHA_256' as const]) {
      const der = await sign(keys.k1.id, Buffer.from(hash.slice(2), 'hex'), { algorithm, type: 'DIGEST' });
      const sig = await ethSignature(der, hash, address);
      expect(await recoverAddress({ hash, signature: sig })).toBe(address);
      expect(isLowS('secp256k1', der)).toBe(true);
    }
  });

  test('an EIP-191 personal message: ECDSA_KECCAK_256 over the prefixed bytes; viem recovers and verifies it', async () => {
    const address = ethAddress(keys.k1.spki);
    const text = 'Sign in to tutti.example\nNonce: 0123456789abcdef';
    const prefixed = toPrefixedMessage(text);
    const der = await sign(keys.k1.id, Buffer.from(prefixed.slice(2), 'hex'), { algorithm: KECCAK });
    const sig = await ethSignature(der, hashMessage(text), address);
    const serialized = `0x${sig.r.slice(2)}${sig.s.slice(2)}${sig.yParity ? '1c' : '1b'}` as Hex;
    expect(await recoverMessageAddress({ message: text, signature: serialized })).toBe(address);
    expect(await verifyMessage({ address, message: text, signature: serialized })).toBe(true);
  });

  test('Bitcoin: a SHA-256d digest signed as DIGEST verifies (noble, prehash off) and is low-S', async () => {
    const preimage = new TextEncoder().encode('a BIP-143 sighash preimage stands here');
    const sighash = createHash('sha256').update(createHash('sha256').update(preimage).digest()).digest();
    const der = await sign(keys.k1.id, sighash, { type: 'DIGEST' });
    expect(nobleVerifies('secp256k1', keys.k1.spki, sighash, der, true)).toBe(true);
    expect(isLowS('secp256k1', der)).toBe(true);
    expect(await verifyApi(keys.k1.id, sighash, der, { type: 'DIGEST' })).toBe(true);
  });
});

describe('parties', () => {
  test('each pair of parties signs: one party stopped at a time', async () => {
    for (const stopped of ['party-1', 'party-2', 'party-3']) {
      await cluster.kill(stopped);
      await cluster.waitConnected((ids) => !ids.includes(stopped));
      for (const key of both()) await signedAndChecked(key, new TextEncoder().encode(`without ${stopped}`));
      await cluster.startParty(stopped);
      await cluster.waitConnected((ids) => ids.includes(stopped));
    }
    // Each party's audit log shows it signed with both of the others.
    const pairs = new Set<string>();
    for (const p of ['party-1', 'party-2', 'party-3']) {
      readDb(p, (db) =>
        db.prepare<[string], { detail: string }>(`SELECT detail FROM audit_log WHERE key_id = ? AND event = 'sign' AND decision = 'allow'`).all(keys.k1.id),
      ).forEach((r) => pairs.add((JSON.parse(r.detail) as { signers: number[] }).signers.join('-')));
    }
    expect([...pairs].sort()).toEqual(['1-2', '1-3', '2-3']);
  });

  test('a party keeps answering while it runs a DKLs23 key generation (base OTs in worker threads)', async () => {
    const port = await cluster.partyPort('party-1');
    let done = false;
    const creating = createKey('ECC_SECG_P256K1').finally(() => {
      done = true;
    });
    const health: { ms: number; sessions: number }[] = [];
    const edSigns: number[] = [];
    const poll = (async () => {
      while (!done) {
        const t0 = performance.now();
        const h = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { sessions: number };
        health.push({ ms: performance.now() - t0, sessions: h.sessions });
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    const other = (async () => {
      while (!done) {
        const t0 = performance.now();
        await kms.send(new SignCommand({ KeyId: keys.ed, Message: new TextEncoder().encode('meanwhile'), SigningAlgorithm: 'ED25519_SHA_512' }));
        edSigns.push(performance.now() - t0);
      }
    })();
    const keyId = await creating;
    await Promise.all([poll, other]);
    const during = health.filter((h) => h.sessions > 0);
    expect(during.length).toBeGreaterThan(10);
    expect(edSigns.length).toBeGreaterThan(3);
    // The DKG takes seconds of CPU per party (round 3 alone ≈ 0.8 s in one piece); /healthz and
    // another key's signatures do not wait for it. The bound leaves room for a loaded CI machine
    // (950 ms was seen with load 10 on 2 cores), not for a DKG round on the event loop.
    const worst = Math.max(...during.map((h) => h.ms));
    expect(worst).toBeLessThan(1_500);
    expect(Math.max(...edSigns)).toBeLessThan(2_000);
    fresh = { id: keyId, spki: (await kms.send(new GetPublicKeyCommand({ KeyId: keyId }))).PublicKey!, curve: 'secp256k1' };
    await signedAndChecked(fresh, new TextEncoder().encode('new key'));
  });

  test('a signer killed during a signature: each Sign completes with the other parties or fails cleanly; nothing is left behind', async () => {
    const message = new TextEncoder().encode('interrupted');
    // The coordinator picks parties 1 and 2; party 2 dies while the signatures run.
    const signs = Array.from({ length: 4 }, () =>
      sign(keys.k1.id, message).then(
        (der) => ({ der }),
        (e: SdkError) => ({ error: e }),
      ),
    );
    await new Promise((r) => setTimeout(r, 40));
    await cluster.kill('party-2');
    for (const r of await Promise.all(signs)) {
      if ('der' in r) expect(opensslVerifies(keys.k1.spki, message, r.der)).toBe(true);
      else expect(['KeyUnavailableException', 'DependencyTimeoutException']).toContain(r.error.name);
    }
    await cluster.waitConnected((ids) => !ids.includes('party-2'));
    // Nothing is left running or pending: no session at the gateway or the live parties, no pending share.
    // (Background presign sessions, refilling the stock after these Signs, end within moments.)
    await eventually(async () => (await cluster.health()).sessions === 0);
    for (const p of ['party-1', 'party-3']) {
      await eventually(async () => (await cluster.partyHealth(p)).sessions === 0);
      expect(readDb(p, (db) => db.prepare(`SELECT count(*) AS n FROM shares WHERE state = 'pending'`).get())).toEqual({ n: 0 });
    }
    await signedAndChecked(keys.k1, message);
    await cluster.startParty('party-2');
    await cluster.waitConnected((ids) => ids.includes('party-2'));
    for (const key of both()) await signedAndChecked(key, message);
  });

  test('restart every party: the keys still sign', async () => {
    for (const p of ['party-1', 'party-2', 'party-3']) await cluster.kill(p);
    await cluster.waitConnected((ids) => ids.length === 0);
    await Promise.all(['party-1', 'party-2', 'party-3'].map((p) => cluster.startParty(p)));
    await cluster.waitConnected((ids) => ids.length === 3);
    for (const key of both()) await signedAndChecked(key, new TextEncoder().encode('after a restart'));
  });
});

describe('bans and refresh (last: party-3 cheats for a while)', () => {
  let banned: Key;

  test('a party caught cheating in the OT extension is banned for the key by the party that caught it, durably; the coordinator signs without it', async () => {
    // A secp256k1 key no other case signs with from here on: the one made during the health poll
    // (no party has banned anyone for it yet), or a new one if that case did not get that far.
    let key = fresh;
    if (!key) {
      const id = await createKey('ECC_SECG_P256K1');
      key = { id, spki: (await kms.send(new GetPublicKeyCommand({ KeyId: id }))).PublicKey!, curve: 'secp256k1' };
    }
    const keyId = key.id;
    banned = key;
    const message = new TextEncoder().encode('ban me');
    await cluster.restartParty('party-3', { TUTTI_TEST_TAMPER: 'sign:2' });

    // Only parties 1 and 3 are up: party 1 catches party 3's corrupted OT-extension message and bans it.
    await cluster.kill('party-2');
    await cluster.waitConnected((ids) => !ids.includes('party-2'));
    await fails(sign(key.id, message), 'KeyUnavailableException', /party 1 \(party-1\) banned party 3 \(party-3\).*cli\.ts refresh --key ID --lift-bans/);
    const bans = readDb('party-1', (db) => db.prepare(`SELECT key_id, peer_index, peer_id, reason FROM bans`).all()) as {
      key_id: string;
      peer_index: number;
      peer_id: string;
      reason: string;
    }[];
    expect(bans).toEqual([{ key_id: keyId, peer_index: 3, peer_id: 'party-3', reason: expect.stringMatching(/^\[ban\] /) }]);

    // Parties 1 and 2 still sign; so would 2 and 3, but party 2 then catches party 3 too.
    await cluster.startParty('party-2');
    await cluster.waitConnected((ids) => ids.includes('party-2'));
    await signedAndChecked(key, message);
    await cluster.kill('party-1');
    await cluster.waitConnected((ids) => !ids.includes('party-1'));
    await fails(sign(key.id, message), 'KeyUnavailableException', /party 2 \(party-2\) banned party 3 \(party-3\)/);

    // Party 3 honest again, every process restarted (the gateway forgets what it learned): the bans
    // hold at the parties, which refuse at the open, before their signing policy is even asked.
    await cluster.restartParty('party-3');
    await cluster.startParty('party-1');
    await cluster.waitConnected((ids) => ids.length === 3);
    await cluster.restartGateway();
    await signedAndChecked(key, message);
    const decisionsBefore = readDb('party-1', (db) => db.prepare(`SELECT count(*) AS n FROM audit_log WHERE key_id = ? AND event = 'sign'`).get(keyId));
    await cluster.kill('party-2');
    await cluster.waitConnected((ids) => !ids.includes('party-2'));
    await fails(sign(key.id, message), 'KeyUnavailableException', /party 1 \(party-1\) banned party 3 \(party-3\)/);
    expect(readDb('party-1', (db) => db.prepare(`SELECT count(*) AS n FROM audit_log WHERE key_id = ? AND event = 'sign'`).get(keyId))).toEqual(
      decisionsBefore,
    );
    // Other keys are not affected: parties 1 and 3 sign them.
    await signedAndChecked(keys.p256, message);
    await cluster.startParty('party-2');
    await cluster.waitConnected((ids) => ids.includes('party-2'));
  });

  /** The gateway's admin call, as `cli.ts refresh` makes it. */
  const refresh = async (keyId: string, liftBans: boolean, token?: string) => {
    const res = await fetch(`${cluster.endpoint}/admin/refresh-key`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token ?? readFileSync(join(cluster.dataDir, 'gateway', 'admin.token'), 'utf8').trim()}`,
      },
      body: JSON.stringify({ keyId, liftBans }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const shareVersions = (partyId: string, keyId: string) =>
    readDb(partyId, (db) => db.prepare(`SELECT version, state FROM shares WHERE key_id = ? ORDER BY version`).all(keyId));
  const bansAt = (partyId: string, keyId: string) => readDb(partyId, (db) => db.prepare(`SELECT peer_index FROM bans WHERE key_id = ?`).all(keyId));

  test('a refresh (operator action, not KMS) replaces every share and all OT state and keeps the public key; bans stay unless lifted', async () => {
    const message = new TextEncoder().encode('after a refresh');
    expect(await cluster.connectedParties()).toHaveLength(3);
    // Refused: no token, a party offline. (Ed25519 keys are refreshed too: tests/e2e/frost-refresh.test.ts.)
    expect((await refresh(banned.id, false, '0'.repeat(64))).status).toBe(403);
    await cluster.kill('party-2');
    await cluster.waitConnected((ids) => !ids.includes('party-2'));
    expect(await refresh(banned.id, false)).toMatchObject({
      status: 409,
      body: { error: 'KeyUnavailableException', message: expect.stringMatching(/party-2/) },
    });
    await cluster.startParty('party-2');
    await cluster.waitConnected((ids) => ids.includes('party-2'));

    // Refresh, bans kept: version 2 replaces version 1 at every party; the same key signs.
    const kept = await refresh(banned.id, false);
    expect(kept).toMatchObject({ status: 200, body: { keyId: banned.id, bansLifted: false } });
    for (const p of ['party-1', 'party-2', 'party-3']) expect(shareVersions(p, banned.id)).toEqual([{ version: 2, state: 'active' }]);
    expect(bansAt('party-1', banned.id)).toEqual([{ peer_index: 3 }]);
    await signedAndChecked(banned, message);

    // Through the CLI, with --lift-bans: parties 1 and 3 (and 2 and 3) sign together again.
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', CLI, 'refresh', '--key', banned.id, '--lift-bans', '--data', cluster.dataDir, '--endpoint', cluster.endpoint],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(out)).toMatchObject({ keyId: banned.id, bansLifted: true, parties: ['party-1', 'party-2', 'party-3'] });
    for (const p of ['party-1', 'party-2', 'party-3']) {
      expect(shareVersions(p, banned.id)).toEqual([{ version: 3, state: 'active' }]);
      expect(bansAt(p, banned.id)).toEqual([]);
    }
    for (const stopped of ['party-2', 'party-1']) {
      await cluster.kill(stopped);
      await cluster.waitConnected((ids) => !ids.includes(stopped));
      await signedAndChecked(banned, message);
      await cluster.startParty(stopped);
      await cluster.waitConnected((ids) => ids.includes(stopped));
    }
    expect((await kms.send(new GetPublicKeyCommand({ KeyId: banned.id }))).PublicKey).toEqual(banned.spki);
  });
});
