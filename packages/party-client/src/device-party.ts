// DeviceParty: a Tutti party inside a wallet app (docs/waas.md). It runs the daemon's own party core
// (services/party/party.ts: the request checks, the signing-policy gate with its audit log, the
// DKG and signing flows, the sealed envelopes) over in-memory stores (device-state.ts) sealed into
// a vault (vault.ts: IndexedDB in a browser, a file in Node), and talks to the gateway over a
// WebSocket (device-link.ts). Nothing here reconstructs a key: the device holds one share, the
// server parties the others, and a signature needs t of them.
import { randomBytes } from '@noble/hashes/utils.js';
import {
  generateIdentity,
  parseIdentity,
  parsePublicIdentity,
  publicIdentity,
  serializeIdentity,
  type Identity,
  type PublicIdentity,
} from '../../../services/transport/identity.ts';
import { Party } from '../../../services/party/party.ts';
import type { PartyOptions } from '../../../services/party/party-options.ts';
import { PolicyGate } from '../../../services/party/policy-gate.ts';
import type { CoordinatorToParty, PartyToCoordinator } from '../../../services/control/messages.ts';
import type { ControlMessage } from '../../../services/transport/control.ts';
import type { AuditEntry } from '../../../services/storage/policy-store.ts';
import {
  DeviceState,
  MemoryBanStore,
  MemoryConsumedStore,
  MemoryPolicyStore,
  MemorySessionStore,
  MemoryShareStore,
  type DeviceStateJson,
} from './device-state.ts';
import { DeviceLink, type LinkState, type WebSocketConstructor } from './device-link.ts';
import { open, seal, VaultError, type VaultKey, type VaultStorage } from './vault.ts';

export type CoordinatorPin = { coordinatorId: string; signPublic: string };

/** What RegisterDeviceParty answered (or the same in camelCase): the gateway pin and the server parties. */
export type Registration = { coordinator: CoordinatorPin; parties: PublicIdentity[] };

export type OpenOptions = {
  /** `device-…` (1–55 of a–z, 0–9, '-'); the backend registers it (RegisterDeviceParty). */
  partyId: string;
  storage: VaultStorage;
  /** The app's 32-byte vault key or a WebCrypto AES-GCM key (vault.ts). */
  key: VaultKey;
  log?: (line: string) => void;
};

export type ConnectOptions = {
  /** ws(s)://gateway/parties */
  url: string;
  /** From RegisterDeviceParty; kept in the vault, so later connects may leave it out. */
  registration?: Registration;
  WebSocket?: WebSocketConstructor;
  onState?: (state: LinkState, detail: string) => void;
  /**
   * Where the heavy sessions run (a DKLs23 key generation: seconds of CPU). Default: inline, on
   * this thread — fine in a browser, whose network layer answers the gateway's pings meanwhile; in
   * Node, where `ws` answers pings on this thread, pass `workerSessionHost()` (node.ts) so the
   * gateway does not take a busy device for a dead one.
   */
  sessionHost?: PartyOptions['sessionHost'];
};

type VaultBody = { identity: string; registration?: Registration; state?: DeviceStateJson };

export class DevicePartyError extends Error {
  override name = 'DevicePartyError';
}

export class DeviceParty {
  readonly #identity: Identity;
  #registration: Registration | undefined;
  readonly #state: DeviceState;
  #saving: Promise<void> = Promise.resolve();
  #saveError: Error | undefined;
  #queued = false;
  #outbox: Promise<void> = Promise.resolve();
  #link: DeviceLink | undefined;
  #party: Party | undefined;
  #sweep: ReturnType<typeof setInterval> | undefined;
  readonly #policies: MemoryPolicyStore;
  /** Messages this device refused to send because its vault could not be written. */
  undeliverable = 0;

