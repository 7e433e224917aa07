// The gateway's coordinator key at rest: sealed under the gateway's master key, readable only
// with it; the public pin readable without it; a clear (format 1) file sealed on first load with
// the same key; the master key may come from a command (KMS/HSM envelope).
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createCoordinatorIdentityFile, readCoordinatorIdentityFile, readCoordinatorPinFile } from '../../../services/storage/coordinator-identity-file.ts';
import { loadMasterKey, masterKeyFromBytes } from '../../../services/storage/master-key.ts';
import { generateCoordinatorIdentity, pinVerifier } from '../../../services/transport/coordinator-identity.ts';
import { gatewayPin, initGateway } from '../../../services/main/cluster.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'tutti-coordid-'));
const mk = () => masterKeyFromBytes(randomBytes(32));

describe('coordinator-identity.json sealed', () => {
  test('round trip; no secret in the file; another master key does not open it', () => {
    const file = join(tmp(), 'coordinator-identity.json');
    const key = mk();
    const created = createCoordinatorIdentityFile(file, 'coordinator-abc', key);
    const text = readFileSync(file, 'utf8');
    expect(JSON.parse(text)).toMatchObject({ format: 2, coordinatorId: 'coordinator-abc', signPublic: created.pin.signPublic });
    expect(text).not.toMatch(/signSecret/);
    const { identity, migrated } = readCoordinatorIdentityFile(file, key);
    expect(migrated).toBe(false);
    const msg = new TextEncoder().encode('hello');
    expect(pinVerifier(created.pin)(msg, identity.sign(msg))).toBe(true);
    expect(readCoordinatorPinFile(file)).toEqual(created.pin);
    expect(() => readCoordinatorIdentityFile(file, mk())).toThrow(/does not open with the gateway's master key/);
  });

  test('edited public key beside the sealed secret does not open', () => {
    const file = join(tmp(), 'coordinator-identity.json');
    const key = mk();
    createCoordinatorIdentityFile(file, 'coordinator-abc', key);
    const o = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    o.signPublic = generateCoordinatorIdentity('coordinator-abc').identity.pin.signPublic;
    writeFileSync(file, JSON.stringify(o), { mode: 0o600 });
    expect(() => readCoordinatorIdentityFile(file, key)).toThrow(/does not open/);
  });

  test('a clear format-1 file is sealed at first load, same key', () => {
    const file = join(tmp(), 'coordinator-identity.json');
    const { identity, text } = generateCoordinatorIdentity('coordinator-old');
    writeFileSync(file, text, { mode: 0o600 });
    const key = mk();
    const first = readCoordinatorIdentityFile(file, key);
    expect(first.migrated).toBe(true);
    expect(first.identity.pin).toEqual(identity.pin);
    expect(readFileSync(file, 'utf8')).not.toMatch(/signSecret/);
    expect(readCoordinatorIdentityFile(file, key)).toMatchObject({ migrated: false, identity: { pin: identity.pin } });
  });

  test('initGateway: master key from TUTTI_GATEWAY_MASTER_KEY_COMMAND (an envelope unwrap), not the parties’ variable', () => {
    const dir = tmp();
    const hex = randomBytes(32).toString('hex');
    writeFileSync(join(dir, 'unwrapped.hex'), hex);
    const env = { TUTTI_GATEWAY_MASTER_KEY_COMMAND: `cat ${join(dir, 'unwrapped.hex')}`, TUTTI_MASTER_KEY: 'ff'.repeat(32) };
    const id = initGateway(join(dir, 'gateway'), 'coordinator-x', env);
    // It opens with that key and no master.key file was created.
    const again = initGateway(join(dir, 'gateway'), 'coordinator-x', { TUTTI_GATEWAY_MASTER_KEY: hex });
    expect(again.pin).toEqual(id.pin);
    expect(() => readFileSync(join(dir, 'gateway', 'master.key'))).toThrow();
    expect(gatewayPin(join(dir, 'gateway'), 'coordinator-x', {})).toEqual(id.pin);
    expect(() => initGateway(join(dir, 'gateway'), 'coordinator-x', { TUTTI_GATEWAY_MASTER_KEY: 'ff'.repeat(32) })).toThrow(/does not open/);
  });

  test('a master key command that fails or prints garbage stops the load, naming the variable, never the output', () => {
    const dir = tmp();
    expect(() => loadMasterKey({ dataDir: dir, env: { TUTTI_MASTER_KEY_COMMAND: 'exit 3' } })).toThrow(/TUTTI_MASTER_KEY_COMMAND failed/);
    expect(() => loadMasterKey({ dataDir: dir, env: { TUTTI_MASTER_KEY_COMMAND: 'echo secret-not-hex' } })).toThrow(
      /TUTTI_MASTER_KEY_COMMAND's output must be 64 hex/,
    );
    expect(() => loadMasterKey({ dataDir: dir, env: { TUTTI_MASTER_KEY_COMMAND: 'echo secret-not-hex' } })).not.toThrow(/secret-not-hex/);
    expect(() => loadMasterKey({ dataDir: dir, env: { TUTTI_MASTER_KEY_COMMAND: 'true' } })).toThrow(/printed nothing/);
  });
});
