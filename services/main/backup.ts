// The operator's side of backup and recovery (docs/operations.md "Backup and recovery drill"):
// files in, files out; the cryptography is protocols/backup/.
//
//   recovery-init    the operator's recovery seed (a secret file, kept offline) → one recovery
//                    public key per curve (a public file every party operator gets)
//   backup-export    at a party: each active share encrypted to the recovery key of its curve, with
//                    proofs, plus what the share is besides its scalar (meta, public part, the
//                    key's signing policy revisions); never the scalar in clear
//   backup-verify    anywhere: the proofs against the verification shares, without the seed (those
//                    of another holder's folder, or fetched from the gateway with --endpoint)
//   backup-restore   on the new machine, with the seed: decrypt, check x_j·G = X_j, and install the
//                    share in the new party's store (its own identity); a ReshareKey then moves
//                    the key onto the new party (the restored share deals as the lost one's).
//                    A DKLs23 share is restored dealer-only (no OT material): it deals, never signs.
import { createPublicKey, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  BACKUP_CURVES,
  BackupProofError,
  RECOVERY_SEED_BYTES,
  recoveryKeyFromSeed,
  type BackupCurveName,
} from '../../protocols/backup/verifiable-encryption.ts';
import { BACKUP_CURVE_OF, backupShare, restoreShare, verifyShareBackup, type ShareBackup } from '../../protocols/backup/share-backup.ts';
import { bytesToHex, fromHex } from '../../protocols/core/bytes.ts';
import { openDatabase } from '../storage/db.ts';
import { readPublicIdentityFile } from '../storage/identity-file.ts';
import { loadMasterKey } from '../storage/master-key.ts';
import { PolicyStore, type StoredRevision } from '../storage/policy-store.ts';
import { readSecretJson, writeSecretFile } from '../storage/secret-file.ts';
import { ShareStore } from '../storage/share-store.ts';
import type { KeyMeta } from '../party/party-options.ts';
import { paths } from './config.ts';

export const SEED_FORMAT = 'tutti-recovery-seed/1';
export const RECOVERY_PUBLIC_FORMAT = 'tutti-recovery-public/1';
export const BACKUP_FORMAT = 'tutti-backup/1';

export type RecoveryPublic = { format: typeof RECOVERY_PUBLIC_FORMAT; keys: Record<BackupCurveName, string> };
export type BackupEntry = { share: ShareBackup; meta: KeyMeta; policyRevisions: StoredRevision[] };
export type BackupFile = { format: typeof BACKUP_FORMAT; partyId: string; createdAt: string; keys: BackupEntry[] };

// --- recovery seed ------------------------------------------------------------------------------

function publicOf(seed: Uint8Array): RecoveryPublic {
  const keys = {} as Record<BackupCurveName, string>;
  for (const c of BACKUP_CURVES) keys[c] = recoveryKeyFromSeed(seed, c).publicKey;
  return { format: RECOVERY_PUBLIC_FORMAT, keys };
}

/** Writes a new recovery seed (0600, never over an existing file) and returns its public keys. */
export function initRecovery(seedFile: string): RecoveryPublic {
  const seed = randomBytes(RECOVERY_SEED_BYTES);
  writeSecretFile(seedFile, Buffer.from(JSON.stringify({ format: SEED_FORMAT, seed: bytesToHex(seed) }) + '\n', 'utf8'), { overwrite: false });
  return publicOf(seed);
}

function readSeed(seedFile: string): Uint8Array {
  const { o } = readSecretJson(seedFile);
  if (o.format !== SEED_FORMAT || typeof o.seed !== 'string') throw new Error(`${seedFile} is not a Tutti recovery seed (${SEED_FORMAT})`);
  const seed = fromHex(o.seed, 'recovery seed');
  if (seed.length !== RECOVERY_SEED_BYTES) throw new Error(`${seedFile}: a recovery seed is ${RECOVERY_SEED_BYTES} bytes`);
  return seed;
}

export function readRecoveryPublic(file: string): RecoveryPublic {
  const o = JSON.parse(readFileSync(file, 'utf8')) as RecoveryPublic;
  if (o.format !== RECOVERY_PUBLIC_FORMAT || typeof o.keys !== 'object' || o.keys === null)
    throw new Error(`${file} is not a recovery public key file (${RECOVERY_PUBLIC_FORMAT})`);
  return o;
}

// --- export ---------------------------------------------------------------------------------------

/** A party's stores, opened as the daemon opens them (master key from TUTTI_MASTER_KEY or master.key). */
function openParty(dir: string, env: Record<string, string | undefined>) {
  if (!existsSync(paths.identity(dir))) throw new Error(`${dir} holds no party identity (party init --data ${dir} --id …)`);
  const partyId = readPublicIdentityFile(paths.identity(dir)).partyId;
  const masterKey = loadMasterKey({ dataDir: dir, env });
  const db = openDatabase(paths.sharesDb(dir));
  return { partyId, db, shares: new ShareStore(db, masterKey), policies: new PolicyStore(db, masterKey) };
}

