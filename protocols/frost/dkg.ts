// FROST key generation: the Pedersen DKG with proofs of knowledge of Komlo–Goldberg 2020
// (eprint 2020/852) Figure 1, as ZF frost-core keys::dkg and noble's FROST.DKG implement it (the
// same commitments, proof-of-knowledge challenge and shares as both; checked against ZF's DKG
// vectors), plus the agreement steps ZF's documentation asks of the caller (see agreement.ts).
//
//   round 1  broadcast  u8 t ‖ t commitment elements ‖ proof of knowledge (R ‖ μ)
//   round 2  broadcast  echo: n digests of the round-1 packages
//            p2p        f_i(j) to each j (the transport encrypts point-to-point payloads)
//   round 3  broadcast  transcript hash (confirmation); the key share is made durable first
import type { Envelope } from '../core/envelope.ts';
import { BROADCAST } from '../core/envelope.ts';
import { ProtocolError } from '../core/errors.ts';
import { bytesToHex, concatBytes, utf8ToBytes } from '../core/bytes.ts';
import { LABELS } from '../core/labels.ts';
import type { Rng, Session } from '../core/session.ts';
import { Reader, fromHex, scalarHex } from './codec.ts';
import { checkConfirmations, checkEchoes, echoPayload, taggedHash, DIGEST_BYTES } from './agreement.ts';
import { FrostMachine, checkMachineState, checkSessionInputs, type MachineState, type Progress } from './machine.ts';
import { checkThreshold, identifier, rememberPublicPart, type FrostKeyShare } from './share.ts';
import { frostSuite, keySuiteOf, nobleRng, type FrostSuite, type FrostSuiteName, type Point } from './suite.ts';
import { evalCommitment, evalPolynomial, verifyFeldman, verifyProofOfKnowledge } from './vss.ts';

export type FrostDkgOutput = { publicKey: Uint8Array; transcriptHash: Uint8Array; share: FrostKeyShare };

type DkgState = MachineState & {
  type: 'frost-dkg';
  n: number;
  t: number;
  context: string;
  /** Our polynomial f_i (hex scalars); dropped as soon as the key share is derived. */
  coefficients: string[] | null;
  /** Our round-1 package. */
  round1: string;
  echo: string | null;
  share: FrostKeyShare | null;
  transcript: string | null;
};

type Round1Package = { commitment: Point[] };

const SHAPES = [
  { broadcast: true, p2p: false },
  { broadcast: true, p2p: true },
  { broadcast: true, p2p: false },
] as const;

class FrostDkgSession extends FrostMachine<FrostDkgOutput, FrostKeyShare, DkgState> {
  constructor(state: DkgState) {
    super(state, SHAPES);
  }

  protected begin(): Envelope[] {
    return [this.envelope(1, BROADCAST, fromHex(this.st.round1))];
  }

  protected decode(round: number, p2p: boolean, from: number, payload: Uint8Array): unknown {
    const { suite } = this;
    const { t, n } = this.st;
    if (round === 1) {
      const r = new Reader(suite, payload, `round-1 package from ${from}`, [from]);
      const count = r.u8();
      const commitment: Point[] = [];
      for (let k = 0; k < count; k++) commitment.push(r.point(`commitment ${k}`));
      const R = r.point('proof R');
      const mu = r.scalar('proof z');
      r.end();
      // Every commitment vector must have exactly t entries (ZF part2, noble round2): a longer one
      // would raise the degree of the summed polynomial, i.e. the threshold of the joint key.
      if (count !== t) throw new ProtocolError('invalid-commitment', `party ${from} committed to ${count} coefficients, expected ${t}`, [from]);
      if (!verifyProofOfKnowledge(suite, from, commitment[0]!, R, mu))
        throw new ProtocolError('invalid-proof', `proof of knowledge from ${from} does not verify`, [from]);
      return { commitment } satisfies Round1Package;
    }
    if (round === 2 && !p2p) {
      const r = new Reader(suite, payload, `echo from ${from}`, [from]);
      const echo = r.bytesN(n * DIGEST_BYTES);
      r.end();
      return echo;
    }
    if (round === 2) {
      const r = new Reader(suite, payload, `secret share from ${from}`, [from]);
      const s = r.scalar('f(i)');
      r.end();
      return s;
    }
    const r = new Reader(suite, payload, `confirmation from ${from}`, [from]);
    const h = r.bytesN(DIGEST_BYTES);
    r.end();
    return h;
  }

  /** Our own round-1 commitment, decoded without the subgroup check: we computed it from our polynomial. */
  private ownCommitment(): Point[] {
    const own = fromHex(this.st.round1);
    const E = this.suite.elementBytes;
    return Array.from({ length: this.st.t }, (_, k) => this.suite.Point.fromBytes(own.subarray(1 + k * E, 1 + (k + 1) * E)));
  }

  private commitmentOf(p: number): Point[] {
    return p === this.self ? this.ownCommitment() : this.message<Round1Package>(1, false, p).commitment;
  }

