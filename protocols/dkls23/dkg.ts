// DKLs23 key generation (research notes §1.5, with our deviations of §1.10): Feldman VSS with
// commit-then-open and Schnorr proofs for every coefficient (Lindell eprint 2022/374 §6.1, which
// DKLs23 §6 cites for its DKG), plus the pairwise OT setup that signing needs (Endemic base OT →
// all-but-one OT for SoftSpokenOT, in both directions of every pair), zero-sharing seeds, an
// echo of every broadcast round and a final confirmation over the transcript hash.
//
//   R1 bc   sid_i ‖ com_i                 com_i = H(coordinator sid, i, t, F_i; r_i)
//   R2 bc   fsid ‖ echo(R1) ‖ u8 t ‖ F_i (t points) ‖ r_i ‖ t DLog proofs (bound to fsid, i, k)
//   R2 p2p  fsid ‖ OT setup request to j (256 base-OT receiver messages) ‖ zero-seed contribution
//   R3 p2p  fsid ‖ echo(R2 bc) ‖ f_i(j) ‖ OT setup response to j (base-OT sender message, PPRF)
//   R4 bc   fsid ‖ pk ‖ DLog proof of s_i (S_i = F(i))
//   R5 bc   transcript hash (the key share is made durable first)
// fsid = H(coordinator sid, context, t, n, sid_1 … sid_n): the final session id binds every later
// message and every pairwise id to this run (TOB-SILA-8/9/10). x_i = i (no random evaluation
// points: we have no hierarchical thresholds, research notes §1.3 "Drop").
import type { Envelope } from '../core/envelope.ts';
import { BROADCAST } from '../core/envelope.ts';
import { ProtocolError } from '../core/errors.ts';
import { bytesToHex, concatBytes, equalBytes, utf8ToBytes } from '../core/bytes.ts';
import { LABELS } from '../core/labels.ts';
import type { Rng, Session } from '../core/session.ts';
import { Reader, encodePoint, fromHex } from './codec.ts';
import { dklsCurve, type DklsCurveName, type Point } from './curve.ts';
import { commit, openCommitment, COMMITMENT_BYTES } from './commit.ts';
import { proveDlog, verifyDlog, DLOG_PROOF_BYTES } from './dlog.ts';
import {
  checkCommitmentLength,
  commitPolynomial,
  evalCommitment,
  evalPolynomial,
  lagrangeAtZero,
  randomPolynomial,
  sumCommitments,
  verifyFeldmanShare,
} from './feldman.ts';
import { checkConfirmations, checkEchoes, echoPayload, DIGEST_BYTES } from './agreement.ts';
import { DklsMachine, checkMachineState, checkSessionInputs, initialTranscript, type MachineState, type Progress } from './machine.ts';
import { OT_SETUP_REQUEST_BYTES, OT_SETUP_RESPONSE_BYTES } from './ot-setup.ts';
import { pairwiseFinish, pairwiseRequest, pairwiseRespond, type PairwiseSetupState } from './pairwise-setup.ts';
import { checkThreshold, type DklsKeyShare } from './keyshare.ts';
import { randomBytes } from './random.ts';
import { tagged } from './hash.ts';
import { SEED_BYTES } from './params.ts';

export type DklsDkgOutput = { publicKey: Uint8Array; transcriptHash: Uint8Array; share: DklsKeyShare };

/**
 * Present only in a key refresh (refresh.ts): the key being refreshed. `members` are the OLD
 * indices of the parties taking part, ascending: party k of this session is old party
 * members[k−1] (all n in a full refresh; fewer when the refresh leaves parties out). Each party's
 * constant term is λ_i·s_i, Lagrange over the members' old indices, so F_k(0) must be
 * λ_{members[k−1]}·S_{members[k−1]} (old verification share) and the joint key must stay the old
 * one. Snapshots from before `members` existed were full refreshes: absent means 1..n.
 */
export type RefreshBinding = { publicKey: string; transcriptHash: string; verificationShares: Record<string, string>; members?: number[] };

/** The old index of each party of a refresh session (index k → members[k−1]); all n when none is left out. */
export function refreshMembersOf(st: { refresh?: RefreshBinding; parties: number[] }): number[] {
  return st.refresh?.members ?? st.parties;
}

