// Verifiable resharing of a DKLs23 key: same public key, new shares, possibly a new threshold and
// a new set of holders (docs/protocols.md "DKLs23 resharing"). Two parts in one session:
//  - the secret sharing, as FROST's (protocols/core/reshare.ts: Desmedt–Jajodia 1997
//    redistribution with Wong–Wang–Wing 2002's verification, Feldman commitments): each dealer
//    (an old holder) deals a fresh polynomial of degree t_new−1 whose constant is its
//    Lagrange-weighted old share λ_i·x_i; every receiver checks each dealer's constant against
//    the OLD verification share and its sub-share against the dealer's commitment;
//  - the pairwise setup a DKLs23 signing share needs between the NEW holders (DKLs23 §5 via
//    the DKG's R2a/R3, research notes §1.5): for every ordered pair of receivers one batch of
//    Endemic base OTs turned into all-but-one OTs (ot-setup.ts, the functions the DKG and
//    refresh run) and a zero-sharing seed (zero-share.ts) — all new, nothing from the old key's
//    OT state is reused, so a new party signs with the others as if it had been in the DKG.
//
//   R1 bc   sid_i ‖ setup ‖ (dealer) C_i,0 … C_i,t_new−1
//   R2 bc   fsid ‖ echo(R1)
//   R2 p2p  fsid ‖ (dealer → receiver) f_i(j) ‖ (receiver → receiver) OT setup request ‖ zero-seed part
//   R3 p2p  fsid ‖ (receiver → receiver) OT setup response (base-OT sender message, PPRF)
//   R4 bc   transcript hash (a receiver made its new share durable first)
// setup = H(old public package, t_new, roles, context); fsid = H(protocol, sid, setup, sid_1 … sid_m).
//
// Checks, each naming the culprit by session index:
// - setup digest differs (another key version, roles, t_new or context): 'bad-parameters' in R1;
// - C_i,0 ≠ λ_i·X_i (X_i the old verification share): 'invalid-commitment' in R1, before any
//   secret is sent, so Σ_i C_i,0 = the old public key;
// - a final session id that is not ours: 'equivocation'; an echo that is not ours: 'equivocation'
//   (core/agreement.ts), before any sub-share is used;
// - f_i(j)·G ≠ Σ_k j^k·C_i,k: 'invalid-share' naming dealer i;
// - a failed base-OT or PPRF check: the peer is named (ot-setup.ts; the party bans it);
// - every confirmation must equal ours before anyone reports success.
// The new holder j (new index, 1..n_new) keeps s'_j = Σ_i f_i(j), the joint commitment Σ_i C_i,
// the verification shares read off it, and its OT material with every other new holder by new
// index: a complete DklsKeyShare (keyshare.ts) whose dkgSessionId is fsid. Dealers that are not
// receivers output no share; deleting their old share is the service's business once the new
// holders activated (two-phase activation, docs/protocols.md "Refresh activation").
import type { Envelope } from '../core/envelope.ts';
import { BROADCAST } from '../core/envelope.ts';
import { ProtocolError } from '../core/errors.ts';
import { bytesToHex, concatBytes, equalBytes, utf8ToBytes } from '../core/bytes.ts';
import { LABELS } from '../core/labels.ts';
import type { Rng, Session } from '../core/session.ts';
import {
  checkOwnNewShare,
  checkReshareMembers,
  dealerConstantMatches,
  lagrangeAtZero as lagrangeCore,
  normalizeMembers,
  reshareNewPublicPart,
  reshareOutputFromJSON,
  reshareOutputToJSON,
  type ReshareMember,
  type ReshareOutput,
} from '../core/reshare.ts';
import { Reader, decodePoint, encodePoint, fromHex } from './codec.ts';
import { dklsCurve, type DklsCurve, type DklsCurveName, type Point } from './curve.ts';
import { commitPolynomial, evalCommitment, evalPolynomial, randomPolynomial, verifyFeldmanShare } from './feldman.ts';
import { checkConfirmations, checkEchoes, echoPayload, DIGEST_BYTES } from './agreement.ts';
import { DklsMachine, checkMachineState, checkSessionInputs, initialTranscript, type MachineState, type Progress } from './machine.ts';
import { OT_SETUP_REQUEST_BYTES, OT_SETUP_RESPONSE_BYTES } from './ot-setup.ts';
import { pairwiseFinish, pairwiseRequest, pairwiseRespond, type PairwiseSetupState } from './pairwise-setup.ts';
import { checkThreshold, parseDealerShare, parsePublicPart, type DklsKeyShare } from './keyshare.ts';
import { randomBytes } from './random.ts';
import { tagged } from './hash.ts';
import { SEED_BYTES } from './params.ts';

