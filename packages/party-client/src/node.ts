// Node entry of @tutti/party-client: everything in index.ts, the vault in a file, and worker
// threads for the heavy sessions (the daemon's SessionHost).
import { SessionHost } from '../../../services/party/session-host.ts';
export * from './index.ts';
export { fileStorage } from './file-storage.ts';

/** Worker threads for DKLs23 key generation (close() it when the app stops). */
export function workerSessionHost(size = 1): SessionHost {
  return new SessionHost({ size });
}