export type DkgState = MachineState &
  PairwiseSetupState & {
    type: 'dkls23-dkg' | 'dkls23-refresh';
    refresh?: RefreshBinding;
    n: number;
    t: number;
    context: string;
    coefficients: string[] | null;
    blind: string;
    round1: string;
    finalSid: string | null;
    round2: string | null;
    echo1: string | null;
    echo2: string | null;
    share: DklsKeyShare | null;
    transcript: string | null;
  };

type Round1 = { sid: Uint8Array; commitment: Uint8Array };
type Round2 = { finalSid: Uint8Array; echo: Uint8Array; F: Point[]; blind: Uint8Array; proofs: Uint8Array[] };
type Round2P = { finalSid: Uint8Array; request: Uint8Array; zero: Uint8Array };
type Round3 = { finalSid: Uint8Array; echo: Uint8Array; share: bigint; response: Uint8Array };
type Round4 = { finalSid: Uint8Array; publicKey: Point; proof: Uint8Array };

const SHAPES = [
  { broadcast: true, p2p: false },
  { broadcast: true, p2p: true },
  { broadcast: false, p2p: true },
  { broadcast: true, p2p: false },
  { broadcast: true, p2p: false },
] as const;

export function dkgProtocolName(curve: DklsCurveName): string {
  return `dkls23-${curve}/dkg`;
}

function polynomialParts(t: number, F: readonly Point[]): Uint8Array[] {
  return [Uint8Array.of(t), ...F.map(encodePoint)];
}

export class DklsDkgSession extends DklsMachine<DklsDkgOutput, DklsKeyShare, DkgState> {
  constructor(state: DkgState) {
    super(state, SHAPES);
  }

  private get finalSid(): Uint8Array {
    return fromHex(this.st.finalSid!);
  }

  private ownPayload(round: 1 | 2, p: number): Uint8Array {
    if (p === this.self) return fromHex(round === 1 ? this.st.round1 : this.st.round2!);
    return this.raw(round, false, p);
  }

  protected firstMessages(): Envelope[] {
    return [this.envelope(1, BROADCAST, fromHex(this.st.round1))];
  }

  protected decode(round: number, p2p: boolean, from: number, payload: Uint8Array): unknown {
    const { curve } = this;
    const { n } = this.st;
    const r = new Reader(curve, payload, `round-${round}${p2p ? ' p2p' : ''} message from ${from}`, [from]);
    if (round === 1) {
      const m: Round1 = { sid: r.bytesN(32), commitment: r.bytesN(COMMITMENT_BYTES) };
      r.end();
      return m;
    }
    if (round === 2 && !p2p) {
      const finalSid = r.bytesN(32);
      const echo = r.bytesN(n * DIGEST_BYTES);
      const count = r.u8();
      const F: Point[] = [];
      for (let k = 0; k < count; k++) F.push(r.point(`commitment ${k}`));
      const blind = r.bytesN(32);
      const proofs: Uint8Array[] = [];
      for (let k = 0; k < count; k++) proofs.push(r.bytesN(DLOG_PROOF_BYTES));
      r.end();
      // ToB TOB-SILA-1/2 and the threshold-raising attack: exactly t coefficients and t proofs.
      checkCommitmentLength(F, this.st.t, from);
      return { finalSid, echo, F, blind, proofs } satisfies Round2;
    }
    if (round === 2) {
      const m: Round2P = { finalSid: r.bytesN(32), request: r.bytesN(OT_SETUP_REQUEST_BYTES), zero: r.bytesN(SEED_BYTES) };
      r.end();
      return m;
    }
    if (round === 3) {
      const m: Round3 = { finalSid: r.bytesN(32), echo: r.bytesN(n * DIGEST_BYTES), share: r.scalar('share'), response: r.bytesN(OT_SETUP_RESPONSE_BYTES) };
      r.end();
      return m;
    }
    if (round === 4) {
      const m: Round4 = { finalSid: r.bytesN(32), publicKey: r.point('public key'), proof: r.bytesN(DLOG_PROOF_BYTES) };
      r.end();
      return m;
    }
    const h = r.bytesN(32);
    r.end();
    return h;
  }

