// DKLs23 threshold ECDSA signing (DKLs23 Protocol 3.6, research notes §1.6), run as one session
// per request: three message-independent rounds (the presignature) and one online round.
//
//   R1 bc   sid_i ‖ com_i ‖ request          com_i = H(coordinator sid, i, R_i; blind_i)
//   R2 p2p  fsid ‖ echo(R1) ‖ VOLE message 1 (i as receiver "Bob": χ_{i←j} = ⟨g, β⟩)
//   R3 p2p  fsid ‖ VOLE message 2 (i as sender "Alice", inputs (r_i, sk_i)) ‖ R_i ‖ blind_i ‖ pk_i ‖
//           Γ^u = c^u·G ‖ Γ^v = c^v·G ‖ ψ = φ_i − χ_{i←j}   (after the presignature is durably consumed)
//   R4 bc   fsid ‖ w_i = m·φ_i + r_x·v_i ‖ u_i     (a snapshotted session: after the partial id is too)
//
// With sk_i = λ_i·s_i + ζ_i (Lagrange over the signers plus a zero share), each pair runs two
// random VOLEs (one per direction). After R3, party i holds
//   φ'_i = φ_i + Σ_j ψ_{j→i},   u_i = r_i·φ'_i + Σ_j (c^u_{i→j} + d^u_{j→i}),   v_i = sk_i·φ'_i + Σ_j (c^v + d^v),
// and Σ u_i = k·φ, Σ v_i = sk·φ with k = Σ r_i, φ = Σ φ_i. So s = Σ w_i / Σ u_i = (m + r_x·sk)/k.
// The receiver-side checks χ·R_j = d^u·G + Γ^u and χ·pk_j = d^v·G + Γ^v bind j's VOLE inputs to
// its committed nonce and to its key share, and Σ pk_j = pk binds the key shares to the key: the
// "simple consistency check" of DKLs23 §3. A failed VOLE, OT-extension or Γ check is a ban of j.
// Presign mode (createPresignSession, presign.ts): R1–R3 only, under protocol `dkls23-<curve>/presign`
// and without a digest; the output is the presignature, and presign.ts runs the online round.
// final sid = H(coordinator sid, DKG final sid, signers, sid_j…): every p2p body carries it
// (TOB-SILA-8), and it binds the session to the DKG (TOB-SILA-10).
// The byte layout of each round, its decoding and the R1 request digest: sign-messages.ts.
import type { Envelope } from '../core/envelope.ts';
import { BROADCAST } from '../core/envelope.ts';
import { ProtocolError } from '../core/errors.ts';
import { checkSigners } from '../core/signers.ts';
import { bytesToHex, concatBytes, equalBytes, utf8ToBytes } from '../core/bytes.ts';
import { LABELS } from '../core/labels.ts';
import type { Rng, Session } from '../core/session.ts';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { encodePoint, fromHex } from './codec.ts';
import { dklsCurve, type DklsCurveName, type Point } from './curve.ts';
import { commit, openCommitment } from './commit.ts';
import { lagrangeAtZero } from './feldman.ts';
import { checkEchoes, echoPayload } from './agreement.ts';
import { DklsMachine, checkMachineState, checkSessionInputs, initialTranscript, type MachineState, type Progress } from './machine.ts';
import { parseKeyShare, type DklsKeyShare, type ParsedKeyShare } from './keyshare.ts';
import { voleReceive, voleReceiveFinish, voleSend } from './rvole.ts';
import { zeroShare } from './zero-share.ts';
import { banError } from './errors.ts';
import { randomBytes, randomScalar } from './random.ts';
import { partyByte, tagged } from './hash.ts';
import { SIGN_VOLE_INPUTS } from './params.ts';
import { mulBase, mulPoint } from './scalar-mul.ts';
import type { DklsPresignature } from './presign.ts';
import {
  SIGN_SHAPES,
  decodeSignMessage,
  presignProtocolName,
  signProtocolName,
  signRequestDigest,
  voleSessionId,
  type Round1,
  type Round2,
  type Round3,
  type Round4,
} from './sign-messages.ts';

// The names and ids callers import from here (sign-messages.ts holds them with the message layouts).
export { presignProtocolName, signProtocolName, voleSessionId } from './sign-messages.ts';