/** Every active share of the party in `dir` (or those of `keyIds`), encrypted to the recovery keys. */
export function exportBackup(dir: string, recovery: RecoveryPublic, o: { keyIds?: string[]; env?: Record<string, string | undefined> } = {}): BackupFile {
  const party = openParty(dir, o.env ?? process.env);
  try {
    const ids = o.keyIds?.length ? o.keyIds : party.shares.listActive();
    const keys = ids.map((keyId): BackupEntry => {
      const stored = party.shares.getActive(keyId);
      if (!stored) throw new Error(`party ${party.partyId} holds no active share of key ${keyId}`);
      const meta = stored.meta as KeyMeta;
      const curve = BACKUP_CURVE_OF[stored.protocol];
      const recoveryKey = curve ? recovery.keys[curve] : undefined;
      if (!recoveryKey) throw new Error(`key ${keyId}: the recovery public key file has no key for ${stored.protocol} (${String(curve)})`);
      const share = backupShare(
        { keyId, partyId: party.partyId, shareVersion: stored.version, protocol: stored.protocol, share: stored.share, recoveryKey },
        (n) => randomBytes(n),
      );
      return { share, meta, policyRevisions: party.policies.revisions(keyId) };
    });
    return { format: BACKUP_FORMAT, partyId: party.partyId, createdAt: new Date().toISOString(), keys };
  } finally {
    party.db.close();
  }
}

// --- verify ---------------------------------------------------------------------------------------

export function readBackup(file: string): BackupFile {
  const o = JSON.parse(readFileSync(file, 'utf8')) as BackupFile;
  if (o.format !== BACKUP_FORMAT || !Array.isArray(o.keys)) throw new Error(`${file} is not a Tutti backup (${BACKUP_FORMAT})`);
  return o;
}

export type VerifyOutcome = { keyId: string; protocol: string; index: number; shareVersion: number; ok: boolean; why?: string };

/**
 * Checks every entry without the seed: the meta agrees with the share's public part, and the
 * encryption proves the share behind the verification share (verifyShareBackup). `recovery`: the
 * operator's public keys, which the entries must be encrypted to; `publicKeys`: key id → the public
 * key as GetPublicKey or another holder reports it.
 */
export function verifyBackup(
  b: BackupFile,
  o: { recovery?: RecoveryPublic; publicKeys?: Record<string, string>; against?: Record<string, KeyFacts> } = {},
): VerifyOutcome[] {
  return b.keys.map((e) => {
    const s = e.share;
    const out = { keyId: String(s?.keyId), protocol: String(s?.protocol), index: Number(s?.index), shareVersion: Number(s?.shareVersion) };
    try {
      if (s.partyId !== b.partyId) throw new BackupProofError('malformed', `made by ${s.partyId}, the file says ${b.partyId}`);
      if (e.meta?.self !== s.index || e.meta.publicKey !== s.publicKey || e.meta.protocol !== s.protocol)
        throw new BackupProofError('malformed', "the key's meta is not its share's (index, public key or protocol)");
      verifyShareBackup(s, {
        ...(o.recovery ? { recoveryKey: o.recovery.keys[s.curve] } : {}),
        ...(o.publicKeys?.[s.keyId] !== undefined ? { publicKey: o.publicKeys[s.keyId] } : {}),
        ...(o.against ? factsOf(o.against, s.keyId) : {}),
      });
      return { ...out, ok: true };
    } catch (err) {
      return { ...out, ok: false, why: err instanceof Error ? err.message : String(err) };
    }
  });
}

/** A key's public facts as another holder stores them: its public key and every verification share. */
export type KeyFacts = { publicKey: string; verificationShares: Record<string, string> };

function factsOf(against: Record<string, KeyFacts>, keyId: string): KeyFacts {
  const f = against[keyId];
  if (!f) throw new BackupProofError('bad-parameters', 'the party checked against holds no share of this key');
  return f;
}

/**
 * The public facts of every key the party in `dir` holds (another holder of the backed-up keys): an
 * anchor for the backup's verification shares that does not come from the backup. A key refreshed
 * or reshared since the backup has other verification shares: the backup is stale and fails.
 */