  protected completeRound(round: number): Progress<DklsDkgOutput, DklsKeyShare> {
    switch (round) {
      case 1:
        return this.openAndRequest();
      case 2:
        return this.checkAndRespond();
      case 3:
        return this.deriveShare();
      case 4:
        return this.confirm();
      default:
        return this.finish();
    }
  }

  /** Every message after round 1 must carry our final session id; a different one means another view of round 1. */
  private checkFinalSid(from: number, finalSid: Uint8Array): void {
    if (!equalBytes(finalSid, this.finalSid)) throw new ProtocolError('equivocation', `party ${from} is in another session (final session id differs)`, [from]);
  }

  /** R1 done: fix the final session id; open the commitment with proofs; start the OT setup with everyone. */
  private openAndRequest(): Progress<DklsDkgOutput, DklsKeyShare> {
    const { curve } = this;
    const { t, n } = this.st;
    const parties = this.st.parties;
    const finalSid = tagged(
      LABELS.dkls23DkgSessionId,
      utf8ToBytes(this.protocol),
      this.sessionId,
      fromHex(this.st.context),
      Uint8Array.of(t, n),
      ...parties.map((p) => (p === this.self ? fromHex(this.st.round1).subarray(0, 32) : this.message<Round1>(1, false, p).sid)),
      // Refresh: the old key version, and who takes part by old index (research notes §1.7; a
      // refresh without a banned peer, §2 "Ban policy"): parties shown different exclusions derive
      // different final session ids and abort at round 2 (checkFinalSid).
      ...(this.st.refresh ? [fromHex(this.st.refresh.publicKey), fromHex(this.st.refresh.transcriptHash), Uint8Array.from(refreshMembersOf(this.st))] : []),
    );
    this.st.finalSid = bytesToHex(finalSid);
    const echo1 = echoPayload(LABELS.dkls23DkgEcho, this.protocol, this.sessionId, 1, parties, (p) => this.ownPayload(1, p));
    this.st.echo1 = bytesToHex(echo1);
    const coefficients = this.st.coefficients!.map((c) => curve.Fn.fromBytes(fromHex(c)));
    const F = commitPolynomial(curve, coefficients);
    const rng = this.stepRng('coefficient-proofs');
    const proofs = coefficients.map((a, k) => proveDlog(curve, { label: LABELS.dkls23DkgCoefficientProof, sid: finalSid, party: this.self, index: k }, a, rng));
    const round2 = concatBytes(finalSid, echo1, Uint8Array.of(t), ...F.map(encodePoint), fromHex(this.st.blind), ...proofs);
    this.st.round2 = bytesToHex(round2);
    const messages = [this.envelope(2, BROADCAST, round2)];
    const otRequests: NonNullable<DkgState['otRequests']> = {};
    const zeroContributions: Record<string, string> = {};
    for (const j of this.others) {
      const req = pairwiseRequest(curve.name, finalSid, this.self, j, (step) => this.stepRng(step));
      otRequests[String(j)] = req.request;
      zeroContributions[String(j)] = req.zero;
      messages.push(this.envelope(2, j, concatBytes(finalSid, ...req.message)));
    }
    this.st.otRequests = otRequests;
    this.st.zeroContributions = zeroContributions;
    return { messages };
  }

  /**
   * Refresh: party j's constant term must be its additive share of the old key over the members'
   * OLD indices: F_j(0) = λ_o·S_o with o = members[j−1] and λ over the members (research notes
   * §1.7: "Lagrange over the parties that still hold shares"). Checked against the OLD verification
   * shares, which every member holds in its own share.
   */
  private checkRefreshConstant(j: number, F0: Point): void {
    const { curve } = this;
    const old = this.st.refresh!;
    const members = refreshMembersOf(this.st);
    const o = members[j - 1]!;
    const expected = curve.Point.fromBytes(fromHex(old.verificationShares[String(o)]!)).multiply(lagrangeAtZero(curve, members, o));
    if (!F0.equals(expected)) {
      const who = o === j ? `party ${j}` : `party ${j} (old party ${o})`;
      throw new ProtocolError('invalid-commitment', `${who}'s refresh constant is not its share of the old key (public key mismatch)`, [j]);
    }
  }

