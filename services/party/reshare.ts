// ReshareKey on the party's side (docs/protocols.md "Refresh and reshare", "ReshareKey through the
// service"): the open is checked against this party's own records — as an old holder, its share
// record must list the key's old parties as the coordinator does; as a new party, the policy
// document is validated and hashed here — and the family's reshare session (protocols/frost/reshare.ts,
// protocols/dkls23/reshare.ts) runs in the session driver. A receiver stores its new share as pending with its activation
// record and, once every member confirmed the same transcript, signs its confirmation and a new
// creation receipt; the certificate (every receiver's confirmation) activates it (activation.ts).
// A dealer that is not a receiver outputs no share: it keeps its old one until the gateway's signed
// deletion record for it arrives (key-deletion.ts), sent once the new holders activated.
// The signing policy (docs/security.md "Policy chain at a reshare"): a party new to the key gets
// the key's whole chain of revisions with the open and checks every link itself
// (policy-gate.ts newcomerChain); every member binds revision 1's hash and the newest revision
// into the context, each from its own records, and an old holder refuses an open whose chain is
// not its own — so a coordinator can neither forge, reorder nor truncate the chain. Every member
// also checks the reshare approvals its policy in force demands (policy-gate.ts decideReshare).
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, lengthPrefixed, u32, utf8ToBytes } from '../../protocols/core/bytes.ts';
import type { KeyPackageQueryMessage, OpenReshare } from '../control/messages.ts';
import { KEY_ID_RE } from '../control/messages.ts';
import { signReceipt } from '../control/receipts.ts';
import { signRevisionAck } from '../control/revision-ack.ts';
import type { PublicIdentity } from '../transport/identity.ts';
import { SessionKeys } from '../transport/session-keys.ts';
import { RequestRefused } from './request-check.ts';
import type { RefreshActivation } from './activation.ts';
import { familyOf, keyFacts, type KeyMeta, type PartyOptions } from './party-options.ts';
import { policyHash as hashPolicy, type RevisionLink } from '../../policies/index.ts';
import { PROTOCOL_SUITES } from './request-check.ts';
import type { Running, SessionDriver } from './session-driver.ts';

export type ReshareDeps = { o: PartyOptions; partyId: string; driver: SessionDriver; allowlist: Map<string, PublicIdentity>; activation?: RefreshActivation };

/** Most parties a reshare names (old or new). */
const MAX_PARTIES = 64;

function idList(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_PARTIES || v.some((x) => typeof x !== 'string' || x.length > 128))
    throw new RequestRefused(`${what} must be a list of party ids`);
  if (new Set(v).size !== v.length) throw new RequestRefused(`${what} names a party twice`);
  return v as string[];
}

/**
 * What a reshare binds besides its own messages, computed by every member itself: the key, its
 * spec and protocol, the new threshold and the new holders' identity keys (from this party's own
 * allowlist) in new-index order, the old holders' ids in old-index order, the signing policy's hash
 * (a holder's from its record; a new party's from the document it validated) and the HD chain code.
 * A coordinator that shows members different views makes the setup digests differ (round 1).
 */
export function reshareContext(f: {
  keyId: string;
  keySpec: string;
  protocol: string;
  threshold: number;
  parties: PublicIdentity[];
  oldParties: string[];
  policyHash: string;
  chainCode: string;
  /** `<revision>:<policy hash>` of the key's newest signing-policy revision when the reshare has parties new to the key; '' otherwise. */
  policyHead?: string;
}): Uint8Array {
  return sha256(
    lengthPrefixed(
      utf8ToBytes('tutti/v1/reshare-context'),
      utf8ToBytes(f.keyId),
      utf8ToBytes(f.keySpec),
      utf8ToBytes(f.protocol),
      u32(f.threshold),
      u32(f.parties.length),
      ...f.parties.map((p) => lengthPrefixed(utf8ToBytes(p.partyId), hexToBytes(p.signPublic), hexToBytes(p.kexPublic))),
      u32(f.oldParties.length),
      ...f.oldParties.map((p) => utf8ToBytes(p)),
      utf8ToBytes(f.policyHash),
      utf8ToBytes(f.chainCode),
      // Appended only when set, so a reshare without new parties binds what it bound before.
      ...(f.policyHead ? [utf8ToBytes('policy-head'), utf8ToBytes(f.policyHead)] : []),
    ),
  );
}