  protected complete(round: number): Progress<FrostDkgOutput, FrostKeyShare> {
    if (round === 1) return this.sendShares();
    if (round === 2) return this.deriveShare();
    return this.confirm();
  }

  /** Round 1 done: echo what we saw, send each party its share (Komlo–Goldberg round 2 step 1). */
  private sendShares(): Progress<FrostDkgOutput, FrostKeyShare> {
    // Every round-1 package was checked on arrival (decode: t valid elements, proof of
    // knowledge); each party j gets f_i(j).
    const { suite } = this;
    const coefficients = this.st.coefficients!.map((c) => suite.Fn.fromBytes(fromHex(c)));
    const echo = echoPayload(this.protocol, this.sessionId, this.st.parties, (p) => (p === this.self ? fromHex(this.st.round1) : this.raw(1, false, p)));
    this.st.echo = bytesToHex(echo);
    const messages = [this.envelope(2, BROADCAST, echo)];
    for (const j of this.others) messages.push(this.envelope(2, j, suite.Fn.toBytes(evalPolynomial(suite, coefficients, BigInt(j)))));
    return { messages };
  }

  /** Round 2 done: agree on round 1, check shares, derive the key share (Komlo–Goldberg round 2 steps 2–4). */
  private deriveShare(): Progress<FrostDkgOutput, FrostKeyShare> {
    const { suite } = this;
    const { t, n } = this.st;
    // No received share is used before every party is known to hold the same round-1 packages.
    checkEchoes(this.self, this.st.parties, fromHex(this.st.echo!), (j) => this.message<Uint8Array>(2, false, j));
    // Feldman check of each share against its sender's commitment; failures are the sender's.
    const culprits = this.others.filter(
      (j) => !verifyFeldman(suite, this.message<Round1Package>(1, false, j).commitment, this.self, this.message<bigint>(2, true, j)),
    );
    if (culprits.length) throw new ProtocolError('invalid-share', "secret share does not match its sender's commitment", culprits);

    const coefficients = this.st.coefficients!.map((c) => suite.Fn.fromBytes(fromHex(c)));
    const received = new Map(this.others.map((j) => [j, this.message<bigint>(2, true, j)]));
    const key = deriveKeyPackage(
      suite,
      this.self,
      n,
      evalPolynomial(suite, coefficients, BigInt(this.self)),
      received,
      this.st.parties.map((p) => this.commitmentOf(p)),
    );
    const verifyingShares: Record<string, string> = {};
    for (let j = 1; j <= n; j++) verifyingShares[String(j)] = bytesToHex(key.verifyingShares.get(j)!.toBytes());
    const commitments = key.commitments.map((c) => bytesToHex(c.toBytes()));
    const groupPublicKey = commitments[0]!;
    // The transcript binds everything the key depends on plus the caller's context (key id,
    // policy, identity keys), so the confirmations prove that all n parties agree on all of it.
    const transcript = taggedHash(
      LABELS.frostTranscript,
      utf8ToBytes(this.protocol),
      this.sessionId,
      fromHex(this.st.context),
      Uint8Array.of(t, n),
      ...this.st.parties.map((p) => (p === this.self ? fromHex(this.st.round1) : this.raw(1, false, p))),
      fromHex(groupPublicKey),
      ...this.st.parties.map((p) => fromHex(verifyingShares[String(p)]!)),
    );
    const share: FrostKeyShare = {
      suite: keySuiteOf(suite.name),
      index: this.self,
      n,
      t,
      signingShare: bytesToHex(suite.Fn.toBytes(key.signingShare)),
      groupPublicKey,
      commitments,
      verifyingShares,
      transcriptHash: bytesToHex(transcript),
    };
    // Every point of the package is a sum of elements validated on arrival: keep it prepared, so
    // that signing with this share does not validate them again in this process.
    rememberPublicPart(share, { groupPublicKey: fromHex(groupPublicKey), commitments: key.commitments, verifyingShares: key.verifyingShares });
    this.st.coefficients = null;
    this.st.share = share;
    this.st.transcript = bytesToHex(transcript);
    // The share is stored (pending) before the confirmation leaves, so that a party that has
    // confirmed can always sign once everyone has.
    return { messages: [this.envelope(3, BROADCAST, transcript)], durable: { share } };
  }

  /** Round 3 done: everyone confirmed the same transcript (ZF issue #577). */
  private confirm(): Progress<FrostDkgOutput, FrostKeyShare> {
    const mine = fromHex(this.st.transcript!);
    checkConfirmations(this.self, this.st.parties, mine, (j) => this.message<Uint8Array>(3, false, j));
    const share = this.st.share!;
    return { messages: [], done: { output: { publicKey: fromHex(share.groupPublicKey), transcriptHash: mine, share } } };
  }

