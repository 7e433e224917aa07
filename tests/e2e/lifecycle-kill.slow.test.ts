// HD derivation and import, kill -9 at each step (issue 15 items 3 and 5; the refresh, reshare and
// backup-restore matrices are refresh-kill*, reshare-kill*, backup-drill-kill and
// backup-restore-kill). Real party processes and the real gateway, through the SDK and the raw
// ImportKeyShares extension; every signature is checked with @noble under the key a client expects.
//
// Import is a DKG session on the imported sharing (services/party/import.ts), so its steps are the
// DKG's: before round 2 (nobody holds anything), and the last round (each party stored its new
// share pending, before its transcript confirmation leaves: FROST round 3, DKLs23 round 5). At each
// step one party stops (TUTTI_TEST_STALL) and then it or the gateway is killed -9. What must hold:
// the import fails with a retryable error (or the gateway never answers), no key is listed, every
// party ends up holding no share of a key the gateway does not know (the gateway purges a key
// left Creating at startup and tells the parties), and the same manifest and bundles imported again
// make the original public key, which signs. A party killed after the import answered still signs.
//
// HD derivation makes a child without a session (services/coordinator/derive-key.ts: the child's
// derivation record, then its key record), so its step is the gateway's write: the gateway is
// killed -9 while derived CreateKeys are in flight, several times at different moments; afterwards
// every listed key is a parent or a whole child (GetPublicKey equal to @scure/bip32 / the additive
// scheme from the parent's public key and chain code, Sign verifies under the child and not the
// parent) — never a record that would sign with the parent's key. A child's Sign is cut by kill -9
// of a signer and of the gateway in the middle of the session; after the restarts the child signs.
// Last, every process is killed -9 at once: parents, children and imported keys all still sign.
// Slow tier.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import Sqlite from 'better-sqlite3';
import {
  CreateKeyCommand,
  GetPublicKeyCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  SignCommand,
  type KMSClient,
  type KeySpec,
  type SigningAlgorithmSpec,
} from '@aws-sdk/client-kms';
import { HDKey } from '@scure/bip32';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { paths } from '../../services/main/config.ts';
import { deriveChild } from '../../protocols/core/hd-derivation.ts';
import { splitKey, type ImportManifest } from '../../protocols/import/split.ts';
import { sealBundle, type ImportBundle } from '../../protocols/import/bundle.ts';
import { rawRequest } from '../services/kms-api/support.ts';
import { REGION, TEST_CREDENTIALS, TestCluster } from '../support/cluster.ts';
import { nobleVerifies } from '../support/ecdsa.ts';

jest.setTimeout(600_000);

const PARTIES = ['party-1', 'party-2', 'party-3'];
const HARDHAT_0 = 'ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const RETRYABLE = ['KeyUnavailableException', 'DependencyTimeoutException', 'KMSInternalException', 'KMSInvalidStateException'];

type Spec = { keySpec: 'ECC_SECG_P256K1' | 'ECC_NIST_EDWARDS25519'; algorithm: SigningAlgorithmSpec };
const K1: Spec = { keySpec: 'ECC_SECG_P256K1', algorithm: 'ECDSA_SHA_256' };
const ED: Spec = { keySpec: 'ECC_NIST_EDWARDS25519', algorithm: 'ED25519_SHA_512' };

let cluster: TestCluster;
let kms: KMSClient;
const outcomes: string[] = [];