export type DklsSignOutput = {
  /** r ‖ s, 32 bytes each, s low (s ≤ q/2). */
  signature: Uint8Array;
  /** Recovery id (0..3): bit 0 = parity of y(R') for the normalised signature, bit 1 = x(R) ≥ q. */
  recovery: number;
};

type SignState = MachineState & {
  type: 'dkls23-sign';
  /** 'presign' (presign.ts): no digest; the session ends after R3 with the presignature as output, R4 is presign.ts's online round. */
  mode?: 'presign';
  share: DklsKeyShare;
  digest: string;
  request: string;
  /** r_i, φ_i and the commitment randomness until R4 is released; null afterwards, never restored. */
  nonce: { r: string; phi: string; blind: string } | null;
  round1: string;
  finalSid: string | null;
  echo1: string | null;
  sk: string | null;
  /** Per peer j: our VOLE receiver state in VOLE(Alice = j, Bob = us) and our χ there. */
  bob: Record<string, { choices: string; rows: string; chi: string }> | null;
  /** Per peer j: our shares c^u, c^v in VOLE(Alice = us, Bob = j). */
  alice: Record<string, { cu: string; cv: string }> | null;
  /** R = Σ R_j (compressed) once R3 is done. */
  R: string | null;
  partial: string | null;
  /** Consumed durably before R3 leaves: R3 is the first message that uses (r_i, sk_i) with peer-chosen data. */
  presignatureId: string | null;
  /** Consumed durably before R4 leaves, by a session that was ever snapshotted (toJSON). */
  partialId: string;
  /** toJSON was called: a copy of this session may exist, so R4 needs its own single-use mark. */
  snapshotted: boolean;
};

class DklsSignSession extends DklsMachine<DklsSignOutput | DklsPresignature, never, SignState> {
  private parsedShare: ParsedKeyShare | null;
  /** R_i = r_i·G and pk_i = sk_i·G, public, computed once per session (not part of the snapshot). */
  private ownR: Point | null;
  private ownPk: Point | null = null;

  constructor(state: SignState, parsed?: ParsedKeyShare, R?: Point) {
    super(state, SIGN_SHAPES);
    this.parsedShare = parsed ?? null;
    this.ownR = R ?? null;
  }

  private nonceR(r: bigint): Point {
    return (this.ownR ??= mulBase(this.curve, r));
  }

  private ownPublic(sk: bigint): Point {
    return (this.ownPk ??= mulBase(this.curve, sk));
  }

  private get key(): ParsedKeyShare {
    return (this.parsedShare ??= parseKeyShare(this.st.share));
  }

  private get finalSid(): Uint8Array {
    return fromHex(this.st.finalSid!);
  }

  protected firstMessages(): Envelope[] {
    return [this.envelope(1, BROADCAST, fromHex(this.st.round1))];
  }

  protected decode(round: number, _p2p: boolean, from: number, payload: Uint8Array): unknown {
    return decodeSignMessage(this.curve, round, from, payload, () => fromHex(this.st.request), this.st.parties.length);
  }

  protected completeRound(round: number): Progress<DklsSignOutput | DklsPresignature, never> {
    switch (round) {
      case 1:
        return this.startVoles();
      case 2:
        return this.answerVoles();
      case 3:
        return this.presign();
      default:
        return this.combine();
    }
  }

  private checkFinalSid(from: number, finalSid: Uint8Array): void {
    if (!equalBytes(finalSid, this.finalSid)) throw new ProtocolError('equivocation', `party ${from} is in another session (final session id differs)`, [from]);
  }

