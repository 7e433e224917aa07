// Proactive refresh of a FROST key (ZF frost-core keys::refresh, 2.1.0+, after Herzberg et al.
// 1995): the DKG of dkg.ts run with a zero constant term. Every party deals g_i with g_i(0) = 0,
// so Σ g_i(j) re-randomises every share while the group key stays put; old shares become useless
// together with new ones. As in ZF, the identity commitment to the zero constant is dropped on the
// wire (the receiver re-inserts it) and there is no proof of knowledge (there is no secret to
// prove). The threshold cannot change (ZF 2.2.0 security fix): every commitment vector must have
// exactly t − 1 entries.
//
//   round 1  broadcast  digest of the current public key package ‖ u8 (t−1) ‖ t−1 elements
//   round 2  broadcast  echo;  p2p  g_i(j)
//   round 3  broadcast  transcript hash (after the new share is made durable)
import type { Envelope } from '../core/envelope.ts';
import { BROADCAST } from '../core/envelope.ts';
import { ProtocolError } from '../core/errors.ts';
import { bytesToHex, concatBytes, equalBytes, utf8ToBytes } from '../core/bytes.ts';
import { LABELS } from '../core/labels.ts';
import type { Rng, Session } from '../core/session.ts';
import { Reader, fromHex, scalarHex } from './codec.ts';
import { checkConfirmations, checkEchoes, echoPayload, taggedHash, DIGEST_BYTES } from './agreement.ts';
import type { FrostDkgOutput } from './dkg.ts';
import { FrostMachine, checkMachineState, checkSessionInputs, type MachineState, type Progress } from './machine.ts';
import { makeKeyShare, parseKeyShare, publicPackageDigest, rememberPublicPart, type FrostKeyShare } from './share.ts';
import { frostSuite, type FrostSuiteName, type Point } from './suite.ts';
import { evalCommitment, evalPolynomial, randomScalar, verifyFeldman } from './vss.ts';

type RefreshState = MachineState & {
  type: 'frost-refresh';
  /** The share being refreshed; dropped when the session ends. */
  share: FrostKeyShare | null;
  context: string;
  /** a_1..a_{t−1} of our refresh polynomial (a_0 = 0); dropped once the new share exists. */
  coefficients: string[] | null;
  round1: string;
  echo: string | null;
  newShare: FrostKeyShare | null;
  transcript: string | null;
};

type Round1Package = { commitment: Point[] };

const SHAPES = [
  { broadcast: true, p2p: false },
  { broadcast: true, p2p: true },
  { broadcast: true, p2p: false },
] as const;

const keyDigest = (share: FrostKeyShare) => publicPackageDigest(share, taggedHash, LABELS.frostPublicPackage);

class FrostRefreshSession extends FrostMachine<FrostDkgOutput, FrostKeyShare, RefreshState> {
  constructor(state: RefreshState) {
    super(state, SHAPES);
  }

  private get old(): FrostKeyShare {
    if (!this.st.share) throw new ProtocolError('internal', 'refresh state has no share');
    return this.st.share;
  }

  protected begin(): Envelope[] {
    return [this.envelope(1, BROADCAST, fromHex(this.st.round1))];
  }

  protected decode(round: number, p2p: boolean, from: number, payload: Uint8Array): unknown {
    const { suite } = this;
    const { t, n } = this.old;
    if (round === 1) {
      const r = new Reader(suite, payload, `refresh package from ${from}`, [from]);
      const digest = r.bytesN(DIGEST_BYTES);
      const count = r.u8();
      const points: Point[] = [];
      for (let k = 0; k < count; k++) points.push(r.point(`commitment ${k + 1}`));
      r.end();
      if (!equalBytes(digest, keyDigest(this.old))) throw new ProtocolError('bad-parameters', `party ${from} holds a different version of the key`, [from]);
      if (count !== t - 1)
        throw new ProtocolError('invalid-commitment', `party ${from} committed to ${count} coefficients, expected ${t - 1} (threshold change)`, [from]);
      // Re-insert the identity commitment to the zero constant term (ZF refresh_dkg_part2).
      return { commitment: [suite.Point.ZERO, ...points] } satisfies Round1Package;
    }
    const what = round === 2 ? (p2p ? `refresh share from ${from}` : `echo from ${from}`) : `confirmation from ${from}`;
    const r = new Reader(suite, payload, what, [from]);
    if (round === 2 && p2p) {
      const s = r.scalar('g(i)');
      r.end();
      return s;
    }
    const out = r.bytesN(round === 2 ? n * DIGEST_BYTES : DIGEST_BYTES);
    r.end();
    return out;
  }