  protected outputToJSON(o: FrostDkgOutput): unknown {
    return { publicKey: bytesToHex(o.publicKey), transcriptHash: bytesToHex(o.transcriptHash), share: o.share };
  }

  protected outputFromJSON(j: unknown): FrostDkgOutput {
    const o = j as { publicKey: string; transcriptHash: string; share: FrostKeyShare };
    return { publicKey: fromHex(o.publicKey), transcriptHash: fromHex(o.transcriptHash), share: o.share };
  }

  protected wipe(): void {
    this.st.coefficients = null;
    this.st.share = null;
  }
}

/**
 * Komlo–Goldberg round 2 steps 3–4 (ZF frost-core dkg::part3, noble DKG.round3): the signing
 * share s_i = Σ_j f_j(i), the summed commitment C_k = Σ_j C_j,k (C_0 is the group key), and every
 * party's verifying share f(j)·G evaluated from it (RFC 9591 Appendix C.2). Inputs are already
 * checked: every commitment vector has t valid elements, every received share passed Feldman.
 * Checked here: no element of the result is the identity (it could not be serialized, RFC 9591
 * §3.1), and our share matches our verifying share.
 */
export function deriveKeyPackage(
  suite: FrostSuite,
  self: number,
  n: number,
  ownShare: bigint,
  received: ReadonlyMap<number, bigint>,
  commitments: readonly (readonly Point[])[],
): { signingShare: bigint; commitments: Point[]; verifyingShares: Map<number, Point> } {
  const { Fn } = suite;
  let signingShare = ownShare;
  for (const s of received.values()) signingShare = Fn.add(signingShare, s);
  const t = commitments[0]!.length;
  const sum = Array.from({ length: t }, (_, k) => commitments.reduce((acc, c) => acc.add(c[k]!), suite.Point.ZERO));
  const verifyingShares = new Map<number, Point>();
  for (let j = 1; j <= n; j++) verifyingShares.set(j, evalCommitment(suite, sum, BigInt(j)));
  if (sum.some((p) => p.is0()) || [...verifyingShares.values()].some((p) => p.is0()))
    throw new ProtocolError('invalid-commitment', 'the joint commitment or a verifying share is the identity element');
  if (Fn.is0(signingShare) || !suite.Point.BASE.multiply(signingShare).equals(verifyingShares.get(self)!))
    throw new ProtocolError('internal', 'derived signing share does not match its verifying share');
  return { signingShare, commitments: sum, verifyingShares };
}

export function createFrostDkg(o: {
  suite: FrostSuiteName;
  sessionId: Uint8Array;
  self: number;
  n: number;
  t: number;
  context: Uint8Array;
  rng: Rng;
}): Session<FrostDkgOutput, FrostKeyShare> {
  checkSessionInputs(o);
  checkThreshold(o.t, o.n);
  if (!Number.isInteger(o.self) || o.self < 1 || o.self > o.n) throw new ProtocolError('bad-parameters', `self ${o.self} outside 1..${o.n}`);
  if (!(o.context instanceof Uint8Array)) throw new ProtocolError('bad-parameters', 'context must be bytes');
  const suite = frostSuite(o.suite);
  // Komlo–Goldberg round 1 steps 1–3: random polynomial of degree t−1, its commitment, and a
  // Schnorr proof of knowledge of the constant term (noble draws all of it from our rng).
  const r1 = suite.frost.DKG.round1(identifier(suite, o.self), { min: o.t, max: o.n }, undefined, nobleRng(o.rng));
  const coefficients = (r1.secret.coefficients ?? []).map((c) => scalarHex(suite, c));
  suite.frost.DKG.clean(r1.secret);
  const round1 = concatBytes(Uint8Array.of(o.t), ...r1.public.commitment, r1.public.proofOfKnowledge);
  const state: DkgState = {
    v: 1,
    type: 'frost-dkg',
    suite: o.suite,
    protocol: `${suite.prefix}/dkg`,
    sessionId: bytesToHex(o.sessionId),
    self: o.self,
    parties: Array.from({ length: o.n }, (_, k) => k + 1),
    started: false,
    round: 1,
    inbox: {},
    outcome: null,
    n: o.n,
    t: o.t,
    context: bytesToHex(o.context),
    coefficients,
    round1: bytesToHex(round1),
    echo: null,
    share: null,
    transcript: null,
  };
  return new FrostDkgSession(state);
}

/** Rebuilds a DKG session from toJSON(). All randomness was drawn at creation; rng is unused. */
export function restoreFrostDkg(json: unknown, rng: Rng): Session<FrostDkgOutput, FrostKeyShare> {
  void rng;
  const s = checkMachineState(json, 'frost-dkg') as DkgState;
  checkThreshold(s.t, s.n);
  if (typeof s.round1 !== 'string' || typeof s.context !== 'string') throw new ProtocolError('malformed', 'snapshot: bad DKG fields');
  return new FrostDkgSession(JSON.parse(JSON.stringify(s)) as DkgState);
}
