// Verifiable resharing of a FROST key (same group public key, new shares, possibly a new
// threshold and a new set of holders): Desmedt–Jajodia 1997 redistribution with Wong–Wang–Wing
// 2002's verification (VSR), in the Feldman setting of the DKG (dkg.ts) and with its echo and
// confirmation rounds (agreement.ts).
//
// Roles. The session's parties are numbered 1..m. Each is a dealer (an old holder, with its old
// index), a receiver (a holder of the new key, with its new index 1..n_new), or both. Dealers D
// (|D| ≥ t_old, old indices) hold shares x_i of the old key; λ_i is i's Lagrange coefficient at
// zero over D, so Σ_{i∈D} λ_i·x_i = x, the group secret.
//
//   round 1  broadcast  setup digest ‖ (dealer) t_new elements C_i,0..C_i,t_new−1 of a fresh
//                       polynomial f_i of degree t_new−1 with f_i(0) = λ_i·x_i
//   round 2  broadcast  echo of every round-1 broadcast;  p2p  f_i(j) to each receiver (new
//                       index j), empty otherwise
//   round 3  broadcast  transcript hash (after a receiver made its new share durable)
//
// Checks, each naming the culprit:
// - the setup digest binds the old key's public package (suite, t, n, commitments, verifying
//   shares, transcript hash), the roles, t_new and the caller's context: a party with another
//   view of any of them is named in round 1 ('bad-parameters');
// - C_i,0 must equal λ_i·X_i, X_i the OLD verifying share of dealer i: a dealer dealing another
//   constant is named when its round-1 broadcast arrives ('invalid-commitment'), before anything
//   secret is sent — so Σ_i C_i,0 = Σ λ_i·X_i = the group public key;
// - every echo must equal ours before a sub-share is used (equivocation: core/agreement.ts);
// - each receiver checks f_i(j)·G = Σ_k j^k·C_i,k for every dealer i (Feldman; 'invalid-share');
// - every confirmation must equal ours before anyone reports success.
// The new share is s'_j = Σ_i f_i(j), the new commitment Σ_i C_i (its constant is the old group
// key, checked), the new verifying shares are read off it. Dealers that do not receive compute the
// same public transcript and output no share: their old share may be deleted by the service once
// the new holders' versions are active (docs/protocols.md "Refresh activation").
//
// Refresh is the special case "receivers = dealers", renumbered 1..n' in old-index order (with
// `exclude`, the recovery path after a ban; DKLs23's refresh does the same, protocols/dkls23/
// refresh.ts): createFrostRefreshReshare below. Unlike refresh.ts (ZF's zero-constant refresh,
// which keeps indices and needs every party), it can leave parties out and change t and n.
//
// What this is not: a proof that the NEW parties' shares were erased by the old ones; nothing can
// prove that (Herzberg et al. 1995 assume erasure). Old dealers learn nothing about the new shares
// beyond their own sub-shares, so t_new − 1 colluders among the receivers plus any number of
// dealers that are not receivers learn nothing of the secret they did not already know.
import type { Envelope } from '../core/envelope.ts';
import { BROADCAST } from '../core/envelope.ts';
import { ProtocolError } from '../core/errors.ts';
import { bytesToHex, concatBytes, equalBytes, u32, utf8ToBytes } from '../core/bytes.ts';
import { LABELS } from '../core/labels.ts';
import type { Rng, Session } from '../core/session.ts';
import { Reader, fromHex, scalarHex } from './codec.ts';
import { checkConfirmations, checkEchoes, echoPayload, taggedHash, DIGEST_BYTES } from './agreement.ts';
import { FrostMachine, checkMachineState, checkSessionInputs, type MachineState, type Progress } from './machine.ts';
import { checkThreshold, makeKeyShare, parseKeyShare, parsePublicPackage, publicPackageDigest, rememberPublicPart, type FrostKeyShare } from './share.ts';
import { frostSuite, type FrostSuite, type FrostSuiteName, type Point } from './suite.ts';
import {
  checkOwnNewShare,
  checkReshareMembers,
  lagrangeAtZero as lagrangeCore,
  normalizeMembers,
  reshareNewPublicPart,
  reshareOutputFromJSON,
  reshareOutputToJSON,
  type ReshareMember,
  type ReshareOutput,
} from '../core/reshare.ts';
import { evalCommitment, evalPolynomial, randomScalar, verifyFeldman } from './vss.ts';

