// The CLI's half of the import (services/main/import-split.ts): keys read from hex or PKCS#8 PEM
// (the scalar, or the RFC 8032 seed) give the original public key; a PEM of another curve is
// refused; the secret buffer is overwritten after the split; every party gets one bundle.
import { describe, expect, test } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { p256 } from '@noble/curves/nist.js';
import { ed448 } from '@noble/curves/ed448.js';
import { bytesToHex } from '../../../protocols/core/bytes.ts';
import { importSplit, parties, readPrivateKey } from '../../../services/main/import-split.ts';
import { generateIdentity, publicIdentity } from '../../../services/transport/identity.ts';

const dir = mkdtempSync(join(tmpdir(), 'tutti-import-split-'));
const pem = (name: string, kp: { privateKey: { export(o: object): string | Buffer } }) => {
  const file = join(dir, name);
  writeFileSync(file, kp.privateKey.export({ format: 'pem', type: 'pkcs8' }));
  return file;
};
const peers = ['a', 'b', 'c'].map((p) => publicIdentity(generateIdentity(p)));

describe('import-split', () => {
  test('PKCS#8 PEM keys of each curve give their public key', () => {
    const k1 = readPrivateKey(pem('k1.pem', generateKeyPairSync('ec', { namedCurve: 'secp256k1' })), 'ECC_SECG_P256K1');
    const { manifest } = importSplit({ secret: k1.slice(), keySpec: 'ECC_SECG_P256K1', threshold: 2, parties: peers });
    expect(manifest.publicKey).toBe(bytesToHex(secp256k1.getPublicKey(k1, true)));
    const r1 = readPrivateKey(pem('p256.pem', generateKeyPairSync('ec', { namedCurve: 'P-256' })), 'ECC_NIST_P256');
    expect(importSplit({ secret: r1.slice(), keySpec: 'ECC_NIST_P256', threshold: 3, parties: peers }).manifest.publicKey).toBe(
      bytesToHex(p256.getPublicKey(r1, true)),
    );
    const e448 = readPrivateKey(pem('ed448.pem', generateKeyPairSync('ed448')), 'ECC_NIST_EDWARDS448');
    expect(e448).toHaveLength(57);
    expect(importSplit({ secret: e448.slice(), keySpec: 'ECC_NIST_EDWARDS448', threshold: 2, parties: peers }).manifest.publicKey).toBe(
      bytesToHex(ed448.getPublicKey(e448)),
    );
  });

  test('a PEM of another curve is refused; hex works inline and with 0x', () => {
    expect(() => readPrivateKey(pem('wrong.pem', generateKeyPairSync('ed25519')), 'ECC_SECG_P256K1')).toThrow(/Ed25519 key, not secp256k1/);
    expect(readPrivateKey('0x' + '01'.repeat(32), 'ECC_SECG_P256K1')).toEqual(new Uint8Array(32).fill(1));
    expect(() => readPrivateKey('not a key', 'ECC_SECG_P256K1')).toThrow(/neither hex nor a PEM/);
  });

  test('the secret is overwritten; one bundle per party, in order; --party and --peers', () => {
    const secret = secp256k1.utils.randomSecretKey();
    const { bundles } = importSplit({ secret, keySpec: 'ECC_SECG_P256K1', threshold: 2, parties: peers });
    expect(secret.every((b) => b === 0)).toBe(true);
    expect(bundles.map((b) => [b.partyId, b.index])).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    const file = join(dir, 'peers.json');
    writeFileSync(file, JSON.stringify({ peers: peers.slice(0, 2) }));
    const c = peers[2]!;
    expect(parties({ peers: file, party: [`${c.partyId}=${c.signPublic}:${c.kexPublic}`] })).toEqual(peers);
  });
});
