// FROST signing among a chosen signer set (RFC 9591 §5), run peer-to-peer: every signer is its
// own coordinator, so each one checks every share and aggregates the signature itself.
//
// The arithmetic is rfc9591.ts on points validated once: the key's public package when the share
// is parsed (share.ts keeps it prepared per process), each peer's nonce commitments when they
// arrive (decode below: canonical, on the curve, not the identity, in the prime-order subgroup).
// Every signer aggregates and checks the signature with one native Ed25519/Ed448 verification;
// only if that fails does it run verify_signature_share on each share to name the culprits.
//
//   round 1  broadcast  hiding ‖ binding nonce commitments ‖ request digest
//   round 2  broadcast  signature share z_i (after the nonce id has been made durable)
//
// The request digest (key, signer set, message, session, and the caller's `context`: the service
// binds the signing-policy revision each signer enforces and the sequence values it decided,
// docs/protocols.md "What signers agree on") lets signers that were given different requests, or
// that enforce different policy revisions, abort before any share exists, instead of blaming each
// other for invalid shares.
import type { Envelope } from '../core/envelope.ts';
import { BROADCAST } from '../core/envelope.ts';
import { ProtocolError } from '../core/errors.ts';
import { checkSigners } from '../core/signers.ts';
import { bytesToHex, equalBytes, utf8ToBytes } from '../core/bytes.ts';
import { LABELS } from '../core/labels.ts';
import type { Rng, Session } from '../core/session.ts';
import { Reader, fromHex, scalarHex } from './codec.ts';
import { DIGEST_BYTES, taggedHash } from './agreement.ts';
import { checkCommitmentList } from './commitments.ts';
import { FrostMachine, checkMachineState, checkSessionInputs, type MachineState, type Progress } from './machine.ts';
import {
  aggregateSignature,
  bindingFactors,
  challenge,
  commit,
  signatureShare,
  signingContext,
  verifySignatureShare,
  type DecodedCommitment,
  type SigningContext,
} from './rfc9591.ts';
import { parseKeyShare, type FrostKeyShare, type ParsedKeyShare } from './share.ts';
import { frostSuite, keySuiteOf, type FrostSigningSuiteName, type FrostSuiteName } from './suite.ts';

export type FrostSignOutput = { signature: Uint8Array };

type SignState = MachineState & {
  type: 'frost-sign';
  share: FrostKeyShare;
  message: string;
  /** Our request digest; every round-1 message must carry the same. */
  request: string;
  /** Our nonce pair (hex scalars) until it is used; null afterwards, never restored. */
  nonces: { hiding: string; binding: string } | null;
  commitment: { hiding: string; binding: string };
  nonceId: string;
  sigShare: string | null;
  /** SerializeElement(R), the group commitment, once round 1 is complete. */
  groupCommitment: string | null;
};

const SHAPES = [
  { broadcast: true, p2p: false },
  { broadcast: true, p2p: false },
] as const;

/** Identifies a nonce pair by its public commitments, for the service's consumed-nonce table. */
export function frostNonceId(suiteName: FrostSuiteName, groupPublicKey: Uint8Array, hiding: Uint8Array, binding: Uint8Array): string {
  return bytesToHex(taggedHash(LABELS.frostNonceId, utf8ToBytes(suiteName), groupPublicKey, hiding, binding).slice(0, 32));
}

class FrostSignSession extends FrostMachine<FrostSignOutput, never, SignState> {
  /** The parsed share: a cache, rebuilt after a restore. */
  private parsed: ParsedKeyShare | undefined;
  /** Our own commitment with its points: a cache, rebuilt (decoded) after a restore. */
  private own: DecodedCommitment | undefined;

  constructor(state: SignState, parsed?: ParsedKeyShare, own?: DecodedCommitment) {
    super(state, SHAPES);
    this.parsed = parsed;
    this.own = own;
  }

  private get key(): ParsedKeyShare {
    this.parsed ??= parseKeyShare(this.st.share);
    return this.parsed;
  }