  /** R1 done: final session id, the additive key share, and our VOLE-receiver message to each signer. */
  private startVoles(): Progress<DklsSignOutput | DklsPresignature, never> {
    const { curve, key } = this;
    const { Fn } = curve;
    const signers = this.st.parties;
    const sidOf = (p: number) => (p === this.self ? fromHex(this.st.round1).subarray(0, 32) : this.message<Round1>(1, false, p).sid);
    const finalSid = tagged(
      LABELS.dkls23SignSessionId,
      utf8ToBytes(this.protocol),
      this.sessionId,
      key.dkgSessionId,
      Uint8Array.from(signers),
      ...signers.map(sidOf),
    );
    this.st.finalSid = bytesToHex(finalSid);
    const echo1 = echoPayload(LABELS.dkls23SignEcho, this.protocol, this.sessionId, 1, signers, (p) =>
      p === this.self ? fromHex(this.st.round1) : this.raw(1, false, p),
    );
    this.st.echo1 = bytesToHex(echo1);
    const zeta = zeroShare(curve, this.self, signers, (j) => key.peers.get(j)!.zeroSeed, finalSid);
    const sk = Fn.add(Fn.mul(lagrangeAtZero(curve, signers, this.self), key.secretShare), zeta);
    this.st.sk = bytesToHex(Fn.toBytes(sk));
    const bob: NonNullable<SignState['bob']> = {};
    const messages: Envelope[] = [];
    for (const j of this.others) {
      const v = voleReceive(curve, voleSessionId(finalSid, j, this.self), key.peers.get(j)!.voleReceiverSeeds, this.stepRng(`vole-receive/${j}`));
      bob[String(j)] = { choices: bytesToHex(v.state.choices), rows: bytesToHex(v.state.rows), chi: bytesToHex(Fn.toBytes(v.chi)) };
      messages.push(this.envelope(2, j, concatBytes(finalSid, echo1, v.message)));
    }
    this.st.bob = bob;
    return { messages };
  }

  /** R2 done: agree on R1; as VOLE sender to each signer, with inputs (r_i, sk_i); open R_i. */
  private answerVoles(): Progress<DklsSignOutput | DklsPresignature, never> {
    const { curve, key } = this;
    const { Fn } = curve;
    const finalSid = this.finalSid;
    checkEchoes(this.self, this.st.parties, fromHex(this.st.echo1!), (j) => this.message<Round2>(2, true, j).echo);
    for (const j of this.others) this.checkFinalSid(j, this.message<Round2>(2, true, j).finalSid);
    const nonce = this.st.nonce;
    if (!nonce) throw new ProtocolError('nonce-reuse', 'this presignature has already been used');
    const r = Fn.fromBytes(fromHex(nonce.r)),
      phi = Fn.fromBytes(fromHex(nonce.phi));
    const sk = Fn.fromBytes(fromHex(this.st.sk!));
    const R = encodePoint(this.nonceR(r));
    const pk = encodePoint(this.ownPublic(sk));
    const alice: NonNullable<SignState['alice']> = {};
    const messages: Envelope[] = [];
    for (const j of this.others) {
      const v = voleSend(
        curve,
        voleSessionId(finalSid, this.self, j),
        key.peers.get(j)!.voleSender,
        this.message<Round2>(2, true, j).vole,
        [r, sk],
        this.stepRng(`vole-send/${j}`),
        j,
      );
      const [cu, cv] = v.shares as [bigint, bigint];
      if (cu === 0n || cv === 0n) throw new ProtocolError('internal', 'degenerate VOLE share');
      alice[String(j)] = { cu: bytesToHex(Fn.toBytes(cu)), cv: bytesToHex(Fn.toBytes(cv)) };
      const chi = Fn.fromBytes(fromHex(this.st.bob![String(j)]!.chi));
      messages.push(
        this.envelope(
          3,
          j,
          concatBytes(
            finalSid,
            v.message,
            R,
            fromHex(nonce.blind),
            pk,
            encodePoint(mulBase(curve, cu)),
            encodePoint(mulBase(curve, cv)),
            Fn.toBytes(Fn.sub(phi, chi)),
          ),
        ),
      );
    }
    this.st.alice = alice;
    // The presignature is used from here on: R3 answers each VOLE with (r_i, sk_i) against the
    // peer's R2. Two answers with the same inputs to different R2s give the two pads of a row, so
    // ã + ã' = 2·(r_i, sk_i) (DKLs23 Protocol 5.2): the id is consumed durably before R3 leaves,
    // and a rerun or a restored copy of this session is refused by the durable store
    // (research notes §1.2 "Nonce/presignature reuse"; dkls23-review F1).
    return { messages, durable: { consume: [this.st.presignatureId!] } };
  }