/** The public part of the old key: a key share without its secret and its index. */
export type FrostPublicKeyPackage = Omit<FrostKeyShare, 'signingShare' | 'index'>;

export type { ReshareMember } from '../core/reshare.ts';

/** The public key, the transcript hash and the new share (null for a dealer that does not hold the new key). */
export type FrostReshareOutput = ReshareOutput<FrostKeyShare>;

type ReshareState = MachineState & {
  type: 'frost-reshare';
  /** The old key's public package (a dealer's old share itself is not kept: its coefficients hold λ_i·x_i). */
  oldKey: FrostPublicKeyPackage;
  members: ReshareMember[];
  tNew: number;
  context: string;
  setup: string;
  /** Coefficients a_0..a_{t_new−1} of our polynomial (dealers); dropped once round 2 is sent. */
  coefficients: string[] | null;
  round1: string;
  echo: string | null;
  newShare: FrostKeyShare | null;
  transcript: string | null;
};

const SHAPES = [
  { broadcast: true, p2p: false },
  { broadcast: true, p2p: true },
  { broadcast: true, p2p: false },
] as const;

export function publicPackageOf(share: FrostKeyShare): FrostPublicKeyPackage {
  const { suite, n, t, groupPublicKey, commitments, verifyingShares, transcriptHash } = share;
  return { suite, n, t, groupPublicKey, commitments: [...commitments], verifyingShares: { ...verifyingShares }, transcriptHash };
}

const parsePackage = parsePublicPackage;

/** λ_i at zero over `xs` (distinct non-zero indices): Π_{j≠i} j / (j − i) (core/reshare.ts). */
export function lagrangeAtZero(suite: FrostSuite, xs: readonly number[], i: number): bigint {
  return lagrangeCore(suite.Fn, xs, i);
}

/** Validates the roles; returns the dealers' old indices and the receivers' new indices by session index (core/reshare.ts). */
export function checkMembers(members: unknown, tOld: number, nOld: number, tNew: number): { dealers: Map<number, number>; receivers: Map<number, number> } {
  return checkReshareMembers(members, tOld, nOld, tNew, checkThreshold);
}

function setupDigest(oldKey: FrostPublicKeyPackage, members: ReshareMember[], tNew: number, context: Uint8Array): Uint8Array {
  const pkg = publicPackageDigest({ ...oldKey, index: 0, signingShare: '' }, taggedHash, LABELS.frostPublicPackage);
  return taggedHash(LABELS.frostReshareSetup, pkg, u32(tNew), ...members.map((m) => concatBytes(u32(m.old ?? 0), u32(m.new ?? 0))), context);
}

class FrostReshareSession extends FrostMachine<FrostReshareOutput, FrostKeyShare, ReshareState> {
  private readonly dealers: Map<number, number>;
  private readonly receivers: Map<number, number>;
  private oldParsed: ReturnType<typeof parsePackage> | undefined;

  constructor(state: ReshareState) {
    super(state, SHAPES);
    ({ dealers: this.dealers, receivers: this.receivers } = checkMembers(state.members, state.oldKey.t, state.oldKey.n, state.tNew));
  }

  private get old() {
    this.oldParsed ??= parsePackage(this.st.oldKey);
    return this.oldParsed;
  }

  /** λ_i·X_i for dealer party `p`: what its constant commitment must be. */
  private expectedConstant(p: number): Point {
    const o = this.dealers.get(p)!;
    return this.old.verifyingShares.get(o)!.multiplyUnsafe(lagrangeAtZero(this.suite, [...this.dealers.values()], o));
  }

  protected begin(): Envelope[] {
    return [this.envelope(1, BROADCAST, fromHex(this.st.round1))];
  }