  protected begin(): Envelope[] {
    const { hiding, binding } = this.st.commitment;
    return [this.envelope(1, BROADCAST, new Uint8Array([...fromHex(hiding), ...fromHex(binding), ...fromHex(this.st.request)]))];
  }

  protected decode(round: number, _p2p: boolean, from: number, payload: Uint8Array): unknown {
    const { suite } = this;
    if (round === 1) {
      const r = new Reader(suite, payload, `commitments from ${from}`, [from]);
      // Full RFC 9591 §3.1 DeserializeElement of both commitments, once per session.
      const D = r.point('hiding');
      const E = r.point('binding');
      const request = r.bytesN(DIGEST_BYTES);
      r.end();
      const hiding = payload.slice(0, suite.elementBytes);
      const binding = payload.slice(suite.elementBytes, 2 * suite.elementBytes);
      if (!equalBytes(request, fromHex(this.st.request)))
        throw new ProtocolError(
          'bad-parameters',
          `party ${from} was asked to sign something else (key, key version, signers or message differ) or enforces another signing-policy revision or sequence`,
          [from],
        );
      // A party replaying our own commitments as its own gains nothing under RFC 9591's binding
      // factors, but no honest party can produce them: treat it as the attack it is.
      if (equalBytes(hiding, fromHex(this.st.commitment.hiding)) || equalBytes(binding, fromHex(this.st.commitment.binding)))
        throw new ProtocolError('invalid-commitment', `party ${from} sent our own nonce commitment`, [from]);
      return { index: from, hiding, binding, D, E } satisfies DecodedCommitment;
    }
    const r = new Reader(suite, payload, `signature share from ${from}`, [from]);
    const z = r.scalar('z');
    r.end();
    return z;
  }

  /**
   * Our own commitment. Its points are the ones commit() computed, or, after a restore, decoded
   * without the subgroup check: restoreFrostSign checked that they are our nonces times G.
   */
  private ownCommitment(): DecodedCommitment {
    if (!this.own) {
      const { Point } = this.suite;
      const hiding = fromHex(this.st.commitment.hiding),
        binding = fromHex(this.st.commitment.binding);
      this.own = { index: this.self, hiding, binding, D: Point.fromBytes(hiding), E: Point.fromBytes(binding) };
    }
    return this.own;
  }

  private commitmentList(): DecodedCommitment[] {
    return this.st.parties.map((p) => (p === this.self ? this.ownCommitment() : this.message<DecodedCommitment>(1, false, p)));
  }

  protected complete(round: number): Progress<FrostSignOutput, never> {
    return round === 1 ? this.signShare() : this.aggregate();
  }

  /** RFC 9591 §5.2 sign(): once, with nonces that are then gone for good. */
  private signShare(): Progress<FrostSignOutput, never> {
    const { suite } = this;
    const key = this.key;
    if (!this.st.nonces) throw new ProtocolError('nonce-reuse', 'this nonce pair has already been used');
    const list = this.commitmentList();
    // Sorted, within t..n, our own commitment present and ours, every other element valid.
    checkCommitmentList(suite, list, this.self, { hiding: fromHex(this.st.commitment.hiding), binding: fromHex(this.st.commitment.binding) }, key.t, key.n);
    const nonces = { hiding: suite.Fn.fromBytes(fromHex(this.st.nonces.hiding)), binding: suite.Fn.fromBytes(fromHex(this.st.nonces.binding)) };
    // Forget the nonces before anything can go wrong: a failed attempt must not leave them usable.
    this.st.nonces = null;
    if (suite.Fn.is0(nonces.hiding) || suite.Fn.is0(nonces.binding)) throw new ProtocolError('nonce-reuse', 'signing nonces already used');
    const ctx = signingContext(suite, key.groupPublicKey, list, fromHex(this.st.message));
    const z = suite.Fn.toBytes(signatureShare(suite, ctx, this.self, nonces, key.signingShare));
    this.st.sigShare = bytesToHex(z);
    this.st.groupCommitment = bytesToHex(ctx.Rbytes);
    this.context = ctx;
    // The service must mark the nonce consumed durably before z_i leaves: a share is released
    // at most once per nonce pair even across crashes and restores (RFC 9591 §7.3).
    return { messages: [this.envelope(2, BROADCAST, z)], durable: { consume: [this.st.nonceId] } };
  }

