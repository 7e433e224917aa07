// Real Party objects (real SQLite stores in a temp folder, Ed25519) and a coordinator the test
// plays: the real SessionRunner relays honestly; `deliver` sends anything, hostile or not. Each
// party is wired as party-daemon.ts wires it: the gateway's pinned key, deletion records and
// tombstones, durable session ids. (After the trust review's harness, E4–E6.)
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../services/storage/db.ts';
import { masterKeyFromBytes, type MasterKey } from '../../services/storage/master-key.ts';
import { ShareStore } from '../../services/storage/share-store.ts';
import { ConsumedStore } from '../../services/storage/consumed-store.ts';
import { PolicyStore } from '../../services/storage/policy-store.ts';
import { BanStore } from '../../services/storage/ban-store.ts';
import { DeletionStore } from '../../services/storage/deletion-store.ts';
import { SessionStore } from '../../services/storage/session-store.ts';
import { RefreshStore } from '../../services/storage/refresh-store.ts';
import { PolicyGate } from '../../services/party/policy-gate.ts';
import { Party } from '../../services/party/party.ts';
import type { SessionRunner } from '../../services/coordinator/session-runner.ts';
import { TappedSessionRunner } from '../../services/coordinator/fault-injection.ts';
import { generateIdentity, publicIdentity, type Identity, type PublicIdentity } from '../../services/transport/identity.ts';
import { generateCoordinatorIdentity, type CoordinatorIdentity } from '../../services/transport/coordinator-identity.ts';
import { deletionCancelBytes, deletionRecordBytes, type DeletionCancel, type DeletionRecord } from '../../services/control/deletion-records.ts';
import { bytesToBase64 } from '../../services/transport/control.ts';
import type { CoordinatorToParty, DkgResult, EnvelopeMessage, PartyToCoordinator } from '../../services/control/messages.ts';
import { defaultSigningPolicy } from '../../policies/default-policy.ts';

export const turn = () => new Promise<void>((r) => setImmediate(r));

export type HarnessNode = {
  id: string;
  identity: Identity;
  db: Database;
  masterKey: MasterKey;
  shares: ShareStore;
  consumed: ConsumedStore;
  policyStore: PolicyStore;
  deletions: DeletionStore;
  party: Party;
  logs: string[];
};

export type Harness = {
  dir: string;
  ids: string[];
  nodes: Map<string, HarnessNode>;
  allowlist: PublicIdentity[];
  runner: SessionRunner;
  gateway: CoordinatorIdentity;
  sent: { party: string; msg: PartyToCoordinator }[];
  relayed: { from: string; msg: EnvelopeMessage }[];
  deliver: (partyId: string, msg: CoordinatorToParty) => void;
  /** A fresh Party object on the same database and identity (a process restart). */
  restart: (partyId: string) => void;
  intercept?: (party: string, msg: PartyToCoordinator) => boolean;
  dkg: (keyId: string, policy?: unknown) => Promise<Map<number, DkgResult>>;
  /** A deletion record signed by the gateway key (or by `by`). */
  deletionRecord: (keyId: string, o?: { scheduledAt?: number; windowDays?: number; by?: CoordinatorIdentity }) => DeletionRecord;
  cancel: (keyId: string, cancelledAt?: number) => DeletionCancel;
  close: () => void;
};

export const KEY_SPEC = 'ECC_NIST_EDWARDS25519';