  /** R3 done: every receiver-side check; then the presignature and our online-round message. */
  private presign(): Progress<DklsSignOutput | DklsPresignature, never> {
    const { curve, key } = this;
    const { Fn } = curve;
    const finalSid = this.finalSid;
    const nonce = this.st.nonce;
    if (!nonce) throw new ProtocolError('nonce-reuse', 'this presignature has already been used');
    const r = Fn.fromBytes(fromHex(nonce.r)),
      phi = Fn.fromBytes(fromHex(nonce.phi));
    const sk = Fn.fromBytes(fromHex(this.st.sk!));
    let R = this.nonceR(r);
    let pkSum = this.ownPublic(sk);
    let phiPrime = phi;
    let uSum = 0n,
      vSum = 0n;
    for (const j of this.others) {
      const m = this.message<Round3>(3, true, j);
      this.checkFinalSid(j, m.finalSid);
      const bob = this.st.bob![String(j)]!;
      const [du, dv] = voleReceiveFinish(
        curve,
        voleSessionId(finalSid, j, this.self),
        { choices: fromHex(bob.choices), rows: fromHex(bob.rows) },
        m.vole,
        SIGN_VOLE_INPUTS,
        j,
      ) as [bigint, bigint];
      if (!openCommitment(LABELS.dkls23SignCommitment, this.sessionId, j, [encodePoint(m.R)], m.blind, this.message<Round1>(1, false, j).commitment))
        throw new ProtocolError('invalid-commitment', `party ${j}'s nonce does not open its round-1 commitment`, [j]);
      // DKLs23 §3 consistency check: j's VOLE inputs are the discrete logs of R_j and pk_j.
      // χ and d are secret: regular (scalar-independent) multiplications, scalar-mul.ts.
      const chi = Fn.fromBytes(fromHex(bob.chi));
      if (!mulPoint(curve, chi, m.R).equals(mulBase(curve, du).add(m.gammaU))) throw banError(`Γ check on the nonce of party ${j} failed`, j);
      if (!mulPoint(curve, chi, m.pk).equals(mulBase(curve, dv).add(m.gammaV))) throw banError(`Γ check on the key share of party ${j} failed`, j);
      const alice = this.st.alice![String(j)]!;
      R = R.add(m.R);
      pkSum = pkSum.add(m.pk);
      phiPrime = Fn.add(phiPrime, m.psi);
      uSum = Fn.add(uSum, Fn.add(Fn.fromBytes(fromHex(alice.cu)), du));
      vSum = Fn.add(vSum, Fn.add(Fn.fromBytes(fromHex(alice.cv)), dv));
    }
    // The additive shares must add up to the key (zero shares cancel): not attributable, since
    // ζ_j is private to j, but nothing is released.
    if (!pkSum.equals(key.publicKey)) throw new ProtocolError('invalid-share', "the signers' key shares do not add up to the public key");
    if (R.is0()) throw new ProtocolError('invalid-commitment', 'the joint nonce is the identity');
    const rx = Fn.create(R.toAffine().x);
    if (rx === 0n) throw new ProtocolError('invalid-commitment', 'the joint nonce has x = 0 mod q');
    const u = Fn.add(Fn.mul(r, phiPrime), uSum);
    const v = Fn.add(Fn.mul(sk, phiPrime), vSum);
    if (this.st.mode === 'presign') return this.presignature(R, phi, u, v);
    const m = Fn.create(bytesToNumberBE(fromHex(this.st.digest)));
    const w = Fn.add(Fn.mul(m, phi), Fn.mul(rx, v));
    this.st.R = bytesToHex(encodePoint(R));
    // The presignature is spent: forget it before the partial signature leaves. Two partials from
    // one state against different R3s (different ψ) give r_i·(ψ − ψ') and r_x·sk_i·(ψ − ψ'): a
    // session that was ever snapshotted may have a restored twin, so it also consumes the partial
    // id durably before R4 leaves; one never snapshotted exists once, in memory (the service).
    this.st.nonce = null;
    this.st.sk = null;
    this.st.bob = null;
    this.st.alice = null;
    const partial = concatBytes(finalSid, Fn.toBytes(w), Fn.toBytes(u));
    this.st.partial = bytesToHex(partial);
    const messages = [this.envelope(4, BROADCAST, partial)];
    return this.st.snapshotted ? { messages, durable: { consume: [this.st.partialId] } } : { messages };
  }