export type { ReshareMember } from '../core/reshare.ts';

/** The public part of a DKLs23 key (no secret, no OT state): what a party new to the key is given. */
export type DklsPublicKeyPackage = {
  curve: DklsCurveName;
  n: number;
  t: number;
  /** Compressed public key (= commitments[0]); named as FROST's package names it, for the service. */
  groupPublicKey: string;
  commitments: string[];
  verificationShares: Record<string, string>;
  transcriptHash: string;
};

/** The public key, the transcript hash and the new share (null for a dealer that does not hold the new key). */
export type DklsReshareOutput = ReshareOutput<DklsKeyShare>;

/** The pairwise-setup fields (pairwise-setup.ts) are per peer by NEW index. */
type ReshareState = MachineState &
  PairwiseSetupState & {
    type: 'dkls23-reshare';
    oldKey: DklsPublicKeyPackage;
    members: ReshareMember[];
    tNew: number;
    context: string;
    setup: string;
    /** Our polynomial's coefficients (dealers); dropped once the sub-shares are sent. */
    coefficients: string[] | null;
    round1: string;
    finalSid: string | null;
    echo: string | null;
    /** The new key's public part (every member computes it) and, for a receiver, its share so far. */
    newShare: DklsKeyShare | null;
    transcript: string | null;
  };

type Round1 = { sid: Uint8Array; commitment: Point[] | null };
type Round2 = { finalSid: Uint8Array; echo: Uint8Array };
type Round2P = { finalSid: Uint8Array; share: bigint | null; request: Uint8Array | null; zero: Uint8Array | null };
type Round3 = { finalSid: Uint8Array; response: Uint8Array | null };

const SHAPES = [
  { broadcast: true, p2p: false },
  { broadcast: true, p2p: true },
  { broadcast: false, p2p: true },
  { broadcast: true, p2p: false },
] as const;

export function reshareProtocolName(curve: DklsCurveName): string {
  return `dkls23-${curve}/reshare`;
}

/** The public package of a share (no secret, no OT state). */
export function dklsPublicPackageOf(share: DklsKeyShare): DklsPublicKeyPackage {
  const { curve, n, t, publicKey, commitments, verificationShares, transcriptHash } = share;
  return { curve, n, t, groupPublicKey: publicKey, commitments: [...commitments], verificationShares: { ...verificationShares }, transcriptHash };
}

/** Checks a package (threshold, commitments, verification shares = F(j), key = F(0)); 'bad-parameters' otherwise. */
export function parseDklsPublicPackage(pkg: DklsPublicKeyPackage): { curve: DklsCurve; publicKey: Point; verificationShares: Map<number, Point> } {
  if (typeof pkg !== 'object' || pkg === null) throw new ProtocolError('bad-parameters', 'old key package: not an object');
  const curve = dklsCurve(pkg.curve);
  checkThreshold(pkg.t, pkg.n);
  if (typeof pkg.transcriptHash !== 'string' || !/^[0-9a-f]{64}$/.test(pkg.transcriptHash))
    throw new ProtocolError('bad-parameters', 'old key package: bad transcript hash');
  const part = parsePublicPart(curve, {
    n: pkg.n,
    t: pkg.t,
    publicKey: pkg.groupPublicKey,
    commitments: pkg.commitments,
    verificationShares: pkg.verificationShares,
  });
  return { curve, publicKey: part.publicKey, verificationShares: part.verificationShares };
}