  private ownCoefficients(): bigint[] {
    return [this.suite.Fn.ZERO, ...this.st.coefficients!.map((c) => this.suite.Fn.fromBytes(fromHex(c)))];
  }

  private ownCommitment(): Point[] {
    return this.ownCoefficients().map((a) => (this.suite.Fn.is0(a) ? this.suite.Point.ZERO : this.suite.Point.BASE.multiply(a)));
  }

  private round1Of(p: number): Uint8Array {
    return p === this.self ? fromHex(this.st.round1) : this.raw(1, false, p);
  }

  protected complete(round: number): Progress<FrostDkgOutput, FrostKeyShare> {
    if (round === 1) return this.sendShares();
    if (round === 2) return this.deriveShare();
    return this.confirm();
  }

  private sendShares(): Progress<FrostDkgOutput, FrostKeyShare> {
    const echo = echoPayload(this.protocol, this.sessionId, this.st.parties, (p) => this.round1Of(p));
    this.st.echo = bytesToHex(echo);
    const coefficients = this.ownCoefficients();
    const messages = [this.envelope(2, BROADCAST, echo)];
    for (const j of this.others) messages.push(this.envelope(2, j, this.suite.Fn.toBytes(evalPolynomial(this.suite, coefficients, BigInt(j)))));
    return { messages };
  }

  private deriveShare(): Progress<FrostDkgOutput, FrostKeyShare> {
    const { suite } = this;
    const { Fn } = suite;
    const old = parseKeyShare(this.old);
    const { t, n } = old;
    checkEchoes(this.self, this.st.parties, fromHex(this.st.echo!), (j) => this.message<Uint8Array>(2, false, j));
    const culprits = this.others.filter(
      (j) => !verifyFeldman(suite, this.message<Round1Package>(1, false, j).commitment, this.self, this.message<bigint>(2, true, j)),
    );
    if (culprits.length) throw new ProtocolError('invalid-share', "refresh share does not match its sender's commitment", culprits);

    // s'_i = s_i + Σ_j g_j(i), and the new commitment is the old one plus Σ_j of the refresh
    // commitments (whose constant terms are all the identity).
    let s = Fn.add(old.signingShare, evalPolynomial(suite, this.ownCoefficients(), BigInt(this.self)));
    for (const j of this.others) s = Fn.add(s, this.message<bigint>(2, true, j));
    const sum = [...old.commitments];
    const add = (c: Point[]) =>
      c.forEach((p, k) => {
        sum[k] = sum[k]!.add(p);
      });
    add(this.ownCommitment());
    for (const j of this.others) add(this.message<Round1Package>(1, false, j).commitment);
    // The group key must not move, and our new share must match the new commitment.
    if (!sum[0]!.equals(old.commitments[0]!) || !equalBytes(sum[0]!.toBytes(), old.groupPublicKey))
      throw new ProtocolError('internal', 'refresh changed the group public key');
    if (Fn.is0(s) || !suite.Point.BASE.multiply(s).equals(evalCommitment(suite, sum, BigInt(this.self))))
      throw new ProtocolError('internal', 'refreshed share does not match the refreshed commitment');
    if (sum.some((p) => p.is0())) throw new ProtocolError('invalid-commitment', 'refreshed commitment contains the identity');

    const verifyingShares = new Map(this.st.parties.map((j) => [j, evalCommitment(suite, sum, BigInt(j))]));
    if ([...verifyingShares.values()].some((p) => p.is0())) throw new ProtocolError('invalid-commitment', 'a refreshed verifying share is the identity');
    const fresh = makeKeyShare(suite, this.self, n, t, s, sum, new Uint8Array(DIGEST_BYTES));
    const transcript = taggedHash(
      LABELS.frostRefreshTranscript,
      utf8ToBytes(this.protocol),
      this.sessionId,
      fromHex(this.st.context),
      Uint8Array.of(t, n),
      keyDigest(this.old),
      ...this.st.parties.map((p) => this.round1Of(p)),
      old.groupPublicKey,
      ...this.st.parties.map((p) => fromHex(fresh.verifyingShares[String(p)]!)),
    );
    fresh.transcriptHash = bytesToHex(transcript);
    // The refreshed package is the old (validated) one plus commitments validated on arrival:
    // keep it prepared for signing in this process.
    rememberPublicPart(fresh, { groupPublicKey: old.groupPublicKey, commitments: sum, verifyingShares });
    this.st.coefficients = null;
    this.st.newShare = fresh;
    this.st.transcript = bytesToHex(transcript);
    return { messages: [this.envelope(3, BROADCAST, transcript)], durable: { share: fresh } };
  }