  /** Round-1 results for round 2: kept from signShare, or rebuilt (hashes only) after a restore. */
  private context: SigningContext | undefined;

  private signingContext(): SigningContext {
    if (this.context) return this.context;
    const { suite } = this;
    const key = this.key;
    const message = fromHex(this.st.message);
    const Rbytes = fromHex(this.st.groupCommitment!);
    // R was computed by this session before the snapshot; the binding factors and the challenge
    // are hashes of public values, recomputed rather than stored.
    const list = this.commitmentList();
    this.context = {
      indices: list.map((c) => c.index),
      bindingFactors: bindingFactors(suite, key.groupPublicKey, list, message),
      R: suite.Point.fromBytes(Rbytes),
      Rbytes,
      challenge: challenge(suite, Rbytes, key.groupPublicKey, message),
    };
    return this.context;
  }

  /** RFC 9591 §5.3 aggregate() with §5.4 identifiable abort. */
  private aggregate(): Progress<FrostSignOutput, never> {
    const { suite } = this;
    const key = this.key;
    const ctx = this.signingContext();
    const message = fromHex(this.st.message);
    const shares = this.st.parties.map((p) => (p === this.self ? suite.Fn.fromBytes(fromHex(this.st.sigShare!)) : this.message<bigint>(2, false, p)));
    const signature = aggregateSignature(suite, ctx, shares);
    // The aggregate is checked first, with one native verification of the signature itself
    // (z·B == R + c·PK, as RFC 8032 verifiers compute it). Only when it fails is each share
    // checked with verify_signature_share (§5.4), which costs a multi-scalar multiplication per
    // signer; every invalid signature is thereby traced to the shares that fail. Shares that are
    // individually off yet sum to a valid signature (only colluding signers can arrange that)
    // yield that valid signature, as in noble's and ZF's aggregate.
    if (suite.verify(signature, message, key.groupPublicKey)) return { messages: [], done: { output: { signature } } };
    const list = this.commitmentList();
    const bad = this.st.parties.filter((p, k) => !verifySignatureShare(suite, ctx, list[k]!, key.verifyingShares.get(p)!, shares[k]!));
    // Our own share failing means our key share does not fit the others' view of the key.
    const culprits = bad.filter((j) => j !== this.self);
    if (bad.includes(this.self) && culprits.length === 0)
      throw new ProtocolError('invalid-signature', 'our own signature share does not verify: key shares disagree');
    throw new ProtocolError('invalid-signature', culprits.length ? 'signature share does not verify' : 'aggregation failed', culprits);
  }

  protected outputToJSON(o: FrostSignOutput): unknown {
    return { signature: bytesToHex(o.signature) };
  }
  protected outputFromJSON(j: unknown): FrostSignOutput {
    return { signature: fromHex((j as { signature: string }).signature) };
  }

  protected wipe(): void {
    this.st.nonces = null;
    this.context = undefined;
  }
}