/**
 * The open's stand-ins (dealer → old holder it deals as, for shares restored from a backup): each a
 * dealer that is not itself an old holder, standing in for an old holder that does not deal. The
 * roles they give are bound in every member's round-1 setup digest, and a stand-in's commitment
 * constant must be λ_i·X_i of the OLD verifying share it stands in for (protocols/frost/reshare.ts),
 * so only a party that holds that share can deal as it.
 */
function checkStandIns(v: unknown, oldParties: string[], dealers: string[]): Record<string, string> {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new RequestRefused('standIns must map dealer ids to old holder ids');
  const out: Record<string, string> = {};
  for (const [k, o] of Object.entries(v as Record<string, unknown>)) {
    if (typeof o !== 'string' || !dealers.includes(k) || oldParties.includes(k) || !oldParties.includes(o) || dealers.includes(o))
      throw new RequestRefused(`stand-in ${k} for ${String(o)}: a dealer new to the key standing in for an old holder that does not deal`);
    out[k] = o;
  }
  return out;
}

/** A checked reshare open, as a session for the driver (not started yet). */
export function openReshare(d: ReshareDeps, msg: OpenReshare, sessionId: Uint8Array): Running {
  const { o } = d;
  if (typeof msg.keyId !== 'string' || !KEY_ID_RE.test(msg.keyId)) throw new RequestRefused('malformed key id');
  if (!o.refreshes || !d.activation) throw new RequestRefused('this party keeps no refresh activation records; it does not reshare');
  const activation = d.activation;
  const unsettled = o.refreshes.confirmedOf(msg.keyId);
  if (unsettled)
    throw new RequestRefused(`key ${msg.keyId}: refresh ${unsettled.session.slice(0, 12)} is confirmed here and not settled yet; it is settled first`);
  if (o.refreshes.get(msg.keyId, msg.session)) throw new RequestRefused(`reshare session ${msg.session.slice(0, 12)} of key ${msg.keyId} ran here before`);
  const oldParties = idList(msg.oldParties, 'oldParties');
  const dealers = idList(msg.dealers, 'dealers');
  const parties = idList(msg.parties, 'parties');
  const standIns = checkStandIns(msg.standIns, oldParties, dealers);
  /** The old holder a dealer deals as: itself, or the one whose restored share it holds. */
  const oldIdOf = (id: string): string => standIns[id] ?? id;
  if (dealers.some((p) => !oldParties.includes(oldIdOf(p)))) throw new RequestRefused('a dealer is not an old holder of the key');
  if (new Set(dealers.map(oldIdOf)).size !== dealers.length) throw new RequestRefused('two dealers deal the same old share');
  const tNew = msg.threshold;
  if (!Number.isInteger(tNew) || tNew < 1 || tNew > parties.length) throw new RequestRefused(`threshold ${String(tNew)} is not 1..${parties.length}`);
  const newIds = parties.map((id) => {
    const p = d.allowlist.get(id);
    if (!p) throw new RequestRefused(`new party ${id} is not on this party's allowlist`);
    return p;
  });
  const sessionIds = [...parties, ...dealers.filter((p) => !parties.includes(p))];
  const self = sessionIds.indexOf(d.partyId) + 1;
  if (self === 0) throw new RequestRefused(`${d.partyId} neither deals nor receives in this reshare`);
  const sessionParties = sessionIds.map((id) => {
    const p = d.allowlist.get(id);
    if (!p) throw new RequestRefused(`party ${id} is not on this party's allowlist`);
    return p;
  });
  const stored = o.shares.getActive(msg.keyId);
  const receives = parties.includes(d.partyId);
  const deals = dealers.includes(d.partyId);

  let meta: KeyMeta | undefined;
  let oldKey: unknown;
  let policyHash: string;
  let chainCode: string;
  let newChain: RevisionLink[] | undefined;
  let policyHead = '';
  const newcomers = parties.some((p) => !oldParties.includes(p));
  const move = { fromThreshold: 0, fromParties: oldParties, threshold: tNew, parties };
  let keySpec: string, protocol: string, suite: string;
  if (stored) {
    // An old holder: its own record is the truth about the key.
    meta = stored.meta as KeyMeta;
    const mine = meta.parties.map((p) => p.partyId);
    if (JSON.stringify(mine) !== JSON.stringify(oldParties))
      throw new RequestRefused(`key ${msg.keyId}: its parties here are ${mine.join(', ')}, not ${oldParties.join(', ')}`);
    // A restored share deals as the holder it was backed up from, and only as that one.
    if (deals && meta.self !== oldParties.indexOf(oldIdOf(d.partyId)) + 1)
      throw new RequestRefused(`key ${msg.keyId}: the share here is party ${meta.self}'s, not ${oldIdOf(d.partyId)}'s`);
    ({ keySpec, protocol, suite } = meta);
    if (msg.keySpec !== keySpec || msg.protocol !== protocol) throw new RequestRefused(`key ${msg.keyId} is a ${keySpec} key here`);
    const family = familyOf(protocol);
    if (!family.reshare || !family.publicPackage) throw new RequestRefused(`${protocol} keys are not reshared by the service`);
    oldKey = family.publicPackage(stored.share);
    policyHash = meta.policyHash ?? '';
    chainCode = meta.chainCode ?? '';
    const facts = keyFacts(msg.keyId, meta);
    if (newcomers) {
      const head = o.policies.head(facts);
      if (!head) throw new RequestRefused(`key ${msg.keyId}: no signing policy is stored here`, 'policy');
      if (head.activatesAt > Date.now())
        throw new RequestRefused(
          `key ${msg.keyId}: signing-policy revision ${head.revision} takes effect at ${new Date(head.activatesAt).toISOString()}; a reshare onto new parties waits until it is in force`,
          'policy',
        );
      policyHead = `${head.revision}:${head.policyHash}`;
      if (msg.policyChain !== undefined) checkSameChain(msg.keyId, msg.policyChain, o.policies.chain(facts));
    }
    o.policies.decideReshare(msg.keyId, msg.session, o.policies.inForce(facts), { ...move, fromThreshold: meta.threshold ?? 0 }, msg.approvals);
  } else {
    // A new party: the old key's public package and the policy come with the open; the dealers'
    // setup digests (their own packages) and contexts (their own policy hash) must match them.
    if (deals) throw new RequestRefused(`no share of key ${msg.keyId} here to deal`, 'unknown-key');
    if (!receives) throw new RequestRefused(`no share for key ${msg.keyId}`, 'unknown-key');
    const entry = PROTOCOL_SUITES[msg.protocol];
    if (!entry || entry.keySpec !== msg.keySpec) throw new RequestRefused(`key spec '${String(msg.keySpec)}' is not made by '${String(msg.protocol)}'`);
    ({ keySpec, suite } = entry);
    protocol = msg.protocol;
    if (typeof msg.oldKey !== 'object' || msg.oldKey === null) throw new RequestRefused('a new party needs the old key package');
    oldKey = msg.oldKey;
    // The chain of the key's policy revisions, checked here link by link; an older gateway sends
    // only revision 1's document (`policy`), which is then a chain of one.
    const now = Date.now();
    const chain = msg.policyChain ?? [{ revision: 1, previousHash: null, policy: msg.policy, approvals: [], acceptedAt: now, activatesAt: now }];
    const checked = o.policies.newcomerChain(msg.keyId, keySpec, msg.session, chain, { t: tNew, n: parties.length });
    policyHash = checked.links[0]!.policyHash;
    policyHead = `${checked.head.revision}:${checked.head.policyHash}`;
    newChain = checked.links.map((l) => ({
      revision: l.revision,
      previousHash: l.previousHash,
      policy: l.policy,
      approvals: l.approvals,
      acceptedAt: l.acceptedAt,
      activatesAt: l.activatesAt,
    }));
    const head = checked.links[checked.links.length - 1]!;
    // The quorum it moves from, as the open says: a holder checks the same against its own record,
    // and the approval only verifies for the move it was made for.
    const fromThreshold = typeof msg.fromThreshold === 'number' ? msg.fromThreshold : 0;
    o.policies.decideReshare(
      msg.keyId,
      msg.session,
      { document: head.compiled.document, approvers: head.compiled.approvers, hash: head.policyHash },
      { ...move, fromThreshold },
      msg.approvals,
    );
    chainCode = typeof msg.chainCode === 'string' && /^[0-9a-f]{0,128}$/.test(msg.chainCode) ? msg.chainCode : '';
  }
  const family = familyOf(protocol);
  if (!family.reshare) throw new RequestRefused(`${protocol} keys are not reshared by the service`);
  const members = sessionIds.map((id) => ({
    ...(dealers.includes(id) ? { old: oldParties.indexOf(oldIdOf(id)) + 1 } : {}),
    ...(parties.includes(id) ? { new: parties.indexOf(id) + 1 } : {}),
  }));
  const context = reshareContext({ keyId: msg.keyId, keySpec, protocol, threshold: tNew, parties: newIds, oldParties, policyHash, chainCode, policyHead });
  const spec = family.reshare({ protocol, suite, sessionId, self, ...(deals ? { share: stored!.share } : {}), oldKey, members, tNew, context });
  const session = d.driver.host(spec, family.dkgPlacement);
  const newIndex = parties.indexOf(d.partyId) + 1;
  const expectedKey = meta?.publicKey ?? String((oldKey as { groupPublicKey?: unknown }).groupPublicKey);
  const newMeta: KeyMeta = {
    keySpec,
    protocol,
    suite,
    threshold: tNew,
    n: parties.length,
    parties: newIds,
    publicKey: '',
    transcriptHash: '',
    policyHash: policyHash === '' ? null : policyHash,
    ...(chainCode ? { chainCode } : {}),
    self: newIndex,
  };
  const active: Running = {
    kind: 'refresh',
    keyId: msg.keyId,
    session,
    family,
    queue: Promise.resolve(),
    shareVersion: stored?.version ?? 0,
    // Bans are by old index. FROST sessions ban nobody; a DKLs23 reshare bans an old holder that
    // failed an OT check as a DKG would (session-driver.ts ban), while a party new to the key has
    // no index to ban (old index 0: the session just fails). A reshare forgets the key's bans.
    oldIndex: members.map((m) => m.old ?? 0),
    parties: sessionParties,
    self,
    startedAt: Date.now(),
    meta: newMeta,
    rounds: 0,
    keys: new SessionKeys(),
    holdShare: (share, m, version) => {
      const held: KeyMeta = { ...m, self: newIndex };
      activation.hold({
        keyId: msg.keyId,
        session: msg.session,
        protocol: m.protocol,
        version,
        share,
        meta: held,
        after: { oldIndex: [], liftBans: true, excluded: [], previousVersion: stored?.version ?? 0, ...(newChain ? { policyChain: newChain } : {}) },
      });
    },
    onEnded: (id, why) => activation.ended(msg.keyId, id, why),
    onDone: (id, output) => {
      const out = output as { publicKey: Uint8Array; transcriptHash: Uint8Array; share: unknown };
      const publicKey = bytesToHex(out.publicKey);
      const transcriptHash = bytesToHex(out.transcriptHash);
      if (publicKey !== expectedKey) {
        activation.ended(msg.keyId, id, 'the reshare changed the public key');
        o.send({ type: 'abort', session: id, kind: 'internal', message: `${d.partyId}: the reshare changed the public key`, culprits: [] });
        return;
      }
      if (!receives) {
        // A dealer only: nothing new here. Its share goes once the new holders activated theirs
        // (the gateway's signed deletion record, key-deletion.ts).
        o.log?.(
          `party ${d.partyId}: key ${msg.keyId}: dealt in reshare ${id.slice(0, 12)} to ${parties.join(', ')}; this party's share is deleted once they activate`,
        );
        o.send({ type: 'done', session: id, output: { publicKey, transcriptHash, policyHash } });
        return;
      }
      const confirmation = activation.confirm(msg.keyId, id);
      // A new creation receipt: what this party bound for the new version (GetKeyAttestation).
      const receipt = signReceipt(
        { keyId: msg.keyId, keySpec, protocol, publicKey, threshold: tNew, parties: newIds, policyHash, transcriptHash },
        d.partyId,
        o.identity.signSecret,
      );
      o.log?.(
        `party ${d.partyId}: key ${msg.keyId}: reshare ${id.slice(0, 12)} confirmed: now party ${newIndex} of ${parties.length}, threshold ${tNew}, pending until certified`,
      );
      // A party new to the key acknowledges the newest revision it checked and will enforce (signed,
      // as after a DKG or a PutKeyPolicy: GetKeyPolicy's TuttiRevisions, docs/policies.md).
      const head = newChain?.[newChain.length - 1];
      const acknowledgement = head
        ? signRevisionAck(o.identity, { keyId: msg.keyId, revision: head.revision, policyHash: hashPolicy(head.policy) })
        : undefined;
      // Tests only (TUTTI_TEST_STALL, fault-injection.ts): confirmed durably, the confirmation not sent.
      if (o.faults?.stopsAt('refresh:confirm', 'sending its reshare confirmation')) return;
      o.send({
        type: 'done',
        session: id,
        output: { publicKey, transcriptHash, policyHash, confirmation, receipt, ...(acknowledgement ? { acknowledgement } : {}) },
      });
    },
  };
  return active;
}