  private confirm(): Progress<FrostDkgOutput, FrostKeyShare> {
    const mine = fromHex(this.st.transcript!);
    checkConfirmations(this.self, this.st.parties, mine, (j) => this.message<Uint8Array>(3, false, j));
    const share = this.st.newShare!;
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
    this.st.newShare = null;
  }
}

export function createFrostRefresh(o: {
  suite: FrostSuiteName;
  sessionId: Uint8Array;
  self: number;
  share: FrostKeyShare;
  context: Uint8Array;
  rng: Rng;
}): Session<FrostDkgOutput, FrostKeyShare> {
  checkSessionInputs(o);
  const old = parseKeyShare(o.share);
  if (o.share.suite !== o.suite) throw new ProtocolError('bad-parameters', `share is for ${o.share.suite}, not ${o.suite}`);
  if (o.share.index !== o.self) throw new ProtocolError('bad-parameters', `share belongs to party ${o.share.index}, not ${o.self}`);
  if (!(o.context instanceof Uint8Array)) throw new ProtocolError('bad-parameters', 'context must be bytes');
  const suite = frostSuite(o.suite);
  const coefficients = Array.from({ length: old.t - 1 }, () => randomScalar(suite, o.rng));
  const round1 = concatBytes(keyDigest(o.share), Uint8Array.of(old.t - 1), ...coefficients.map((a) => suite.Point.BASE.multiply(a).toBytes()));
  const state: RefreshState = {
    v: 1,
    type: 'frost-refresh',
    suite: o.suite,
    protocol: `${suite.prefix}/refresh`,
    sessionId: bytesToHex(o.sessionId),
    self: o.self,
    parties: Array.from({ length: old.n }, (_, k) => k + 1),
    started: false,
    round: 1,
    inbox: {},
    outcome: null,
    share: JSON.parse(JSON.stringify(o.share)) as FrostKeyShare,
    context: bytesToHex(o.context),
    coefficients: coefficients.map((a) => scalarHex(suite, a)),
    round1: bytesToHex(round1),
    echo: null,
    newShare: null,
    transcript: null,
  };
  return new FrostRefreshSession(state);
}

/** Rebuilds a refresh session from toJSON(). All randomness was drawn at creation; rng is unused. */
export function restoreFrostRefresh(json: unknown, rng: Rng): Session<FrostDkgOutput, FrostKeyShare> {
  void rng;
  const s = checkMachineState(json, 'frost-refresh') as RefreshState;
  if (s.outcome === null) parseKeyShare(s.share!);
  if (typeof s.round1 !== 'string' || typeof s.context !== 'string') throw new ProtocolError('malformed', 'snapshot: bad refresh fields');
  return new FrostRefreshSession(JSON.parse(JSON.stringify(s)) as RefreshState);
}
