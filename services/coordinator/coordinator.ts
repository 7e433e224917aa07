// The coordinator: key metadata, aliases, tags, key policies, party selection and every KMS use
// case. It implements the KMS front end's KeyService. Untrusted for secrets: it handles public keys,
// signatures and opaque envelopes only.
//
// Every operation on a key runs: resolve the KeyId (the forms the operation accepts, kms-compat §2.5)
// → the key policy allows the caller this action (policies/aws-key-policy.ts; AccessDeniedException)
// → the key's state allows the operation (§2.6) → the operation's own checks → the change, in one
// SQLite transaction. The gateway is one process and better-sqlite3 is synchronous, so nothing
// interleaves between a check and its write.
import { randomUUID } from 'node:crypto';
import type { AliasRecord, Caller, KeyRecord, KeyService, Page, Tag } from '../kms-api/key-service.ts';
import {
  KmsError, accessDenied, alreadyExists, dependencyTimeout, disabled, dryRun, internal, invalidKeyUsage, invalidState, keyNotFound,
  keyUnavailable, limitExceeded, malformedPolicy, notFound, tagError, validation,
} from '../kms-api/errors.ts';
import { MAX_TAGS } from '../kms-api/shapes.ts';
import {
  PolicyError, accessDeniedMessage, accountOf, defaultKeyPolicy, evaluate, parseKeyPolicy, type KeyPolicy, type PolicyRequest,
} from '../../policies/aws-key-policy.ts';
import { KeyRepositoryError, type KeyRepository, type StoredAlias, type StoredKey } from '../storage/key-repository.ts';
import type { CoordinatorToParty, DkgResult, PolicyRevisionResult, PremadeSignResult, SignResult } from '../control/messages.ts';
import { aggregatePremadeShares } from '../../protocols/frost/premade.ts';
import { isFrostSuiteName } from '../../protocols/frost/suite.ts';
import { fromHex } from '../../protocols/core/bytes.ts';
import type { FailureKind } from '../../protocols/core/errors.ts';
import { PremadeStock } from './premade-stock.ts';
import { MAX_PREMAKE } from '../control/messages.ts';
import { DIGEST_BYTES, DIGEST_ONLY_ALGORITHMS, KEY_SPECS, apiSignature, isLowS, spkiDer, verifySignature, type KeySpecInfo } from './key-specs.ts';
import { decodeMarker, encodeMarker } from './markers.ts';
import { SessionFailed, type Answer, type SessionRunner } from './session-runner.ts';
import { recordRevisionAcks, revisionAcksOf } from './revision-acks.ts';
import type { RevisionAckStore, StoredRevisionAck } from '../storage/revision-acks.ts';
import type { PublicIdentity } from '../transport/identity.ts';
import { checkSignerOverlap, currentSigningPolicy, initialSigningPolicy, requestedRevision, storedSigningPolicy, type PendingRevision } from './signing-policy.ts';
import { policyHash as signingPolicyHash } from '../../policies/hash.ts';
import { PARTIES_TAG, THRESHOLD_TAG, chooseParties } from './tags.ts';
import type { AttestationStore } from '../storage/attestation-store.ts';
import type { RefreshActivations } from './refresh-activation.ts';

export type CoordinatorOptions = {
  keys: KeyRepository;
  runner: SessionRunner;
  /** Every configured party id, in a stable order. */
  parties: string[];
  isConnected: (partyId: string) => boolean;
  region: string;
  accountId: string;
  /** The key-lifecycle clock (creation and deletion dates), ms since the epoch. Tests move it. */
  now?: () => number;
  /** Called when key shares were recorded for deletion, so they can be sent out at once. */
  onShareDeletions?: () => void;
  /** Sends a message to a connected party (false if it is not connected); pre-made commitments go ahead to their likely co-signers. */
  send?: (partyId: string, msg: CoordinatorToParty) => boolean;
  /** The round deadline of DKLs23 key generation (default 30 s): its base-OT rounds take seconds of CPU per party. */
  dkgRoundTimeoutMs?: number;
  /** Where the parties' signed signing-policy revision acknowledgements are kept (revision-acks.ts). */
  acks?: RevisionAckStore;
  /** The parties' public identities (the gateway's configuration), to check their acknowledgements. */
  identities?: PublicIdentity[];
  log?: (line: string) => void;
  /** Key creation receipts (GetKeyAttestation) and deleted key ids (attestation-store.ts). */
  evidence?: AttestationStore;
  /** After ScheduleKeyDeletion: the parties get the signed deletion record now (their wait starts). */
  onShareDeletionsScheduled?: () => void;
  /** CancelKeyDeletion succeeded: the key's parties get a signed cancel. */
  onDeletionCancelled?: (keyId: string, parties: string[]) => void;
  /** Two-phase activation of refreshed shares (refresh-activation.ts); without it parties are not told to activate. */
  activations?: RefreshActivations;
};

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DAY_MS = 24 * 60 * 60 * 1000;
/** AWS quota: aliases per KMS key. */
export const MAX_ALIASES_PER_KEY = 50;
/** At most this many entries per ListAliases page, whatever Limit asks (AWS: "might return fewer"). */
const MAX_ALIAS_PAGE = 100;
/** Tags that chose the key's parties and threshold when it was created; they describe it from then on. */
const FIXED_TAGS = new Set([THRESHOLD_TAG, PARTIES_TAG]);
const POLICY_NAME = 'default';
const LOCKOUT = 'The new key policy will not allow you to update the key policy in the future.';

type ResolveMode = 'any' | 'key';

/** A pair of a key's parties that will not sign together: `by` banned `peer` (key indices). */
type BannedPair = { by: number; peer: number; why: string };

export class Coordinator implements KeyService {
  private readonly policies = new Map<string, KeyPolicy>();
  /**
   * Per key, the pairs of parties that will not sign together because one banned the other after a
   * failed DKLs23 OT/VOLE check (docs/security.md "Bans"). Learned from the parties' 'banned' aborts
   * and refusals; the parties hold the bans durably, so after a restart this is learned again.
   */
  private readonly bans = new Map<string, BannedPair[]>();
  /** Pre-made FROST commitments per key and party (premade-stock.ts): a Sign with one for each signer runs in one round. */
  readonly premade = new PremadeStock();

  constructor(private readonly o: CoordinatorOptions) {}