/**
 * An old holder's check of the chain a reshare's open carries for the new parties: it must be this
 * holder's own history, link for link (revision, previous hash, policy hash) and to the end — a
 * chain that stops early would leave the new parties enforcing an older revision.
 */
function checkSameChain(keyId: string, given: unknown, own: RevisionLink[]): void {
  const refuse = (why: string): never => {
    throw new RequestRefused(`key ${keyId}: the signing-policy chain in the open is not this party's: ${why}`, 'policy');
  };
  if (!Array.isArray(given)) return refuse('not a list of revisions');
  const linkHash = (l: unknown): string => {
    try {
      return hashPolicy((l as { policy?: unknown }).policy);
    } catch {
      return 'unhashable';
    }
  };
  for (const [i, mine] of own.entries()) {
    const g = given[i] as Partial<RevisionLink> | undefined;
    if (g === undefined)
      return refuse(`it ends at revision ${given.length}, the key's newest revision here is ${own.length} (an older revision presented as current)`);
    if (g.revision !== mine.revision) return refuse(`link ${i + 1} is revision ${String(g.revision)}, here revision ${mine.revision} (reordered)`);
    if (g.previousHash !== mine.previousHash || linkHash(g) !== hashPolicy(mine.policy))
      return refuse(`revision ${mine.revision} differs from the one installed here`);
  }
  if (given.length > own.length) refuse(`it has ${given.length} revisions, this party ${own.length}`);
}

