// The key record follows a reshare (ReshareKey) or a refresh without some parties once the new
// holders activated (docs/protocols.md "Refresh activation"). Two paths write it: the flow that ran
// the session (reshare.ts, refresh.ts), and refresh-activation.ts `onCertified` (wired in
// services/main/gateway.ts) when a member reports a recent activation — which every party does on
// each (re)connect, so that a gateway that crashed before recording learns the new holders
// (services/party/activation.ts `onQuery`). A member that restarts right as the session's flow
// finishes makes both paths run: whichever writes second finds the record already naming the new
// holders. That is the same outcome, not a conflict; a record moved anywhere else still fails.
import type { KeyStore } from '../storage/gateway-store.ts';
import { KeyRepositoryError } from '../storage/key-repository.ts';

/** Moves the record from `from` to `to` (and `threshold`, for a reshare), or accepts it already moved there. */
export async function recordHolders(keys: KeyStore, keyId: string, from: string[], to: string[], threshold: number | undefined, now: number): Promise<void> {
  try {
    if (threshold === undefined) await keys.replaceParties(keyId, from, to, now);
    else await keys.reshare(keyId, from, to, threshold, now);
  } catch (err) {
    if (!(err instanceof KeyRepositoryError)) throw err;
    const k = await keys.get(keyId);
    const followed = k && JSON.stringify(k.parties) === JSON.stringify(to) && (threshold === undefined || k.threshold === threshold);
    if (!followed) throw err;
  }
}
