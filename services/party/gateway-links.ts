// A party connected to several gateway replicas (docs/operations.md "Gateway replicas"): one
// PartyLink per gateway, each with its own pinned key. Each replica runs its own sessions, so a
// session belongs to the link its `open` came on, and everything the party sends about it goes
// back on that link only (another replica does not know the session). What is not about a
// session:
//   - `premade` (commitments of pre-made nonce pairs, made after a Sign asked for them) goes to the
//     link of the latest session of that key: the stock of pre-made commitments is per replica
//     (services/coordinator/premade-stock.ts), and a pair offered to two replicas could be asked for
//     twice (the party refuses the second use, single-use nonces, but that Sign would fail);
//   - `key-deleted` goes to every link: the deletion schedule is in the shared database, and
//     confirming twice is harmless; so does a `refresh-state` of a session the party does not know.
// With one link (one gateway: the default configuration) everything goes on it, as before.
import type { ControlMessage } from '../transport/control.ts';
import type { PartyToCoordinator } from '../control/messages.ts';

/** What a GatewayLinks needs of a link (PartyLink in production). */
export type RoutableLink = { send: (msg: ControlMessage) => boolean; isReady: () => boolean };

/** How many sessions and keys to remember the link of (oldest forgotten first). */
const MAX_REMEMBERED = 10_000;

export class GatewayLinks<L extends RoutableLink = RoutableLink> {
  private readonly sessionLink = new Map<string, L>();
  private readonly keyLink = new Map<string, L>();

  constructor(readonly links: readonly L[]) {
    if (links.length === 0) throw new TypeError('a party needs at least one gateway');
  }

  /** Call for every message a link delivers, before the party handles it. */
  received(link: L, msg: { type?: unknown; session?: unknown; keyId?: unknown }): void {
    if (this.links.length === 1) return;
    if (msg.type === 'open' && typeof msg.session === 'string') {
      remember(this.sessionLink, msg.session, link);
      if (typeof msg.keyId === 'string') remember(this.keyLink, msg.keyId, link);
    }
  }

  /** Sends a party's message on the link(s) it belongs to. False if it went nowhere. */
  send(msg: PartyToCoordinator): boolean {
    const control = msg as unknown as ControlMessage;
    if (this.links.length === 1) return this.links[0]!.send(control);
    if ('session' in msg && typeof msg.session === 'string') {
      const link = this.sessionLink.get(msg.session);
      if (link) return link.send(control);
      // A session this party never saw opened (or forgot): only a refresh's state is still worth
      // telling every replica (the one running its activation recognizes it).
      if (msg.type !== 'refresh-state') return false;
    }
    if (msg.type === 'premade') {
      const link = this.keyLink.get(msg.keyId) ?? this.links.find((l) => l.isReady());
      return link ? link.send(control) : false;
    }
    let sent = false;
    for (const l of this.links) sent = l.send(control) || sent;
    return sent;
  }

  /** Whether any gateway link is up. */
  anyReady(): boolean {
    return this.links.some((l) => l.isReady());
  }
}

function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_REMEMBERED) map.delete(map.keys().next().value as K);
}