  /**
   * Presign mode: the message-independent part is done (DKLs23 Protocol 3.6 up to Phase 3). The
   * output holds φ_i, u_i, v_i (secret, one online share at most: presign.ts) and the public images
   * Φ_i, U_i, V_i the aggregator checks each online share against. The session's own copies are
   * wiped here, so the presignature exists once, in the caller's hands.
   */
  private presignature(R: Point, phi: bigint, u: bigint, v: bigint): Progress<DklsSignOutput | DklsPresignature, never> {
    const { curve, key } = this;
    const { Fn } = curve;
    const output: DklsPresignature = {
      v: 1,
      curve: this.st.curve,
      id: this.st.finalSid!,
      publicKey: bytesToHex(encodePoint(key.publicKey)),
      dkgSessionId: bytesToHex(key.dkgSessionId),
      signers: [...this.st.parties],
      self: this.self,
      R: bytesToHex(encodePoint(R)),
      consumeId: this.st.partialId,
      secret: { phi: bytesToHex(Fn.toBytes(phi)), u: bytesToHex(Fn.toBytes(u)), v: bytesToHex(Fn.toBytes(v)) },
      public: {
        index: this.self,
        Phi: bytesToHex(encodePoint(mulBase(curve, phi))),
        U: bytesToHex(encodePoint(mulBase(curve, u))),
        V: bytesToHex(encodePoint(mulBase(curve, v))),
      },
    };
    this.st.nonce = null;
    this.st.sk = null;
    this.st.bob = null;
    this.st.alice = null;
    return { messages: [], done: { output } };
  }

  /** R4 done: s = Σ w / Σ u, low-S, and the independent verifier before anything is output. */
  private combine(): Progress<DklsSignOutput | DklsPresignature, never> {
    const { curve, key } = this;
    const { Fn } = curve;
    const own = fromHex(this.st.partial!);
    let w = Fn.fromBytes(own.subarray(32, 64)),
      u = Fn.fromBytes(own.subarray(64, 96));
    for (const j of this.others) {
      const m = this.message<Round4>(4, false, j);
      this.checkFinalSid(j, m.finalSid);
      w = Fn.add(w, m.w);
      u = Fn.add(u, m.u);
    }
    if (u === 0n) throw new ProtocolError('invalid-signature', 'the partial signatures are degenerate');
    const R = curve.Point.fromBytes(fromHex(this.st.R!)).toAffine();
    const q = Fn.ORDER;
    const rx = Fn.create(R.x);
    let s = Fn.div(w, u);
    let recovery = Number(R.y & 1n) | (R.x >= q ? 2 : 0);
    // Low-S (BIP-62/146, EIP-2): s and q − s both verify; the low one is the canonical one, and
    // negating s negates R, which flips the parity bit of the recovery id.
    if (s > q >> 1n) {
      s = q - s;
      recovery ^= 1;
    }
    const signature = concatBytes(Fn.toBytes(rx), Fn.toBytes(s));
    // The key uncompressed: noble's verifier then decodes it without a square root.
    if (s === 0n || !curve.verify(signature, fromHex(this.st.digest), key.publicKey.toBytes(false)))
      throw new ProtocolError('invalid-signature', 'the combined signature does not verify');
    return { messages: [], done: { output: { signature, recovery } } };
  }

  protected outputToJSON(o: DklsSignOutput | DklsPresignature): unknown {
    // A presignature's outcome is kept public only: its secret part is the caller's, once.
    if (this.st.mode === 'presign') return { ...(o as DklsPresignature), secret: null };
    const out = o as DklsSignOutput;
    return { signature: bytesToHex(out.signature), recovery: out.recovery };
  }
  protected outputFromJSON(j: unknown): DklsSignOutput | DklsPresignature {
    if (this.st.mode === 'presign') return j as DklsPresignature;
    const o = j as { signature: string; recovery: number };
    return { signature: fromHex(o.signature), recovery: o.recovery };
  }

  /** A snapshot: from now on this session's R4 is single-use through the durable store too. */
  override toJSON(): unknown {
    this.st.snapshotted = true;
    return super.toJSON();
  }

  protected wipe(): void {
    this.st.nonce = null;
    this.st.sk = null;
    this.st.bob = null;
    this.st.alice = null;
    this.st.seed = '';
  }
}

export type DklsSignInputs = {
  curve: DklsCurveName;
  sessionId: Uint8Array;
  self: number;
  signers: number[];
  share: DklsKeyShare;
  digest: Uint8Array;
  rng: Rng;
  /** What every signer must agree on besides the request (the service: its enforced policy revision); bound into the R1 request digest. */
  context?: Uint8Array;
};

export function createDklsSign(o: DklsSignInputs): Session<DklsSignOutput> {
  return createSignSession(o, false) as Session<DklsSignOutput>;
}

/** Rounds 1–3 only, without a digest (presign.ts createDklsPresign): the session's output is the presignature. */
export function createPresignSession(o: Omit<DklsSignInputs, 'digest'>): Session<DklsPresignature> {
  return createSignSession({ ...o, digest: new Uint8Array(32) }, true) as Session<DklsPresignature>;
}

