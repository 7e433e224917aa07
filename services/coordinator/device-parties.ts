// Device parties (issue 16, docs/waas.md): a party that runs inside a wallet app — a browser tab or a
// Node process on the user's machine — through the embedded party library (packages/party-client).
// Unlike a daemon, it is not in the gateway's configuration: the wallet backend registers its
// identity (RegisterDeviceParty, an authenticated extension operation) and then names it in
// CreateKey's `tutti:parties` tag. The gateway lets a registered device authenticate on /parties
// like any party and, in each DKG open, hands the daemons the device identities the key names
// (OpenDkg.devices), signed like every control message; the daemons accept such a peer only under
// a `device-` id, which no configured party has (docs/security.md "Device parties").
//
// The registry is public data (ids and public keys), kept in one JSON file beside keys.db.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parsePublicIdentity, type PublicIdentity } from '../transport/identity.ts';

/** A device party id: `device-` and 1–55 of [a-z0-9-]; within the party id grammar (identity.ts). */
export const DEVICE_ID_RE = /^device-[a-z0-9][a-z0-9-]{0,54}$/;

export function isDevicePartyId(id: string): boolean {
  return DEVICE_ID_RE.test(id);
}

export class DevicePartyConflict extends Error {}

export class DeviceParties {
  readonly #byId = new Map<string, PublicIdentity>();
  readonly #listeners: Array<(all: PublicIdentity[]) => void> = [];

  /** `file`: where the registry is kept (null: memory only, tests). */
  constructor(private readonly file: string | null) {
    if (file && existsSync(file)) {
      for (const p of JSON.parse(readFileSync(file, 'utf8')) as unknown[]) {
        const v = parsePublicIdentity(p);
        this.#byId.set(v.partyId, v);
      }
    }
  }

  /**
   * Registers a device identity. The same identity again is a no-op (the backend may retry);
   * other keys under a registered id are refused: a device that lost its keys gets a new id, and
   * its keys go through the backend's recovery, not a silent swap under every key it is part of.
   */
  register(identity: PublicIdentity): { created: boolean } {
    const v = parsePublicIdentity(identity);
    if (!isDevicePartyId(v.partyId)) throw new TypeError(`a device party id is 'device-' followed by 1–55 of a–z, 0–9 and '-', got '${v.partyId}'`);
    const known = this.#byId.get(v.partyId);
    if (known) {
      if (known.signPublic === v.signPublic && known.kexPublic === v.kexPublic) return { created: false };
      throw new DevicePartyConflict(`device party ${v.partyId} is registered with other keys; register the device under a new id`);
    }
    this.#byId.set(v.partyId, v);
    this.#save();
    for (const l of this.#listeners) l(this.list());
    return { created: true };
  }

  get(id: string): PublicIdentity | undefined {
    return this.#byId.get(id);
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  ids(): string[] {
    return [...this.#byId.keys()];
  }

  list(): PublicIdentity[] {
    return [...this.#byId.values()];
  }

  /** Called with the full list after every new registration (the hub's allowlist follows it). */
  onChange(listener: (all: PublicIdentity[]) => void): void {
    this.#listeners.push(listener);
  }

  #save(): void {
    if (!this.file) return;
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.list(), null, 2) + '\n', { mode: 0o644 });
    renameSync(tmp, this.file);
  }
}

/**
 * Waits until every device party among `parties` that is offline connects, polling `isConnected`,
 * for at most `waitMs` (a device comes online when its user opens the app; the caller's request
 * stays open that long). Returns the device parties still offline (empty: all connected).
 */
export async function awaitDevices(
  parties: readonly string[],
  devices: DeviceParties | undefined,
  isConnected: (id: string) => boolean,
  waitMs: number,
): Promise<string[]> {
  if (!devices) return [];
  const offline = () => parties.filter((p) => devices.has(p) && !isConnected(p));
  const deadline = Date.now() + waitMs;
  let left = offline();
  while (left.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, Math.min(100, Math.max(1, deadline - Date.now()))));
    left = offline();
  }
  return left;
}

/** The KeyUnavailableException text for device parties that stayed offline: what happened and what to do. */
export function devicesOfflineMessage(op: string, offline: readonly string[], waitMs: number): string {
  return (
    `${op} needs device part${offline.length > 1 ? 'ies' : 'y'} ${offline.join(', ')}, which did not connect within ${waitMs} ms. ` +
    'Open the wallet app on that device (its DeviceParty must be started and online) and retry.'
  );
}

/** What RegisterDeviceParty answers: everything the app needs to configure its DeviceParty. */
export type DeviceRegistration = {
  created: boolean;
  /** The gateway's key, which the device pins (coordinator-identity.ts). */
  coordinator: { coordinatorId: string; signPublic: string } | undefined;
  /** The daemon parties' identities: the device's allowlist of peers. */
  parties: PublicIdentity[];
};