export function keyFactsOf(dir: string, env: Record<string, string | undefined> = process.env): Record<string, KeyFacts> {
  const party = openParty(dir, env);
  try {
    const out: Record<string, KeyFacts> = {};
    for (const keyId of party.shares.listActive()) {
      const share = party.shares.getActive(keyId)!.share as {
        groupPublicKey?: string;
        verifyingShares?: Record<string, string>;
        publicKey?: string;
        verificationShares?: Record<string, string>;
      };
      const publicKey = share.groupPublicKey ?? share.publicKey;
      const verificationShares = share.verifyingShares ?? share.verificationShares;
      if (publicKey && verificationShares) out[keyId] = { publicKey, verificationShares };
    }
    return out;
  } finally {
    party.db.close();
  }
}

/** SigV4 credentials and the endpoint of a running gateway (as `cli.ts reshare` takes them). */
export type GatewayAccess = { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };

/** The raw public key (the parties' hex encoding: compressed for ECDSA curves) of a DER SPKI. */
export function rawPublicKeyOfSpki(spki: Uint8Array): string {
  const jwk = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).export({ format: 'jwk' });
  const x = Buffer.from(jwk.x!, 'base64url');
  if (jwk.kty === 'OKP') return x.toString('hex');
  const y = Buffer.from(jwk.y!, 'base64url');
  return Buffer.concat([Buffer.from([(y[y.length - 1]! & 1) === 1 ? 3 : 2]), x]).toString('hex');
}

/**
 * What backup-verify needs of each key, fetched from a running gateway: GetPublicKey's public key
 * and the per-party verification shares of the key's current version (GetKeyAttestation's
 * VerificationShares, docs/kms-compatibility.md). A key the gateway cannot answer for is left out
 * (its entries then fail: nothing to check them against).
 */
export async function keyFactsFromGateway(g: GatewayAccess, keyIds: string[]): Promise<Record<string, KeyFacts>> {
  const { kmsCall } = await import('./kms-call.ts');
  const call = (target: string, keyId: string) => kmsCall({ ...g, target, body: { KeyId: keyId } });
  const out: Record<string, KeyFacts> = {};
  for (const keyId of [...new Set(keyIds)]) {
    const [pub, att] = await Promise.all([call('GetPublicKey', keyId), call('GetKeyAttestation', keyId)]);
    if (pub.status !== 200) throw new Error(`GetPublicKey ${keyId}: ${pub.status} ${JSON.stringify(pub.json)}`);
    if (att.status !== 200) throw new Error(`GetKeyAttestation ${keyId}: ${att.status} ${JSON.stringify(att.json)}`);
    const shares = att.json.VerificationShares as Record<string, string> | undefined;
    if (!shares) continue;
    out[keyId] = { publicKey: rawPublicKeyOfSpki(Buffer.from(String(pub.json.PublicKey), 'base64')), verificationShares: shares };
  }
  return out;
}

// --- restore --------------------------------------------------------------------------------------

export type RestoreOutcome = { keyId: string; protocol: string; index: number; restored: boolean; why?: string };

/**
 * Decrypts the entries with the seed and installs each share, active, with its meta and policy
 * revisions, in the store of the (new, stopped) party in `dir`. A key the store already holds is
 * left alone. A DKLs23 share is installed dealer-only (protocols/backup/share-backup.ts
 * restoreDklsDealerShare): it deals in the ReshareKey that follows and refuses to sign or presign.
 */
export function restoreBackup(
  b: BackupFile,
  seedFile: string,
  dir: string,
  o: { keyIds?: string[]; env?: Record<string, string | undefined> } = {},
): RestoreOutcome[] {
  const seed = readSeed(seedFile);
  const party = openParty(dir, o.env ?? process.env);
  try {
    return b.keys
      .filter((e) => !o.keyIds?.length || o.keyIds.includes(e.share.keyId))
      .map((e) => {
        const s = e.share;
        const out = { keyId: s.keyId, protocol: s.protocol, index: s.index };
        try {
          if (party.shares.activeVersion(s.keyId) !== undefined) throw new Error(`party ${party.partyId} already holds a share of this key`);
          const y = recoveryKeyFromSeed(seed, s.curve);
          if (y.publicKey !== s.recoveryKey) throw new Error('encrypted to another recovery key than this seed’s');
          if (e.meta?.self !== s.index || e.meta.publicKey !== s.publicKey || e.meta.protocol !== s.protocol)
            throw new Error("the key's meta is not its share's (index, public key or protocol)");
          const share = restoreShare(s, y.secret);
          // The share, its meta (the old holders, this index) and the key's policy history, in one transaction.
          party.policies.transaction(() => {
            party.shares.putPending({ keyId: s.keyId, protocol: s.protocol, version: s.shareVersion, share, meta: e.meta });
            party.shares.activate(s.keyId, s.shareVersion);
            for (const r of e.policyRevisions ?? []) party.policies.putRevision({ ...r, keyId: s.keyId });
          });
          return { ...out, restored: true };
        } catch (err) {
          return { ...out, restored: false, why: err instanceof Error ? err.message : String(err) };
        }
      });
  } finally {
    party.db.close();
  }
}