/** `suite` 'ed25519ph' signs Ed25519ph with an Ed25519 share; `message` is then PH(M) (suite.ts). */
export function createFrostSign(o: {
  suite: FrostSigningSuiteName;
  sessionId: Uint8Array;
  self: number;
  signers: number[];
  share: FrostKeyShare;
  message: Uint8Array;
  rng: Rng;
  /** What every signer must agree on besides the request (the service: its enforced policy revision); bound into the request digest. */
  context?: Uint8Array;
}): Session<FrostSignOutput> {
  checkSessionInputs({ ...o, suite: o.suite === 'ed25519ph' ? keySuiteOf(o.suite) : o.suite });
  const parsed = parseKeyShare(o.share);
  if (o.share.suite !== keySuiteOf(o.suite)) throw new ProtocolError('bad-parameters', `share is for ${o.share.suite}, not ${o.suite}`);
  if (o.share.index !== o.self) throw new ProtocolError('bad-parameters', `share belongs to party ${o.share.index}, not ${o.self}`);
  if (!(o.message instanceof Uint8Array)) throw new ProtocolError('bad-parameters', 'message must be bytes');
  if (o.context !== undefined && !(o.context instanceof Uint8Array)) throw new ProtocolError('bad-parameters', 'context must be bytes');
  const signers = checkSigners(o.signers, o.self, o.share);
  const suite = frostSuite(o.suite);
  const protocol = `${suite.prefix}/sign`;
  // RFC 9591 §5.1 commit(): hedged nonces H3(random ‖ share) from the injected rng, and their
  // commitments d·G, e·G.
  const { nonces, D, E } = commit(suite, parsed.signingShare, o.rng);
  const commitments = { hiding: D.toBytes(), binding: E.toBytes() };
  const request = taggedHash(
    LABELS.frostSignBinding,
    utf8ToBytes(protocol),
    o.sessionId,
    parsed.groupPublicKey,
    // The share's version (its DKG's or refresh's transcript hash, the same at every holder of
    // that version), as DKLs23 binds its key's session id: during a refresh's activation window
    // (docs/protocols.md "Refresh activation") signers on different versions stop here, before
    // any share exists, instead of producing shares that do not combine and blaming an honest peer.
    fromHex(o.share.transcriptHash),
    Uint8Array.from(signers),
    o.message,
    o.context ?? new Uint8Array(0),
  );
  const state: SignState = {
    v: 1,
    type: 'frost-sign',
    suite: o.suite,
    protocol,
    sessionId: bytesToHex(o.sessionId),
    self: o.self,
    parties: signers,
    started: false,
    round: 1,
    inbox: {},
    outcome: null,
    share: JSON.parse(JSON.stringify(o.share)) as FrostKeyShare,
    message: bytesToHex(o.message),
    request: bytesToHex(request),
    nonces: { hiding: scalarHex(suite, nonces.hiding), binding: scalarHex(suite, nonces.binding) },
    commitment: { hiding: bytesToHex(commitments.hiding), binding: bytesToHex(commitments.binding) },
    nonceId: frostNonceId(o.share.suite, parsed.groupPublicKey, commitments.hiding, commitments.binding),
    sigShare: null,
    groupCommitment: null,
  };
  return new FrostSignSession(state, parsed, { index: o.self, ...commitments, D, E });
}

/**
 * Rebuilds a signing session from toJSON(). A snapshot taken before round 2 holds the nonces:
 * restoring it after the share was sent would sign twice with them, which the service's durable
 * consumed-nonce table (keyed by the nonce id in `durable.consume`) must refuse.
 */
export function restoreFrostSign(json: unknown, rng: Rng): Session<FrostSignOutput> {
  void rng;
  const s = checkMachineState(json, 'frost-sign') as SignState;
  const parsed = parseKeyShare(s.share);
  if (typeof s.message !== 'string' || typeof s.request !== 'string' || typeof s.nonceId !== 'string')
    throw new ProtocolError('malformed', 'snapshot: bad signing fields');
  const suite = frostSuite(s.suite);
  if (s.nonces) {
    // Round 2 signs with these nonces against the commitment the snapshot says was published:
    // they must belong together (RFC 9591 §5.2; noble's signShare checks the same), since
    // checkCommitmentList compares the list with the stored commitment, not with the nonces.
    const { Fn, Point } = suite;
    const matches = (nonce: string, commitment: string) => {
      const k = Fn.fromBytes(fromHex(nonce));
      return !Fn.is0(k) && equalBytes(Point.BASE.multiply(k).toBytes(), fromHex(commitment));
    };
    if (!matches(s.nonces.hiding, s.commitment.hiding) || !matches(s.nonces.binding, s.commitment.binding))
      throw new ProtocolError('malformed', 'snapshot: nonces do not match the published commitment');
  }
  if (s.sigShare !== null && (typeof s.groupCommitment !== 'string' || fromHex(s.groupCommitment).length !== suite.elementBytes))
    throw new ProtocolError('malformed', 'snapshot: signature share without its group commitment');
  return new FrostSignSession(JSON.parse(JSON.stringify(s)) as SignState, parsed);
}