  /** R2 done: agree on R1, open every commitment, check every proof; answer every OT setup; send shares. */
  private checkAndRespond(): Progress<DklsDkgOutput, DklsKeyShare> {
    const { curve } = this;
    const { t } = this.st;
    const finalSid = this.finalSid;
    checkEchoes(this.self, this.st.parties, fromHex(this.st.echo1!), (j) => this.message<Round2>(2, false, j).echo);
    for (const j of this.others) {
      const m = this.message<Round2>(2, false, j);
      this.checkFinalSid(j, m.finalSid);
      this.checkFinalSid(j, this.message<Round2P>(2, true, j).finalSid);
      if (!openCommitment(LABELS.dkls23DkgCommitment, this.sessionId, j, polynomialParts(t, m.F), m.blind, this.message<Round1>(1, false, j).commitment))
        throw new ProtocolError('invalid-commitment', `party ${j}'s polynomial does not open its round-1 commitment`, [j]);
      m.F.forEach((Fk, k) => {
        if (!verifyDlog(curve, { label: LABELS.dkls23DkgCoefficientProof, sid: finalSid, party: j, index: k }, Fk, m.proofs[k]!))
          throw new ProtocolError('invalid-proof', `party ${j}'s proof for coefficient ${k} does not verify`, [j]);
      });
      if (this.st.refresh) this.checkRefreshConstant(j, m.F[0]!);
    }
    const echo2 = echoPayload(LABELS.dkls23DkgEcho, this.protocol, this.sessionId, 2, this.st.parties, (p) => this.ownPayload(2, p));
    this.st.echo2 = bytesToHex(echo2);
    const coefficients = this.st.coefficients!.map((c) => curve.Fn.fromBytes(fromHex(c)));
    const receiverSeeds: Record<string, string> = {};
    const messages: Envelope[] = [];
    for (const j of this.others) {
      const resp = pairwiseRespond(curve.name, finalSid, this.self, j, this.message<Round2P>(2, true, j).request, (step) => this.stepRng(step));
      receiverSeeds[String(j)] = resp.receiverSeeds;
      const share = curve.Fn.toBytes(evalPolynomial(curve, coefficients, BigInt(j)));
      messages.push(this.envelope(3, j, concatBytes(finalSid, echo2, share, resp.message)));
    }
    this.st.receiverSeeds = receiverSeeds;
    return { messages };
  }

  /** R3 done: agree on R2, Feldman-check the shares, finish the OT setups; derive s_i and prove it. */
  private deriveShare(): Progress<DklsDkgOutput, DklsKeyShare> {
    const { curve } = this;
    const { Fn } = curve;
    const { t, n } = this.st;
    const finalSid = this.finalSid;
    for (const j of this.others) this.checkFinalSid(j, this.message<Round3>(3, true, j).finalSid);
    // No share is used before everyone is known to hold the same polynomial commitments.
    checkEchoes(this.self, this.st.parties, fromHex(this.st.echo2!), (j) => this.message<Round3>(3, true, j).echo);
    const commitmentOf = (p: number): Point[] =>
      p === this.self
        ? commitPolynomial(
            curve,
            this.st.coefficients!.map((c) => Fn.fromBytes(fromHex(c))),
          )
        : this.message<Round2>(2, false, p).F;
    const culprits = this.others.filter((j) => !verifyFeldmanShare(curve, commitmentOf(j), BigInt(this.self), this.message<Round3>(3, true, j).share));
    if (culprits.length) throw new ProtocolError('invalid-share', "secret share does not match its sender's commitment", culprits);
    const peers: DklsKeyShare['peers'] = {};
    for (const j of this.others)
      peers[String(j)] = pairwiseFinish(
        curve.name,
        finalSid,
        this.self,
        j,
        this.st,
        this.message<Round3>(3, true, j).response,
        this.message<Round2P>(2, true, j).zero,
      );
    const coefficients = this.st.coefficients!.map((c) => Fn.fromBytes(fromHex(c)));
    let s = evalPolynomial(curve, coefficients, BigInt(this.self));
    for (const j of this.others) s = Fn.add(s, this.message<Round3>(3, true, j).share);
    const F = sumCommitments(curve, this.st.parties.map(commitmentOf));
    const pk = F[0]!;
    if (pk.is0() || s === 0n) throw new ProtocolError('invalid-commitment', 'degenerate joint key');
    if (this.st.refresh && !equalBytes(encodePoint(pk), fromHex(this.st.refresh.publicKey)))
      throw new ProtocolError('internal', 'refresh changed the public key');
    const verificationShares: Record<string, string> = {};
    for (let j = 1; j <= n; j++) verificationShares[String(j)] = bytesToHex(encodePoint(evalCommitment(curve, F, BigInt(j))));
    this.st.share = {
      curve: curve.name,
      index: this.self,
      n,
      t,
      secretShare: bytesToHex(Fn.toBytes(s)),
      publicKey: bytesToHex(encodePoint(pk)),
      commitments: F.map((p) => bytesToHex(encodePoint(p))),
      verificationShares,
      dkgSessionId: bytesToHex(finalSid),
      transcriptHash: '',
      peers,
    };
    this.st.coefficients = null;
    this.st.otRequests = null;
    this.st.receiverSeeds = null;
    const proof = proveDlog(curve, { label: LABELS.dkls23DkgShareProof, sid: finalSid, party: this.self, index: 0 }, s, this.stepRng('share-proof'));
    return { messages: [this.envelope(4, BROADCAST, concatBytes(finalSid, encodePoint(pk), proof))] };
  }

