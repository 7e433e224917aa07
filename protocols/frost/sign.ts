// FROST signing among a chosen signer set (RFC 9591 §5), run peer-to-peer: every signer is its
// own coordinator, so each one checks every share and aggregates the signature itself.
//
//   round 1  broadcast  hiding ‖ binding nonce commitments ‖ request digest
//   round 2  broadcast  signature share z_i (after the nonce id has been made durable)
//
// The request digest (key, signer set, message, session) lets signers that were given different
// requests abort before any share exists, instead of blaming each other for invalid shares.
import type { Envelope } from '../core/envelope.ts';
import { BROADCAST } from '../core/envelope.ts';
import { ProtocolError } from '../core/errors.ts';
import { bytesToHex, equalBytes, utf8ToBytes } from '../core/bytes.ts';
import { LABELS } from '../core/labels.ts';
import type { Rng, Session } from '../core/session.ts';
import { Reader, fromHex } from './codec.ts';
import { DIGEST_BYTES, taggedHash } from './agreement.ts';
import { checkCommitmentList, type SigningCommitment } from './commitments.ts';
import { FrostMachine, checkMachineState, checkSessionInputs, type MachineState, type Progress } from './machine.ts';
import { identifier, parseKeyShare, toNoblePublic, toNobleSecret, type FrostKeyShare } from './share.ts';
import { frostSuite, nobleRng, type FrostSuiteName } from './suite.ts';

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
  constructor(state: SignState) { super(state, SHAPES); }

  protected begin(): Envelope[] {
    const { hiding, binding } = this.st.commitment;
    return [this.envelope(1, BROADCAST, new Uint8Array([...fromHex(hiding), ...fromHex(binding), ...fromHex(this.st.request)]))];
  }

  protected decode(round: number, _p2p: boolean, from: number, payload: Uint8Array): unknown {
    const { suite } = this;
    if (round === 1) {
      const r = new Reader(suite, payload, `commitments from ${from}`, [from]);
      const hiding = r.point('hiding').toBytes();
      const binding = r.point('binding').toBytes();
      const request = r.bytesN(DIGEST_BYTES);
      r.end();
      if (!equalBytes(request, fromHex(this.st.request)))
        throw new ProtocolError('bad-parameters', `party ${from} was asked to sign something else (key, signers or message differ)`, [from]);
      // A party replaying our own commitments as its own gains nothing under RFC 9591's binding
      // factors, but no honest party can produce them: treat it as the attack it is.
      if (equalBytes(hiding, fromHex(this.st.commitment.hiding)) || equalBytes(binding, fromHex(this.st.commitment.binding)))
        throw new ProtocolError('invalid-commitment', `party ${from} sent our own nonce commitment`, [from]);
      return { index: from, hiding, binding } satisfies SigningCommitment;
    }
    const r = new Reader(suite, payload, `signature share from ${from}`, [from]);
    r.scalar('z');
    r.end();
    return payload;
  }

  private commitmentList(): SigningCommitment[] {
    return this.st.parties.map((p) => p === this.self
      ? { index: p, hiding: fromHex(this.st.commitment.hiding), binding: fromHex(this.st.commitment.binding) }
      : this.message<SigningCommitment>(1, false, p));
  }

  private nobleList(list: SigningCommitment[]) {
    return list.map((c) => ({ identifier: identifier(this.suite, c.index), hiding: c.hiding, binding: c.binding }));
  }

  protected complete(round: number): Progress<FrostSignOutput, never> {
    return round === 1 ? this.signShare() : this.aggregate();
  }

  /** RFC 9591 §5.2 sign(): once, with nonces that are then gone for good. */
  private signShare(): Progress<FrostSignOutput, never> {
    const { suite } = this;
    const { share } = this.st;
    if (!this.st.nonces) throw new ProtocolError('nonce-reuse', 'this nonce pair has already been used');
    const list = this.commitmentList();
    checkCommitmentList(suite, list, this.self, { hiding: fromHex(this.st.commitment.hiding), binding: fromHex(this.st.commitment.binding) }, share.t, share.n);
    const nonces = { hiding: fromHex(this.st.nonces.hiding), binding: fromHex(this.st.nonces.binding) };
    // Forget the nonces before anything can go wrong: a failed attempt must not leave them usable.
    this.st.nonces = null;
    let z: Uint8Array;
    try {
      // noble re-checks the list against the nonces and zeroes `nonces` in place once used.
      z = suite.frost.signShare(toNobleSecret(share), toNoblePublic(share), nonces, this.nobleList(list), fromHex(this.st.message));
    } catch (e) {
      nonces.hiding.fill(0);
      nonces.binding.fill(0);
      const msg = e instanceof Error ? e.message : String(e);
      if (/already used/.test(msg)) throw new ProtocolError('nonce-reuse', msg);
      throw e;
    }
    this.st.sigShare = bytesToHex(z);
    // The service must mark the nonce consumed durably before z_i leaves: a share is released
    // at most once per nonce pair even across crashes and restores (RFC 9591 §7.3).
    return { messages: [this.envelope(2, BROADCAST, z)], durable: { consume: [this.st.nonceId] } };
  }

  /** RFC 9591 §5.3 aggregate() with §5.4 identifiable abort, then the independent verifier. */
  private aggregate(): Progress<FrostSignOutput, never> {
    const { suite } = this;
    const { share } = this.st;
    const pub = toNoblePublic(share);
    const list = this.nobleList(this.commitmentList());
    const message = fromHex(this.st.message);
    const shares: Record<string, Uint8Array> = { [identifier(suite, this.self)]: fromHex(this.st.sigShare!) };
    for (const j of this.others) shares[identifier(suite, j)] = this.message<Uint8Array>(2, false, j);
    let signature: Uint8Array;
    try {
      // noble checks the aggregate first (one group-commitment computation) and runs
      // verify_signature_share (§5.4) for every signer only when that fails, as §5.3 suggests:
      // per-share checks cost a group-commitment computation each. Every invalid signature is
      // traced to the shares that fail; shares that are individually off yet sum to a valid
      // signature (only colluding signers can arrange that) yield that valid signature.
      signature = suite.frost.aggregate(pub, list, message, shares);
    } catch (e) {
      // noble's aggregation error lists the signers whose shares fail verify_signature_share.
      const cheaters = (e as { cheaters?: unknown }).cheaters;
      const bad = Array.isArray(cheaters)
        ? this.st.parties.filter((j) => cheaters.includes(identifier(suite, j)))
        : this.others.filter((j) => !suite.frost.verifyShare(pub, list, message, identifier(suite, j), shares[identifier(suite, j)]!));
      // Our own share failing means our key share does not fit the others' view of the key.
      const culprits = bad.filter((j) => j !== this.self);
      if (bad.includes(this.self) && culprits.length === 0)
        throw new ProtocolError('invalid-signature', 'our own signature share does not verify: key shares disagree');
      throw new ProtocolError('invalid-signature', culprits.length ? 'signature share does not verify' : 'aggregation failed', culprits);
    }
    if (!suite.verify(signature, message, fromHex(share.groupPublicKey)))
      throw new ProtocolError('invalid-signature', 'aggregate signature fails the Ed25519/Ed448 verifier');
    return { messages: [], done: { output: { signature } } };
  }

  protected outputToJSON(o: FrostSignOutput): unknown { return { signature: bytesToHex(o.signature) }; }
  protected outputFromJSON(j: unknown): FrostSignOutput { return { signature: fromHex((j as { signature: string }).signature) }; }

  protected wipe(): void {
    this.st.nonces = null;
  }
}