/** H(curve, t, n, pk, F, S_1 … S_n, transcript hash): what every member must agree the old key is. */
function packageDigest(pkg: DklsPublicKeyPackage): Uint8Array {
  return tagged(
    LABELS.dkls23PublicPackage,
    utf8ToBytes(pkg.curve),
    Uint8Array.of(pkg.t, pkg.n),
    fromHex(pkg.groupPublicKey),
    ...pkg.commitments.map((c) => fromHex(c)),
    ...Array.from({ length: pkg.n }, (_, k) => fromHex(pkg.verificationShares[String(k + 1)]!)),
    fromHex(pkg.transcriptHash),
  );
}

function setupDigest(oldKey: DklsPublicKeyPackage, members: ReshareMember[], tNew: number, context: Uint8Array): Uint8Array {
  return tagged(LABELS.dkls23ReshareSetup, packageDigest(oldKey), Uint8Array.of(tNew), ...members.map((m) => Uint8Array.of(m.old ?? 0, m.new ?? 0)), context);
}

function checkMembers(members: unknown, oldKey: DklsPublicKeyPackage, tNew: number) {
  return checkReshareMembers(members, oldKey.t, oldKey.n, tNew, checkThreshold);
}

class DklsReshareSession extends DklsMachine<DklsReshareOutput, DklsKeyShare, ReshareState> {
  private readonly dealers: Map<number, number>;
  private readonly receivers: Map<number, number>;
  /** New index → session index, for naming a peer that failed an OT check. */
  private readonly sessionOfNew: Map<number, number>;
  private oldParsed: ReturnType<typeof parseDklsPublicPackage> | undefined;

  constructor(state: ReshareState) {
    super(state, SHAPES);
    ({ dealers: this.dealers, receivers: this.receivers } = checkMembers(state.members, state.oldKey, state.tNew));
    this.sessionOfNew = new Map([...this.receivers].map(([p, j]) => [j, p]));
  }

  private get old() {
    this.oldParsed ??= parseDklsPublicPackage(this.st.oldKey);
    return this.oldParsed;
  }

  private get myNew(): number | undefined {
    return this.receivers.get(this.self);
  }

  private get finalSid(): Uint8Array {
    return fromHex(this.st.finalSid!);
  }

  /** The other receivers, by session index. */
  private get otherReceivers(): number[] {
    return this.myNew === undefined ? [] : this.others.filter((p) => this.receivers.has(p));
  }

  protected firstMessages(): Envelope[] {
    return [this.envelope(1, BROADCAST, fromHex(this.st.round1))];
  }