function readDb<T>(file: string, fn: (db: Sqlite.Database) => T): T {
  const d = new Sqlite(file, { readonly: true, fileMustExist: true });
  try {
    return fn(d);
  } finally {
    d.close();
  }
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every key id the gateway has a record of, whatever its state. */
const gatewayKeyIds = (): Set<string> =>
  readDb(paths.keysDb(paths.gatewayDir(cluster.dataDir)), (db) => new Set(db.prepare('SELECT key_id FROM keys').pluck().all() as string[]));

/** The key ids a party holds a share row of. */
const partyKeyIds = (partyId: string): string[] =>
  readDb(paths.sharesDb(paths.partyDir(cluster.dataDir, partyId)), (db) => db.prepare('SELECT DISTINCT key_id FROM shares').pluck().all() as string[]);

/** No party holds a share of a key the gateway does not know (once the gateway's deletions are confirmed). */
async function noOrphanShares(): Promise<void> {
  await waitFor('every share deletion confirmed', async () => (await cluster.health()).pendingShareDeletions === 0);
  const known = gatewayKeyIds();
  for (const p of PARTIES) expect({ party: p, orphans: partyKeyIds(p).filter((k) => !known.has(k)) }).toEqual({ party: p, orphans: [] });
}

async function listedKeys(): Promise<string[]> {
  return ((await kms.send(new ListKeysCommand({ Limit: 1000 }))).Keys ?? []).map((k) => k.KeyId!).sort();
}

const spki = async (keyId: string): Promise<Uint8Array> => (await kms.send(new GetPublicKeyCommand({ KeyId: keyId }))).PublicKey!;

/** Sign through the SDK (one retry while a restarted party warms up) and check with @noble under `publicKey` (SPKI). */
async function signsUnder(keyId: string, spec: Spec, publicKey: Uint8Array, text: string): Promise<Uint8Array> {
  const message = new TextEncoder().encode(`tutti lifecycle-kill: ${text}`);
  const send = () => kms.send(new SignCommand({ KeyId: keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: spec.algorithm }));
  const out = await send().catch((e: Error) => {
    if (!RETRYABLE.includes(e.name)) throw e;
    return send();
  });
  const sig = out.Signature!;
  const ok = spec === K1 ? nobleVerifies('secp256k1', publicKey, sha256(message), sig) : ed25519.verify(sig, message, publicKey.slice(-32), { zip215: false });
  expect({ keyId, text, verifies: ok }).toEqual({ keyId, text, verifies: true });
  return sig;
}

/** Waits until `partyId` logged that it stalls at `what` (TUTTI_TEST_STALL). */
async function stalled(partyId: string, what: string): Promise<void> {
  const p = cluster.parties.get(partyId)!;
  await waitFor(`${partyId} stalling before ${what}`, () => p.output().includes(`stalling before ${what}`), 120_000);
}

/** Restarts every stopped or stalled process without faults; resolves when all three parties are connected. */
async function restartAll(): Promise<void> {
  await cluster.restartGateway();
  for (const p of PARTIES) await cluster.restartParty(p);
  await cluster.waitConnected((ids) => PARTIES.every((p) => ids.includes(p)), 30_000);
}

// ---------------------------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------------------------

type Split = { spec: Spec; manifest: ImportManifest; bundles: ImportBundle[]; point: string };

function split(spec: Spec, secret: Uint8Array): Split {
  const rng = (n: number) => new Uint8Array(randomBytes(n));
  const { manifest, shares } = splitKey({ keySpec: spec.keySpec, secret, threshold: 2, parties: cluster.config.parties, rng });
  const bundles = PARTIES.map((_, i) => sealBundle(manifest, i + 1, shares.get(i + 1)!, rng));
  return { spec, manifest, bundles, point: manifest.publicKey };
}

/** ImportKeyShares; resolves with the status (0: no answer, the gateway died) and never rejects. */
function importShares(s: Split): Promise<{ status: number; json: Record<string, unknown> }> {
  const endpoint = { url: cluster.endpoint, host: cluster.endpoint.replace(/^http:\/\//, '') };
  const body = JSON.stringify({ KeySpec: s.spec.keySpec, Manifest: s.manifest, Bundles: s.bundles });
  return rawRequest(endpoint, { target: 'ImportKeyShares', body, region: REGION, ...TEST_CREDENTIALS }).then(
    (r) => ({ status: r.status, json: r.json as Record<string, unknown> }),
    (e: Error) => ({ status: 0, json: { message: e.message } }),
  );
}

/** The imported key's SPKI ends with the manifest's public key (uncompressed SEC1 for secp256k1). */
function isManifestKey(s: Split, der: Uint8Array): boolean {
  const hex = Buffer.from(der).toString('hex');
  if (s.spec === ED) return hex.endsWith(s.point);
  return hex.endsWith(secp256k1.Point.fromHex(s.point).toHex(false));
}

/** Imports `s` to the end, checks the public key is the manifest's and that it signs. */
async function importedAndSigns(s: Split, text: string): Promise<string> {
  const res = await importShares(s);
  expect({ status: res.status, body: res.json }).toMatchObject({ status: 200 });
  const keyId = (res.json.KeyMetadata as { KeyId: string }).KeyId;
  const der = await spki(keyId);
  expect(isManifestKey(s, der)).toBe(true);
  await signsUnder(keyId, s.spec, der, text);
  return keyId;
}

type ImportStep = 'before-shares' | 'pending';
type ImportCase = { spec: Spec; step: ImportStep; victim: 'party' | 'gateway' };
/** The DKG round a party stops before: round 2 (nothing stored), or the transcript round (new share stored pending). */
const stallRound = (c: ImportCase) => (c.step === 'before-shares' ? 2 : c.spec === ED ? 3 : 5);

async function importKillCase(c: ImportCase, s: Split): Promise<string> {
  const before = await listedKeys();
  const victimParty = 'party-3';
  const round = stallRound(c);
  await cluster.restartParty(victimParty, { TUTTI_TEST_STALL: `dkg:${round}` });
  const answer = importShares(s);
  await stalled(victimParty, `dkg round ${round}`);
  if (c.victim === 'party') await cluster.kill(victimParty);
  else await cluster.restartGateway();
  const res = await answer;
  // The party killed: the gateway answers with a retryable error; the gateway killed: no answer.
  if (c.victim === 'party') expect(RETRYABLE).toContain(res.json.__type);
  else expect(res.status).toBe(0);
  await restartAll();
  expect(await listedKeys()).toEqual(before);
  await noOrphanShares();
  // The same manifest and bundles, imported again, make the original key.
  const keyId = await importedAndSigns(s, `import retried after ${c.step}/${c.victim}`);
  return `${res.status ? String(res.json.__type) : 'no answer'}; retried import ${keyId.slice(0, 8)} signs`;
}

// ---------------------------------------------------------------------------------------------
// HD derivation
// ---------------------------------------------------------------------------------------------

type Parent = { spec: Spec; keyId: string; spki: Uint8Array; chainCode: Uint8Array };

async function createParent(spec: Spec): Promise<Parent> {
  const keyId = (await kms.send(new CreateKeyCommand({ KeySpec: spec.keySpec as KeySpec, KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!.KeyId!;
  const endpoint = { url: cluster.endpoint, host: cluster.endpoint.replace(/^http:\/\//, '') };
  const res = await rawRequest(endpoint, { target: 'GetKeyAttestation', body: JSON.stringify({ KeyId: keyId }), region: REGION, ...TEST_CREDENTIALS });
  const receipts = (res.json as { Receipts: { transcriptHash: string }[] }).Receipts;
  expect(new Set(receipts.map((r) => r.transcriptHash)).size).toBe(1);
  // docs/protocols.md "HD derivation": SHA-256("tutti/hd/chain-code/v1" ‖ DKG transcript hash).
  const chainCode = sha256(Buffer.concat([Buffer.from('tutti/hd/chain-code/v1'), Buffer.from(receipts[0]!.transcriptHash, 'hex')]));
  return { spec, keyId, spki: await spki(keyId), chainCode };
}

/** The child public key a client computes itself: @scure/bip32 for secp256k1, the additive scheme for Ed25519. */
function expectedChild(parent: Parent, path: string): Uint8Array {
  if (parent.spec === K1) {
    const point = secp256k1.Point.fromBytes(parent.spki.subarray(-65));
    let hd = new HDKey({ publicKey: point.toBytes(true), chainCode: parent.chainCode });
    for (const i of path.split('/').slice(1)) hd = hd.deriveChild(Number(i));
    return secp256k1.Point.fromBytes(hd.publicKey!).toBytes(false);
  }
  return deriveChild('ed25519', parent.spki.slice(-32), parent.chainCode, path).publicKey;
}

const deriveRequest = (parent: Parent, path: string) =>
  kms.send(
    new CreateKeyCommand({
      KeySpec: parent.spec.keySpec as KeySpec,
      KeyUsage: 'SIGN_VERIFY',
      Tags: [
        { TagKey: 'tutti:derive-from', TagValue: parent.keyId },
        { TagKey: 'tutti:path', TagValue: path },
      ],
    }),
  );

/** A listed child is whole: its public key is the one a client derives from its tag's path, and it signs under it, not under the parent. */
async function wholeChild(parent: Parent, keyId: string, text: string): Promise<string> {
  const tags = (await kms.send(new ListResourceTagsCommand({ KeyId: keyId }))).Tags ?? [];
  const path = tags.find((t) => t.TagKey === 'tutti:path')!.TagValue!;
  const der = await spki(keyId);
  expect(Buffer.from(der.slice(parent.spec === K1 ? -65 : -32)).toString('hex')).toBe(Buffer.from(expectedChild(parent, path)).toString('hex'));
  const sig = await signsUnder(keyId, parent.spec, der, text);
  const message = new TextEncoder().encode(`tutti lifecycle-kill: ${text}`);
  const underParent = parent.spec === K1 ? nobleVerifies('secp256k1', parent.spki, sha256(message), sig) : ed25519.verify(sig, message, parent.spki.slice(-32));
  expect(underParent).toBe(false);
  return path;
}

// ---------------------------------------------------------------------------------------------

const parents: Parent[] = [];
const imported: { keyId: string; s: Split }[] = [];

beforeAll(async () => {
  cluster = await new TestCluster().start({
    gatewayEnv: { TUTTI_ROUND_TIMEOUT_MS: '30000', TUTTI_DKG_ROUND_TIMEOUT_MS: '120000', TUTTI_DEVICE_WAIT_MS: '0' },
    partyEnv: { TUTTI_SESSION_TTL_MS: '300000' },
  });
  kms = cluster.client();
});

afterAll(async () => {
  console.log(`[e2e] lifecycle-kill: ${outcomes.join('; ')}`);
  kms?.destroy();
  await cluster?.stop();
});

describe('import (ImportKeyShares): kill -9 at each step', () => {
  const CASES: ImportCase[] = [
    { spec: ED, step: 'before-shares', victim: 'party' },
    { spec: ED, step: 'before-shares', victim: 'gateway' },
    { spec: ED, step: 'pending', victim: 'party' },
    { spec: ED, step: 'pending', victim: 'gateway' },
    { spec: K1, step: 'pending', victim: 'party' },
    { spec: K1, step: 'before-shares', victim: 'gateway' },
  ];
  test.each(
    CASES.map((c) => [`${c.spec.keySpec}: stop before ${c.step === 'pending' ? 'the transcript round' : 'round 2'}, kill -9 of the ${c.victim}`, c] as const),
  )('%s: no key and no share left behind; the same bundles imported again make the original key, which signs', async (_name, c) => {
    const s = c.spec === ED ? split(ED, ed25519.utils.randomSecretKey()) : split(K1, Buffer.from(HARDHAT_0, 'hex'));
    const t0 = Date.now();
    outcomes.push(`import ${c.spec.keySpec} ${c.step}/${c.victim}: ${await importKillCase(c, s)} (${Date.now() - t0} ms)`);
  });

  test('an imported key whose parties are killed -9 after the answer still signs under the original key', async () => {
    const s = split(ED, ed25519.utils.randomSecretKey());
    const keyId = await importedAndSigns(s, 'imported');
    imported.push({ keyId, s });
    for (const p of PARTIES) await cluster.restartParty(p);
    await signsUnder(keyId, ED, await spki(keyId), 'imported, parties restarted');
  });
});

describe('HD derivation: kill -9 at each step', () => {
  beforeAll(async () => {
    parents.push(await createParent(K1), await createParent(ED));
  });

  test('the gateway killed -9 while derived CreateKeys are in flight (three moments): every listed key is a parent or a whole child', async () => {
    const answered = new Map<string, string>();
    const errors = new Set<string>();
    // The moment: once 1, 4 or 9 of the round's 12 requests were answered, the others in flight.
    for (const [round, after] of [1, 4, 9].entries()) {
      let n = 0;
      const requests = parents.flatMap((parent) =>
        Array.from({ length: 6 }, (_, i) => {
          const path = `m/${round}/${i}`;
          return deriveRequest(parent, path).then(
            (out) => {
              answered.set(out.KeyMetadata!.KeyId!, path);
              n++;
            },
            (e: Error) => void errors.add(e.name),
          );
        }),
      );
      await waitFor(`${after} derived CreateKeys answered`, () => n >= after, 30_000);
      await cluster.restartGateway();
      await Promise.all(requests);
    }
    await cluster.waitConnected((ids) => PARTIES.every((p) => ids.includes(p)), 30_000);
    // A child whose CreateKey was answered exists; every listed key is a parent, an imported key or a whole child.
    const listed = await listedKeys();
    for (const id of answered.keys()) expect(listed).toContain(id);
    const others = new Set([...parents.map((p) => p.keyId), ...imported.map((i) => i.keyId)]);
    let children = 0;
    for (const id of listed.filter((k) => !others.has(k))) {
      const tags = (await kms.send(new ListResourceTagsCommand({ KeyId: id }))).Tags ?? [];
      const from = tags.find((t) => t.TagKey === 'tutti:derive-from')?.TagValue;
      if (!from) continue; // a key made by an import case above
      const parent = parents.find((p) => p.keyId === from)!;
      await wholeChild(parent, id, `child ${id.slice(0, 8)} after the gateway kills`);
      children++;
    }
    outcomes.push(`derive: ${answered.size} of 36 answered (others: ${[...errors].join(', ')}), ${children} children listed, all whole`);
    expect(children).toBeGreaterThanOrEqual(answered.size);
  });

  test.each([
    ['a signer', 1],
    ['a signer', 'last'],
    ['the gateway', 1],
  ] as const)('a child Sign cut by kill -9 of %s before sign round %s: after the restarts the child signs', async (victim, at) => {
    for (const parent of parents) {
      const out = await deriveRequest(parent, 'm/7/7');
      const child = out.KeyMetadata!.KeyId!;
      const der = await spki(child);
      // party-3 down: every Sign runs on party-1 and party-2, so the stalled party-2 is in it.
      await cluster.kill('party-3');
      await cluster.waitConnected((ids) => !ids.includes('party-3'));
      const round = at === 'last' ? (parent.spec === K1 ? 4 : 2) : 1; // DKLs23: 3 message-independent rounds + the online round; FROST: 2
      await cluster.restartParty('party-2', { TUTTI_TEST_STALL: `sign:${round}` });
      const message = new TextEncoder().encode('cut');
      const signing = kms.send(new SignCommand({ KeyId: child, Message: message, MessageType: 'RAW', SigningAlgorithm: parent.spec.algorithm })).then(
        () => 'signed',
        (e: Error) => e.name,
      );
      await stalled('party-2', `sign round ${round}`);
      if (victim === 'a signer') await cluster.kill('party-2');
      else await cluster.restartGateway();
      const first = await signing;
      // One signer left, or the gateway gone: no signature; never a wrong one.
      expect(first).not.toBe('signed');
      await restartAll();
      await signsUnder(child, parent.spec, der, `${parent.spec.keySpec} child after ${victim} killed at sign round ${round}`);
      outcomes.push(`child sign ${parent.spec.keySpec} ${victim}@${round}: ${first}, then signs`);
    }
  });
});

test('every process killed -9 at once: parents, children and imported keys still sign under the keys a client expects', async () => {
  const children = await Promise.all(parents.map(async (p) => ({ p, id: (await deriveRequest(p, 'm/9/1')).KeyMetadata!.KeyId! })));
  await Promise.all(PARTIES.map((p) => cluster.kill(p)));
  await restartAll();
  for (const p of parents) await signsUnder(p.keyId, p.spec, p.spki, `parent ${p.spec.keySpec} after all killed`);
  for (const { p, id } of children) await wholeChild(p, id, `child ${p.spec.keySpec} after all killed`);
  for (const { keyId, s } of imported) {
    const der = await spki(keyId);
    expect(isManifestKey(s, der)).toBe(true);
    await signsUnder(keyId, s.spec, der, 'imported after all killed');
  }
  await noOrphanShares();
});