  protected decode(round: number, p2p: boolean, from: number, payload: Uint8Array): unknown {
    const { suite } = this;
    if (round === 1) {
      const r = new Reader(suite, payload, `reshare package from ${from}`, [from]);
      const setup = r.bytesN(DIGEST_BYTES);
      if (!equalBytes(setup, fromHex(this.st.setup)))
        throw new ProtocolError('bad-parameters', `party ${from} reshares another key version, to other parties or threshold, or in another context`, [from]);
      if (!this.dealers.has(from)) {
        r.end();
        return { commitment: null };
      }
      const commitment: Point[] = [];
      for (let k = 0; k < this.st.tNew; k++) commitment.push(r.point(`commitment ${k}`));
      r.end();
      if (!commitment[0]!.equals(this.expectedConstant(from)))
        throw new ProtocolError(
          'invalid-commitment',
          `party ${from} (old holder ${this.dealers.get(from)}) dealt a constant other than its Lagrange-weighted old share`,
          [from],
        );
      return { commitment };
    }
    const r = new Reader(suite, payload, round === 2 ? (p2p ? `sub-share from ${from}` : `echo from ${from}`) : `confirmation from ${from}`, [from]);
    if (round === 2 && p2p) {
      if (!this.dealers.has(from) || !this.receivers.has(this.self)) {
        r.end();
        return null;
      }
      const s = r.scalar('f(j)');
      r.end();
      return s;
    }
    const out = r.bytesN(round === 2 ? this.st.parties.length * DIGEST_BYTES : DIGEST_BYTES);
    r.end();
    return out;
  }

  private coefficients(): bigint[] {
    return this.st.coefficients!.map((c) => this.suite.Fn.fromBytes(fromHex(c)));
  }

  private commitmentOf(p: number): Point[] {
    if (p !== this.self) return this.message<{ commitment: Point[] }>(1, false, p).commitment;
    return this.coefficients().map((a) => this.suite.Point.BASE.multiply(a));
  }

  private round1Of(p: number): Uint8Array {
    return p === this.self ? fromHex(this.st.round1) : this.raw(1, false, p);
  }

  protected complete(round: number): Progress<FrostReshareOutput, FrostKeyShare> {
    if (round === 1) return this.sendShares();
    if (round === 2) return this.deriveShare();
    return this.confirm();
  }

  private sendShares(): Progress<FrostReshareOutput, FrostKeyShare> {
    const echo = echoPayload(this.protocol, this.sessionId, this.st.parties, (p) => this.round1Of(p));
    this.st.echo = bytesToHex(echo);
    const messages = [this.envelope(2, BROADCAST, echo)];
    const dealing = this.dealers.has(this.self);
    const coefficients = dealing ? this.coefficients() : [];
    for (const j of this.others) {
      const idx = this.receivers.get(j);
      messages.push(
        this.envelope(2, j, dealing && idx !== undefined ? this.suite.Fn.toBytes(evalPolynomial(this.suite, coefficients, BigInt(idx))) : new Uint8Array(0)),
      );
    }
    return { messages };
  }

  private deriveShare(): Progress<FrostReshareOutput, FrostKeyShare> {
    const { suite } = this;
    const { Fn } = suite;
    checkEchoes(this.self, this.st.parties, fromHex(this.st.echo!), (j) => this.message<Uint8Array>(2, false, j));
    const myIndex = this.receivers.get(this.self);
    const dealerParties = [...this.dealers.keys()];
    let s = Fn.ZERO;
    if (myIndex !== undefined) {
      const culprits = dealerParties.filter((i) => i !== this.self && !verifyFeldman(suite, this.commitmentOf(i), myIndex, this.message<bigint>(2, true, i)));
      if (culprits.length) throw new ProtocolError('invalid-share', "sub-share does not match its dealer's commitment", culprits);
      for (const i of dealerParties)
        s = Fn.add(s, i === this.self ? evalPolynomial(suite, this.coefficients(), BigInt(myIndex)) : this.message<bigint>(2, true, i));
    }
    const groupPublicKey = this.old.groupPublicKey;
    const nNew = this.receivers.size;
    // Σ λ_i·X_i = the group key (every constant was checked on arrival): core/reshare.ts.
    const { commitment: sum, verificationShares: shares } = reshareNewPublicPart({
      zero: suite.Point.ZERO,
      dealings: dealerParties.map((i) => this.commitmentOf(i)),
      tNew: this.st.tNew,
      nNew,
      isOldKey: (c) => equalBytes(c.toBytes(), groupPublicKey),
      evalCommitment: (c, x) => evalCommitment(suite, c, x),
      names: { key: 'group public key', share: 'verifying' },
    });
    const verifyingShares = new Map(shares.map((p, k) => [k + 1, p] as const));
    const transcript = taggedHash(
      LABELS.frostReshareTranscript,
      utf8ToBytes(this.protocol),
      this.sessionId,
      fromHex(this.st.setup),
      ...this.st.parties.map((p) => this.round1Of(p)),
      ...[...verifyingShares.values()].map((p) => p.toBytes()),
    );
    this.st.transcript = bytesToHex(transcript);
    this.st.coefficients = null;
    if (myIndex === undefined) return { messages: [this.envelope(3, BROADCAST, transcript)] };
    checkOwnNewShare(suite.Point.BASE, s, verifyingShares.get(myIndex)!);
    const fresh = makeKeyShare(suite, myIndex, nNew, this.st.tNew, s, sum, transcript);
    rememberPublicPart(fresh, { groupPublicKey, commitments: sum, verifyingShares });
    this.st.newShare = fresh;
    return { messages: [this.envelope(3, BROADCAST, transcript)], durable: { share: fresh } };
  }