function checkSigners(signers: unknown, self: number, share: FrostKeyShare): number[] {
  const bad = (why: string): never => { throw new ProtocolError('bad-parameters', why); };
  if (!Array.isArray(signers)) return bad('signers must be an array');
  for (let k = 0; k < signers.length; k++) {
    const s = signers[k];
    if (!Number.isInteger(s) || s < 1 || s > share.n) bad(`signer ${String(s)} outside 1..${share.n}`);
    if (k > 0 && s <= signers[k - 1]) bad('signers must be sorted and distinct');
  }
  if (signers.length < share.t) bad(`${signers.length} signers, threshold is ${share.t}`);
  if (!signers.includes(self)) bad('signers must include self');
  return [...signers] as number[];
}

export function createFrostSign(o: {
  suite: FrostSuiteName; sessionId: Uint8Array; self: number; signers: number[]; share: FrostKeyShare; message: Uint8Array; rng: Rng;
}): Session<FrostSignOutput> {
  checkSessionInputs(o);
  const parsed = parseKeyShare(o.share);
  if (o.share.suite !== o.suite) throw new ProtocolError('bad-parameters', `share is for ${o.share.suite}, not ${o.suite}`);
  if (o.share.index !== o.self) throw new ProtocolError('bad-parameters', `share belongs to party ${o.share.index}, not ${o.self}`);
  if (!(o.message instanceof Uint8Array)) throw new ProtocolError('bad-parameters', 'message must be bytes');
  const signers = checkSigners(o.signers, o.self, o.share);
  const suite = frostSuite(o.suite);
  const protocol = `${suite.prefix}/sign`;
  // RFC 9591 §5.1 commit(): hedged nonces H3(random ‖ share), from the injected rng.
  const { nonces, commitments } = suite.frost.commit(toNobleSecret(o.share), nobleRng(o.rng));
  const request = taggedHash(LABELS.frostSignBinding, utf8ToBytes(protocol), o.sessionId, parsed.groupPublicKey,
    Uint8Array.from(signers), o.message);
  const state: SignState = {
    v: 1, type: 'frost-sign', suite: o.suite, protocol, sessionId: bytesToHex(o.sessionId), self: o.self,
    parties: signers, started: false, round: 1, inbox: {}, outcome: null,
    share: JSON.parse(JSON.stringify(o.share)) as FrostKeyShare,
    message: bytesToHex(o.message), request: bytesToHex(request),
    nonces: { hiding: bytesToHex(nonces.hiding), binding: bytesToHex(nonces.binding) },
    commitment: { hiding: bytesToHex(commitments.hiding), binding: bytesToHex(commitments.binding) },
    nonceId: frostNonceId(o.suite, parsed.groupPublicKey, commitments.hiding, commitments.binding),
    sigShare: null,
  };
  nonces.hiding.fill(0);
  nonces.binding.fill(0);
  return new FrostSignSession(state);
}

/**
 * Rebuilds a signing session from toJSON(). A snapshot taken before round 2 holds the nonces:
 * restoring it after the share was sent would sign twice with them, which the service's durable
 * consumed-nonce table (keyed by the nonce id in `durable.consume`) must refuse.
 */
export function restoreFrostSign(json: unknown, rng: Rng): Session<FrostSignOutput> {
  void rng;
  const s = checkMachineState(json, 'frost-sign') as SignState;
  parseKeyShare(s.share);
  if (typeof s.message !== 'string' || typeof s.request !== 'string' || typeof s.nonceId !== 'string')
    throw new ProtocolError('malformed', 'snapshot: bad signing fields');
  return new FrostSignSession(JSON.parse(JSON.stringify(s)) as SignState);
}
