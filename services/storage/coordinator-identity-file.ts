// The gateway's coordinator-identity.json, its Ed25519 secret sealed under the gateway's master
// key, as a party's identity.json is under the party's (identity-file.ts): a copy of the gateway
// folder without the master key cannot impersonate the coordinator to the parties.
//
//   { "format": 2, "coordinatorId": …, "signPublic": <hex>,
//     "sealed": <hex of sealAtRest(master key, seed, aad)> }
//   aad = JSON [LABELS.coordinatorIdentityAtRest, coordinatorId, signPublic]
//
// A format-1 file (secret in clear, as written before) is rewritten sealed at the first load with
// the master key, with the same key: the parties' pins stay valid.
import { randomBytes } from 'node:crypto';
import { readSecretJson, SecretFileError, writeSecretFile } from './secret-file.ts';
import { openAtRest, sealAtRest, SealedBoxError } from './sealed-box.ts';
import type { MasterKey } from './master-key.ts';
import { LABELS } from '../../protocols/core/labels.ts';
import { bytesToHex, hexToBytes } from '../../protocols/core/bytes.ts';
import {
  coordinatorIdentityFromSeed,
  parseCoordinatorIdentity,
  parseCoordinatorPin,
  type CoordinatorIdentity,
  type CoordinatorPin,
} from '../transport/coordinator-identity.ts';

const SEALED_FORMAT = 2;
const CLEAR_FORMAT = 1;

/** The gateway's master key variable: the parties' TUTTI_MASTER_KEY may be set in the same environment (npm start). */
export const GATEWAY_MASTER_KEY_ENV = 'TUTTI_GATEWAY_MASTER_KEY';

function aadOf(pin: CoordinatorPin): Uint8Array {
  return new TextEncoder().encode(JSON.stringify([LABELS.coordinatorIdentityAtRest, pin.coordinatorId, pin.signPublic]));
}

/** Creates a new coordinator identity in `file` (exclusive), sealed under `masterKey`. */
export function createCoordinatorIdentityFile(file: string, coordinatorId: string, masterKey: MasterKey): CoordinatorIdentity {
  const seed = new Uint8Array(randomBytes(32));
  try {
    const identity = coordinatorIdentityFromSeed(coordinatorId, seed);
    writeSealed(file, identity.pin, seed, masterKey, false);
    return identity;
  } finally {
    seed.fill(0);
  }
}

function writeSealed(file: string, pin: CoordinatorPin, seed: Uint8Array, masterKey: MasterKey, overwrite: boolean): void {
  const sealed = sealAtRest(masterKey, seed, aadOf(pin));
  const text = JSON.stringify({ format: SEALED_FORMAT, ...pin, sealed: bytesToHex(sealed) }, null, 2) + '\n';
  writeSecretFile(file, new TextEncoder().encode(text), { overwrite });
}

/** The public pin in `file`, without the master key (either format). */
export function readCoordinatorPinFile(file: string): CoordinatorPin {
  const { text, o } = readSecretJson(file);
  try {
    if (o.format === SEALED_FORMAT) return parseCoordinatorPin({ coordinatorId: o.coordinatorId, signPublic: o.signPublic });
    return parseCoordinatorIdentity(text).pin;
  } catch (e) {
    throw new SecretFileError(file, (e as Error).message, { cause: e });
  }
}

/**
 * The gateway's identity from `file`, opened with its master key; a format-1 (clear) file is
 * rewritten sealed first (`migrated`), with the same key.
 */
export function readCoordinatorIdentityFile(file: string, masterKey: MasterKey): { identity: CoordinatorIdentity; migrated: boolean } {
  const { text, o } = readSecretJson(file);
  if (o.format === CLEAR_FORMAT) {
    let identity: CoordinatorIdentity;
    try {
      identity = parseCoordinatorIdentity(text);
    } catch (e) {
      throw new SecretFileError(file, (e as Error).message, { cause: e });
    }
    const seed = hexToBytes(o.signSecret as string);
    try {
      writeSealed(file, identity.pin, seed, masterKey, true);
    } finally {
      seed.fill(0);
    }
    return { identity, migrated: true };
  }
  if (o.format !== SEALED_FORMAT) throw new SecretFileError(file, `unsupported coordinator identity format ${JSON.stringify(o.format)}`);
  let pin: CoordinatorPin;
  try {
    pin = parseCoordinatorPin({ coordinatorId: o.coordinatorId, signPublic: o.signPublic });
    if (typeof o.sealed !== 'string' || !/^(?:[0-9a-f]{2})+$/.test(o.sealed)) throw new TypeError('sealed must be lowercase hex');
  } catch (e) {
    throw new SecretFileError(file, (e as Error).message, { cause: e });
  }
  let seed: Uint8Array;
  try {
    seed = openAtRest(masterKey, hexToBytes(o.sealed), aadOf(pin));
  } catch (e) {
    if (!(e instanceof SealedBoxError)) throw e;
    throw new SecretFileError(
      file,
      `the coordinator identity does not open with the gateway's master key (${GATEWAY_MASTER_KEY_ENV} or master.key): another master key sealed it, or the file was altered`,
      { cause: e },
    );
  }
  try {
    if (seed.length !== 32) throw new SecretFileError(file, 'sealed coordinator key has the wrong length');
    const identity = coordinatorIdentityFromSeed(pin.coordinatorId, seed);
    if (identity.pin.signPublic !== pin.signPublic) throw new SecretFileError(file, 'the sealed secret key does not match the public key beside it');
    return { identity, migrated: false };
  } finally {
    seed.fill(0);
  }
}