  /**
   * A party published commitments of nonce pairs it made for a key ('premade'). Kept only for a
   * FROST key of which the party is a party, and only well-formed (hex D ‖ E of the suite's size);
   * the signers validate every element themselves when a request carries it.
   */
  onPremade(partyId: string, msg: { keyId?: unknown; commitments?: unknown }): void {
    if (typeof msg.keyId !== 'string' || !UUID_RE.test(msg.keyId) || !Array.isArray(msg.commitments) || msg.commitments.length > MAX_PREMAKE) return;
    const k = this.o.keys.get(msg.keyId);
    const spec = k && KEY_SPECS[k.keySpec];
    if (!k || !spec || spec.scheme !== 'eddsa' || !k.parties.includes(partyId) || k.keyState !== 'Enabled') return;
    const hexLength = 4 * spec.publicKeyBytes;
    if (msg.commitments.some((c) => typeof c !== 'string' || c.length !== hexLength || !/^[0-9a-f]+$/.test(c))) return;
    this.premade.add(k.keyId, partyId, msg.commitments as string[]);
    // The parties this one will sign with next (the first t connected, as chooseSigners picks
    // them) validate its commitments now rather than when a request names them.
    const choice = this.chooseSigners(k, new Set());
    if ('signers' in choice && choice.signers.some(({ p }) => p === partyId)) {
      for (const { p } of choice.signers) {
        if (p !== partyId) this.o.send?.(p, { type: 'peer-commitments', keyId: k.keyId, commitments: msg.commitments as string[] });
      }
    }
  }

  /** A party's link dropped: if it restarted, its pre-made pairs are gone. */
  onPartyDisconnected(partyId: string): void {
    this.premade.dropParty(partyId);
  }

  arnOf(keyId: string, accountId = this.o.accountId): string {
    return `arn:aws:kms:${this.o.region}:${accountId}:key/${keyId}`;
  }

