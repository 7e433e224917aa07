// An operator's refresh of a key (`cli.ts refresh`), on the party's side, top to bottom: the open
// is checked against this party's own share record (renumbering when parties are left out), the
// family's refresh session runs in the session driver, which stores the new share as pending with
// its activation record; once every member confirmed the same transcript the party signs its
// confirmation, and the second phase (activation.ts) activates or rolls back on proofs only.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, lengthPrefixed, u32, utf8ToBytes } from '../../protocols/core/bytes.ts';
import { ProtocolError } from '../../protocols/core/errors.ts';
import type { OpenRefresh } from '../control/messages.ts';
import { KEY_ID_RE } from '../control/messages.ts';
import { SessionKeys } from '../transport/session-keys.ts';
import type { Ban } from '../storage/ban-store.ts';
import { dealOnlyRefusal } from './protocol-families.ts';
import { RequestRefused } from './request-check.ts';
import { RefreshActivation } from './activation.ts';
import { dkgContext } from './dkg.ts';
import { familyOf, type KeyMeta, type PartyOptions } from './party-options.ts';
import type { Running, SessionDriver } from './session-driver.ts';

export type RefreshDeps = { o: PartyOptions; partyId: string; driver: SessionDriver; activation?: RefreshActivation };

/**
 * The party's side of the second phase, built when the party keeps refresh records: its sessions
 * are the driver's, and an activated share drops what was made for the old one (`onActivated`).
 */
export function refreshActivation(o: PartyOptions, driver: SessionDriver, onActivated: (keyId: string) => void): RefreshActivation | undefined {
  if (!o.refreshes) return undefined;
  return new RefreshActivation({
    identity: o.identity,
    shares: o.shares,
    refreshes: o.refreshes,
    bans: o.bans,
    send: o.send,
    log: o.log,
    faults: o.faults,
    bansAfter: bansAfterRefresh,
    // A reshare onto a party new to the key: its signing policy (the chain it checked) goes with the share.
    onActivating: (keyId, session, after) => {
      if (after.policyChain) o.policies.bindChain(keyId, session, after.policyChain as never);
      else if (after.policy) o.policies.bind(keyId, session, after.policy.record as never, after.policy.hash, () => {});
    },
    // Pairs made for the old share are not used with the new one; the old share's rows are gone
    // (secure_delete), and the write-ahead log is truncated so it keeps none (docs/security.md).
    onActivated: (keyId) => {
      onActivated(keyId);
      o.shares.scrubWal();
    },
    endSession: (keyId, session) => driver.failRefresh(keyId, session, new ProtocolError('unexpected', 'the refresh was abandoned')),
  });
}

/**
 * An operator's refresh of a key: the parties, as recorded in this party's own share record, run
 * the family's refresh session on the active share; the new share is stored as the next version
 * (pending, then active when every party confirmed), the public key unchanged. The context binds
 * the same facts as the DKG's (the key, its parties, its policy hash).
 *
 * With `exclude` (party ids of the key), the refresh runs without those parties: this party
 * derives the renumbering from its own record (the others keep their order, 1..n'), refuses an
 * exclusion that names a party the key does not have, itself, a duplicate, or leaves fewer than
 * t; the excluded ids are bound into the context and the remaining old indices into the
 * protocol's final session id. The new share records the remaining parties and the new index.
 */
