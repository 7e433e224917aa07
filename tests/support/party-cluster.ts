// n real Party objects (real SQLite stores in a temporary folder, Ed25519 identities) relayed by the
// real SessionRunner over an in-process "network"; the test plays the coordinator, honest or not
// (it can send any party any message). Adapted from the independent trust review's harness.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../services/storage/db.ts';
import { SessionStore } from '../../services/storage/session-store.ts';
import { masterKeyFromBytes } from '../../services/storage/master-key.ts';
import { ShareStore } from '../../services/storage/share-store.ts';
import { ConsumedStore } from '../../services/storage/consumed-store.ts';
import { PolicyStore } from '../../services/storage/policy-store.ts';
import { BanStore } from '../../services/storage/ban-store.ts';
import { PolicyGate } from '../../services/party/policy-gate.ts';
import { Party } from '../../services/party/party.ts';
import { SessionRunner } from '../../services/coordinator/session-runner.ts';
import { generateIdentity, publicIdentity, type Identity, type PublicIdentity } from '../../services/transport/identity.ts';
import type { CoordinatorToParty, PartyToCoordinator } from '../../services/control/messages.ts';

export type PartyNode = { id: string; identity: Identity; db: Database; policyStore: PolicyStore; party: Party };

export type PartyCluster = {
  ids: string[];
  nodes: Map<string, PartyNode>;
  allowlist: PublicIdentity[];
  runner: SessionRunner;
  /** Every message any party sent, in order. */
  sent: { party: string; msg: PartyToCoordinator }[];
  /** If set, what the coordinator receives instead of each message a party sent (a tampering link). */
  rewrite?: (party: string, msg: PartyToCoordinator) => PartyToCoordinator;
  close: () => void;
};

export function makePartyCluster(n = 3): PartyCluster {
  const dir = mkdtempSync(join(tmpdir(), 'tutti-parties-'));
  const identities = Array.from({ length: n }, (_, i) => generateIdentity(`party-${i + 1}`));
  const allowlist = identities.map(publicIdentity);
  const nodes = new Map<string, PartyNode>();
  const sent: PartyCluster['sent'] = [];
  let cluster: PartyCluster | undefined;
  const runner = new SessionRunner(
    {
      isConnected: () => true,
      send: (partyId: string, msg: CoordinatorToParty) => {
        setImmediate(() => nodes.get(partyId)!.party.handle(msg));
        return true;
      },
    },
    { roundTimeoutMs: 10_000 },
  );
  for (const identity of identities) {
    const id = identity.partyId;
    const db = openDatabase(join(dir, id, 'shares.db'));
    const masterKey = masterKeyFromBytes(randomBytes(32));
    const policyStore = new PolicyStore(db, masterKey);
    const party = new Party({
      identity,
      allowlist,
      shares: new ShareStore(db, masterKey),
      consumed: new ConsumedStore(db),
      policies: new PolicyGate({ store: policyStore }),
      bans: new BanStore(db),
      sessionIds: new SessionStore(db),
      send: (msg) => {
        sent.push({ party: id, msg });
        if (msg.type === 'premade' || msg.type === 'key-deleted') return;
        const relayed = cluster?.rewrite ? cluster.rewrite(id, msg) : msg;
        setImmediate(() => runner.onMessage(id, relayed));
      },
    });
    nodes.set(id, { id, identity, db, policyStore, party });
  }
  cluster = {
    ids: identities.map((i) => i.partyId),
    nodes,
    allowlist,
    runner,
    sent,
    close: () => {
      for (const node of nodes.values()) node.db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}