function createSignSession(o: DklsSignInputs, presign: boolean): Session<DklsSignOutput | DklsPresignature> {
  checkSessionInputs(o);
  const key = parseKeyShare(o.share);
  if (o.share.curve !== o.curve) throw new ProtocolError('bad-parameters', `share is for ${o.share.curve}, not ${o.curve}`);
  if (o.share.index !== o.self) throw new ProtocolError('bad-parameters', `share belongs to party ${o.share.index}, not ${o.self}`);
  if (!(o.digest instanceof Uint8Array) || o.digest.length !== 32) throw new ProtocolError('bad-parameters', 'digest must be 32 bytes');
  if (o.context !== undefined && !(o.context instanceof Uint8Array)) throw new ProtocolError('bad-parameters', 'context must be bytes');
  const signers = checkSigners(o.signers, o.self, o.share);
  const curve = dklsCurve(o.curve);
  const protocol = presign ? presignProtocolName(o.curve) : signProtocolName(o.curve);
  const seed = randomBytes(o.rng, 32);
  const sid = randomBytes(o.rng, 32);
  const r = randomScalar(curve, o.rng);
  const phi = randomScalar(curve, o.rng);
  const blind = randomBytes(o.rng, 32);
  const Rpoint = mulBase(curve, r);
  const R = encodePoint(Rpoint);
  const com = commit(LABELS.dkls23SignCommitment, o.sessionId, o.self, [R], blind);
  const request = signRequestDigest(protocol, o.sessionId, key, signers, presign ? new Uint8Array(0) : o.digest, o.context ?? new Uint8Array(0));
  const state: SignState = {
    v: 1,
    type: 'dkls23-sign',
    ...(presign ? { mode: 'presign' as const } : {}),
    curve: o.curve,
    protocol,
    sessionId: bytesToHex(o.sessionId),
    self: o.self,
    sessionTranscript: initialTranscript(protocol, o.sessionId, o.self),
    parties: signers,
    started: false,
    round: 1,
    inbox: {},
    outcome: null,
    // Key shares are treated as immutable: the state refers to the caller's object (toJSON copies).
    share: o.share,
    digest: presign ? '' : bytesToHex(o.digest),
    request: bytesToHex(request),
    seed: bytesToHex(seed),
    nonce: { r: bytesToHex(curve.Fn.toBytes(r)), phi: bytesToHex(curve.Fn.toBytes(phi)), blind: bytesToHex(blind) },
    round1: bytesToHex(concatBytes(sid, com, request)),
    finalSid: null,
    echo1: null,
    sk: null,
    bob: null,
    alice: null,
    R: null,
    partial: null,
    presignatureId: bytesToHex(tagged(LABELS.dkls23PresignatureId, utf8ToBytes(protocol), encodePoint(key.publicKey), partyByte(o.self), R)),
    partialId: bytesToHex(tagged(LABELS.dkls23PresignatureId, utf8ToBytes(protocol), encodePoint(key.publicKey), partyByte(o.self), R, utf8ToBytes('partial'))),
    snapshotted: false,
  };
  return new DklsSignSession(state, key, Rpoint);
}

/**
 * Rebuilds a signing session from toJSON(). Later randomness is bound to the transcript
 * (machine.ts), and the values drawn at creation (r_i, φ_i) are single-use through the caller's
 * durable consumed-id table: the presignature id before R3, the partial id before R4 (every
 * snapshot sets `snapshotted`). A restored session fed different peer messages is refused there
 * instead of answering twice (tests/protocols/dkls23/restore-attacks.test.ts). rng is unused.
 */
export function restoreDklsSign(json: unknown, rng: Rng): Session<DklsSignOutput> {
  void rng;
  const s = checkMachineState(json, 'dkls23-sign') as SignState;
  const key = parseKeyShare(s.share);
  if (
    typeof s.digest !== 'string' ||
    typeof s.request !== 'string' ||
    typeof s.round1 !== 'string' ||
    typeof s.partialId !== 'string' ||
    s.snapshotted !== true
  )
    throw new ProtocolError('malformed', 'snapshot: bad signing fields');
  return new DklsSignSession(JSON.parse(JSON.stringify(s)) as SignState, key) as Session<DklsSignOutput>;
}
