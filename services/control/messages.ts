// Control messages between the coordinator and a party, carried as JSON frames over the
// authenticated WebSocket (services/transport/coordinator-hub.ts, party-link.ts); envelope messages travel as binary
// frames (transport/control.ts encodeBinaryEnvelope). Protocol envelopes are opaque to the
// coordinator: signed broadcasts or sealed point-to-point bytes.
import type { DeletionCancel, DeletionRecord } from './deletion-records.ts';
import type { CreationReceipt } from './receipts.ts';
import type { FailureKind } from '../../protocols/core/errors.ts';
import type { ImportManifest } from '../../protocols/import/split.ts';
import type { ImportBundle } from '../../protocols/import/bundle.ts';

export type SignRequest = {
  /** The full message the caller sent, base64, so each party can check it against its policy. */
  message: string;
  messageType: 'RAW' | 'DIGEST';
  signingAlgorithm: string;
  caller: { accessKeyId: string; principal: string };
  /** Sign's GrantTokens, verbatim: approvals (`tutti-approval:…`) for the key's signing policy. */
  grantTokens?: string[];
};

/** One link of a key's signing-policy history (policies/ PolicyRevision); the policy is a JSON document. */
export type PolicyRevisionRecord = { revision: number; previousHash: string | null; policy: unknown };

export type OpenDkg = {
  type: 'open';
  kind: 'dkg';
  session: string;
  keyId: string;
  keySpec: string;
  /** Protocol family, e.g. 'frost-ed25519'. */
  protocol: string;
  threshold: number;
  /** Party ids in index order: parties[i] has index i + 1. */
  parties: string[];
  /**
   * The key's signing policy (revision 1), the document itself: each party validates it, computes
   * its hash itself and binds that into the DKG context; nobody's word about the hash is taken.
   */
  policy: unknown;
  /**
   * The identities of the device parties among `parties` (docs/waas.md), as the wallet backend
   * registered them at the gateway. A daemon takes them only for ids under `device-`, which its own
   * allowlist never has; it keeps them with its share, so signing needs them no more.
   */
  devices?: Array<{ partyId: string; signPublic: string; kexPublic: string }>;
  /**
   * An import (services/party/import.ts): the offline split's public manifest and THIS party's
   * sealed bundle (protocols/import/); each party is sent only its own.
   */
  import?: { manifest: ImportManifest; bundle: ImportBundle };
};

export type OpenSign = {
  type: 'open';
  kind: 'sign';
  session: string;
  keyId: string;
  /** Key indices of the signers, sorted. */
  signers: number[];
  request: SignRequest;
  /**
   * FROST: one pre-made commitment per signer, in `signers` order (hex SerializeElement(D) ‖
   * SerializeElement(E), as each signer published it in a 'premade' message). The session then
   * starts at round two (protocols/frost/sign.ts, `<suite>/sign-premade`). A party that no longer
   * holds the pair behind its own refuses with kind 'premade-unknown' before its policy decides.
   */
  premade?: string[];
  /** FROST: once this signature is done, make this many nonce pairs for the key (1..8) and publish their commitments. */
  premake?: number;
  /**
   * A derived child key signs (docs/protocols.md "HD derivation"): `keyId` above is its parent,
   * whose share the party holds; the party derives the tweak for `path` itself (party/derived-key.ts).
   */
  derive?: { keyId: string; path: string };
  /**
   * DKLs23: the presignature (hex id, its presign session's final session id) the signers made
   * together ahead of time (OpenPresign): each answers with its online share at once
   * (protocols/dkls23/presign.ts, PresignedSignResult). A party that no longer holds it refuses
   * with kind 'premade-unknown' before its policy decides.
   */
  presignature?: string;
};

/**
 * DKLs23: run the message-independent rounds of signing with `signers` now (protocol
 * `<protocol>/presign`, protocols/dkls23/presign.ts); each keeps its presignature in memory and
 * answers with its public part (PresignResult). No policy decision: nothing is signed.
 */
export type OpenPresign = { type: 'open'; kind: 'presign'; session: string; keyId: string; signers: number[] };