// --- CLI --------------------------------------------------------------------------------------------

function required(v: string | undefined, flag: string): string {
  if (!v) throw new Error(`missing ${flag}`);
  return v;
}

function keyList(v: string[] | undefined): string[] {
  return (v ?? [])
    .flatMap((x) => x.split(','))
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

/** cli.ts recovery-init | backup-export | backup-verify | backup-restore; returns the exit code. */
export function runBackupCommand(
  command: string,
  args: string[],
  print: (line: string) => void = console.log,
  env: Record<string, string | undefined> = process.env,
): number | Promise<number> {
  switch (command) {
    case 'recovery-init': {
      const { values } = parseArgs({ args, options: { seed: { type: 'string' }, out: { type: 'string' } } });
      const pub = initRecovery(required(values.seed, '--seed'));
      const text = JSON.stringify(pub, null, 2);
      if (values.out) writeFileSync(values.out, text + '\n');
      print(text);
      return 0;
    }
    case 'backup-export': {
      const { values } = parseArgs({
        args,
        options: { data: { type: 'string' }, recovery: { type: 'string' }, key: { type: 'string', multiple: true }, out: { type: 'string' } },
      });
      const out = required(values.out, '--out');
      const b = exportBackup(required(values.data, '--data'), readRecoveryPublic(required(values.recovery, '--recovery')), { keyIds: keyList(values.key) });
      writeFileSync(out, JSON.stringify(b) + '\n', { mode: 0o600 });
      print(
        JSON.stringify({
          backup: out,
          partyId: b.partyId,
          keys: b.keys.map((e) => ({ keyId: e.share.keyId, protocol: e.share.protocol, shareVersion: e.share.shareVersion })),
        }),
      );
      return 0;
    }
    case 'backup-verify': {
      const { values } = parseArgs({
        args,
        options: {
          backup: { type: 'string' },
          recovery: { type: 'string' },
          'public-key': { type: 'string', multiple: true },
          against: { type: 'string' },
          endpoint: { type: 'string' },
          region: { type: 'string' },
          'access-key-id': { type: 'string' },
          'secret-access-key': { type: 'string' },
        },
      });
      if (values.endpoint) {
        // The gateway's GetPublicKey and the key's verification shares, fetched with SigV4 credentials.
        const accessKeyId = values['access-key-id'] ?? env.AWS_ACCESS_KEY_ID ?? env.TUTTI_ACCESS_KEY_ID;
        const secretAccessKey = values['secret-access-key'] ?? env.AWS_SECRET_ACCESS_KEY ?? env.TUTTI_SECRET_ACCESS_KEY;
        if (!accessKeyId || !secretAccessKey)
          throw new Error('backup-verify --endpoint: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or --access-key-id/--secret-access-key)');
        const b = readBackup(required(values.backup, '--backup'));
        const access = { endpoint: values.endpoint, region: values.region ?? env.AWS_REGION ?? env.TUTTI_REGION ?? 'us-east-1', accessKeyId, secretAccessKey };
        return keyFactsFromGateway(
          access,
          b.keys.map((e) => String(e.share?.keyId)),
        ).then((against) => {
          const results = verifyBackup(b, { ...(values.recovery ? { recovery: readRecoveryPublic(values.recovery) } : {}), against });
          print(JSON.stringify(results));
          return results.every((r) => r.ok) ? 0 : 1;
        });
      }
      const publicKeys: Record<string, string> = {};
      for (const kv of values['public-key'] ?? []) {
        const [k, v] = kv.split('=');
        if (!k || !v) throw new Error('--public-key KEY_ID=HEX');
        publicKeys[k] = v.toLowerCase();
      }
      const results = verifyBackup(readBackup(required(values.backup, '--backup')), {
        ...(values.recovery ? { recovery: readRecoveryPublic(values.recovery) } : {}),
        publicKeys,
        ...(values.against ? { against: keyFactsOf(values.against) } : {}),
      });
      print(JSON.stringify(results));
      return results.every((r) => r.ok) ? 0 : 1;
    }
    case 'backup-restore': {
      const { values } = parseArgs({
        args,
        options: { backup: { type: 'string' }, seed: { type: 'string' }, data: { type: 'string' }, key: { type: 'string', multiple: true } },
      });
      const results = restoreBackup(readBackup(required(values.backup, '--backup')), required(values.seed, '--seed'), required(values.data, '--data'), {
        keyIds: keyList(values.key),
      });
      print(JSON.stringify(results));
      return results.every((r) => r.restored) ? 0 : 1;
    }
    default:
      throw new Error(`unknown backup command ${command}`);
  }
}