  protected decode(round: number, p2p: boolean, from: number, payload: Uint8Array): unknown {
    const { curve } = this;
    const r = new Reader(curve, payload, `reshare round-${round}${p2p ? ' p2p' : ''} message from ${from}`, [from]);
    if (round === 1) {
      const sid = r.bytesN(32);
      if (!equalBytes(r.bytesN(32), fromHex(this.st.setup)))
        throw new ProtocolError('bad-parameters', `party ${from} reshares another key version, to other parties or threshold, or in another context`, [from]);
      const o = this.dealers.get(from);
      if (o === undefined) {
        r.end();
        return { sid, commitment: null } satisfies Round1;
      }
      const commitment: Point[] = [];
      for (let k = 0; k < this.st.tNew; k++) commitment.push(r.point(`commitment ${k}`));
      r.end();
      if (!dealerConstantMatches(curve.Fn, commitment[0]!, this.old.verificationShares.get(o)!, [...this.dealers.values()], o))
        throw new ProtocolError('invalid-commitment', `party ${from} (old holder ${o}) dealt a constant other than its Lagrange-weighted old share`, [from]);
      return { sid, commitment } satisfies Round1;
    }
    if (round === 2 && !p2p) {
      const m: Round2 = { finalSid: r.bytesN(32), echo: r.bytesN(this.st.parties.length * DIGEST_BYTES) };
      r.end();
      return m;
    }
    const bothReceive = this.myNew !== undefined && this.receivers.has(from);
    if (round === 2) {
      const finalSid = r.bytesN(32);
      const share = this.dealers.has(from) && this.myNew !== undefined ? r.scalar('sub-share') : null;
      const request = bothReceive ? r.bytesN(OT_SETUP_REQUEST_BYTES) : null;
      const zero = bothReceive ? r.bytesN(SEED_BYTES) : null;
      r.end();
      return { finalSid, share, request, zero } satisfies Round2P;
    }
    if (round === 3) {
      const m: Round3 = { finalSid: r.bytesN(32), response: bothReceive ? r.bytesN(OT_SETUP_RESPONSE_BYTES) : null };
      r.end();
      return m;
    }
    const h = r.bytesN(32);
    r.end();
    return h;
  }

  protected completeRound(round: number): Progress<DklsReshareOutput, DklsKeyShare> {
    if (round === 1) return this.dealAndRequest();
    if (round === 2) return this.deriveAndRespond();
    if (round === 3) return this.finishSetup();
    return this.finish();
  }

  private checkFinalSid(from: number, finalSid: Uint8Array): void {
    if (!equalBytes(finalSid, this.finalSid)) throw new ProtocolError('equivocation', `party ${from} is in another session (final session id differs)`, [from]);
  }

  private round1Of(p: number): Uint8Array {
    return p === this.self ? fromHex(this.st.round1) : this.raw(1, false, p);
  }

  private coefficients(): bigint[] {
    return this.st.coefficients!.map((c) => this.curve.Fn.fromBytes(fromHex(c)));
  }

  private commitmentOf(p: number): Point[] {
    if (p !== this.self) return this.message<Round1>(1, false, p).commitment!;
    const { curve } = this;
    const raw = fromHex(this.st.round1).subarray(64);
    return Array.from({ length: this.st.tNew }, (_, k) => decodePoint(curve, raw.subarray(k * curve.pointBytes, (k + 1) * curve.pointBytes), 'own commitment'));
  }