  /** R4 done: everyone has our public key and proves its share; store the share, confirm the transcript. */
  private confirm(): Progress<DklsDkgOutput, DklsKeyShare> {
    const { curve } = this;
    const share = this.st.share!;
    const finalSid = this.finalSid;
    const pk = fromHex(share.publicKey);
    for (const j of this.others) {
      const m = this.message<Round4>(4, false, j);
      this.checkFinalSid(j, m.finalSid);
      if (!equalBytes(encodePoint(m.publicKey), pk)) throw new ProtocolError('equivocation', `party ${j} derived another public key`, [j]);
      const Sj = curve.Point.fromBytes(fromHex(share.verificationShares[String(j)]!));
      if (!verifyDlog(curve, { label: LABELS.dkls23DkgShareProof, sid: finalSid, party: j, index: 0 }, Sj, m.proof))
        throw new ProtocolError('invalid-proof', `party ${j}'s proof of its key share does not verify`, [j]);
    }
    const { t, n } = this.st;
    const transcript = tagged(
      LABELS.dkls23DkgTranscript,
      utf8ToBytes(this.protocol),
      this.sessionId,
      fromHex(this.st.context),
      finalSid,
      Uint8Array.of(t, n),
      ...this.st.parties.map((p) => this.ownPayload(1, p)),
      ...this.st.parties.map((p) => this.ownPayload(2, p)),
      pk,
      ...this.st.parties.map((p) => fromHex(share.verificationShares[String(p)]!)),
    );
    share.transcriptHash = bytesToHex(transcript);
    this.st.transcript = bytesToHex(transcript);
    // The share is stored (pending) before the confirmation leaves: a party that has confirmed
    // can always sign once everyone has.
    return { messages: [this.envelope(5, BROADCAST, transcript)], durable: { share: JSON.parse(JSON.stringify(share)) as DklsKeyShare } };
  }

  /** R5 done: all n confirmed the same transcript (ZF frost issue #577). */
  private finish(): Progress<DklsDkgOutput, DklsKeyShare> {
    const mine = fromHex(this.st.transcript!);
    checkConfirmations(this.self, this.st.parties, mine, (j) => this.message<Uint8Array>(5, false, j));
    const share = this.st.share!;
    return { messages: [], done: { output: { publicKey: fromHex(share.publicKey), transcriptHash: mine, share } } };
  }

  protected outputToJSON(o: DklsDkgOutput): unknown {
    return { publicKey: bytesToHex(o.publicKey), transcriptHash: bytesToHex(o.transcriptHash), share: o.share };
  }

  protected outputFromJSON(j: unknown): DklsDkgOutput {
    const o = j as { publicKey: string; transcriptHash: string; share: DklsKeyShare };
    return { publicKey: fromHex(o.publicKey), transcriptHash: fromHex(o.transcriptHash), share: o.share };
  }

