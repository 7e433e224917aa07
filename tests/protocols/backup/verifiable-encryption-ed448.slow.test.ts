// Ed448 backups (protocols/backup/verifiable-encryption.ts): 446 encrypted bits on the slowest
// curve, so in the slow tier; the same code as the other curves (verifiable-encryption.test.ts).
import { randomBytes } from '@noble/hashes/utils.js';
import { ed448 } from '@noble/curves/ed448.js';
import {
  BackupProofError,
  decryptShare,
  encryptShare,
  recoveryKeyFromSeed,
  verifyEncryptedShare,
  type EncryptedShare,
} from '../../../protocols/backup/verifiable-encryption.ts';
import { bytesToHex, fromHex } from '../../../protocols/core/bytes.ts';

const binding = { keyId: '11111111-2222-3333-4444-555555555555', partyId: 'party-1', shareVersion: 1, index: 2 };

test('ed448: an honest backup verifies and decrypts; swapped bits are refused', () => {
  const x = (BigInt('0x' + bytesToHex(randomBytes(72))) % (ed448.Point.Fn.ORDER - 1n)) + 1n;
  const X = ed448.Point.BASE.multiply(x).toBytes();
  const { secret: y, publicKey } = recoveryKeyFromSeed(randomBytes(32), 'ed448');
  const enc = encryptShare('ed448', binding, x, X, fromHex(publicKey), randomBytes);
  expect(enc.bits).toHaveLength(446);
  expect(decryptShare('ed448', binding, X, y, enc)).toBe(x);
  const bad = JSON.parse(JSON.stringify(enc)) as EncryptedShare;
  [bad.bits[1], bad.bits[2]] = [bad.bits[2]!, bad.bits[1]!];
  expect(() => verifyEncryptedShare('ed448', binding, X, fromHex(publicKey), bad)).toThrow(BackupProofError);
}, 300_000);