  private confirm(): Progress<FrostReshareOutput, FrostKeyShare> {
    const mine = fromHex(this.st.transcript!);
    checkConfirmations(this.self, this.st.parties, mine, (j) => this.message<Uint8Array>(3, false, j));
    return { messages: [], done: { output: { publicKey: this.old.groupPublicKey, transcriptHash: mine, share: this.st.newShare } } };
  }

  protected outputToJSON(o: FrostReshareOutput): unknown {
    return reshareOutputToJSON(o);
  }

  protected outputFromJSON(j: unknown): FrostReshareOutput {
    return reshareOutputFromJSON<FrostKeyShare>(j);
  }

  protected wipe(): void {
    this.st.coefficients = null;
    this.st.newShare = null;
  }
}

/**
 * A reshare session. `self` is this party's session index (1..members.length); `share` is its old
 * share when it deals (members[self−1].old), absent otherwise; `oldKey` the old key's public
 * package (from the old share for old holders; from the key's record for a new party, whose view
 * every dealer's setup digest must match).
 */
export function createFrostReshare(o: {
  suite: FrostSuiteName;
  sessionId: Uint8Array;
  self: number;
  oldKey: FrostPublicKeyPackage;
  share?: FrostKeyShare;
  members: ReshareMember[];
  tNew: number;
  context: Uint8Array;
  rng: Rng;
  /** The protocol name's last part: 'reshare', or 'refresh' when run as the service's refresh (createFrostRefreshReshare). */
  purpose?: 'reshare' | 'refresh';
}): Session<FrostReshareOutput, FrostKeyShare> {
  checkSessionInputs(o);
  if (!(o.context instanceof Uint8Array)) throw new ProtocolError('bad-parameters', 'context must be bytes');
  const suite = frostSuite(o.suite);
  if (o.oldKey?.suite !== o.suite) throw new ProtocolError('bad-parameters', `old key is for ${String(o.oldKey?.suite)}, not ${o.suite}`);
  const old = parsePackage(o.oldKey);
  const { dealers } = checkMembers(o.members, old.t, old.n, o.tNew);
  if (!Number.isInteger(o.self) || o.self < 1 || o.self > o.members.length) throw new ProtocolError('bad-parameters', `self must be 1..${o.members.length}`);
  const oldIndex = dealers.get(o.self);
  let coefficients: bigint[] | null = null;
  if (oldIndex !== undefined) {
    if (!o.share) throw new ProtocolError('bad-parameters', `party ${o.self} deals as old holder ${oldIndex} but has no share`);
    const mine = parseKeyShare(o.share);
    if (mine.index !== oldIndex) throw new ProtocolError('bad-parameters', `share belongs to old holder ${mine.index}, not ${oldIndex}`);
    const same = publicPackageDigest(o.share, taggedHash, LABELS.frostPublicPackage);
    if (!equalBytes(same, publicPackageDigest({ ...o.oldKey, index: 0, signingShare: '' }, taggedHash, LABELS.frostPublicPackage)))
      throw new ProtocolError('bad-parameters', 'the share is not of the old key version being reshared');
    const constant = suite.Fn.mul(lagrangeAtZero(suite, [...dealers.values()], oldIndex), mine.signingShare);
    coefficients = [constant, ...Array.from({ length: o.tNew - 1 }, () => randomScalar(suite, o.rng))];
  } else if (o.share !== undefined) throw new ProtocolError('bad-parameters', `party ${o.self} does not deal but was given a share`);
  const setup = setupDigest(o.oldKey, o.members, o.tNew, o.context);
  const round1 = concatBytes(setup, ...(coefficients ?? []).map((a) => suite.Point.BASE.multiply(a).toBytes()));
  const state: ReshareState = {
    v: 1,
    type: 'frost-reshare',
    suite: o.suite,
    protocol: `${suite.prefix}/${o.purpose === 'refresh' ? 'refresh' : 'reshare'}`,
    sessionId: bytesToHex(o.sessionId),
    self: o.self,
    parties: o.members.map((_, k) => k + 1),
    started: false,
    round: 1,
    inbox: {},
    outcome: null,
    oldKey: JSON.parse(JSON.stringify(o.oldKey)) as FrostPublicKeyPackage,
    members: normalizeMembers(o.members),
    tNew: o.tNew,
    context: bytesToHex(o.context),
    setup: bytesToHex(setup),
    coefficients: coefficients?.map((a) => scalarHex(suite, a)) ?? null,
    round1: bytesToHex(round1),
    echo: null,
    newShare: null,
    transcript: null,
  };
  return new FrostReshareSession(state);
}