  /** An OT-setup failure names the peer by its NEW index (ot-setup.ts): the abort names session indices. */
  private otStep<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof ProtocolError && e.culprits.length)
        throw new ProtocolError(
          e.kind,
          e.message.replace(/ \(culprit: [^)]*\)$/, ''),
          e.culprits.map((j) => this.sessionOfNew.get(j) ?? j),
        );
      throw e;
    }
  }

  /** R1 done: fix the final session id, echo R1, send sub-shares and OT setup requests. */
  private dealAndRequest(): Progress<DklsReshareOutput, DklsKeyShare> {
    const { curve } = this;
    const parties = this.st.parties;
    const finalSid = tagged(
      LABELS.dkls23ReshareSessionId,
      utf8ToBytes(this.protocol),
      this.sessionId,
      fromHex(this.st.setup),
      ...parties.map((p) => (p === this.self ? fromHex(this.st.round1).subarray(0, 32) : this.message<Round1>(1, false, p).sid)),
    );
    this.st.finalSid = bytesToHex(finalSid);
    const echo = echoPayload(LABELS.dkls23ReshareEcho, this.protocol, this.sessionId, 1, parties, (p) => this.round1Of(p));
    this.st.echo = bytesToHex(echo);
    const messages = [this.envelope(2, BROADCAST, concatBytes(finalSid, echo))];
    const coefficients = this.dealers.has(this.self) ? this.coefficients() : null;
    const myNew = this.myNew;
    const otRequests: NonNullable<ReshareState['otRequests']> = {};
    const zeroContributions: Record<string, string> = {};
    for (const p of this.others) {
      const j = this.receivers.get(p);
      const parts: Uint8Array[] = [finalSid];
      if (coefficients && j !== undefined) parts.push(curve.Fn.toBytes(evalPolynomial(curve, coefficients, BigInt(j))));
      if (myNew !== undefined && j !== undefined) {
        const req = pairwiseRequest(curve.name, finalSid, myNew, j, (step) => this.stepRng(step));
        otRequests[String(j)] = req.request;
        zeroContributions[String(j)] = req.zero;
        parts.push(...req.message);
      }
      messages.push(this.envelope(2, p, concatBytes(...parts)));
    }
    this.st.otRequests = otRequests;
    this.st.zeroContributions = zeroContributions;
    return { messages };
  }

  /** R2 done: agree on R1, check and sum the sub-shares, derive the new public part; answer the OT requests. */
  private deriveAndRespond(): Progress<DklsReshareOutput, DklsKeyShare> {
    const { curve } = this;
    const { Fn } = curve;
    for (const p of this.others) {
      this.checkFinalSid(p, this.message<Round2>(2, false, p).finalSid);
      this.checkFinalSid(p, this.message<Round2P>(2, true, p).finalSid);
    }
    // No sub-share is used before everyone is known to hold the same dealings.
    checkEchoes(this.self, this.st.parties, fromHex(this.st.echo!), (p) => this.message<Round2>(2, false, p).echo);
    const dealerParties = [...this.dealers.keys()];
    const myNew = this.myNew;
    let s = Fn.ZERO;
    if (myNew !== undefined) {
      const culprits = dealerParties.filter(
        (i) => i !== this.self && !verifyFeldmanShare(curve, this.commitmentOf(i), BigInt(myNew), this.message<Round2P>(2, true, i).share!),
      );
      if (culprits.length) throw new ProtocolError('invalid-share', "sub-share does not match its dealer's commitment", culprits);
      for (const i of dealerParties)
        s = Fn.add(s, i === this.self ? evalPolynomial(curve, this.coefficients(), BigInt(myNew)) : this.message<Round2P>(2, true, i).share!);
    }
    const nNew = this.receivers.size;
    // Σ λ_i·X_i is the old key (every constant was checked on arrival): core/reshare.ts.
    const { commitment: F, verificationShares: S } = reshareNewPublicPart({
      zero: curve.Point.ZERO,
      dealings: dealerParties.map((i) => this.commitmentOf(i)),
      tNew: this.st.tNew,
      nNew,
      isOldKey: (c) => c.equals(this.old.publicKey),
      evalCommitment: (c, x) => evalCommitment(curve, c, x),
      names: { key: 'public key', share: 'verification' },
    });
    const verificationShares: Record<string, string> = {};
    S.forEach((p, k) => (verificationShares[String(k + 1)] = bytesToHex(encodePoint(p))));
    if (myNew !== undefined) checkOwnNewShare(curve.Point.BASE, s, S[myNew - 1]!);
    this.st.newShare = {
      curve: curve.name,
      index: myNew ?? 0,
      n: nNew,
      t: this.st.tNew,
      secretShare: myNew !== undefined ? bytesToHex(Fn.toBytes(s)) : '',
      publicKey: bytesToHex(encodePoint(F[0]!)),
      commitments: F.map((p) => bytesToHex(encodePoint(p))),
      verificationShares,
      dkgSessionId: this.st.finalSid!,
      transcriptHash: '',
      peers: {},
    };
    this.st.coefficients = null;
    const finalSid = this.finalSid;
    const receiverSeeds: Record<string, string> = {};
    const messages: Envelope[] = [];
    for (const p of this.others) {
      const j = this.receivers.get(p);
      if (myNew === undefined || j === undefined) {
        messages.push(this.envelope(3, p, finalSid));
        continue;
      }
      const resp = this.otStep(() => pairwiseRespond(curve.name, finalSid, myNew, j, this.message<Round2P>(2, true, p).request!, (step) => this.stepRng(step)));
      receiverSeeds[String(j)] = resp.receiverSeeds;
      messages.push(this.envelope(3, p, concatBytes(finalSid, resp.message)));
    }
    this.st.receiverSeeds = receiverSeeds;
    return { messages };
  }

  /** R3 done: finish the OT setups, assemble the share, make it durable, confirm the transcript. */
  private finishSetup(): Progress<DklsReshareOutput, DklsKeyShare> {
    const { curve } = this;
    const finalSid = this.finalSid;
    for (const p of this.others) this.checkFinalSid(p, this.message<Round3>(3, true, p).finalSid);
    const share = this.st.newShare!;
    const myNew = this.myNew;
    if (myNew !== undefined) {
      for (const p of this.otherReceivers) {
        const j = this.receivers.get(p)!;
        share.peers[String(j)] = this.otStep(() =>
          pairwiseFinish(curve.name, finalSid, myNew, j, this.st, this.message<Round3>(3, true, p).response!, this.message<Round2P>(2, true, p).zero!),
        );
      }
    }
    this.st.otRequests = null;
    this.st.receiverSeeds = null;
    this.st.zeroContributions = null;
    const transcript = tagged(
      LABELS.dkls23ReshareTranscript,
      utf8ToBytes(this.protocol),
      this.sessionId,
      finalSid,
      Uint8Array.of(share.t, share.n),
      ...this.st.parties.map((p) => this.round1Of(p)),
      fromHex(share.publicKey),
      ...Array.from({ length: share.n }, (_, k) => fromHex(share.verificationShares[String(k + 1)]!)),
    );
    share.transcriptHash = bytesToHex(transcript);
    this.st.transcript = bytesToHex(transcript);
    const messages = [this.envelope(4, BROADCAST, transcript)];
    if (myNew === undefined) return { messages };
    // Made durable (pending) before the confirmation leaves, as the DKG's (dkg.ts confirm).
    return { messages, durable: { share: JSON.parse(JSON.stringify(share)) as DklsKeyShare } };
  }

  /** R4 done: every member confirmed the same transcript. */
  private finish(): Progress<DklsReshareOutput, DklsKeyShare> {
    const mine = fromHex(this.st.transcript!);
    checkConfirmations(this.self, this.st.parties, mine, (p) => this.message<Uint8Array>(4, false, p));
    const share = this.myNew !== undefined ? this.st.newShare : null;
    return { messages: [], done: { output: { publicKey: this.old.publicKey.toBytes(true), transcriptHash: mine, share } } };
  }

  protected outputToJSON(o: DklsReshareOutput): unknown {
    return reshareOutputToJSON(o);
  }

  protected outputFromJSON(j: unknown): DklsReshareOutput {
    return reshareOutputFromJSON<DklsKeyShare>(j);
  }

  protected wipe(): void {
    this.st.coefficients = null;
    this.st.seed = '';
    this.st.otRequests = null;
    this.st.zeroContributions = null;
    this.st.receiverSeeds = null;
    this.st.newShare = null;
  }
}