/**
 * PutKeyPolicy changed the key's signing policy: install `revision` (it must follow the party's
 * current one and carry the approvals the current policy's governance demands). Not a protocol
 * session: each party answers at once, 'done' with a PolicyRevisionResult or 'abort' (kind 'policy').
 */
export type OpenPolicyRevision = {
  type: 'open';
  kind: 'policy';
  session: string;
  keyId: string;
  revision: PolicyRevisionRecord;
  /** Approval tokens over the change (`tutti-approval:v1:…`, policies/approvals.ts). */
  approvals: string[];
};

/**
 * An operator asked to refresh the key (`cli.ts refresh`, not a KMS operation): every party of the
 * key runs the protocol's refresh session — new shares and, for DKLs23, all new OT state, the same
 * public key. The parties and threshold come from each party's own share record. `liftBans`: once
 * the refresh has replaced the OT state, the party forgets the bans it held for the key.
 *
 * `exclude` (DKLs23): party ids of the key left out of the refresh (and of the key from then on).
 * It goes only to the remaining parties; each derives the renumbering itself from its own record
 * (remaining parties keep their order and become 1..n'), and binds the excluded set into the
 * session. `withoutBanned`: the party refuses (kind 'banned', naming the peers by their index in
 * this session) if a remaining peer is one it has banned for the key, so that the coordinator
 * leaves it out as well and tries again.
 */
export type OpenRefresh = { type: 'open'; kind: 'refresh'; session: string; keyId: string; liftBans: boolean; exclude?: string[]; withoutBanned?: boolean };

/**
 * ReshareKey (a Tutti extension, services/coordinator/reshare.ts; every key spec): `dealers` (t_old of
 * the key's holders, ids) deal Lagrange-weighted sub-shares of their shares to `parties` (the new
 * holders, in new-index order) under the new `threshold` (protocols/frost/reshare.ts, protocols/dkls23/reshare.ts). The session's
 * members are `parties` then the dealers not among them. `oldParties`: the key's holders in index
 * order, as the coordinator records them (a holder checks it against its own record). For a new
 * party holding no share: `oldKey`, the old key's public package (a dealer's; every dealer's setup
 * digest binds its own, so a wrong one stops the session in round 1), and `policy`, the key's
 * revision-1 signing-policy document, whose hash every party binds into the context (holders their
 * own record's), with `chainCode` likewise; `keySpec`/`protocol` as the key's.
 */
export type OpenReshare = {
  type: 'open';
  kind: 'reshare';
  session: string;
  keyId: string;
  keySpec: string;
  protocol: string;
  oldParties: string[];
  dealers: string[];
  parties: string[];
  threshold: number;
  oldKey?: unknown;
  /** Revision 1's document (an older gateway's open); superseded by policyChain. */
  policy?: unknown;
  /**
   * The key's signing-policy revisions, oldest first, each with its approvals and times
   * (policies/revisions.ts RevisionLink), for the parties new to the key; old holders check it is their own.
   */
  policyChain?: unknown;
  /** The key's threshold before the reshare (what a reshare approval names; old holders check it against their record). */
  fromThreshold?: number;
  /** Grant tokens approving this reshare (governance.reshareApprovals, policies/approvals.ts). */
  approvals?: string[];
  chainCode?: string;
  /**
   * Restored backups (docs/operations.md "Backup and recovery drill"): dealer id → the old holder
   * whose share it holds and deals as (that holder's old index), for an old holder that is gone.
   */
  standIns?: Record<string, string>;
};

export type OpenMessage = OpenDkg | OpenSign | OpenPolicyRevision | OpenRefresh | OpenReshare | OpenPresign;

/** What a holder of a key reports of it for a reshare onto new parties: its share's public package (no secret). */
export type KeyPackageQueryMessage = { type: 'key-package-query'; id: string; keyId: string };
/** `holds`: the old holder whose share this party holds when it is not itself (a share restored from a backup). */
export type KeyPackageMessage = {
  type: 'key-package';
  id: string;
  keyId: string;
  package: unknown;
  chainCode?: string;
  holds?: string;
  /** The holder's signing-policy history with approvals (policies/revisions.ts RevisionLink[]). */
  policyChain?: unknown;
};

/** A protected envelope. Party → coordinator: `to` routes it (0 = every other participant). */
export type EnvelopeMessage = { type: 'envelope'; session: string; from: number; to: number; data: Uint8Array };