export function openRefresh(d: RefreshDeps, msg: OpenRefresh, sessionId: Uint8Array): Running {
  const { o } = d;
  if (typeof msg.keyId !== 'string' || !KEY_ID_RE.test(msg.keyId)) throw new RequestRefused('malformed key id');
  const stored = o.shares.getActive(msg.keyId);
  if (!stored) throw new RequestRefused(`no share for key ${msg.keyId}`, 'unknown-key');
  const meta = stored.meta as KeyMeta;
  const family = familyOf(meta.protocol);
  if (!family.refresh) throw new RequestRefused(`${meta.protocol} keys are not refreshed by the service`);
  if (family.dealsOnly(stored.share)) throw new RequestRefused(dealOnlyRefusal(msg.keyId));
  if (!o.refreshes || !d.activation) throw new RequestRefused('this party keeps no refresh activation records; it does not refresh');
  const activation = d.activation;
  // One refresh at a time: a confirmed one must be settled (certificate or rollback) first, and a session id is never run twice.
  const unsettled = o.refreshes.confirmedOf(msg.keyId);
  if (unsettled)
    throw new RequestRefused(`key ${msg.keyId}: refresh ${unsettled.session.slice(0, 12)} is confirmed here and not settled yet; it is settled first`);
  if (o.refreshes.get(msg.keyId, msg.session)) throw new RequestRefused(`refresh session ${msg.session.slice(0, 12)} of key ${msg.keyId} ran here before`);
  const facts = family.shareFacts(stored.share);
  const ids = meta.parties.map((p) => p.partyId);
  const exclude = msg.exclude ?? [];
  if (!Array.isArray(exclude) || exclude.length > ids.length || exclude.some((x) => typeof x !== 'string'))
    throw new RequestRefused('exclude must be a list of party ids');
  const excludedIdx = exclude.map((x) => {
    const i = ids.indexOf(x);
    if (i < 0) throw new RequestRefused(`cannot leave out ${x}: not a party of key ${msg.keyId} here (its parties: ${ids.join(', ')})`);
    return i + 1;
  });
  if (new Set(exclude).size !== exclude.length) throw new RequestRefused('a party is left out twice');
  if (exclude.includes(d.partyId)) throw new RequestRefused(`${d.partyId} is left out of this refresh; it takes no part`);
  const oldIndex = ids.map((_, i) => i + 1).filter((i) => !excludedIdx.includes(i));
  if (oldIndex.length < meta.threshold) {
    throw new RequestRefused(
      `leaving out ${exclude.join(', ')} leaves ${oldIndex.length} parties of key ${msg.keyId}, fewer than its threshold ${meta.threshold}`,
    );
  }
  const parties = oldIndex.map((i) => meta.parties[i - 1]!);
  const self = oldIndex.indexOf(facts.index) + 1;
  if (msg.withoutBanned === true) {
    // The party's ban table is authoritative: it refreshes only without every peer it banned.
    const banned = o.bans.ofKey(msg.keyId).filter((b) => oldIndex.includes(b.peerIndex));
    if (banned.length) {
      throw new RequestRefused(
        `key ${msg.keyId}: this party banned ${banned.map((b) => `party ${b.peerIndex} (${b.peerId})`).join(', ')}; ` +
          'a refresh without banned parties must leave it out too',
        'banned',
        banned.map((b) => oldIndex.indexOf(b.peerIndex) + 1),
      );
    }
  }
  const base = {
    type: 'open',
    kind: 'dkg',
    session: msg.session,
    keyId: msg.keyId,
    keySpec: meta.keySpec,
    protocol: meta.protocol,
    threshold: meta.threshold,
    parties: ids,
    policy: null,
  } as const;
  const context = sha256(
    lengthPrefixed(
      utf8ToBytes('tutti/v1/refresh-context'),
      dkgContext(base, meta.parties, meta.policyHash ?? ''),
      ...(excludedIdx.length ? [utf8ToBytes('tutti/v1/refresh-without'), ...excludedIdx.map((i) => lengthPrefixed(u32(i), utf8ToBytes(ids[i - 1]!)))] : []),
    ),
  );
  const spec = family.refresh({
    protocol: meta.protocol,
    suite: meta.suite,
    sessionId,
    self,
    share: stored.share,
    context,
    ...(excludedIdx.length ? { exclude: excludedIdx } : {}),
  });
  const session = d.driver.host(spec, family.dkgPlacement);
  const liftBans = msg.liftBans === true;
  const excluded = [...exclude];
  const active: Running = {
    kind: 'refresh',
    keyId: msg.keyId,
    session,
    family,
    queue: Promise.resolve(),
    shareVersion: stored.version,
    oldIndex,
    parties,
    self,
    startedAt: Date.now(),
    meta: { ...meta, n: parties.length, parties, self },
    rounds: 0,
    keys: new SessionKeys(),
    // The new share and its activation record (pending) in one transaction (activation.ts).
    holdShare: (share, m, version) =>
      activation.hold({
        keyId: msg.keyId,
        session: msg.session,
        protocol: m.protocol,
        version,
        share,
        meta: m,
        after: { oldIndex, liftBans, excluded, previousVersion: stored.version },
      }),
    // A refresh's new share is given up only if this party has not confirmed it (activation.ts).
    onEnded: (id, why) => activation.ended(msg.keyId, id, why),
    onDone: (id, output) => {
      const out = output as { publicKey: Uint8Array; transcriptHash: Uint8Array };
      // The protocol checked the key did not move; so does the party, against its own record.
      if (bytesToHex(out.publicKey) !== meta.publicKey) {
        activation.ended(msg.keyId, id, 'the refresh changed the public key');
        o.send({ type: 'abort', session: id, kind: 'internal', message: `${d.partyId}: the refresh changed the public key`, culprits: [] });
        return;
      }
      // Every member confirmed the same transcript: this party confirms the new version (signed,
      // durable before it leaves) and keeps both shares until the certificate — every member's
      // confirmation — or a member's abandon statement settles it (activation.ts).
      const confirmation = activation.confirm(msg.keyId, id);
      o.log?.(
        `party ${d.partyId}: key ${msg.keyId}: refresh ${id.slice(0, 12)} confirmed: share version ${active.pendingVersion} pending beside version ${stored.version} until every party's confirmation is seen`,
      );
      if (o.faults?.stopsAt('refresh:confirm', 'sending its refresh confirmation')) return;
      o.send({
        type: 'done',
        session: id,
        output: {
          publicKey: bytesToHex(out.publicKey),
          transcriptHash: bytesToHex(out.transcriptHash),
          policyHash: active.meta!.policyHash ?? '',
          confirmation,
        },
      });
    },
  };
  return active;
}

/**
 * The bans a party keeps once a refresh is active: none when lifted; otherwise those against
 * parties still in the key, moved to the peer's new index (session index k is old index
 * oldIndex[k−1]); bans against parties left out go with them.
 */
export function bansAfterRefresh(bans: Ban[], oldIndex: number[], lift: boolean): Ban[] {
  if (lift) return [];
  return bans.flatMap((b) => {
    const k = oldIndex.indexOf(b.peerIndex);
    return k < 0 ? [] : [{ ...b, peerIndex: k + 1 }];
  });
}
