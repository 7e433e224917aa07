// Small secret files (the master key, identity keys): written atomically with mode 0600, and read
// only if no one but the owner can access them.
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fstatSync, fsyncSync, linkSync, mkdirSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** A secret file that is missing, malformed or too widely accessible. The message names the file. */
export class SecretFileError extends Error {
  readonly path: string;
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(`${path}: ${message}`, options);
    this.name = 'SecretFileError';
    this.path = path;
  }
}

export type WriteSecretFileOptions = {
  /**
   * false: fail with code EEXIST if `path` already exists, instead of replacing it. Two processes
   * creating the same file at once then agree on one content.
   */
  overwrite?: boolean;
};

/** Larger than any secret we keep; guards against reading a wrong, huge file into memory. */
const MAX_SECRET_FILE_BYTES = 1 << 20;

/**
 * Writes `bytes` to `path` atomically: a temporary file in the same directory, created with mode
 * 0600 and fsynced, is renamed over `path` (or hard-linked to it, with `overwrite: false`), then
 * the directory is fsynced. After a crash `path` holds the old content or the new, never a prefix.
 * The parent directory is created with mode 0700 if missing.
 */
export function writeSecretFile(path: string, bytes: Uint8Array, options: WriteSecretFileOptions = {}): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${basename(path)}.${randomBytes(8).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  let placed = false;
  try {
    try {
      fchmodSync(fd, 0o600); // openSync's mode is masked by the umask; be exact.
      for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (options.overwrite === false) {
      linkSync(tmp, path); // atomic create-if-absent: EEXIST when someone else got there first
      unlinkSync(tmp);
    } else {
      renameSync(tmp, path);
    }
    placed = true;
    fsyncDirectory(dir);
  } finally {
    if (!placed) {
      try {
        unlinkSync(tmp);
      } catch {
        /* already gone */
      }
    }
  }
}

/**
 * Reads a secret file, refusing one that group or other may access in any way (a readable key is
 * disclosed; a writable one can be swapped for a key the writer knows).
 * @throws SecretFileError naming the file and its mode; the fs error (code ENOENT) if it is missing.
 */
export function readSecretFile(path: string): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    // Checked on the open descriptor, so the file cannot be swapped between check and read.
    const st = fstatSync(fd);
    if (!st.isFile()) throw new SecretFileError(path, 'not a regular file');
    const perm = st.mode & 0o777;
    if (perm & 0o077) {
      throw new SecretFileError(path, `mode ${octal(perm)} lets group or other access this secret; ` + `it must be 0600 or stricter (chmod 600 ${path})`);
    }
    if (st.size > MAX_SECRET_FILE_BYTES) throw new SecretFileError(path, `too large for a secret (${st.size} bytes)`);
    const out = new Uint8Array(st.size);
    let off = 0;
    while (off < out.length) {
      const n = readSync(fd, out, off, out.length - off, off);
      if (n === 0) break;
      off += n;
    }
    if (off !== out.length) throw new SecretFileError(path, `changed size while being read (${off} of ${st.size} bytes)`);
    return out;
  } finally {
    closeSync(fd);
  }
}

function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function octal(mode: number): string {
  return '0' + mode.toString(8).padStart(3, '0');
}

/**
 * A secret file holding one JSON object (the identity files): its text and the object. The bytes
 * read are zeroed; the text, a JS string, cannot be.
 * @throws SecretFileError naming the file when it is not a JSON object.
 */
export function readSecretJson(path: string): { text: string; o: Record<string, unknown> } {
  const bytes = readSecretFile(path);
  const text = Buffer.from(bytes).toString('utf8');
  bytes.fill(0);
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    throw new SecretFileError(path, 'not valid JSON');
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new SecretFileError(path, 'not a JSON object');
  return { text, o: o as Record<string, unknown> };
}