/**
 * A DKLs23 reshare session. `self` is this party's session index (1..members.length); `share` its
 * old share when it deals (members[self−1].old), absent otherwise; `oldKey` the old key's public
 * package (dklsPublicPackageOf; a new party gets it from a holder, and every dealer's setup digest
 * must match it).
 */
export function createDklsReshare(o: {
  curve: DklsCurveName;
  sessionId: Uint8Array;
  self: number;
  oldKey: DklsPublicKeyPackage;
  share?: DklsKeyShare;
  members: ReshareMember[];
  tNew: number;
  context: Uint8Array;
  rng: Rng;
}): Session<DklsReshareOutput, DklsKeyShare> {
  checkSessionInputs(o);
  if (!(o.context instanceof Uint8Array)) throw new ProtocolError('bad-parameters', 'context must be bytes');
  if (o.oldKey?.curve !== o.curve) throw new ProtocolError('bad-parameters', `old key is for ${String(o.oldKey?.curve)}, not ${o.curve}`);
  const curve = dklsCurve(o.curve);
  parseDklsPublicPackage(o.oldKey);
  const { dealers } = checkMembers(o.members, o.oldKey, o.tNew);
  if (!Number.isInteger(o.self) || o.self < 1 || o.self > o.members.length) throw new ProtocolError('bad-parameters', `self must be 1..${o.members.length}`);
  const oldIndex = dealers.get(o.self);
  let coefficients: bigint[] | null = null;
  if (oldIndex !== undefined) {
    if (!o.share) throw new ProtocolError('bad-parameters', `party ${o.self} deals as old holder ${oldIndex} but has no share`);
    // A dealer needs its scalar and the key's public part only: a share restored from a backup
    // without OT material (keyshare.ts dealerOnly) deals as well as a full one.
    const mine = parseDealerShare(o.share);
    if (mine.index !== oldIndex) throw new ProtocolError('bad-parameters', `share belongs to old holder ${mine.index}, not ${oldIndex}`);
    if (!equalBytes(packageDigest(dklsPublicPackageOf(o.share)), packageDigest(o.oldKey)))
      throw new ProtocolError('bad-parameters', 'the share is not of the old key version being reshared');
    const constant = curve.Fn.mul(lagrangeCore(curve.Fn, [...dealers.values()], oldIndex), mine.secretShare);
    coefficients = randomPolynomial(curve, o.tNew, o.rng, constant);
  } else if (o.share !== undefined) throw new ProtocolError('bad-parameters', `party ${o.self} does not deal but was given a share`);
  const members = normalizeMembers(o.members);
  const setup = setupDigest(o.oldKey, members, o.tNew, o.context);
  const seed = randomBytes(o.rng, 32);
  const sid = randomBytes(o.rng, 32);
  const round1 = concatBytes(sid, setup, ...(coefficients ? commitPolynomial(curve, coefficients).map(encodePoint) : []));
  const protocol = reshareProtocolName(o.curve);
  const state: ReshareState = {
    v: 1,
    type: 'dkls23-reshare',
    curve: o.curve,
    protocol,
    sessionId: bytesToHex(o.sessionId),
    sessionTranscript: initialTranscript(protocol, o.sessionId, o.self),
    self: o.self,
    parties: members.map((_, k) => k + 1),
    started: false,
    round: 1,
    inbox: {},
    outcome: null,
    seed: bytesToHex(seed),
    oldKey: JSON.parse(JSON.stringify(o.oldKey)) as DklsPublicKeyPackage,
    members,
    tNew: o.tNew,
    context: bytesToHex(o.context),
    setup: bytesToHex(setup),
    coefficients: coefficients?.map((a) => bytesToHex(curve.Fn.toBytes(a))) ?? null,
    round1: bytesToHex(round1),
    finalSid: null,
    echo: null,
    otRequests: null,
    zeroContributions: null,
    receiverSeeds: null,
    newShare: null,
    transcript: null,
  };
  return new DklsReshareSession(state);
}

/** Rebuilds a reshare session from toJSON(); randomness as restoreDklsDkg (dkg.ts). rng is unused. */
export function restoreDklsReshare(json: unknown, rng: Rng): Session<DklsReshareOutput, DklsKeyShare> {
  void rng;
  const s = checkMachineState(json, 'dkls23-reshare') as ReshareState;
  if (typeof s.round1 !== 'string' || typeof s.setup !== 'string' || typeof s.context !== 'string' || !Number.isInteger(s.tNew))
    throw new ProtocolError('malformed', 'snapshot: bad reshare fields');
  if (s.outcome === null) parseDklsPublicPackage(s.oldKey);
  return new DklsReshareSession(JSON.parse(JSON.stringify(s)) as ReshareState);
}