  aliasArnOf(aliasName: string, accountId = this.o.accountId): string {
    return `arn:aws:kms:${this.o.region}:${accountId}:${aliasName}`;
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  // --- keys ----------------------------------------------------------------------------------

  async createKey(req: { keySpec: string; keyUsage: string; description: string; tags: Tag[]; policy?: string; bypassPolicyLockoutSafetyCheck?: boolean }, caller: Caller): Promise<KeyRecord> {
    this.requireAccountPrincipal(caller, 'CreateKey');
    const spec = KEY_SPECS[req.keySpec];
    if (!spec) throw new KmsError('UnsupportedOperationException', `KeySpec ${req.keySpec} is not supported. Supported: ${Object.keys(KEY_SPECS).join(', ')}.`);
    if (req.keyUsage !== 'SIGN_VERIFY') throw validation(`KeyUsage ${req.keyUsage} is not compatible with KeySpec ${req.keySpec}`);
    let keyId = randomUUID();
    // A key id names one key for ever (docs/security.md "Deleting a key"): never one deleted before.
    while (this.o.evidence?.wasDeleted(keyId)) keyId = randomUUID();
    const arn = this.arnOf(keyId);
    const policy = req.policy ?? defaultKeyPolicy(this.o.accountId);
    if (req.policy !== undefined) this.checkNewPolicy(req.policy, arn, caller, req.bypassPolicyLockoutSafetyCheck === true);
    // The signing policy every party will enforce: TuttiSigningPolicy, or the default. Checked here
    // for a good error; each party checks it again and computes its hash itself.
    const signingPolicy = initialSigningPolicy(req.policy === undefined ? undefined : parseKeyPolicy(req.policy), spec);
    const policyHash = signingPolicyHash(signingPolicy);
    const { parties, threshold } = chooseParties(req.tags, this.o.parties);
    checkSignerOverlap(signingPolicy, threshold, parties.length);
    const offline = parties.filter((p) => !this.o.isConnected(p));
    if (offline.length) throw keyUnavailable(`Cannot create the key: parties ${offline.join(', ')} are not connected; every party must take part in key generation.`);

    const stored: StoredKey = {
      keyId, arn, accountId: this.o.accountId, region: this.o.region, creationDate: this.now(),
      description: req.description, keyUsage: 'SIGN_VERIFY', keySpec: spec.keySpec, keyState: 'Creating', protocol: spec.protocol,
      threshold, parties, publicKey: null, policyHash, tags: req.tags, deletionDate: null, pendingWindowInDays: null, policy,
      signingPolicy: storedSigningPolicy(signingPolicy), policyRevision: 1,
    };
    this.o.keys.insert(stored);
    try {
      const members = new Map(parties.map((p, i) => [i + 1, p]));
      const outputs = await this.o.runner.run(`${spec.protocol}/dkg`, members, (session) => ({
        type: 'open', kind: 'dkg', session, keyId, keySpec: spec.keySpec, protocol: spec.protocol, threshold, parties, policy: signingPolicy,
      }), spec.scheme === 'ecdsa' ? { roundTimeoutMs: this.o.dkgRoundTimeoutMs ?? 30_000 } : {});
      // A key exists only when all n parties confirmed the same transcript and public key.
      const results = [...outputs.values()] as DkgResult[];
      const first = results[0]!;
      if (results.some((r) => r.publicKey !== first.publicKey || r.transcriptHash !== first.transcriptHash)) {
        throw internal('Key generation failed: the parties did not agree on the public key.');
      }
      if (results.some((r) => r.policyHash !== policyHash)) {
        throw internal(`Key generation failed: the parties bound another signing policy than ${policyHash}.`);
      }
      spkiDer(spec, Buffer.from(first.publicKey, 'hex'));
      // Each party's signed creation receipt, for GetKeyAttestation (services/control/receipts.ts).
      this.o.evidence?.putReceipts(keyId, [...outputs.entries()].flatMap(([index, r]) => {
        const receipt = (r as DkgResult).receipt;
        return receipt ? [{ partyId: parties[index - 1]!, receipt }] : [];
      }));
      this.o.keys.update(keyId, { keyState: 'Enabled', publicKey: first.publicKey });
      // Each party's signed acknowledgement of revision 1 (GetKeyPolicy TuttiRevisions).
      const unacknowledged = recordRevisionAcks(this.o.acks, this.o.identities, keyId,
        [...outputs].map(([i, r]) => ({ partyId: members.get(i)!, revision: 1, policyHash, acknowledgement: (r as DkgResult).acknowledgement })));
      if (unacknowledged.length) this.o.log?.(`coordinator: ${keyId}: no valid acknowledgement of signing-policy revision 1 from ${unacknowledged.join(', ')}`);
    } catch (err) {
      // Parties that finished their part may hold a share of a key that now never exists: each is
      // told to delete it (durably recorded, resent until confirmed).
      this.o.keys.purge(keyId, (k) => k.keyState === 'Creating', this.now());
      this.o.onShareDeletions?.();
      throw this.sessionError(err, 'CreateKey');
    }
    return this.record(this.o.keys.get(keyId)!);
  }

  async describeKey(keyId: string, caller: Caller): Promise<KeyRecord> {
    const k = this.resolve(keyId, caller, 'any');
    this.authorize(k, 'DescribeKey', caller);
    return this.record(k);
  }

  async getKeyAttestation(keyId: string, caller: Caller): Promise<{ key: KeyRecord; receipts: unknown[] }> {
    const k = this.resolve(keyId, caller, 'any');
    this.authorize(k, 'DescribeKey', caller);
    return { key: this.record(k), receipts: this.o.evidence?.receipts(k.keyId) ?? [] };
  }

  async listKeys(limit: number, marker: string | undefined, caller: Caller): Promise<{ keys: KeyRecord[]; nextMarker?: string }> {
    this.requireAccountPrincipal(caller, 'ListKeys');
    const after = marker === undefined ? undefined : decodeMarker('keys', marker, isKeyCursor);
    const page = this.o.keys.list(limit, after && { creationDate: after[0], keyId: after[1] });
    const keys = page.keys.filter((k) => k.keyState !== 'Creating').map((k) => this.record(k));
    const last = page.keys[page.keys.length - 1];
    return page.more && last ? { keys, nextMarker: encodeMarker('keys', [last.creationDate, last.keyId]) } : { keys };
  }

  async getPublicKey(keyId: string, caller: Caller): Promise<KeyRecord> {
    const k = this.resolve(keyId, caller, 'any');
    this.authorize(k, 'GetPublicKey', caller);
    this.requireUsable(k);
    return this.record(k);
  }

  async sign(req: { keyId: string; message: Uint8Array; messageType: 'RAW' | 'DIGEST'; signingAlgorithm: string; grantTokens?: string[]; dryRun?: boolean }, caller: Caller): Promise<{ key: KeyRecord; signature: Uint8Array }> {
    const k = this.resolve(req.keyId, caller, 'any');
    this.authorize(k, 'Sign', caller, { 'kms:SigningAlgorithm': req.signingAlgorithm, 'kms:MessageType': req.messageType });
    this.requireUsable(k);
    const spec = KEY_SPECS[k.keySpec]!;
    this.checkAlgorithm(spec, req.signingAlgorithm, req.messageType, req.message.length);
    const spki = spkiDer(spec, Buffer.from(k.publicKey!, 'hex'));
    if (req.dryRun) {
      // Everything a real call checks here, short of asking the parties (whose own policy check
      // needs a session): enough of them must be connected, and not banned from signing together.
      const choice = this.chooseSigners(k, new Set());
      if ('unavailable' in choice) throw keyUnavailable(choice.unavailable);
      throw dryRun();
    }

    // Pick t connected parties; if one does not answer, try again without it (design: Sign flow).
    // A set in which one party banned another is never picked; a ban learned from this request's
    // own session (a 'banned' abort) makes the next attempt avoid that pair.
    const excluded = new Set<number>();
    let lastError: unknown;
    let timeouts = 0;
    // FROST: one round when every signer has a pre-made commitment in stock; a signer that no
    // longer holds its pair (it restarted) refuses before its policy decides, and the attempt is
    // made again in two rounds (once per request).
    let premadeAllowed = spec.scheme === 'eddsa';
    for (let attempt = 0; attempt < 3 + k.parties.length * k.parties.length && timeouts < 3; attempt++) {
      const choice = this.chooseSigners(k, excluded);
      if ('unavailable' in choice) {
        // After a failed attempt, its failure (e.g. a round that timed out) is the reason to report.
        if (lastError !== undefined && !(lastError instanceof SessionFailed && lastError.failure.kind === 'banned')) throw this.sessionError(lastError, 'Sign');
        throw keyUnavailable(choice.unavailable);
      }
      const signers = choice.signers;
      const members = new Map(signers.map(({ p, i }) => [i, p]));
      const indices = signers.map(({ i }) => i);
      const premade = premadeAllowed ? this.premade.take(k.keyId, signers.map(({ p }) => p)) : undefined;
      try {
        const outputs = await this.o.runner.run(`${spec.protocol}/${premade ? 'sign-premade' : 'sign'}`, members, (session, index) => ({
          type: 'open', kind: 'sign', session, keyId: k.keyId, signers: indices,
          // The full request: each party evaluates the key's signing policy on it, GrantTokens (approvals) included.
          request: {
            message: Buffer.from(req.message).toString('base64'), messageType: req.messageType, signingAlgorithm: req.signingAlgorithm,
            caller: { accessKeyId: caller.accessKeyId, principal: caller.principal }, grantTokens: req.grantTokens ?? [],
          },
          ...(premade ? { premade } : {}),
          ...premakeOf(spec.scheme === 'eddsa' ? this.premade.ask(k.keyId, members.get(index)!) : 0),
        }));
        // Every signature is checked before it is returned (key-specs.ts verifySignature: node:crypto
        // where it can, noble over the digest otherwise); an ECDSA signature must also be low-S.
        if (premade) {
          // RFC 9591 §5.3: this coordinator aggregates the shares and verifies the signature.
          const signature = aggregatePremade(spec, members, outputs);
          if (signature.ok && verifySignature(spec, spki, req, signature.signature)) {
            return { key: this.record(k), signature: signature.signature };
          }
          // Shares that do not combine: sign again in two rounds, where every signer checks every
          // share (§5.4) and a signer that cheats again is named.
          this.o.log?.(`sign ${k.keyId}: the pre-made signature shares ${signature.ok ? 'do not combine into a valid signature' : `were refused: ${signature.why}`}; signing again in two rounds`);
          this.premade.dropKey(k.keyId);
          premadeAllowed = false;
          continue;
        }
        for (const out of outputs.values()) {
          const signature = apiSignature(spec, new Uint8Array(Buffer.from((out as SignResult).signature, 'base64')));
          if (signature && verifySignature(spec, spki, req, signature) && (spec.scheme !== 'ecdsa' || isLowS(spec, signature))) {
            return { key: this.record(k), signature };
          }
        }
        throw internal('The parties returned no valid signature.');
      } catch (err) {
        lastError = err;
        if (err instanceof SessionFailed && (err.failure.kind === 'timeout' || err.failure.kind === 'unavailable') && err.failure.unresponsive.length) {
          timeouts++;
          for (const i of err.failure.unresponsive) excluded.add(i);
          this.o.log?.(`sign ${k.keyId}: retrying without parties ${[...excluded].join(', ')}`);
          continue;
        }
        if (err instanceof SessionFailed && err.failure.kind === 'banned' && this.learnBans(k, err.failure)) continue;
        if (premade && err instanceof SessionFailed && !new Set<FailureKind>(['policy', 'throttled', 'timeout', 'unavailable', 'banned']).has(err.failure.kind)) {
          // Typically 'premade-unknown': a signer no longer holds its pair (it restarted). A policy
          // denial is final, and is not asked again (it would be charged twice).
          this.premade.dropKey(k.keyId);
          premadeAllowed = false;
          this.o.log?.(`sign ${k.keyId}: the pre-made attempt failed (${err.failure.kind}: ${err.failure.message}); signing in two rounds`);
          continue;
        }
        throw this.sessionError(err, 'Sign');
      }
    }
    throw this.sessionError(lastError, 'Sign');
  }

  /**
   * The signer set for the next attempt: the first t connected, not excluded parties in key-index
   * order such that no one of them banned another; or why there is none.
   */
  private chooseSigners(k: StoredKey, excluded: Set<number>): { signers: { p: string; i: number }[] } | { unavailable: string } {
    const candidates = k.parties.map((p, i) => ({ p, i: i + 1 })).filter(({ p, i }) => !excluded.has(i) && this.o.isConnected(p));
    if (candidates.length < k.threshold) {
      return { unavailable: `Only ${candidates.length} of the key's ${k.parties.length} parties are reachable; ${k.threshold} are needed to sign.` };
    }
    const bans = this.bans.get(k.keyId) ?? [];
    const banned = (a: number, b: number) => bans.some((x) => (x.by === a && x.peer === b) || (x.by === b && x.peer === a));
    // Lexicographic search over t-subsets (n ≤ 10): with no bans, the first t candidates.
    const pick: { p: string; i: number }[] = [];
    const search = (from: number): boolean => {
      if (pick.length === k.threshold) return true;
      for (let c = from; c <= candidates.length - (k.threshold - pick.length); c++) {
        const next = candidates[c]!;
        if (pick.some((q) => banned(q.i, next.i))) continue;
        pick.push(next);
        if (search(c + 1)) return true;
        pick.pop();
      }
      return false;
    };
    if (search(0)) return { signers: pick };
    const named = bans.map((b) => `party ${b.by} (${k.parties[b.by - 1]}) banned party ${b.peer} (${k.parties[b.peer - 1]})`).join('; ');
    return {
      unavailable: `No ${k.threshold} of the key's reachable parties (${candidates.map((c) => c.i).join(', ')}) can sign together: ${named} ` +
        'after a failed OT/VOLE consistency check. Refresh the key without the banned party (cli.ts refresh --key ID --without-banned, or --exclude PARTY_ID), ' +
        'or, once you trust it again, with it and lift the bans (cli.ts refresh --key ID --lift-bans); docs/operations.md "Refreshing a key".',
    };
  }

  /** Records the pairs a 'banned' abort names; true if any was new (then another signer set is worth a try). */
  private learnBans(k: StoredKey, f: { reporter?: number; culprits: number[]; message: string }): boolean {
    if (f.reporter === undefined || f.culprits.length === 0) return false;
    const list = this.bans.get(k.keyId) ?? [];
    let learned = false;
    for (const peer of f.culprits) {
      if (peer === f.reporter || list.some((b) => b.by === f.reporter && b.peer === peer)) continue;
      list.push({ by: f.reporter, peer, why: f.message });
      learned = true;
      this.o.log?.(`sign ${k.keyId}: party ${f.reporter} banned party ${peer}: ${f.message}`);
    }
    this.bans.set(k.keyId, list);
    return learned;
  }

  async verify(req: { keyId: string; message: Uint8Array; messageType: 'RAW' | 'DIGEST'; signature: Uint8Array; signingAlgorithm: string; dryRun?: boolean }, caller: Caller): Promise<{ key: KeyRecord; valid: boolean }> {
    const k = this.resolve(req.keyId, caller, 'any');
    this.authorize(k, 'Verify', caller, { 'kms:SigningAlgorithm': req.signingAlgorithm, 'kms:MessageType': req.messageType });
    this.requireUsable(k);
    const spec = KEY_SPECS[k.keySpec]!;
    this.checkAlgorithm(spec, req.signingAlgorithm, req.messageType, req.message.length);
    const spki = spkiDer(spec, Buffer.from(k.publicKey!, 'hex'));
    // ECDSA: over the same digest the parties sign (policies/digest.ts signingDigest); high-S accepted.
    const valid = verifySignature(spec, spki, req, req.signature);
    // A dry run answers whether the real call would have succeeded: a bad signature would not.
    if (req.dryRun && valid) throw dryRun();
    return { key: this.record(k), valid };
  }

  // --- operator actions (not KMS operations) ---------------------------------------------------

  /**
   * Refreshes a key (`cli.ts refresh`, docs/operations.md): every party of the key runs the refresh
   * session — new shares and all new OT state, the same public key — and the new shares replace
   * the old ones when all confirmed the same transcript. `liftBans`: each party then forgets the
   * bans it held for the key, and so does this coordinator. Only DKLs23 keys are refreshed (FROST
   * refresh exists in protocols/frost but is not run by the service).
   *
   * `exclude` (party ids): the refresh runs without them (protocols/dkls23/refresh.ts): the others
   * keep their order and are renumbered 1..n', t stays, at least t must remain. Afterwards the key
   * record lists the remaining parties only, the bans against the excluded ones are forgotten, and
   * each excluded party is told to delete its share (durably recorded, resent until it confirms).
   * `withoutBanned`: also leave out every party that a remaining party has banned for the key —
   * the parties' ban tables decide: a party that holds a ban against a remaining peer refuses
   * (kind 'banned', naming it), and the refresh is tried again without that peer.
   * Every remaining party must be connected; the excluded ones need not be.
   */
  async refreshKey(keyId: string, o: { liftBans: boolean; exclude?: string[]; withoutBanned?: boolean }): Promise<{
    keyId: string; publicKey: string; transcriptHash: string; parties: string[]; excluded: string[]; bansLifted: boolean;
  }> {
    if (!UUID_RE.test(keyId)) throw notFound(`Invalid keyId '${keyId}'`);
    const k = this.o.keys.get(keyId);
    if (!k || k.keyState === 'Creating') throw keyNotFound(this.arnOf(keyId));
    this.requireNotPendingDeletion(k);
    const spec = KEY_SPECS[k.keySpec]!;
    if (spec.scheme !== 'ecdsa') throw new KmsError('UnsupportedOperationException', `${k.keySpec} keys are not refreshed by the service; only ECDSA (DKLs23) keys are.`);
    this.premade.dropKey(k.keyId);
    const exclude = [...(o.exclude ?? [])];
    const unknown = exclude.filter((p) => !k.parties.includes(p));
    if (unknown.length) throw validation(`Cannot leave out ${unknown.join(', ')}: not a party of ${k.arn} (its parties: ${k.parties.join(', ')}).`);
    if (new Set(exclude).size !== exclude.length) throw validation('A party is named twice in the parties to leave out.');
    if (o.withoutBanned) {
      // What this coordinator learned (memory only) is a first guess; the parties' refusals decide.
      for (const b of this.bans.get(k.keyId) ?? []) {
        const peer = k.parties[b.peer - 1]!;
        if (!exclude.includes(peer) && !exclude.includes(k.parties[b.by - 1]!)) exclude.push(peer);
      }
    }
    for (let attempt = 0; ; attempt++) {
      const remaining = k.parties.filter((p) => !exclude.includes(p));
      if (remaining.length < k.threshold) {
        throw keyUnavailable(`Cannot refresh ${k.arn} without ${exclude.join(', ')}: ${remaining.length} parties would remain, fewer than its threshold ${k.threshold}. ` +
          'The key cannot be refreshed without them; its shares stay as they are.');
      }
      const offline = remaining.filter((p) => !this.o.isConnected(p));
      if (offline.length) {
        throw keyUnavailable(`Cannot refresh ${k.arn}: parties ${offline.join(', ')} are not connected; every party of the key${exclude.length ? ' that stays' : ''} takes part in a refresh.`);
      }
      const members = new Map(remaining.map((p, i) => [i + 1, p]));
      let results: DkgResult[];
      let refreshSession = '';
      try {
        const outputs = await this.o.runner.run(`${spec.protocol}/refresh`, members, (session) => ({
          type: 'open', kind: 'refresh', session: (refreshSession = session), keyId: k.keyId, liftBans: o.liftBans,
          ...(exclude.length ? { exclude: [...exclude] } : {}), ...(o.withoutBanned ? { withoutBanned: true } : {}),
        }), { roundTimeoutMs: this.o.dkgRoundTimeoutMs ?? 30_000 });
        results = [...members.keys()].map((i) => outputs.get(i)) as DkgResult[];
      } catch (err) {
        // Some members may have confirmed the new version: settle it (a rollback, proven by a member that did not).
        if (refreshSession) this.o.activations?.settle(k.keyId, refreshSession, remaining);
        if (err instanceof SessionFailed && err.failure.kind === 'banned') {
          // The session numbers the remaining parties 1..n'; bans are kept by key index.
          const f = err.failure;
          const keyIndex = (i: number) => k.parties.indexOf(members.get(i)!) + 1;
          this.learnBans(k, { ...f, reporter: f.reporter === undefined ? undefined : keyIndex(f.reporter), culprits: f.culprits.filter((c) => members.has(c)).map(keyIndex) });
          const more = f.culprits.map((c) => members.get(c)).filter((p): p is string => p !== undefined && !exclude.includes(p));
          if (o.withoutBanned && more.length && attempt < k.parties.length) {
            exclude.push(...more);
            this.o.log?.(`refresh ${k.keyId}: ${f.message}; trying again without ${exclude.join(', ')}`);
            continue;
          }
        }
        throw this.sessionError(err, 'Refresh');
      }
      const first = results[0]!;
      if (results.some((r) => r.publicKey !== k.publicKey || r.transcriptHash !== first.transcriptHash)) {
        throw internal(`Refresh of ${k.arn}: the parties did not confirm the same transcript for the same public key.`);
      }
      // Every member confirmed: the certificate (their signed confirmations) goes to all, and each
      // activates the new version once it checked it (docs/protocols.md "Refresh activation").
      await this.o.activations?.certify({
        keyId: k.keyId, session: refreshSession, publicKey: first.publicKey, transcriptHash: first.transcriptHash, members: remaining,
        confirmations: results.map((r) => String(r.confirmation ?? '')),
      }, this.o.dkgRoundTimeoutMs ?? 30_000);
      if (exclude.length) {
        // The remaining parties hold their new shares (active) under their new indices: the key
        // record follows, and the excluded parties are told to delete their shares.
        this.o.keys.replaceParties(k.keyId, k.parties, remaining, this.now());
        this.o.onShareDeletions?.();
        const newIndex = (i: number) => remaining.indexOf(k.parties[i - 1]!) + 1;
        const kept = (this.bans.get(k.keyId) ?? []).filter((b) => newIndex(b.by) > 0 && newIndex(b.peer) > 0)
          .map((b) => ({ ...b, by: newIndex(b.by), peer: newIndex(b.peer) }));
        this.bans.set(k.keyId, kept);
      }
      if (o.liftBans) this.bans.delete(k.keyId);
      this.o.log?.(`coordinator: ${k.keyId} refreshed by all ${results.length} parties${exclude.length ? ` without ${exclude.join(', ')} (now ${remaining.join(', ')})` : ''} ` +
        `(transcript ${first.transcriptHash.slice(0, 16)}…)${o.liftBans ? '; bans lifted' : ''}`);
      return { keyId: k.keyId, publicKey: first.publicKey, transcriptHash: first.transcriptHash, parties: remaining, excluded: exclude, bansLifted: o.liftBans };
    }
  }

  // --- key state -------------------------------------------------------------------------------

  async enableKey(keyId: string, caller: Caller): Promise<void> {
    this.change(keyId, 'EnableKey', caller, (k) => {
      this.requireNotPendingDeletion(k);
      return { keyState: 'Enabled' };
    });
  }

  async disableKey(keyId: string, caller: Caller): Promise<void> {
    this.change(keyId, 'DisableKey', caller, (k) => {
      this.requireNotPendingDeletion(k);
      return { keyState: 'Disabled' };
    });
  }

  async scheduleKeyDeletion(keyId: string, pendingWindowInDays: number, caller: Caller): Promise<KeyRecord> {
    const now = this.now();
    const record = this.change(keyId, 'ScheduleKeyDeletion', caller, (k) => {
      this.requireNotPendingDeletion(k);
      this.o.log?.(`coordinator: ${k.keyId} scheduled for deletion in ${pendingWindowInDays} days by ${caller.principal}`);
      return { keyState: 'PendingDeletion', deletionDate: now + pendingWindowInDays * DAY_MS, pendingWindowInDays };
    }, { 'kms:ScheduleKeyDeletionPendingWindowInDays': String(pendingWindowInDays) });
    this.o.onShareDeletionsScheduled?.();
    return record;
  }

  async cancelKeyDeletion(keyId: string, caller: Caller): Promise<KeyRecord> {
    let parties: string[] = [];
    const record = this.change(keyId, 'CancelKeyDeletion', caller, (k) => {
      if (k.keyState !== 'PendingDeletion') throw invalidState(`${k.arn} is not pending deletion.`);
      parties = k.parties;
      // AWS: a key whose deletion is cancelled is Disabled, whatever it was before.
      return { keyState: 'Disabled', deletionDate: null, pendingWindowInDays: null };
    });
    this.o.onDeletionCancelled?.(record.keyId, parties);
    return record;
  }

  async updateKeyDescription(keyId: string, description: string, caller: Caller): Promise<void> {
    this.change(keyId, 'UpdateKeyDescription', caller, (k) => {
      this.requireNotPendingDeletion(k);
      return { description };
    });
  }

  // --- aliases ---------------------------------------------------------------------------------

  async createAlias(aliasName: string, targetKeyId: string, caller: Caller): Promise<void> {
    const k = this.resolve(targetKeyId, caller, 'key');
    this.authorize(k, 'CreateAlias', caller);
    this.requireNotPendingDeletion(k);
    if (this.o.keys.getAlias(aliasName)) throw alreadyExists(`An alias with the name ${this.aliasArnOf(aliasName)} already exists`);
    this.requireAliasRoom(k);
    try {
      this.o.keys.createAlias(aliasName, k.keyId, this.now());
    } catch (e) {
      throw this.repositoryError(e, k);
    }
  }

  async updateAlias(aliasName: string, targetKeyId: string, caller: Caller): Promise<void> {
    const alias = this.requireAlias(aliasName);
    const current = this.o.keys.get(alias.keyId)!;
    const k = this.resolve(targetKeyId, caller, 'key');
    this.authorize(current, 'UpdateAlias', caller);
    this.authorize(k, 'UpdateAlias', caller);
    this.requireNotPendingDeletion(k);
    // AWS: the new key must be of the same type and usage. Every Tutti key is an asymmetric SIGN_VERIFY key.
    if (k.keyUsage !== current.keyUsage) {
      throw validation(`${this.aliasArnOf(aliasName)} points to a ${current.keyUsage} key; ${k.arn} has key usage ${k.keyUsage}.`);
    }
    if (k.keyId === current.keyId) return;
    this.requireAliasRoom(k);
    try {
      this.o.keys.retargetAlias(aliasName, k.keyId, this.now());
    } catch (e) {
      throw this.repositoryError(e, k);
    }
  }

  async deleteAlias(aliasName: string, caller: Caller): Promise<void> {
    const alias = this.requireAlias(aliasName);
    this.authorize(this.o.keys.get(alias.keyId)!, 'DeleteAlias', caller);
    this.o.keys.deleteAlias(aliasName);
  }

  async listAliases(req: { keyId?: string; limit: number; marker?: string }, caller: Caller): Promise<Page<AliasRecord>> {
    this.requireAccountPrincipal(caller, 'ListAliases');
    const keyId = req.keyId === undefined ? undefined : this.resolve(req.keyId, caller, 'key').keyId;
    const afterName = req.marker === undefined ? undefined : decodeMarker('aliases', req.marker, isString);
    const page = this.o.keys.listAliases(Math.min(req.limit, MAX_ALIAS_PAGE), {
      ...(keyId !== undefined ? { keyId } : {}), ...(afterName !== undefined ? { afterName } : {}),
    });
    const items = page.aliases.map((a) => this.aliasRecord(a));
    const last = page.aliases[page.aliases.length - 1];
    return page.more && last ? { items, nextMarker: encodeMarker('aliases', last.aliasName) } : { items };
  }

  // --- tags ------------------------------------------------------------------------------------

  async tagResource(keyId: string, tags: Tag[], caller: Caller): Promise<void> {
    this.change(keyId, 'TagResource', caller, (k) => {
      this.requireNotPendingDeletion(k);
      const merged = [...k.tags];
      for (const t of tags) {
        const i = merged.findIndex((m) => m.TagKey === t.TagKey);
        if (FIXED_TAGS.has(t.TagKey) && (i < 0 || merged[i]!.TagValue !== t.TagValue)) {
          throw tagError(`Tag ${t.TagKey} records how the key was created and cannot be added or changed; it is set only by CreateKey.`);
        }
        if (i >= 0) merged[i] = t;
        else merged.push(t);
      }
      if (merged.length > MAX_TAGS) throw tagError('Too many tags');
      return { tags: merged };
    });
  }

  async untagResource(keyId: string, tagKeys: string[], caller: Caller): Promise<void> {
    this.change(keyId, 'UntagResource', caller, (k) => {
      this.requireNotPendingDeletion(k);
      const fixed = tagKeys.find((t) => FIXED_TAGS.has(t) && k.tags.some((m) => m.TagKey === t));
      if (fixed) throw tagError(`Tag ${fixed} records how the key was created and cannot be removed.`);
      const drop = new Set(tagKeys);
      return { tags: k.tags.filter((t) => !drop.has(t.TagKey)) };
    });
  }

  async listResourceTags(req: { keyId: string; limit: number; marker?: string }, caller: Caller): Promise<Page<Tag>> {
    const k = this.resolve(req.keyId, caller, 'key');
    this.authorize(k, 'ListResourceTags', caller);
    return this.offsetPage('tags', k.tags, req.limit, req.marker);
  }

  // --- key policy ------------------------------------------------------------------------------

  async getKeyPolicy(keyId: string, policyName: string, caller: Caller): Promise<string> {
    const k = this.resolve(keyId, caller, 'key');
    this.authorize(k, 'GetKeyPolicy', caller);
    if (policyName !== POLICY_NAME) throw notFound(`Key ${k.arn} has no policy named '${policyName}'; its only key policy is '${POLICY_NAME}'.`);
    return k.policy ?? defaultKeyPolicy(this.o.accountId);
  }

  /**
   * Stores the key policy. If its TuttiSigningPolicy differs from the key's signing policy, that is
   * a revision: checked here, then sent to every party of the key, each of which checks it itself
   * (it follows the revision the party holds and carries the approvals the current policy demands)
   * and stores it. The document and the new policy hash are committed only when all n accepted;
   * otherwise nothing changes here and the error names the parties that refused.
   */
  async putKeyPolicy(req: { keyId: string; policyName: string; policy: string; bypassPolicyLockoutSafetyCheck: boolean }, caller: Caller): Promise<void> {
    const checkAws = (k: StoredKey): void => {
      if (req.policyName !== POLICY_NAME) throw validation(`PolicyName must be '${POLICY_NAME}', the only key policy a key has; got '${req.policyName}'.`);
      this.requireNotPendingDeletion(k);
      this.checkNewPolicy(req.policy, k.arn, caller, req.bypassPolicyLockoutSafetyCheck);
    };
    const k = this.resolve(req.keyId, caller, 'key');
    this.authorize(k, 'PutKeyPolicy', caller);
    checkAws(k);
    const doc = parseKeyPolicy(req.policy);
    const revision = requestedRevision(doc, k, KEY_SPECS[k.keySpec]!, this.now());
    if (revision) await this.reviseSigningPolicy(k, revision);
    const given = doc.tuttiSigningPolicy === undefined ? null : signingPolicyHash(doc.tuttiSigningPolicy);
    this.change(req.keyId, 'PutKeyPolicy', caller, (cur) => {
      checkAws(cur);
      // Another PutKeyPolicy may have changed the signing policy while the parties were asked
      // (an identical one may have committed ours first).
      const hashOf = (x: StoredKey) => currentSigningPolicy(x, KEY_SPECS[x.keySpec]!).hash;
      const now = hashOf(cur);
      const expected = revision ? [hashOf(k), revision.hash] : [hashOf(k)];
      if (!expected.includes(now) || (!revision && given !== null && given !== now)) {
        throw invalidState(`The signing policy of ${cur.arn} changed while this request ran; read it again with GetKeyPolicy.`);
      }
      if (!revision) return { policy: req.policy };
      return { policy: req.policy, policyHash: revision.hash, policyRevision: revision.record.revision, signingPolicy: storedSigningPolicy(revision.record.policy) };
    });
  }

  /** Every party of the key must accept the revision; a KmsError naming the refusing parties otherwise. */
  private async reviseSigningPolicy(k: StoredKey, revision: PendingRevision): Promise<void> {
    const offline = k.parties.filter((p) => !this.o.isConnected(p));
    if (offline.length) {
      throw keyUnavailable(`Cannot change the signing policy of ${k.arn}: parties ${offline.join(', ')} are not connected; every party of the key must accept a change.`);
    }
    const members = new Map(k.parties.map((p, i) => [i + 1, p]));
    const answers = await this.o.runner.ask(`${KEY_SPECS[k.keySpec]!.protocol}/policy`, members, (session) => ({
      type: 'open', kind: 'policy', session, keyId: k.keyId, revision: revision.record, approvals: revision.approvals,
    }));
    const accepted: string[] = [];
    const refused: { party: string; answer: Exclude<Answer, { ok: true }> }[] = [];
    for (const [i, a] of answers) {
      const party = members.get(i)!;
      const out = a.ok ? (a.output as PolicyRevisionResult) : undefined;
      // Installed counts only with the party's signed acknowledgement of (key, revision, hash).
      const acknowledged = out?.policyHash === revision.hash && out.revision === revision.record.revision
        && recordRevisionAcks(this.o.acks, this.o.identities, k.keyId, [{ partyId: party, revision: out.revision, policyHash: out.policyHash, acknowledgement: out.acknowledgement }]).length === 0;
      if (acknowledged) accepted.push(party);
      else if (out?.policyHash !== revision.hash) refused.push({ party, answer: a.ok ? { ok: false, kind: 'internal', message: `${party} installed another policy hash` } : a as Exclude<Answer, { ok: true }> });
      else refused.push({ party, answer: { ok: false, kind: 'internal', message: `${party} sent no valid signed acknowledgement of revision ${revision.record.revision}` } });
    }
    if (refused.length === 0) {
      this.o.log?.(`coordinator: ${k.keyId} signing policy revision ${revision.record.revision} (${revision.hash}) accepted by all ${accepted.length} parties`);
      return;
    }
    const detail = refused.map(({ answer }) => answer.message).join(' | ');
    const partial = accepted.length
      ? ` Parties ${accepted.join(', ')} accepted and now hold revision ${revision.record.revision}; the key's policy stays unchanged here until all accept: repeat the same request.`
      : ' Nothing changed.';
    const names = refused.map((r) => r.party).join(', ');
    const message = `The signing-policy change of ${k.arn} was refused by ${names}: ${detail}.${partial}`;
    this.o.log?.(`coordinator: ${message}`);
    if (refused.some((r) => r.answer.kind === 'policy')) throw accessDenied(message);
    if (refused.some((r) => r.answer.kind === 'timeout')) throw dependencyTimeout(message);
    if (refused.some((r) => r.answer.kind === 'unavailable' || r.answer.kind === 'unknown-key')) throw keyUnavailable(message);
    throw internal(message);
  }

  /**
   * GetKeyPolicy's Tutti extension: each party's signed acknowledgement of the latest signing-policy
   * revision it installed (docs/kms-compatibility.md `TuttiRevisions`). Same authorization as GetKeyPolicy.
   */
  async signingPolicyRevisions(keyId: string, caller: Caller): Promise<StoredRevisionAck[]> {
    const k = this.resolve(keyId, caller, 'key');
    this.authorize(k, 'GetKeyPolicy', caller);
    return revisionAcksOf(this.o.acks, k.keyId, k.parties);
  }

  async listKeyPolicies(req: { keyId: string; limit: number; marker?: string }, caller: Caller): Promise<Page<string>> {
    const k = this.resolve(req.keyId, caller, 'key');
    this.authorize(k, 'ListKeyPolicies', caller);
    return this.offsetPage('policies', [POLICY_NAME], req.limit, req.marker);
  }

  // --- helpers ---------------------------------------------------------------------------------

  /**
   * Resolves a KeyId as AWS does: key id, key ARN and — where the operation accepts them ('any') —
   * alias name and alias ARN. A bare id or alias names a key of the caller's own account.
   */
  private resolve(input: string, caller: Caller, mode: ResolveMode): StoredKey {
    const callerAccount = accountOf(caller.principal) ?? this.o.accountId;
    const arn = /^arn:aws:kms:([^:]*):([^:]*):(key|alias)\/(.*)$/.exec(input);
    const isAlias = input.startsWith('alias/') || arn?.[3] === 'alias';
    if (isAlias && mode === 'key') throw notFound(`Invalid keyId '${input}'`);
    if (arn && arn[1] !== this.o.region) throw notFound(`Invalid arn ${arn[1]}`);
    const account = arn ? arn[2]! : callerAccount;

    let id: string;
    if (isAlias) {
      const name = arn ? `alias/${arn[4]}` : input;
      const alias = account === this.o.accountId ? this.o.keys.getAlias(name) : undefined;
      if (!alias) throw notFound(`Alias ${this.aliasArnOf(name, account)} is not found.`);
      id = alias.keyId;
    } else {
      id = arn ? arn[4]! : input;
      if (!UUID_RE.test(id)) throw notFound(`Invalid keyId '${input}'`);
      if (account !== this.o.accountId) throw keyNotFound(this.arnOf(id, account));
    }
    const k = this.o.keys.get(id);
    if (!k || k.keyState === 'Creating') throw keyNotFound(this.arnOf(id));
    return k;
  }

  /** The key policy must allow `caller` kms:<action> on the key; otherwise AccessDeniedException. */
  private authorize(k: StoredKey, action: string, caller: Caller, context: Record<string, string> = {}): void {
    const req = this.policyRequest(k.arn, action, caller, context);
    const decision = evaluate(this.policyOf(k), req);
    if (decision.effect !== 'Allow') throw accessDenied(accessDeniedMessage(req, decision));
  }

  private policyRequest(resource: string, action: string, caller: Caller, context: Record<string, string>): PolicyRequest {
    const account = accountOf(caller.principal) ?? '';
    return {
      principal: caller.principal, action: `kms:${action}`, resource,
      context: { 'kms:CallerAccount': account, 'aws:PrincipalAccount': account, 'aws:PrincipalArn': caller.principal, ...context },
    };
  }

  private policyOf(k: StoredKey): KeyPolicy {
    const text = k.policy ?? defaultKeyPolicy(this.o.accountId);
    let p = this.policies.get(text);
    if (!p) {
      p = parseKeyPolicy(text);
      if (this.policies.size > 1000) this.policies.clear();
      this.policies.set(text, p);
    }
    return p;
  }

  /** A new key policy must parse and, unless the caller bypasses the check, let them put a policy again. */
  private checkNewPolicy(text: string, keyArn: string, caller: Caller, bypass: boolean): void {
    let policy: KeyPolicy;
    try {
      policy = parseKeyPolicy(text);
    } catch (e) {
      if (e instanceof PolicyError) throw malformedPolicy(e.message);
      throw e;
    }
    if (!bypass && evaluate(policy, this.policyRequest(keyArn, 'PutKeyPolicy', caller, {})).effect !== 'Allow') throw malformedPolicy(LOCKOUT);
  }

  /**
   * Account-level operations (CreateKey, ListKeys, ListAliases) are governed by IAM in AWS. Tutti
   * has no IAM: every configured principal of the service's account may call them, principals of
   * other accounts may not (they reach keys here only through key policies, by key ARN).
   */
  private requireAccountPrincipal(caller: Caller, action: string): void {
    if (accountOf(caller.principal) === this.o.accountId) return;
    throw accessDenied(`User: ${caller.principal} is not authorized to perform: kms:${action} on resource: arn:aws:kms:${this.o.region}:${this.o.accountId}:key/* because no identity-based policy allows the kms:${action} action`);
  }

  /** resolve (key id or ARN) → authorize → `fn` decides the patch, in one transaction; returns the updated key. */
  private change(keyId: string, action: string, caller: Caller, fn: (k: StoredKey) => Partial<StoredKey>, context: Record<string, string> = {}): KeyRecord {
    const k = this.resolve(keyId, caller, 'key');
    this.authorize(k, action, caller, context);
    return this.o.keys.mutate(k.keyId, (cur) => {
      const patch = fn(cur);
      return { patch, result: this.record({ ...cur, ...patch }) };
    });
  }

  private requireAlias(aliasName: string): StoredAlias {
    const alias = this.o.keys.getAlias(aliasName);
    if (!alias) throw notFound(`Alias ${this.aliasArnOf(aliasName)} is not found.`);
    return alias;
  }

  private requireAliasRoom(k: StoredKey): void {
    if (this.o.keys.countAliases(k.keyId) >= MAX_ALIASES_PER_KEY) {
      throw limitExceeded(`${k.arn} already has ${MAX_ALIASES_PER_KEY} aliases, the most a key can have.`);
    }
  }

  private requireUsable(k: StoredKey): void {
    if (k.keyState === 'Disabled') throw disabled(k.arn);
    this.requireNotPendingDeletion(k);
    if (k.keyState !== 'Enabled' || !k.publicKey) throw invalidState(`${k.arn} is not usable in state ${k.keyState}.`);
  }

  private requireNotPendingDeletion(k: StoredKey): void {
    if (k.keyState === 'PendingDeletion') throw invalidState(`${k.arn} is pending deletion.`);
  }

  private checkAlgorithm(spec: KeySpecInfo, algorithm: string, messageType: string, messageLength: number): void {
    if (!spec.signingAlgorithms.includes(algorithm)) {
      throw invalidKeyUsage(`Algorithm ${algorithm} is incompatible with key spec ${spec.keySpec}.`);
    }
    // AWS: ED25519_PH_SHA_512 requires DIGEST, ED25519_SHA_512 RAW ("cannot be used interchangeably").
    if (messageType === 'RAW') {
      if (DIGEST_ONLY_ALGORITHMS.includes(algorithm)) throw validation(`MessageType RAW is not supported for ${algorithm}; use DIGEST.`);
      return;
    }
    // ECDSA: a DIGEST is exactly the hash's length, signed as given (kms-compat §0.10, §3.1);
    // Ed25519ph: 64 bytes, which are hashed again (kms-compat §3.2).
    const digestBytes = DIGEST_BYTES[algorithm];
    if (digestBytes !== undefined) {
      if (messageLength !== digestBytes) throw validation(`Digest is invalid length for algorithm ${algorithm}.`);
      return;
    }
    // Pure EdDSA (RFC 8032) signs the message itself; AWS requires RAW for ED25519_SHA_512.
    throw validation(`MessageType ${messageType} is not supported for ${algorithm}; use RAW.`);
  }

  /** A page of a short in-memory list; the marker carries the offset. */
  private offsetPage<T>(kind: 'tags' | 'policies', all: T[], limit: number, marker: string | undefined): Page<T> {
    const start = marker === undefined ? 0 : decodeMarker(kind, marker, isOffset);
    const items = all.slice(start, start + limit);
    return start + limit < all.length ? { items, nextMarker: encodeMarker(kind, start + limit) } : { items };
  }

  private repositoryError(e: unknown, k: StoredKey): unknown {
    if (e instanceof KeyRepositoryError && e.code === 'not-found') return keyNotFound(k.arn);
    return e;
  }

  private sessionError(err: unknown, op: string): Error {
    if (err instanceof KmsError) return err;
    if (err instanceof SessionFailed) {
      const f = err.failure;
      // Admission control (session-runner.ts): the parties are saturated. SDKs retry this with backoff.
      if (f.kind === 'throttled') return new KmsError('ThrottlingException', `${op} was not started: ${f.message}. Retry later.`);
      if (f.kind === 'timeout') return dependencyTimeout(`${op} timed out waiting for the key's parties: ${f.message}`);
      if (f.kind === 'unavailable') return keyUnavailable(`${op} could not reach the key's parties: ${f.message}`);
      if (f.kind === 'policy') return accessDenied(`${op} refused by a party: ${f.message}`);
      if (f.kind === 'banned') return keyUnavailable(`${op} refused: ${f.message}`);
      return internal(`${op} failed: the parties aborted the protocol (${f.kind}): ${f.message}`);
    }
    this.o.log?.(`${op} failed: ${(err as Error)?.stack ?? err}`);
    return internal(`${op} failed: ${(err as Error)?.message ?? 'unknown error'}`);
  }

  private aliasRecord(a: StoredAlias): AliasRecord {
    return {
      aliasName: a.aliasName, aliasArn: this.aliasArnOf(a.aliasName), targetKeyId: a.keyId,
      creationDate: new Date(a.creationDate), lastUpdatedDate: new Date(a.lastUpdatedDate),
    };
  }

  private record(k: StoredKey): KeyRecord {
    const spec = KEY_SPECS[k.keySpec];
    return {
      keyId: k.keyId, arn: k.arn, accountId: k.accountId, creationDate: new Date(k.creationDate), description: k.description,
      keyUsage: 'SIGN_VERIFY', keySpec: k.keySpec, keyState: k.keyState, signingAlgorithms: spec?.signingAlgorithms ?? [],
      publicKeyDer: k.publicKey && spec ? spkiDer(spec, Buffer.from(k.publicKey, 'hex')) : null,
      threshold: k.threshold, parties: k.parties, tags: k.tags,
      deletionDate: k.deletionDate === null ? null : new Date(k.deletionDate),
      pendingWindowInDays: k.pendingWindowInDays,
    };
  }
}

/** The signers' pre-made answers (PremadeSignResult), aggregated (protocols/frost/premade.ts): R ‖ Σ z_i, or why not. */
function aggregatePremade(spec: KeySpecInfo, members: Map<number, string>, outputs: Map<number, unknown>):
  { ok: true; signature: Uint8Array } | { ok: false; why: string } {
  try {
    const suite = spec.protocol.replace(/^frost-/, '');
    if (!isFrostSuiteName(suite)) return { ok: false, why: `${spec.protocol} has no pre-made signatures` };
    const hex = (v: unknown, what: string, index: number): Uint8Array => fromHex(v as string, `party ${index} (${members.get(index)}): ${what}`);
    const answers = [...outputs].map(([index, out]) => {
      const o = out as Partial<PremadeSignResult>;
      return { index, z: hex(o.signatureShare, 'signature share', index), R: hex(o.groupCommitment, 'group commitment', index), request: hex(o.request, 'request digest', index) };
    });
    return { ok: true, signature: aggregatePremadeShares(suite, answers) };
  } catch (err) {
    return { ok: false, why: (err as Error).message };
  }
}

/** OpenSign.premake: the pairs a signer is asked to make once this signature is done (PremadeStock.ask). */
function premakeOf(n: number): { premake?: number } {
  return n > 0 ? { premake: Math.min(n, MAX_PREMAKE) } : {};
}

function isString(p: unknown): p is string {
  return typeof p === 'string';
}

function isOffset(p: unknown): p is number {
  return Number.isSafeInteger(p) && (p as number) > 0;
}

function isKeyCursor(p: unknown): p is [number, string] {
  return Array.isArray(p) && p.length === 2 && Number.isSafeInteger(p[0]) && typeof p[1] === 'string';
}