export function makeHarness(o: { n?: number; deletionWaitMs?: number; refreshes?: boolean } = {}): Harness {
  const n = o.n ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'tutti-harness-'));
  const ids = Array.from({ length: n }, (_, i) => `party-${i + 1}`);
  const identities = ids.map((id) => generateIdentity(id));
  const allowlist = identities.map(publicIdentity);
  const gateway = generateCoordinatorIdentity('coordinator-test').identity;
  const nodes = new Map<string, HarnessNode>();
  const h = { dir, ids, nodes, allowlist, gateway, sent: [], relayed: [] } as unknown as Harness;
  h.deliver = (partyId, msg) => setImmediate(() => nodes.get(partyId)!.party.handle(msg));
  h.runner = new TappedSessionRunner(
    {
      isConnected: () => true,
      send: (partyId, msg) => {
        h.deliver(partyId, msg);
        return true;
      },
    },
    { roundTimeoutMs: 5_000 },
    (msg, from) => {
      h.relayed.push({ from, msg: { ...msg, data: Uint8Array.from(msg.data) } });
      return msg;
    },
  );
  const build = (identity: Identity, db: Database, masterKey: MasterKey): HarnessNode => {
    const id = identity.partyId;
    const shares = new ShareStore(db, masterKey);
    const consumed = new ConsumedStore(db);
    const policyStore = new PolicyStore(db, masterKey);
    const deletions = new DeletionStore(db);
    const logs: string[] = [];
    const party = new Party({
      identity,
      allowlist,
      shares,
      consumed,
      policies: new PolicyGate({ store: policyStore }),
      bans: new BanStore(db),
      coordinator: gateway.pin,
      deletions,
      deletionWaitMs: o.deletionWaitMs,
      sessionIds: new SessionStore(db),
      // Refresh and reshare activation records (activation.ts), when a test runs them.
      ...(o.refreshes ? { refreshes: new RefreshStore(db) } : {}),
      log: (l) => logs.push(l),
      send: (msg) => {
        h.sent.push({ party: id, msg });
        if (h.intercept?.(id, msg)) return;
        if (msg.type === 'premade' || msg.type === 'key-deleted') return;
        setImmediate(() => h.runner.onMessage(id, msg));
      },
    });
    return { id, identity, db, masterKey, shares, consumed, policyStore, deletions, party, logs };
  };
  for (const identity of identities) {
    const db = openDatabase(join(dir, identity.partyId, 'shares.db'));
    nodes.set(identity.partyId, build(identity, db, masterKeyFromBytes(randomBytes(32))));
  }
  h.restart = (partyId) => {
    const node = nodes.get(partyId)!;
    nodes.set(partyId, build(node.identity, node.db, node.masterKey));
  };
  h.dkg = async (keyId, policy = defaultSigningPolicy(KEY_SPEC, ['ED25519_SHA_512'])) =>
    (await h.runner.run('frost-ed25519/dkg', new Map(ids.map((p, i) => [i + 1, p])), (session) => ({
      type: 'open',
      kind: 'dkg',
      session,
      keyId,
      keySpec: KEY_SPEC,
      protocol: 'frost-ed25519',
      threshold: 2,
      parties: ids,
      policy,
    }))) as Map<number, DkgResult>;
  h.deletionRecord = (keyId, r = {}) => {
    const by = r.by ?? gateway;
    const fields = { keyId, coordinatorId: by.coordinatorId, scheduledAt: r.scheduledAt ?? Date.now(), windowDays: r.windowDays ?? 7 };
    return { ...fields, signature: bytesToBase64(by.sign(deletionRecordBytes(fields))) };
  };
  h.cancel = (keyId, cancelledAt = Date.now()) => {
    const fields = { keyId, coordinatorId: gateway.coordinatorId, cancelledAt };
    return { ...fields, signature: bytesToBase64(gateway.sign(deletionCancelBytes(fields))) };
  };
  h.close = () => {
    for (const node of nodes.values()) node.db.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return h;
}

/**
 * Waits until `ok()` or `turns` event-loop turns passed: for what the parties do in answer to a
 * delivered message. For what waits on a party's own timers use within(): a fixed number of turns
 * passes in less time on a faster machine.
 */
export async function until(ok: () => boolean, turns = 4000): Promise<boolean> {
  for (let i = 0; i < turns && !ok(); i++) await turn();
  return ok();
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits by the clock until `ok()`; throws if it does not hold after `ms`. */
export async function within(ms: number, ok: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`not so after ${ms} ms`);
    await sleep(5);
  }
}
