// The cluster and client calls of the threshold ECDSA end-to-end files: tests/e2e/ecdsa.test.ts
// (keys, Sign and Verify, Ethereum and Bitcoin, a signer killed mid-signature: `npm test`) and
// tests/e2e/ecdsa-processes.slow.test.ts (every pair of signers, every party restarted, a party's
// health during a DKG, the OT-extension cheater banned, the operator refresh: `npm run test:slow`).
// Each jest file has its own module registry, so `ctx` is that file's cluster and client.
import { expect } from '@jest/globals';
import Sqlite from 'better-sqlite3';
import { CreateKeyCommand, SignCommand, VerifyCommand, type KMSClient, type KeySpec, type MessageType, type SigningAlgorithmSpec } from '@aws-sdk/client-kms';
import { sha256 } from '@noble/hashes/sha2.js';
import { paths } from '../../services/main/config.ts';
import { ACCOUNT, type TestCluster } from './cluster.ts';
import { isLowS, nobleVerifies, opensslVerifies, type EcdsaCurveName } from './ecdsa.ts';

export type SdkError = Error & { name: string; $metadata?: { httpStatusCode?: number } };
export type Key = { id: string; spki: Uint8Array; curve: EcdsaCurveName };

const ROOT = { Sid: 'root', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' };
export const KECCAK = 'ECDSA_KECCAK_256' as SigningAlgorithmSpec;
const keyPolicy = (signing: object) => JSON.stringify({ Version: '2012-10-17', Statement: [ROOT], TuttiSigningPolicy: signing });

/** This file's cluster and client (set in its beforeAll). */
export const ctx = {} as { cluster: TestCluster; kms: KMSClient };

export async function createKey(keySpec: string, policy?: object): Promise<string> {
  const out = await ctx.kms.send(
    new CreateKeyCommand({ KeySpec: keySpec as KeySpec, KeyUsage: 'SIGN_VERIFY', ...(policy ? { Policy: keyPolicy(policy) } : {}) }),
  );
  return out.KeyMetadata!.KeyId!;
}

export async function sign(keyId: string, message: Uint8Array, o: { algorithm?: SigningAlgorithmSpec; type?: MessageType } = {}): Promise<Uint8Array> {
  const out = await ctx.kms.send(
    new SignCommand({ KeyId: keyId, Message: message, MessageType: o.type ?? 'RAW', SigningAlgorithm: o.algorithm ?? 'ECDSA_SHA_256' }),
  );
  return out.Signature!;
}

export async function verifyApi(
  keyId: string,
  message: Uint8Array,
  signature: Uint8Array,
  o: { algorithm?: SigningAlgorithmSpec; type?: MessageType } = {},
): Promise<boolean> {
  try {
    const out = await ctx.kms.send(
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

/** The call must fail with the AWS error `type` (and, if given, a message matching `message`). */
export async function fails(p: Promise<unknown>, type: string, message?: RegExp): Promise<string> {
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
export async function signedAndChecked(key: Key, message: Uint8Array): Promise<Uint8Array> {
  const der = await sign(key.id, message);
  expect(opensslVerifies(key.spki, message, der)).toBe(true);
  expect(nobleVerifies(key.curve, key.spki, sha256(message), der, true)).toBe(true);
  expect(isLowS(key.curve, der)).toBe(true);
  return der;
}

/** Waits (up to 5 s) until `check` holds. */
export async function eventually(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached within 5 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Reads a party's shares.db (read-only) while the party runs. */
export function readDb<T>(partyId: string, fn: (db: Sqlite.Database) => T): T {
  const db = new Sqlite(paths.sharesDb(paths.partyDir(ctx.cluster.dataDir, partyId)), { readonly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}
