// The cases of verifiable-encryption.test.ts (protocols/backup/verifiable-encryption.ts), per
// curve, shared with verifiable-encryption.slow.test.ts (not a test file). Every case's check is
// the same code on every curve (the group is a parameter); what costs is a walk over every bit's
// proof (≈ 256 OR-proofs: a second or more each): an honest verification, a decryption (which
// verifies first), and the two refusals that fail only at the sum proof after every bit's proof
// passed. `npm test` runs on Ed25519 and secp256k1 every refusal that stops at its first bad bit or
// before any proof, and on Ed25519 the backup of another share (bits that do not add up); the slow
// tier runs the honest backup on every curve and the tampered sum proof on Ed25519 and secp256k1
// (and the backup of another share on secp256k1). An honest backup still verifies and decrypts in
// `npm test` on both curves, through the share backups built on this code:
// tests/protocols/backup/share-backup.test.ts (a FROST Ed25519 share: encrypted, verified, restored;
// a DKLs23 secp256k1 share: encrypted, verified), dkls23-restore.test.ts (secp256k1: encrypted,
// decrypted) and tests/services/main/backup.test.ts (Ed25519: exported, verified, restored).
import { expect, test } from '@jest/globals';
import { randomBytes } from '@noble/hashes/utils.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { p256 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ed448 } from '@noble/curves/ed448.js';
import {
  BackupProofError,
  decryptShare,
  encryptShare,
  encryptUnchecked,
  recoveryKeyFromSeed,
  verifyEncryptedShare,
  type BackupBinding,
  type BackupCurveName,
  type EncryptedShare,
} from '../../../protocols/backup/verifiable-encryption.ts';
import { bytesToHex, fromHex } from '../../../protocols/core/bytes.ts';

export const POINTS = { secp256k1: secp256k1.Point, p256: p256.Point, ed25519: ed25519.Point, ed448: ed448.Point } as const;
export const binding: BackupBinding = { keyId: '11111111-2222-3333-4444-555555555555', partyId: 'party-1', shareVersion: 3, index: 1 };

export function shareOn(curve: BackupCurveName): { x: bigint; X: Uint8Array } {
  const P = POINTS[curve] as unknown as { BASE: { multiply(k: bigint): { toBytes(): Uint8Array } }; Fn: { ORDER: bigint } };
  const x = (BigInt('0x' + bytesToHex(randomBytes(72))) % (P.Fn.ORDER - 1n)) + 1n;
  return { x, X: P.BASE.multiply(x).toBytes() };
}

export function refused(f: () => unknown, reason: BackupProofError['reason'], message?: RegExp): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(BackupProofError);
    expect((e as BackupProofError).reason).toBe(reason);
    if (message) expect((e as Error).message).toMatch(message);
    return;
  }
  throw new Error('not refused');
}

/**
 * Which cases to run: `honest`, the honest backup (a verification and a decryption: two walks);
 * `light`, every refusal that stops at its first bad bit or before any proof; `otherShare`, honest
 * bit proofs of another share (an encryption and a walk); `sumProof`, a tampered sum proof (a walk).
 */
export type BackupCaseSet = { honest?: boolean; light?: boolean; otherShare?: boolean; sumProof?: boolean };

export function backupCases(curve: BackupCurveName, seed: Uint8Array, which: BackupCaseSet): void {
  const skip = (_name: string, _fn: () => void): void => {};
  const honest = which.honest ? test : skip;
  const light = which.light ? test : skip;
  const otherShare = which.otherShare ? test : skip;
  const sumProof = which.sumProof ? test : skip;
  const { x, X } = shareOn(curve);
  const { secret: y, publicKey } = recoveryKeyFromSeed(seed, curve);
  const Y = fromHex(publicKey);
  const enc = encryptShare(curve, binding, x, X, Y, randomBytes);
  const copy = (): EncryptedShare => JSON.parse(JSON.stringify(enc)) as EncryptedShare;

  honest('an honest backup verifies without the secret and decrypts to the share', () => {
    expect(() => verifyEncryptedShare(curve, binding, X, Y, enc)).not.toThrow();
    expect(decryptShare(curve, binding, X, y, enc)).toBe(x);
    // Nothing in it is the share.
    expect(JSON.stringify(enc)).not.toContain(x.toString(16));
  });

  light('a ciphertext of a bit that is neither 0 nor 1 is refused', () => {
    const bad = copy();
    const P = POINTS[curve] as unknown as { fromBytes(b: Uint8Array): { add(o: unknown): { toBytes(): Uint8Array } }; BASE: unknown };
    // B_5 + G: the encryption of b_5 + 1 ∈ {1, 2}; its OR-proof no longer holds.
    bad.bits[5]!.b = bytesToHex(P.fromBytes(fromHex(bad.bits[5]!.b)).add(P.BASE).toBytes());
    refused(() => verifyEncryptedShare(curve, binding, X, Y, bad), 'invalid-proof', /bit 5/);
    refused(() => decryptShare(curve, binding, X, y, bad), 'invalid-proof');
  });

  otherShare('bits that do not add up to the verification share are refused', () => {
    // Honest bit proofs for another share, bound to X: only the sum proof can catch it.
    const other = encryptUnchecked(curve, binding, x + 1n, X, Y, randomBytes);
    refused(() => verifyEncryptedShare(curve, binding, X, Y, other), 'invalid-proof', /add up/);
  });

  light('a tampered bit proof, or a backup of the wrong shape, is refused', () => {
    const bad = copy();
    const c0 = BigInt('0x' + bad.bits[0]!.c0);
    bad.bits[0]!.c0 = (c0 === 0n ? 1n : c0 - 1n).toString(16).padStart(bad.bits[0]!.c0.length, '0');
    refused(() => verifyEncryptedShare(curve, binding, X, Y, bad), 'invalid-proof', /bit 0/);
    const short = copy();
    short.bits.pop();
    refused(() => verifyEncryptedShare(curve, binding, X, Y, short), 'malformed');
    const junk = copy();
    junk.bits[3]!.a = 'zz';
    refused(() => verifyEncryptedShare(curve, binding, X, Y, junk), 'malformed');
  });

  sumProof('a tampered sum proof is refused', () => {
    const sum = copy();
    sum.sum.z = sum.bits[0]!.z0;
    refused(() => verifyEncryptedShare(curve, binding, X, Y, sum), 'invalid-proof', /add up/);
  });

  light('another recovery key, or the wrong recovery secret, is refused', () => {
    const other = recoveryKeyFromSeed(randomBytes(32), curve);
    refused(() => verifyEncryptedShare(curve, binding, X, fromHex(other.publicKey), enc), 'invalid-proof');
    refused(() => decryptShare(curve, binding, X, other.secret, enc), 'invalid-proof');
  });

  light('the proofs are bound to key, party, version, index and verification share', () => {
    for (const b of [
      { ...binding, keyId: '11111111-2222-3333-4444-555555555556' },
      { ...binding, partyId: 'party-2' },
      { ...binding, shareVersion: 4 },
      { ...binding, index: 2 },
    ])
      refused(() => verifyEncryptedShare(curve, b, X, Y, enc), 'invalid-proof');
    refused(() => verifyEncryptedShare(curve, binding, shareOn(curve).X, Y, enc), 'invalid-proof');
  });

  light('the encryption refuses a share that is not the verification share’s', () => {
    refused(() => encryptShare(curve, binding, x + 1n, X, Y, randomBytes), 'wrong-share');
  });
}