/** A holder reports its share's public package (no secret) for a reshare onto new parties. */
export function keyPackageAnswer(o: PartyOptions, msg: KeyPackageQueryMessage): void {
  if (typeof msg.id !== 'string' || msg.id.length > 64 || typeof msg.keyId !== 'string' || !KEY_ID_RE.test(msg.keyId)) return;
  const stored = o.shares.getActive(msg.keyId);
  const meta = stored?.meta as KeyMeta | undefined;
  const family = meta ? familyOf(meta.protocol) : undefined;
  const pkg = stored && family?.publicPackage ? family.publicPackage(stored.share) : null;
  // A share restored from another party's backup is that party's (its index, its old id in meta).
  const holds = meta?.parties[meta.self - 1]?.partyId;
  // The key's signing-policy history with its approvals (nothing secret): the new parties check it themselves.
  let policyChain: RevisionLink[] | undefined;
  try {
    policyChain = meta && pkg ? o.policies.chain(keyFacts(msg.keyId, meta)) : undefined;
  } catch {
    policyChain = undefined;
  }
  o.send({
    type: 'key-package',
    id: msg.id,
    keyId: msg.keyId,
    package: pkg,
    ...(meta?.chainCode ? { chainCode: meta.chainCode } : {}),
    ...(holds !== undefined && holds !== o.identity.partyId ? { holds } : {}),
    ...(policyChain ? { policyChain } : {}),
  });
}
