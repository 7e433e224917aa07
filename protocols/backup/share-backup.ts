// One key share's backup entry (docs/operations.md "Backup and recovery drill"): the share's
// public part (everything but the secret scalar — and, for DKLs23, but the pairwise OT seeds, which
// a restore cannot reuse and DKLs23 resharing re-creates: a restored DKLs23 share is dealer-only,
// protocols/dkls23/keyshare.ts), its verification share X_j, the
// recovery public key Y, and the scalar encrypted to Y with its proofs (verifiable-encryption.ts).
// The entry never holds the scalar in clear.
//
// Checking an entry needs no secret: its public part is self-consistent (FROST: the verifying
// shares are the committed polynomial's), X_j is the public part's share j, and the encryption
// verifies against X_j and Y. Restoring needs the recovery secret y. Pure: no I/O, randomness in.
import { bytesToHex, fromHex } from '../core/bytes.ts';
import type { Rng } from '../core/session.ts';
import { decodeScalar, scalarHex } from '../frost/codec.ts';
import { parseKeyShare as parseFrostShare, parsePublicPackage, type FrostKeyShare } from '../frost/share.ts';
import { frostSuite } from '../frost/suite.ts';
import { decodeScalar as decodeDklsScalar } from '../dkls23/codec.ts';
import { DKLS_CURVES } from '../dkls23/curve.ts';
import { parseDealerShare, type DklsKeyShare } from '../dkls23/keyshare.ts';
import { BackupProofError, decryptShare, encryptShare, verifyEncryptedShare, type BackupCurveName, type EncryptedShare } from './verifiable-encryption.ts';

/** The curve of each protocol Tutti runs (protocols/core/key-specs.ts). */
export const BACKUP_CURVE_OF: Readonly<Record<string, BackupCurveName>> = {
  'frost-ed25519': 'ed25519',
  'frost-ed448': 'ed448',
  'dkls23-secp256k1': 'secp256k1',
  'dkls23-p256': 'p256',
};

/** A share's backup: public facts, and the scalar encrypted to `recoveryKey` (hex Y). */
export type ShareBackup = {
  keyId: string;
  protocol: string;
  curve: BackupCurveName;
  /** The party that exported it, and the share version it held (both bound into the proofs). */
  partyId: string;
  shareVersion: number;
  /** The share's index j among the key's holders. */
  index: number;
  /** Hex X_j = x_j·G, as the public part lists it. */
  verificationShare: string;
  /** Hex group public key. */
  publicKey: string;
  recoveryKey: string;
  /** The share without its secrets (FROST: without signingShare; DKLs23: without secretShare and peers). */
  publicShare: Record<string, unknown>;
  encrypted: EncryptedShare;
};

function curveOf(protocol: string): BackupCurveName {
  const c = BACKUP_CURVE_OF[protocol];
  if (!c) throw new BackupProofError('bad-parameters', `no backup for protocol '${protocol}'`);
  return c;
}

/** The share's scalar, index, X_j and public part, checked (the protocol's own share parser). */
function openShare(protocol: string, share: unknown): { x: bigint; index: number; X: string; publicKey: string; publicShare: Record<string, unknown> } {
  if (protocol.startsWith('frost-')) {
    const s = share as FrostKeyShare;
    const parsed = parseFrostShare(s);
    const { signingShare: _secret, ...publicShare } = s;
    return { x: parsed.signingShare, index: s.index, X: s.verifyingShares[String(s.index)]!, publicKey: s.groupPublicKey, publicShare };
  }
  const s = share as DklsKeyShare;
  const curve = DKLS_CURVES[s.curve];
  if (!curve) throw new BackupProofError('bad-parameters', `unknown DKLs23 curve '${String(s.curve)}'`);
  const x = decodeDklsScalar(curve, fromHex(s.secretShare), 'secret share');
  const { secretShare: _secret, peers: _peers, ...publicShare } = s;
  const X = s.verificationShares[String(s.index)];
  if (typeof X !== 'string') throw new BackupProofError('malformed', `no verification share ${s.index}`);
  return { x, index: s.index, X, publicKey: s.publicKey, publicShare };
}

/** Encrypts a stored share to the recovery public key `recoveryKey` (hex Y on the share's curve). */
export function backupShare(
  f: { keyId: string; partyId: string; shareVersion: number; protocol: string; share: unknown; recoveryKey: string },
  rng: Rng,
): ShareBackup {
  const curve = curveOf(f.protocol);
  const { x, index, X, publicKey, publicShare } = openShare(f.protocol, f.share);
  const binding = { keyId: f.keyId, partyId: f.partyId, shareVersion: f.shareVersion, index };
  const encrypted = encryptShare(curve, binding, x, fromHex(X), fromHex(f.recoveryKey), rng);
  return {
    keyId: f.keyId,
    protocol: f.protocol,
    curve,
    partyId: f.partyId,
    shareVersion: f.shareVersion,
    index,
    verificationShare: X,
    publicKey,
    recoveryKey: f.recoveryKey,
    publicShare,
    encrypted,
  };
}

/**
 * Checks an entry without decrypting: the public part is consistent and lists X_j as share j, and
 * the encryption proves a share x_j with x_j·G = X_j under the recovery key. `recoveryKey` (the
 * operator's own, not the entry's) and `expect` (the key's public key and verification shares from
 * another source, e.g. another holder) are compared when given.
 */
export function verifyShareBackup(b: ShareBackup, o: { recoveryKey?: string; publicKey?: string; verificationShares?: Record<string, string> } = {}): void {
  const curve = checkPublicPart(b, o);
  const binding = { keyId: b.keyId, partyId: b.partyId, shareVersion: b.shareVersion, index: b.index };
  verifyEncryptedShare(curve, binding, fromHex(b.verificationShare), fromHex(b.recoveryKey), b.encrypted);
}