/**
 * `policyHash`: the hash of the signing policy the party bound into the DKG, computed by itself. (A refresh answers the same, its policy hash unchanged.)
 * `confirmation` (refresh): the party's signed confirmation of the new version (RefreshCertificate), durably recorded before it left.
 */
export type DkgResult = {
  publicKey: string;
  transcriptHash: string;
  policyHash: string;
  /** DKG: the party's signed acknowledgement of revision 1 (control/revision-ack.ts), hex. */
  acknowledgement?: string;
  /** DKG only: the party's signed creation receipt (receipts.ts), stored by the gateway for GetKeyAttestation. */
  receipt?: CreationReceipt;
  confirmation?: string;
};
export type SignResult = { signature: string };
/**
 * A signer's answer to a sign request with pre-made commitments (protocols/frost/premade.ts), hex:
 * its signature share z_i, the group commitment R it computed, and the digest of what it signed
 * (key, signers, message, session, commitment list). The coordinator aggregates (RFC 9591 §5.3).
 */
export type PremadeSignResult = { signatureShare: string; groupCommitment: string; request: string };
/** DKLs23 presign: the public part of the party's presignature (presign.ts presignatureRecordPart), hex. */
export type PresignResult = { presignature: { id: string; R: string; signers: number[]; part: { index: number; Phi: string; U: string; V: string } } };
/** DKLs23 online share for a presignature (presign.ts presignatureShare), hex: w_i, u'_i and the digest of what it signed. */
export type PresignedSignResult = { w: string; u: string; request: string };
/** The revision the party now holds, and when it enforces it (ms since the epoch, its own clock). */
/** `acknowledgement`: the party's signature over (key id, revision, policy hash) with its identity key (control/revision-ack.ts), hex. */
export type PolicyRevisionResult = { policyHash: string; revision: number; activatesAt: number; acknowledgement?: string };
export type DoneMessage = {
  type: 'done';
  session: string;
  output: DkgResult | SignResult | PremadeSignResult | PresignResult | PresignedSignResult | PolicyRevisionResult;
};

/** `kind`: one of the closed FailureKind vocabulary (protocols/core/errors.ts); the coordinator reads any other string as 'internal'. */
export type AbortMessage = { type: 'abort'; session: string; kind: FailureKind; message: string; culprits: number[] };

/**
 * The key is scheduled for deletion (or its DKG never completed): delete every share of it, on the
 * gateway-signed `record` (deletion-records.ts) and only once the party's own waiting period since
 * it first received that record has passed (services/party/key-deletion.ts). Sent from
 * ScheduleKeyDeletion on, on every connect and every sweep, until the party confirms.
 */
export type DeleteKeyMessage = {
  type: 'delete-key';
  keyId: string;
  record?: DeletionRecord;
  /** The key is gone at the gateway (its window passed, or its creation failed); false while it is only pending deletion. */
  due?: boolean;
};
/** CancelKeyDeletion: the party drops the deletion it is waiting out (the record scheduled at or before `cancel.cancelledAt`). */
export type CancelKeyDeletionMessage = { type: 'cancel-key-deletion'; keyId: string; cancel: DeletionCancel };
/** The party holds no share of the key any more (also sent when it never had one). */
export type KeyDeletedMessage = { type: 'key-deleted'; keyId: string };

/**
 * FROST nonce pairs the party made for the key after a signature (OpenSign.premake) and keeps in
 * memory: their commitments, hex D ‖ E, for the coordinator to put into later sign requests.
 */
export type PremadeMessage = { type: 'premade'; keyId: string; commitments: string[] };

/**
 * Commitments another signer of the key published ('premade'), sent ahead to the parties likely to
 * sign with it, so that each validates them (RFC 9591 DeserializeElement, a subgroup check per
 * element) while no request waits. Only a cache: a request still carries the full list.
 */
export type PeerCommitmentsMessage = { type: 'peer-commitments'; keyId: string; commitments: string[] };

/** Most pairs a party makes after one signature. */
export const MAX_PREMAKE = 8;

// --- refresh activation (docs/protocols.md "Refresh activation") ---------------------------------

