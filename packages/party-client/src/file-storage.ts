// The vault in a file, for the embedded party in Node (docs/waas.md): written to a temporary file,
// fsync'd, renamed over the old one and the directory fsync'd, so a crash leaves the old or the new
// vault, never a torn one. Mode 0600: the blob is sealed, but nobody else needs to read it.
import { open as openFile, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { VaultStorage } from './vault.ts';

export function fileStorage(path: string): VaultStorage {
  return {
    async load() {
      try {
        return new Uint8Array(await readFile(path));
      } catch (e) {
        if ((e as { code?: string }).code === 'ENOENT') return null;
        throw e;
      }
    },
    async save(sealed) {
      const tmp = `${path}.tmp`;
      const f = await openFile(tmp, 'w', 0o600);
      try {
        await f.writeFile(sealed);
        await f.sync();
      } finally {
        await f.close();
      }
      await rename(tmp, path);
      const d = await openFile(dirname(path), 'r');
      try {
        await d.sync();
      } finally {
        await d.close();
      }
    },
  };
}