/** Everything verifyShareBackup checks but the encryption's proofs; the entry's curve. */
function checkPublicPart(b: ShareBackup, o: { recoveryKey?: string; publicKey?: string; verificationShares?: Record<string, string> }): BackupCurveName {
  if (typeof b !== 'object' || b === null || typeof b.publicShare !== 'object' || b.publicShare === null)
    throw new BackupProofError('malformed', 'not a share backup');
  const curve = curveOf(b.protocol);
  if (b.curve !== curve) throw new BackupProofError('bad-parameters', `a ${b.protocol} share is on ${curve}, not ${String(b.curve)}`);
  if (o.recoveryKey !== undefined && o.recoveryKey !== b.recoveryKey)
    throw new BackupProofError('bad-parameters', `key ${b.keyId}: encrypted to another recovery key`);
  const shares = (b.protocol.startsWith('frost-') ? b.publicShare.verifyingShares : b.publicShare.verificationShares) as Record<string, string> | undefined;
  const key = (b.protocol.startsWith('frost-') ? b.publicShare.groupPublicKey : b.publicShare.publicKey) as string | undefined;
  if (b.protocol.startsWith('frost-')) {
    try {
      parsePublicPackage(b.publicShare as never);
    } catch (e) {
      throw new BackupProofError('malformed', `key ${b.keyId}: public part: ${(e as Error).message}`);
    }
  }
  if (b.publicShare.index !== b.index || shares?.[String(b.index)] !== b.verificationShare || key !== b.publicKey)
    throw new BackupProofError('malformed', `key ${b.keyId}: the entry's index, verification share or public key is not its public part's`);
  if (o.publicKey !== undefined && o.publicKey !== b.publicKey)
    throw new BackupProofError('wrong-share', `key ${b.keyId}: the backup is of another public key`);
  if (o.verificationShares !== undefined && JSON.stringify(sorted(o.verificationShares)) !== JSON.stringify(sorted(shares ?? {})))
    throw new BackupProofError('wrong-share', `key ${b.keyId}: the backup's verification shares are not the key's`);
  return curve;
}

function sorted(r: Record<string, string>): [string, string][] {
  return Object.entries(r).sort(([a], [b]) => Number(a) - Number(b));
}

/**
 * Decrypts an entry with the recovery secret y and rebuilds the share: a FROST share exactly, a
 * DKLs23 share dealer-only (restoreDklsDealerShare).
 */
export function restoreShare(b: ShareBackup, y: bigint): FrostKeyShare | DklsKeyShare {
  return b.protocol.startsWith('frost-') ? restoreFrostShare(b, y) : restoreDklsDealerShare(b, y);
}

/**
 * Decrypts a DKLs23 entry with y and rebuilds the share WITHOUT its pairwise OT material (the
 * backup has none; it was bound to the old peers and none is invented): a dealer-only share
 * (protocols/dkls23/keyshare.ts `dealerOnly`), which deals in a reshare as the holder it was
 * backed up from and refuses to sign; the reshare gives its new holder a full share with fresh
 * OT setup (docs/operations.md "Backup and recovery drill").
 */
export function restoreDklsDealerShare(b: ShareBackup, y: bigint): DklsKeyShare {
  checkPublicPart(b, {});
  if (!b.protocol.startsWith('dkls23-')) throw new BackupProofError('bad-parameters', `key ${b.keyId}: not a DKLs23 share (${b.protocol})`);
  const binding = { keyId: b.keyId, partyId: b.partyId, shareVersion: b.shareVersion, index: b.index };
  const x = decryptShare(b.curve, binding, fromHex(b.verificationShare), y, b.encrypted);
  const pub = b.publicShare as Omit<DklsKeyShare, 'secretShare' | 'peers' | 'dealerOnly'>;
  const curve = DKLS_CURVES[pub.curve];
  if (!curve) throw new BackupProofError('bad-parameters', `unknown DKLs23 curve '${String(pub.curve)}'`);
  const share: DklsKeyShare = { ...pub, secretShare: bytesToHex(curve.Fn.toBytes(x)), peers: {}, dealerOnly: true };
  // DKLs23's own check of what a dealer uses: the public part, and x·G = the verification share.
  try {
    parseDealerShare(share);
  } catch (e) {
    throw new BackupProofError('malformed', `key ${b.keyId}: restored share: ${(e as Error).message}`);
  }
  return share;
}

/** Decrypts a FROST entry with the recovery secret y and rebuilds the share (checked by FROST's own parser). */
export function restoreFrostShare(b: ShareBackup, y: bigint): FrostKeyShare {
  // decryptShare verifies the encryption's proofs first.
  checkPublicPart(b, {});
  if (!b.protocol.startsWith('frost-'))
    throw new BackupProofError('bad-parameters', `key ${b.keyId}: not a FROST share (${b.protocol}): restoreDklsDealerShare`);
  const binding = { keyId: b.keyId, partyId: b.partyId, shareVersion: b.shareVersion, index: b.index };
  const x = decryptShare(b.curve, binding, fromHex(b.verificationShare), y, b.encrypted);
  const pub = b.publicShare as Omit<FrostKeyShare, 'signingShare'>;
  const suite = frostSuite(pub.suite);
  const share: FrostKeyShare = { ...pub, signingShare: scalarHex(suite, x) };
  // The scalar round-trips through FROST's encoding and its share check (x·G = verifying share).
  decodeScalar(suite, fromHex(share.signingShare), 'restored share');
  parseFrostShare(share);
  return share;
}