/**
 * Proof that every member of a refresh holds the new share and will keep it: each member's
 * Ed25519 signature (identity key, hex, in `members` order) over the new version
 * (services/party/activation.ts confirmationBytes). Each party checks it against its own pinned
 * peers before it activates; the coordinator only carries it.
 */
export type RefreshCertificate = {
  keyId: string;
  session: string;
  publicKey: string;
  transcriptHash: string;
  /** The new version's party ids, in index order. */
  members: string[];
  confirmations: string[];
  /**
   * A reshare's new threshold (the coordinator's word, not signed: the key record follows it when a
   * cut-off reshare is settled after a restart; the parties' shares hold the threshold they computed).
   */
  threshold?: number;
};
/** A member's signed word that it never confirmed the refresh and never will: no certificate can exist. */
export type AbandonStatement = { keyId: string; session: string; partyId: string; signature: string };

/** Report what you hold of refreshes not settled: all of them, or of one session. */
export type RefreshQueryMessage = { type: 'refresh-query'; keyId?: string; session?: string };
/** Activate the new version: every member confirmed it. */
export type RefreshCertificateMessage = { type: 'refresh-certificate'; certificate: RefreshCertificate };
/** Give the refresh up if you have not confirmed it (answered with your abandon statement, or your state). */
export type RefreshAbandonMessage = { type: 'refresh-abandon'; keyId: string; session: string };
/** Drop the new version: a member abandoned it, so no certificate can exist. */
export type RefreshRollbackMessage = { type: 'refresh-rollback'; statement: AbandonStatement };

/**
 * Where a party stands in a refresh session ('none': it holds nothing of it). Sent when asked
 * (refresh-query) and after each change; carries the proof the state has: the party's own
 * confirmation, the certificate it activated with, or an abandon statement.
 */
export type RefreshStateMessage = {
  type: 'refresh-state';
  keyId: string;
  session: string;
  state: 'none' | 'pending' | 'confirmed' | 'activated' | 'abandoned' | 'rolled-back';
  members?: string[];
  publicKey?: string;
  transcriptHash?: string;
  confirmation?: string;
  certificate?: RefreshCertificate;
  statement?: AbandonStatement;
  /** The new version's threshold (pending, confirmed): a reshare's key record follows it when settled after a restart. */
  threshold?: number;
};

export type RefreshControlMessage = RefreshQueryMessage | RefreshCertificateMessage | RefreshAbandonMessage | RefreshRollbackMessage;

// --- the operator console (docs/console.md) --------------------------------------------------

/** Most audit entries one audit-query returns. */
export const MAX_AUDIT_ENTRIES = 200;

/**
 * Read-only: send back the last `limit` (1..MAX_AUDIT_ENTRIES) entries of your audit log. It
 * changes nothing at the party; the gateway shows them in its console.
 */
export type AuditQueryMessage = { type: 'audit-query'; id: string; limit: number };

/** One entry of a party's audit log (services/storage/policy-store.ts AuditEntry), as sent. */
export type AuditLogEntry = {
  seq: number;
  at: number;
  keyId: string;
  session: string;
  event: string;
  decision: 'allow' | 'deny';
  code: string;
  rule: string | null;
  reasons: string[];
  /** What was decided on: policy hash and revision, algorithm, message length and SHA-256, caller, signers (no message). */
  detail: Record<string, unknown>;
  requestDigest: string;
  prevHash: string;
  hash: string;
};

/** The answer to an audit-query: the entries, oldest first, and how many the log holds. */
export type AuditLogMessage = { type: 'audit-log'; id: string; total: number; entries: AuditLogEntry[] };

export type CoordinatorToParty =
  | OpenMessage
  | EnvelopeMessage
  | AbortMessage
  | DeleteKeyMessage
  | CancelKeyDeletionMessage
  | PeerCommitmentsMessage
  | RefreshControlMessage
  | AuditQueryMessage
  | KeyPackageQueryMessage;
export type PartyToCoordinator =
  EnvelopeMessage | DoneMessage | AbortMessage | KeyDeletedMessage | PremadeMessage | RefreshStateMessage | AuditLogMessage | KeyPackageMessage;

export const SESSION_ID_RE = /^[0-9a-f]{64}$/;
export const KEY_ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
