// Key generation, on the party's side (docs/architecture.md "CreateKey"), top to bottom: the open
// is checked against this party's allowlist, the signing policy (revision 1) is validated and
// hashed here and bound into the DKG context; the session runs in the session driver, which stores
// the new share as pending; once every party confirmed the same transcript the share becomes
// usable together with its policy, and the party answers with its signed revision-1
// acknowledgement and its signed creation receipt.
import { chainCodeHex } from './derived-key.ts';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, lengthPrefixed, u32, utf8ToBytes } from '../../protocols/core/bytes.ts';
import { LABELS } from '../../protocols/core/labels.ts';
import type { OpenDkg } from '../control/messages.ts';
import { signRevisionAck } from '../control/revision-ack.ts';
import { signReceipt } from '../control/receipts.ts';
import { parsePublicIdentity, samePublicIdentity, type PublicIdentity } from '../transport/identity.ts';
import { SessionKeys } from '../transport/session-keys.ts';
import { checkDkgRequest, RequestRefused } from './request-check.ts';
import { FAMILIES } from './protocol-families.ts';
import type { KeyMeta, PartyOptions } from './party-options.ts';
import type { Running, SessionDriver } from './session-driver.ts';
import { importSessionSpec, type ImportOpen } from './import.ts';

export type DkgDeps = { o: PartyOptions; partyId: string; allowlist: Map<string, PublicIdentity>; driver: SessionDriver };

/** A checked DKG open, as a session for the driver (not started yet). */
export function openDkg(d: DkgDeps, msg: OpenDkg, sessionId: Uint8Array): Running {
  const { o } = d;
  const { parties, self, family: familyName, suite } = checkDkgRequest(msg, d.partyId, withDevices(d.allowlist, msg.devices));
  if (o.shares.activeVersion(msg.keyId) !== undefined) throw new RequestRefused(`key ${msg.keyId} already exists here`);
  // The policy document itself, validated and hashed here: the hash in the DKG context is ours.
  const policy = o.policies.initial(msg.keyId, msg.keySpec, msg.session, msg.policy, { t: msg.threshold, n: parties.length });
  const context = dkgContext(msg, parties, policy.hash);
  const family = FAMILIES[familyName];
  // An import (services/party/import.ts): the manifest and this party's bundle, checked here; a refresh on the imported sharing.
  const spec =
    msg.import !== undefined
      ? importSessionSpec(o, msg as OpenDkg & { import: ImportOpen }, parties, self, familyName, suite, sessionId, context)
      : family.dkg({ protocol: msg.protocol, suite, sessionId, self, n: parties.length, t: msg.threshold, context });
  const session = d.driver.host(spec, family.dkgPlacement);
  const meta: KeyMeta = {
    keySpec: msg.keySpec,
    protocol: msg.protocol,
    suite,
    threshold: msg.threshold,
    n: parties.length,
    parties,
    publicKey: '',
    transcriptHash: '',
    policyHash: policy.hash,
    self,
  };
  const active: Running = {
    kind: 'dkg',
    keyId: msg.keyId,
    session,
    family,
    queue: Promise.resolve(),
    parties,
    self,
    startedAt: Date.now(),
    meta,
    rounds: 0,
    keys: new SessionKeys(),
    // The chain code of HD derivation comes from the transcript every party confirms (derived-key.ts).
    holdShare: (share, m, version) =>
      o.shares.putPending({ keyId: msg.keyId, protocol: m.protocol, version, share, meta: { ...m, chainCode: chainCodeHex(m.transcriptHash) } }),
    // A DKG that did not finish leaves no share behind.
    onEnded: () => o.shares.discardPending(msg.keyId, active.pendingVersion!),
    onDone: (id, output) => {
      const out = output as { publicKey: Uint8Array; transcriptHash: Uint8Array };
      // Every party confirmed the same transcript: the share becomes usable only now, together
      // with its signing policy (one transaction).
      o.policies.bind(msg.keyId, id, policy.record, policy.hash, () => o.shares.activate(msg.keyId, active.pendingVersion!));
      const acknowledgement = signRevisionAck(o.identity, { keyId: msg.keyId, revision: 1, policyHash: policy.hash });
      // The creation receipt (services/control/receipts.ts): what this party bound, signed with its identity key.
      const m = active.meta!;
      const publicKey = bytesToHex(out.publicKey);
      const transcriptHash = bytesToHex(out.transcriptHash);
      const receipt = signReceipt(
        {
          keyId: msg.keyId,
          keySpec: m.keySpec,
          protocol: m.protocol,
          publicKey,
          threshold: m.threshold,
          parties,
          policyHash: policy.hash,
          transcriptHash,
          ...(msg.import !== undefined ? { imported: msg.import.manifest.hash } : {}),
        },
        d.partyId,
        o.identity.signSecret,
      );
      o.send({ type: 'done', session: id, output: { publicKey, transcriptHash, policyHash: policy.hash, acknowledgement, receipt } });
    },
  };
  return active;
}

/** A device id (docs/waas.md): never one of a configured party (services/coordinator/device-parties.ts). */
const DEVICE_ID_RE = /^device-[a-z0-9][a-z0-9-]{0,54}$/;

/**
 * The allowlist for one DKG: this party's own, plus the device parties the (pinned, signed)
 * coordinator vouches for — a wallet backend registered them (docs/security.md "Device parties").
 * Only `device-` ids; one that is on the allowlist already must carry the same keys.
 */
export function withDevices(allowlist: Map<string, PublicIdentity>, devices: unknown): Map<string, PublicIdentity> {
  if (devices === undefined) return allowlist;
  if (!Array.isArray(devices) || devices.length > 10) throw new RequestRefused('malformed device list');
  const out = new Map(allowlist);
  for (const raw of devices) {
    let d: PublicIdentity;
    try {
      d = parsePublicIdentity(raw);
    } catch (e) {
      throw new RequestRefused(`malformed device identity: ${(e as Error).message}`);
    }
    if (!DEVICE_ID_RE.test(d.partyId)) throw new RequestRefused(`'${d.partyId}' is not a device party id (device-…)`);
    const known = allowlist.get(d.partyId);
    if (known && !samePublicIdentity(known, d)) throw new RequestRefused(`device ${d.partyId} comes with other keys than this party knows`);
    out.set(d.partyId, d);
  }
  return out;
}

/**
 * What a DKG binds besides its own messages (docs/security.md "What each party checks"): the key id, spec, threshold, every
 * party's identity key in index order and the signing policy's hash. All parties compute it
 * themselves — peers from their own allowlist, the hash from the policy document — so a
 * coordinator that lies about any of it (or shows parties different policies) makes the
 * transcripts differ.
 */
export function dkgContext(req: OpenDkg, parties: PublicIdentity[], policyHash: string): Uint8Array {
  return sha256(
    lengthPrefixed(
      utf8ToBytes(LABELS.frostTranscript),
      utf8ToBytes(req.keyId),
      utf8ToBytes(req.keySpec),
      utf8ToBytes(req.protocol),
      u32(req.threshold),
      u32(parties.length),
      ...parties.map((p) => lengthPrefixed(utf8ToBytes(p.partyId), hexToBytes(p.signPublic), hexToBytes(p.kexPublic))),
      utf8ToBytes(policyHash),
    ),
  );
}