  protected wipe(): void {
    this.st.coefficients = null;
    this.st.seed = '';
    this.st.otRequests = null;
    this.st.zeroContributions = null;
    this.st.receiverSeeds = null;
    this.st.share = null;
    if (this.st.refresh) this.st.refresh.verificationShares = {};
  }
}

export function createDklsDkg(o: {
  curve: DklsCurveName;
  sessionId: Uint8Array;
  self: number;
  n: number;
  t: number;
  context: Uint8Array;
  rng: Rng;
}): Session<DklsDkgOutput, DklsKeyShare> {
  return new DklsDkgSession(newDkgState(o));
}

/**
 * The initial DKG state; with `refresh`, the polynomial's constant term is `refresh.constant`
 * (λ_i·s_i) instead of a random scalar, and the session is the refresh protocol (refresh.ts).
 */
export function newDkgState(
  o: { curve: DklsCurveName; sessionId: Uint8Array; self: number; n: number; t: number; context: Uint8Array; rng: Rng },
  refresh?: { binding: RefreshBinding; constant: bigint },
): DkgState {
  checkSessionInputs(o);
  checkThreshold(o.t, o.n);
  if (!Number.isInteger(o.self) || o.self < 1 || o.self > o.n) throw new ProtocolError('bad-parameters', `self ${o.self} outside 1..${o.n}`);
  if (!(o.context instanceof Uint8Array)) throw new ProtocolError('bad-parameters', 'context must be bytes');
  const curve = dklsCurve(o.curve);
  const seed = randomBytes(o.rng, 32);
  const sid = randomBytes(o.rng, 32);
  const blind = randomBytes(o.rng, 32);
  const coefficients = randomPolynomial(curve, o.t, o.rng);
  if (refresh) coefficients[0] = refresh.constant;
  const F = commitPolynomial(curve, coefficients);
  const com = commit(LABELS.dkls23DkgCommitment, o.sessionId, o.self, polynomialParts(o.t, F), blind);
  const protocol = refresh ? `dkls23-${o.curve}/refresh` : dkgProtocolName(o.curve);
  const state: DkgState = {
    v: 1,
    type: refresh ? 'dkls23-refresh' : 'dkls23-dkg',
    curve: o.curve,
    protocol,
    sessionId: bytesToHex(o.sessionId),
    sessionTranscript: initialTranscript(protocol, o.sessionId, o.self),
    self: o.self,
    parties: Array.from({ length: o.n }, (_, k) => k + 1),
    started: false,
    round: 1,
    inbox: {},
    outcome: null,
    n: o.n,
    t: o.t,
    context: bytesToHex(o.context),
    seed: bytesToHex(seed),
    coefficients: coefficients.map((c) => bytesToHex(curve.Fn.toBytes(c))),
    blind: bytesToHex(blind),
    round1: bytesToHex(concatBytes(sid, com)),
    finalSid: null,
    round2: null,
    echo1: null,
    echo2: null,
    otRequests: null,
    zeroContributions: null,
    receiverSeeds: null,
    share: null,
    transcript: null,
  };
  if (refresh) state.refresh = refresh.binding;
  return state;
}

/**
 * Rebuilds a DKG session from toJSON(). Later randomness comes from the snapshot's seed and the
 * transcript (machine.ts): fed the messages it had, it recomputes what it sent; fed different ones,
 * it draws fresh values (tests/protocols/dkls23/restore-attacks.test.ts). rng is unused.
 */
export function restoreDklsDkg(json: unknown, rng: Rng): Session<DklsDkgOutput, DklsKeyShare> {
  void rng;
  const s = checkMachineState(json, 'dkls23-dkg') as DkgState;
  if (s.refresh !== undefined) throw new ProtocolError('malformed', 'snapshot: a DKG has no refresh binding');
  checkThreshold(s.t, s.n);
  if (typeof s.round1 !== 'string' || typeof s.context !== 'string' || typeof s.seed !== 'string')
    throw new ProtocolError('malformed', 'snapshot: bad DKG fields');
  return new DklsDkgSession(JSON.parse(JSON.stringify(s)) as DkgState);
}
