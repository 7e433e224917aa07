// identity.json sealed under the master key (trust-review H1): the identity's secret keys never sit
// in the clear on disk, a clear file from before is migrated with the same public keys, and the
// public half stays readable without the master key.
import { generateCoordinatorIdentity } from '../../../services/transport/coordinator-identity.ts';
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { masterKeyFromBytes } from '../../../services/storage/master-key.ts';
import { SecretFileError, writeSecretFile } from '../../../services/storage/secret-file.ts';
import { readIdentityFile, readPublicIdentityFile, writeIdentityFile } from '../../../services/storage/identity-file.ts';
import { generateIdentity, publicIdentity, serializeIdentity, type Identity } from '../../../services/transport/identity.ts';
import { initParty } from '../../../services/main/cluster.ts';
import { startPartyFromDir } from '../../../services/main/party-daemon.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tutti-identity-file-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const key = () => masterKeyFromBytes(randomBytes(32));

/** Neither secret key appears in the file, in hex or raw. */
function expectNoSecrets(file: string, id: Identity): void {
  const raw = readFileSync(file);
  for (const s of [id.signSecret, id.kexSecret]) {
    expect(raw.includes(Buffer.from(hex(s)))).toBe(false);
    expect(raw.includes(Buffer.from(s))).toBe(false);
  }
}

describe('identity.json at rest', () => {
  test('is sealed: no secret key in the file, the public half readable without the master key, 0600', () => {
    const file = join(dir, 'identity.json');
    const id = generateIdentity('party-1');
    const mk = key();
    writeIdentityFile(file, id, mk);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expectNoSecrets(file, id);
    expect(readPublicIdentityFile(file)).toEqual(publicIdentity(id));
    const { identity, migrated } = readIdentityFile(file, mk);
    expect(migrated).toBe(false);
    expect(hex(identity.signSecret)).toBe(hex(id.signSecret));
    expect(hex(identity.kexSecret)).toBe(hex(id.kexSecret));
  });

  test('a clear identity.json (format 1) is migrated on first read: sealed, same public keys', () => {
    const file = join(dir, 'identity.json');
    const id = generateIdentity('party-2');
    writeSecretFile(file, new TextEncoder().encode(serializeIdentity(id)));
    const mk = key();
    expect(readPublicIdentityFile(file)).toEqual(publicIdentity(id));
    const first = readIdentityFile(file, mk);
    expect(first.migrated).toBe(true);
    expect(publicIdentity(first.identity)).toEqual(publicIdentity(id));
    expectNoSecrets(file, id);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = readIdentityFile(file, mk);
    expect(again.migrated).toBe(false);
    expect(hex(again.identity.signSecret)).toBe(hex(id.signSecret));
    expect(readPublicIdentityFile(file)).toEqual(publicIdentity(id));
  });

  test('another master key, a blob moved from another party or edited public keys do not open, naming the file', () => {
    const a = join(dir, 'a.json'),
      b = join(dir, 'b.json');
    const mk = key();
    const idA = generateIdentity('party-1'),
      idB = generateIdentity('party-2');
    writeIdentityFile(a, idA, mk);
    writeIdentityFile(b, idB, mk);
    expect(() => readIdentityFile(a, key())).toThrow(SecretFileError);
    expect(() => readIdentityFile(a, key())).toThrow(/a\.json: the identity does not open with this party's master key/);
    // party-2's sealed secrets under party-1's public keys.
    const moved = { ...JSON.parse(readFileSync(a, 'utf8')), sealed: JSON.parse(readFileSync(b, 'utf8')).sealed };
    writeFileSync(a, JSON.stringify(moved), { mode: 0o600 });
    expect(() => readIdentityFile(a, mk)).toThrow(/does not open/);
    // party-2's public keys edited to another identity's: the sealed keys no longer open.
    const edited = { ...JSON.parse(readFileSync(b, 'utf8')), signPublic: publicIdentity(idA).signPublic };
    writeFileSync(b, JSON.stringify(edited), { mode: 0o600 });
    expect(() => readIdentityFile(b, mk)).toThrow(/does not open/);
    writeFileSync(b, JSON.stringify({ format: 9 }), { mode: 0o600 });
    expect(() => readIdentityFile(b, mk)).toThrow(/unsupported identity format 9/);
  });

  test('party init seals the new identity under the master key the party will load', () => {
    const partyDir = join(dir, 'party-3');
    const mkHex = randomBytes(32).toString('hex');
    const env = { TUTTI_MASTER_KEY: mkHex };
    const pub = initParty(partyDir, 'party-3', env);
    const file = join(partyDir, 'identity.json');
    expect(readPublicIdentityFile(file)).toEqual(pub);
    const { identity } = readIdentityFile(file, masterKeyFromBytes(Buffer.from(mkHex, 'hex')));
    expect(publicIdentity(identity)).toEqual(pub);
    expectNoSecrets(file, identity);
    // Again: the same identity, no master key needed to print it.
    expect(initParty(partyDir, 'party-3', {})).toEqual(pub);
    expect(() => initParty(partyDir, 'party-4', env)).toThrow(/belongs to party 'party-3'/);
  });

  test('a party daemon started on a clear identity.json rewrites it sealed and runs with the same keys', async () => {
    const partyDir = join(dir, 'party-1');
    const id = generateIdentity('party-1');
    writeSecretFile(join(partyDir, 'identity.json'), new TextEncoder().encode(serializeIdentity(id)));
    writeFileSync(
      join(partyDir, 'peers.json'),
      JSON.stringify({ peers: [publicIdentity(id)], coordinator: generateCoordinatorIdentity('gateway').identity.pin }),
    );
    const lines: string[] = [];
    // No coordinator listens there: the link keeps retrying, which is all this needs.
    const party = await startPartyFromDir(partyDir, { coordinatorUrl: 'ws://127.0.0.1:9/parties', sessionWorkers: 1, log: (l) => lines.push(l) });
    try {
      expect(party.partyId).toBe('party-1');
      expect(lines.some((l) => /held its identity keys in clear; it is now sealed under the master key/.test(l))).toBe(true);
      expectNoSecrets(join(partyDir, 'identity.json'), id);
      expect(readPublicIdentityFile(join(partyDir, 'identity.json'))).toEqual(publicIdentity(id));
    } finally {
      await party.close();
    }
    // The next start opens it with the master key the first start created, and migrates nothing.
    lines.length = 0;
    const again = await startPartyFromDir(partyDir, { coordinatorUrl: 'ws://127.0.0.1:9/parties', sessionWorkers: 1, log: (l) => lines.push(l) });
    await again.close();
    expect(lines.some((l) => /in clear/.test(l))).toBe(false);
  });
});
