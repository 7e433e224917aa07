// Secret files, the master key and the sealed box: the pieces of encryption at rest.
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { createSecretKey, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { readSecretFile, SecretFileError, writeSecretFile } from '../../../services/storage/secret-file.ts';
import { loadMasterKey, MasterKeyError, masterKeyFromBytes } from '../../../services/storage/master-key.ts';
import { openAtRest, sealAtRest, SealedBoxError } from '../../../services/storage/sealed-box.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tutti-storage-secrets-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

describe('secret files', () => {
  test('are written 0600, replaced atomically, and leave no temporary file behind', () => {
    const file = join(dir, 'sub', 'identity.key');
    writeSecretFile(file, bytes('one'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'sub')).mode & 0o777).toBe(0o700);
    writeSecretFile(file, bytes('two'));
    expect(Buffer.from(readSecretFile(file)).toString()).toBe('two');
    expect(readdirSync(join(dir, 'sub'))).toEqual(['identity.key']);
  });

  test('overwrite: false refuses to replace an existing file', () => {
    const file = join(dir, 'identity.key');
    writeSecretFile(file, bytes('first'), { overwrite: false });
    expect(() => writeSecretFile(file, bytes('second'), { overwrite: false })).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(Buffer.from(readSecretFile(file)).toString()).toBe('first');
    expect(readdirSync(dir)).toEqual(['identity.key']);
  });

  test.each([0o640, 0o604, 0o620, 0o644])('a file with mode %o is refused, naming the file and its mode', (mode) => {
    const file = join(dir, 'identity.key');
    writeFileSync(file, 'secret');
    chmodSync(file, mode);
    const err = (() => {
      try {
        readSecretFile(file);
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(SecretFileError);
    expect(err!.message).toContain(file);
    expect(err!.message).toContain('0' + mode.toString(8));
  });
});

describe('master key', () => {
  test('is created as a 0600 file of 32 random bytes on first start and reused afterwards', () => {
    const first = loadMasterKey({ dataDir: dir, env: {} });
    const file = join(dir, 'master.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file).length).toBe(32);
    const second = loadMasterKey({ dataDir: dir, env: {} });
    expect(second.equals(first)).toBe(true);
    const blob = sealAtRest(first, bytes('share'), bytes('row'));
    expect(Buffer.from(openAtRest(second, blob, bytes('row'))).toString()).toBe('share');
  });

  test('creates the data directory 0700 when it does not exist', () => {
    const dataDir = join(dir, 'party-1');
    loadMasterKey({ dataDir, env: {} });
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
  });

  test('a group-readable key file is refused with an error naming the file and mode', () => {
    loadMasterKey({ dataDir: dir, env: {} });
    const file = join(dir, 'master.key');
    chmodSync(file, 0o640);
    expect(() => loadMasterKey({ dataDir: dir, env: {} })).toThrow(MasterKeyError);
    expect(() => loadMasterKey({ dataDir: dir, env: {} })).toThrow(new RegExp(`${file}.*0640`));
  });

  test('a key file of the wrong size is refused', () => {
    writeSecretFile(join(dir, 'master.key'), randomBytes(31));
    expect(() => loadMasterKey({ dataDir: dir, env: {} })).toThrow(/master\.key must hold exactly 32 bytes; it holds 31/);
  });

  test('TUTTI_MASTER_KEY is used when set, and no file is created', () => {
    const hex = randomBytes(32).toString('hex');
    const fromEnv = loadMasterKey({ dataDir: dir, env: { TUTTI_MASTER_KEY: hex } });
    expect(existsSync(join(dir, 'master.key'))).toBe(false);
    expect(fromEnv.equals(masterKeyFromBytes(Buffer.from(hex, 'hex')))).toBe(true);
    // the variable wins over an existing file
    loadMasterKey({ dataDir: dir, env: {} });
    const again = loadMasterKey({ dataDir: dir, env: { TUTTI_MASTER_KEY: hex.toUpperCase() } });
    expect(again.equals(fromEnv)).toBe(true);
  });

  test('a malformed TUTTI_MASTER_KEY is refused, naming the variable but not echoing it', () => {
    const short = randomBytes(31).toString('hex');
    expect(() => loadMasterKey({ dataDir: dir, env: { TUTTI_MASTER_KEY: short } })).toThrow(/TUTTI_MASTER_KEY must be 64 hex characters.*62 characters/);
    const notHex = 'z'.repeat(64);
    let message = '';
    try {
      loadMasterKey({ dataDir: dir, env: { TUTTI_MASTER_KEY: notHex } });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/TUTTI_MASTER_KEY.*not all of them hex/);
    expect(message).not.toContain(notHex);
  });

  test('does not show its bytes when printed', () => {
    const raw = randomBytes(32);
    const hex = raw.toString('hex');
    const key = masterKeyFromBytes(Buffer.from(raw));
    expect(inspect(key)).not.toContain(hex.slice(0, 16));
    expect(JSON.stringify({ key })).not.toContain(hex.slice(0, 16));
  });
});

describe('sealed box', () => {
  const key = () => masterKeyFromBytes(randomBytes(32));

  test('round-trips, with a fresh nonce for every seal', () => {
    const k = key();
    const a = sealAtRest(k, bytes('share'), bytes('aad'));
    const b = sealAtRest(k, bytes('share'), bytes('aad'));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    expect(a[0]).toBe(1);
    expect(a.length).toBe(1 + 12 + 5 + 16);
    expect(Buffer.from(openAtRest(k, a, bytes('aad'))).toString()).toBe('share');
  });

  test('a wrong master key, another aad, or any flipped byte fails to open', () => {
    const k = key();
    const blob = sealAtRest(k, bytes('share'), bytes('aad'));
    expect(() => openAtRest(key(), blob, bytes('aad'))).toThrow(SealedBoxError);
    expect(() => openAtRest(k, blob, bytes('aae'))).toThrow(SealedBoxError);
    for (let i = 1; i < blob.length; i++) {
      const bad = blob.slice();
      bad[i]! ^= 0x01;
      expect(() => openAtRest(k, bad, bytes('aad'))).toThrow(SealedBoxError);
    }
    const otherVersion = blob.slice();
    otherVersion[0] = 2;
    expect(() => openAtRest(k, otherVersion, bytes('aad'))).toThrow(/unknown version 2/);
    expect(() => openAtRest(k, blob.subarray(0, 28), bytes('aad'))).toThrow(/too short/);
  });

  test('only a 32-byte secret KeyObject is accepted as the master key', () => {
    expect(() => sealAtRest(randomBytes(32) as never, bytes('x'), bytes('aad'))).toThrow(TypeError);
    expect(() => sealAtRest(createSecretKey(randomBytes(16)), bytes('x'), bytes('aad'))).toThrow(TypeError);
  });

  test('a long aad is accepted (it is hashed for the subkey)', () => {
    const k = key();
    const aad = randomBytes(5000);
    expect(Buffer.from(openAtRest(k, sealAtRest(k, bytes('x'), aad), aad)).toString()).toBe('x');
  });
});