/**
 * The old indices that take part in a refresh of a t-of-n key leaving out `exclude` (old indices),
 * ascending, as protocols/dkls23/refresh.ts refreshMembers; `self` (old index) must stay.
 */
export function frostRefreshMembers(o: { n: number; t: number; self: number; exclude: readonly number[] }): number[] {
  const { n, t, self, exclude } = o;
  if (!Array.isArray(exclude)) throw new ProtocolError('bad-parameters', 'exclude must be a list of party indices');
  const left = new Set<number>();
  for (const x of exclude as readonly number[]) {
    if (!Number.isInteger(x) || x < 1 || x > n) throw new ProtocolError('bad-parameters', `cannot leave out party ${String(x)}: not an index 1..${n}`);
    if (left.has(x)) throw new ProtocolError('bad-parameters', `party ${x} is left out twice`);
    if (x === self) throw new ProtocolError('bad-parameters', `party ${x} cannot refresh while leaving itself out`);
    left.add(x);
  }
  const members = Array.from({ length: n }, (_, k) => k + 1).filter((p) => !left.has(p));
  if (members.length < t)
    throw new ProtocolError('bad-parameters', `leaving out ${[...left].join(', ')} leaves ${members.length} parties, fewer than the threshold ${t}`);
  return members;
}

/**
 * Refresh as a reshare onto the same holders (receivers = dealers), the service's FROST refresh:
 * all n parties, or those not in `exclude` (old indices), renumbered 1..n' in ascending old-index
 * order; `self` is this party's NEW index. t is unchanged.
 */
export function createFrostRefreshReshare(o: {
  suite: FrostSuiteName;
  sessionId: Uint8Array;
  self: number;
  share: FrostKeyShare;
  context: Uint8Array;
  rng: Rng;
  exclude?: number[];
}): Session<FrostReshareOutput, FrostKeyShare> {
  const old = parseKeyShare(o.share);
  const kept = frostRefreshMembers({ n: old.n, t: old.t, self: old.index, exclude: o.exclude ?? [] });
  const self = kept.indexOf(old.index) + 1;
  if (self !== o.self) throw new ProtocolError('bad-parameters', `share of old party ${old.index} takes part as party ${self}, not ${o.self}`);
  return createFrostReshare({
    suite: o.suite,
    sessionId: o.sessionId,
    self,
    oldKey: publicPackageOf(o.share),
    share: o.share,
    members: kept.map((i, k) => ({ old: i, new: k + 1 })),
    tNew: old.t,
    context: o.context,
    rng: o.rng,
    // The coordinator relays it as `${key protocol}/refresh`, like DKLs23's. ZF's zero-constant
    // refresh (refresh.ts) has the same name but is not run by the service.
    purpose: 'refresh',
  });
}

/** Rebuilds a reshare session from toJSON(). All randomness was drawn at creation; rng is unused. */
export function restoreFrostReshare(json: unknown, rng: Rng): Session<FrostReshareOutput, FrostKeyShare> {
  void rng;
  const s = checkMachineState(json, 'frost-reshare') as ReshareState;
  if (typeof s.round1 !== 'string' || typeof s.setup !== 'string' || typeof s.context !== 'string' || !Number.isInteger(s.tNew))
    throw new ProtocolError('malformed', 'snapshot: bad reshare fields');
  if (s.outcome === null) parsePackage(s.oldKey);
  return new FrostReshareSession(JSON.parse(JSON.stringify(s)) as ReshareState);
}