  private constructor(
    private readonly o: OpenOptions,
    body: VaultBody,
  ) {
    this.#identity = parseIdentity(body.identity);
    if (this.#identity.partyId !== o.partyId) throw new DevicePartyError(`the vault holds party ${this.#identity.partyId}, not ${o.partyId}`);
    this.#registration = body.registration;
    this.#state = new DeviceState(body.state ?? null, () => this.#persist());
    this.#policies = new MemoryPolicyStore(this.#state);
  }

  /**
   * Opens the device party kept in `storage` (sealed under `key`), or makes a new one — a fresh
   * identity — when the storage is empty. Throws VaultError when the key does not open it.
   */
  static async open(o: OpenOptions): Promise<DeviceParty> {
    if (!/^device-[a-z0-9][a-z0-9-]{0,54}$/.test(o.partyId))
      throw new DevicePartyError(`a device party id is 'device-' followed by 1–55 of a–z, 0–9 and '-', got '${o.partyId}'`);
    const sealed = await o.storage.load();
    let body: VaultBody;
    if (sealed) body = JSON.parse(new TextDecoder().decode(await open(o.key, o.partyId, sealed))) as VaultBody;
    else body = { identity: serializeIdentity(generateIdentity(o.partyId, randomBytes)) };
    const p = new DeviceParty(o, body);
    if (!sealed) await p.#save();
    return p;
  }

  /** What the wallet backend sends to RegisterDeviceParty. */
  get identity(): PublicIdentity {
    return publicIdentity(this.#identity);
  }

  get partyId(): string {
    return this.#identity.partyId;
  }

  /** Key ids this device holds a share of. */
  keys(): string[] {
    return new MemoryShareStore(this.#state).listActive();
  }

  /** This device's policy decisions, hash-chained (the daemon's audit log format, policies.md). */
  auditLog(afterSeq = 0): AuditEntry[] {
    return this.#policies.auditLog(afterSeq);
  }

  /** Connects to the gateway and takes part in the sessions of its keys until close(). */
  async connect(c: ConnectOptions): Promise<void> {
    if (this.#link) throw new DevicePartyError('already connected; close() first');
    if (c.registration) {
      this.#registration = { coordinator: c.registration.coordinator, parties: c.registration.parties.map((p) => parsePublicIdentity(p)) };
      await this.#save();
    }
    const reg = this.#registration;
    if (!reg) throw new DevicePartyError('no registration: pass connect({ registration }) with what RegisterDeviceParty answered (Coordinator, Parties)');
    const options: PartyOptions = {
      identity: this.#identity,
      allowlist: [...reg.parties, this.identity],
      shares: new MemoryShareStore(this.#state) as unknown as PartyOptions['shares'],
      consumed: new MemoryConsumedStore(this.#state) as unknown as PartyOptions['consumed'],
      bans: new MemoryBanStore(this.#state) as unknown as PartyOptions['bans'],
      sessionIds: new MemorySessionStore(this.#state) as unknown as PartyOptions['sessionIds'],
      policies: new PolicyGate({ store: this.#policies as unknown as ConstructorParameters<typeof PolicyGate>[0]['store'] }),
      send: (msg) => this.#send(msg),
      ...(c.sessionHost ? { sessionHost: c.sessionHost } : {}),
      ...(this.o.log ? { log: this.o.log } : {}),
    };
    this.#party = new Party(options);
    new MemoryShareStore(this.#state).discardAllPending();
    const party = this.#party;
    this.#link = new DeviceLink({
      url: c.url,
      identity: this.#identity,
      coordinator: reg.coordinator,
      onMessage: (m: ControlMessage) => party.handle(m as unknown as CoordinatorToParty),
      ...(c.WebSocket ? { WebSocket: c.WebSocket } : {}),
      onState: (s, d) => {
        this.o.log?.(`${this.partyId}: link ${s}: ${d}`);
        c.onState?.(s, d);
      },
    });
    this.#link.start();
    this.#sweep = setInterval(() => party.sweep(), 5000);
    await this.#link.ready();
  }

  /** Disconnects; waits for the vault to be written. */
  async close(): Promise<void> {
    clearInterval(this.#sweep);
    this.#link?.close();
    this.#link = undefined;
    this.#party = undefined;
    await this.#saving;
  }

  /** Every message waits for the vault writes made before it: durable before it leaves. */
  #send(msg: PartyToCoordinator): void {
    this.#outbox = this.#outbox
      .then(() => this.#saving)
      .then(() => {
        if (this.#saveError) throw this.#saveError;
        this.#link?.send(msg);
      })
      .catch((e: unknown) => {
        this.undeliverable++;
        this.o.log?.(`${this.partyId}: not sending ${msg.type}: the vault could not be written (${(e as Error).message})`);
      });
  }

  /**
   * Schedules a write of the whole state. Changes made while one write is waiting share it (one
   * seal, one fsync): what matters is that a message waits for a write that started after the
   * changes made before it.
   */
  #persist(): void {
    if (this.#queued) return;
    this.#queued = true;
    this.#saving = this.#saving.then(() => {
      this.#queued = false;
      return this.#save();
    });
  }

  async #save(): Promise<void> {
    try {
      const body: VaultBody = {
        identity: serializeIdentity(this.#identity),
        ...(this.#registration ? { registration: this.#registration } : {}),
        state: this.#state.toJSON(),
      };
      await this.o.storage.save(await seal(this.o.key, this.partyId, new TextEncoder().encode(JSON.stringify(body))));
      this.#saveError = undefined;
    } catch (e) {
      this.#saveError = e instanceof Error ? e : new VaultError(String(e));
    }
  }
}
