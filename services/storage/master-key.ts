// The party's master key: the root of encryption at rest. It is loaded once at start and held as a
// Node KeyObject, which never prints its bytes (util.inspect, JSON.stringify) and is exported only
// by an explicit call; nothing in Tutti makes that call.
import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { readSecretFile, SecretFileError, writeSecretFile } from './secret-file.ts';

/** A 32-byte secret KeyObject. */
export type MasterKey = KeyObject;

export const MASTER_KEY_ENV = 'TUTTI_MASTER_KEY';
export const MASTER_KEY_FILE = 'master.key';
export const MASTER_KEY_BYTES = 32;

/** The master key could not be loaded. The message names its source (variable or file), never the key. */
export class MasterKeyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MasterKeyError';
  }
}

export type LoadMasterKeyOptions = {
  /** The party's data directory; holds `master.key` when the key does not come from the environment. */
  dataDir: string;
  /** Usually process.env. An empty TUTTI_MASTER_KEY counts as unset. */
  env: Record<string, string | undefined>;
  /**
   * The variable holding the key (default TUTTI_MASTER_KEY); the gateway uses TUTTI_GATEWAY_MASTER_KEY.
   * `<envName>_COMMAND`, if set, is a shell command whose standard output is the key in hex: the
   * hook for a key kept wrapped by an external KMS or HSM (docs/operations.md "Master keys").
   */
  envName?: string;
};

/** Runs the envelope command and returns what it printed (trimmed); it never goes to a log. */
function fromCommand(name: string, command: string): string {
  try {
    return execFileSync('/bin/sh', ['-c', command], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 30_000, maxBuffer: 4096 }).trim();
  } catch (e) {
    throw new MasterKeyError(`${name}_COMMAND failed: ${(e as Error).message.split('\n')[0]}`, { cause: e });
  }
}

/**
 * Loads the master key from `TUTTI_MASTER_KEY_COMMAND`'s output or `TUTTI_MASTER_KEY` (64 hex
 * characters) if set (names per `envName`), else from
 * `<dataDir>/master.key` (32 raw bytes, mode 0600), which is created with fresh random bytes on
 * first start. Creation is exclusive: two processes starting at once end up with the same key.
 * @throws MasterKeyError naming the source when the key is malformed or its file is unsafe.
 */
export function loadMasterKey({ dataDir, env, envName = MASTER_KEY_ENV }: LoadMasterKeyOptions): MasterKey {
  const command = env[`${envName}_COMMAND`];
  const source = command ? `${envName}_COMMAND's output` : envName;
  const hex = command ? fromCommand(envName, command) : env[envName];
  if (command && hex === '') throw new MasterKeyError(`${envName}_COMMAND printed nothing`);
  if (hex !== undefined && hex !== '') {
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
      throw new MasterKeyError(
        `${source} must be ${MASTER_KEY_BYTES * 2} hex characters ` +
          `(${MASTER_KEY_BYTES} bytes); it has ${hex.length} characters` +
          (/^[0-9a-fA-F]*$/.test(hex) ? '' : ', not all of them hex'),
      );
    }
    return masterKeyFromBytes(Buffer.from(hex, 'hex'));
  }
  const file = join(dataDir, MASTER_KEY_FILE);
  let bytes: Uint8Array;
  try {
    bytes = readOrCreate(file);
  } catch (e) {
    // SecretFileError messages start with the path already; fs errors name it too, but tersely.
    const detail = e instanceof SecretFileError ? e.message : `${file}: ${(e as Error).message}`;
    throw new MasterKeyError(`master key file ${detail}`, { cause: e });
  }
  if (bytes.length !== MASTER_KEY_BYTES) {
    bytes.fill(0);
    throw new MasterKeyError(`master key file ${file} must hold exactly ${MASTER_KEY_BYTES} bytes; it holds ${bytes.length}`);
  }
  return masterKeyFromBytes(bytes);
}

/**
 * Wraps 32 bytes as a MasterKey and zeroes `bytes` (the KeyObject keeps its own copy).
 * For tests and tools; services get the key from loadMasterKey.
 */
export function masterKeyFromBytes(bytes: Uint8Array): MasterKey {
  if (bytes.length !== MASTER_KEY_BYTES) throw new MasterKeyError(`a master key is ${MASTER_KEY_BYTES} bytes, got ${bytes.length}`);
  const key = createSecretKey(bytes);
  bytes.fill(0);
  return key;
}

function readOrCreate(file: string): Uint8Array {
  try {
    return readSecretFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const fresh = randomBytes(MASTER_KEY_BYTES);
  try {
    writeSecretFile(file, fresh, { overwrite: false });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    fresh.fill(0); // another process created it first: use theirs
    return readSecretFile(file);
  }
  return fresh;
}
