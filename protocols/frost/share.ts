// The key share a party keeps after a DKG or refresh: JSON-safe (hex strings), self-contained
// (suite, threshold, the summed VSS commitment and every verifying share), and checked in full
// whenever a session is built on it, since it comes back from storage.
import { ProtocolError } from '../core/errors.ts';
import { sha512 } from '@noble/hashes/sha2.js';
import { bytesToHex, equalBytes, utf8ToBytes } from '../core/bytes.ts';
import { LABELS } from '../core/labels.ts';
import { decodePoint, decodeScalar, fromHex } from './codec.ts';
import { taggedHash } from './agreement.ts';
import { evalCommitment } from './vss.ts';
import { frostSuite, isFrostSuiteName, keySuiteOf, type FrostSuite, type FrostSuiteName, type Point } from './suite.ts';

export type FrostKeyShare = {
  suite: FrostSuiteName;
  /** This party's index, 1..n; its noble identifier is Identifier.fromNumber(index). */
  index: number;
  n: number;
  t: number;
  /** hex scalar s_i. */
  signingShare: string;
  /** hex element, = commitments[0]. */
  groupPublicKey: string;
  /** hex elements: the summed VSS commitment, [0] = group key (RFC 9591 Appendix C.2). */
  commitments: string[];
  /** index (decimal string) → hex element s_j·G, for every party 1..n. */
  verifyingShares: Record<string, string>;
  /** hex transcript hash of the DKG or refresh that produced this share. */
  transcriptHash: string;
};

/** The share with everything decoded; only built by parseKeyShare, so always consistent. */
export type ParsedKeyShare = {
  suite: FrostSuite;
  index: number;
  n: number;
  t: number;
  signingShare: bigint;
  groupPublicKey: Uint8Array;
  commitments: Point[];
  verifyingShares: Map<number, Point>;
};

export const MIN_THRESHOLD = 2;
/** Tutti runs FROST among at most 10 parties. */
export const MAX_FROST_PARTIES = 10;
export const TRANSCRIPT_HASH_BYTES = 64;

/** Throws 'bad-parameters' unless 2 ≤ t ≤ n ≤ MAX_FROST_PARTIES (ZF validate_num_of_signers). */
export function checkThreshold(t: number, n: number): void {
  if (!Number.isInteger(t) || !Number.isInteger(n) || t < MIN_THRESHOLD || t > n || n > MAX_FROST_PARTIES)
    throw new ProtocolError('bad-parameters', `need 2 <= t <= n <= ${MAX_FROST_PARTIES}, got t=${t} n=${n}`);
}

export function identifier(suite: FrostSuite, index: number): string {
  return suite.frost.Identifier.fromNumber(index);
}

function bad(why: string): never {
  throw new ProtocolError('bad-parameters', `key share: ${why}`);
}

/** Decodes and cross-checks a stored share; any inconsistency is 'bad-parameters'. */
export function parseKeyShare(share: FrostKeyShare): ParsedKeyShare {
  if (typeof share !== 'object' || share === null) bad('not an object');
  if (!isFrostSuiteName(share.suite)) bad(`unknown suite '${String(share.suite)}'`);
  const suite = frostSuite(share.suite);
  const { index, n, t } = share;
  checkThreshold(t, n);
  if (!Number.isInteger(index) || index < 1 || index > n) bad(`index ${index} outside 1..${n}`);
  const wrap = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      return bad(e instanceof Error ? e.message : String(e));
    }
  };
  const signingShare = wrap(() => decodeScalar(suite, fromHex(share.signingShare), 'signing share'));
  const { groupPublicKey, commitments, verifyingShares } = parsePublicPart(share, suite);
  if (suite.Fn.is0(signingShare)) bad('signing share is zero');
  // s_i·G == PK_i: a constant-time base multiplication, once per process and share version.
  const matchKey = shareMatchKey(share);
  if (matchKey === undefined || !MATCHED.has(matchKey)) {
    if (!suite.Point.BASE.multiply(signingShare).equals(verifyingShares.get(index)!)) bad('signing share does not match its verifying share');
    if (matchKey !== undefined) rememberMatch(matchKey);
  }
  wrap(() => {
    if (fromHex(share.transcriptHash).length !== TRANSCRIPT_HASH_BYTES) throw new Error('bad transcript hash length');
  });
  return { suite, index, n, t, signingShare, groupPublicKey, commitments, verifyingShares };
}

type PublicPart = { groupPublicKey: Uint8Array; commitments: Point[]; verifyingShares: Map<number, Point> };

/**
 * The prepared public packages of the keys this process uses, keyed by the public package digest
 * (suite, t, n, commitments, verifying shares, transcript hash; SHA-512, so equal digests mean
 * equal packages) and the group key. Public values only. Checking a package costs t + n subgroup checks (one
 * scalar multiplication each) and is the same every time, so it is done once per process and
 * key version: when the DKG or refresh produces it (rememberPublicPart) or when a share is first
 * loaded (parseKeyShare). Bounded; the oldest entry goes first.
 */
const PREPARED = new Map<string, PublicPart>();
const PREPARED_MAX = 1024;

/**
 * The cache key: the public package digest, plus the group key field, which the digest leaves out
 * (it is commitments[0]) but a stored share carries separately, so every field parsePublicPart
 * checks is in the key. Undefined if the fields are not well-formed (nothing is cached then).
 */
function packageKey(share: FrostKeyShare): string | undefined {
  try {
    if (typeof share.groupPublicKey !== 'string') return undefined;
    return `${bytesToHex(publicPackageDigest(share, taggedHash, LABELS.frostPublicPackage))}:${share.groupPublicKey}`;
  } catch {
    return undefined;
  }
}

function remember(key: string, part: PublicPart): void {
  if (PREPARED.has(key)) PREPARED.delete(key);
  else if (PREPARED.size >= PREPARED_MAX) PREPARED.delete(PREPARED.keys().next().value!);
  PREPARED.set(key, part);
}

/**
 * Shares whose signing share s_i was found to match the verifying share PK_i = s_i·G of their
 * package, by a key made of the package key, the index and SHA-512 of s_i (the set holds no
 * secret). Bounded; the oldest entry goes first.
 */
const MATCHED = new Set<string>();

function shareMatchKey(share: FrostKeyShare): string | undefined {
  const pkg = packageKey(share);
  if (pkg === undefined || typeof share.signingShare !== 'string') return undefined;
  return `${pkg}:${share.index}:${bytesToHex(sha512(utf8ToBytes(share.signingShare)))}`;
}

function rememberMatch(key: string): void {
  if (MATCHED.size >= PREPARED_MAX) MATCHED.delete(MATCHED.values().next().value!);
  MATCHED.add(key);
}

/**
 * Records the public part of a share that this process has just derived itself (DKG round 3,
 * refresh), from points that were validated on arrival and combined with group operations, and
 * whose signing share the derivation checked against its verifying share: the next parseKeyShare
 * of that share finds it ready instead of validating every point again.
 */
export function rememberPublicPart(share: FrostKeyShare, part: PublicPart): void {
  const key = packageKey(share);
  if (key) remember(key, { groupPublicKey: part.groupPublicKey, commitments: [...part.commitments], verifyingShares: new Map(part.verifyingShares) });
  const match = shareMatchKey(share);
  if (match) rememberMatch(match);
}

/**
 * Decodes and cross-checks the public part of a key (no secret, no index): what a party that
 * holds no share yet is given of the key it is to receive a share of (reshare.ts).
 */
export function parsePublicPackage(pkg: Omit<FrostKeyShare, 'signingShare' | 'index'>): PublicPart & { suite: FrostSuite; n: number; t: number } {
  if (typeof pkg !== 'object' || pkg === null) bad('not an object');
  if (!isFrostSuiteName(pkg.suite)) bad(`unknown suite '${String(pkg.suite)}'`);
  const suite = frostSuite(pkg.suite);
  checkThreshold(pkg.t, pkg.n);
  if (typeof pkg.transcriptHash !== 'string' || fromHex(pkg.transcriptHash).length !== TRANSCRIPT_HASH_BYTES) bad('bad transcript hash');
  return { suite, n: pkg.n, t: pkg.t, ...parsePublicPart({ ...pkg, index: 0, signingShare: '' }, suite) };
}

function parsePublicPart(share: FrostKeyShare, suite: FrostSuite): PublicPart {
  const { n, t } = share;
  if (!Array.isArray(share.commitments) || share.commitments.length !== t) bad(`expected ${t} commitments`);
  if (typeof share.verifyingShares !== 'object' || share.verifyingShares === null) bad('no verifying shares');
  const keys = Object.keys(share.verifyingShares);
  if (keys.length !== n) bad(`expected ${n} verifying shares`);
  const vsHex: string[] = [];
  for (let j = 1; j <= n; j++) {
    const h = share.verifyingShares[String(j)];
    if (typeof h !== 'string') bad(`missing verifying share ${j}`);
    vsHex.push(h);
  }
  const memoKey = packageKey(share);
  const known = memoKey === undefined ? undefined : PREPARED.get(memoKey);
  if (known) return known;
  const wrap = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      return bad(e instanceof Error ? e.message : String(e));
    }
  };
  const commitments = wrap(() => share.commitments.map((c, k) => decodePoint(suite, fromHex(c), `commitment ${k}`)));
  const groupPublicKey = wrap(() => fromHex(share.groupPublicKey, 'group public key'));
  if (!equalBytes(groupPublicKey, commitments[0]!.toBytes())) bad('group public key is not commitments[0]');
  const verifyingShares = new Map<number, Point>();
  vsHex.forEach((h, k) => {
    const j = k + 1;
    const p = wrap(() => decodePoint(suite, fromHex(h), `verifying share ${j}`));
    // Each verifying share must be f(j)·G of the committed polynomial (Appendix C.2).
    if (!p.equals(evalCommitment(suite, commitments, BigInt(j)))) bad(`verifying share ${j} does not match the commitments`);
    verifyingShares.set(j, p);
  });
  const part = { groupPublicKey, commitments, verifyingShares };
  if (memoKey !== undefined) remember(memoKey, part);
  return part;
}

/** Builds a share from its secret scalar and the summed commitment (refresh; DKG uses noble's output). */
export function makeKeyShare(
  suite: FrostSuite,
  index: number,
  n: number,
  t: number,
  signingShare: bigint,
  commitments: readonly Point[],
  transcriptHash: Uint8Array,
): FrostKeyShare {
  const verifyingShares: Record<string, string> = {};
  for (let j = 1; j <= n; j++) verifyingShares[String(j)] = bytesToHex(evalCommitment(suite, commitments, BigInt(j)).toBytes());
  return {
    suite: keySuiteOf(suite.name),
    index,
    n,
    t,
    signingShare: bytesToHex(suite.Fn.toBytes(signingShare)),
    groupPublicKey: bytesToHex(commitments[0]!.toBytes()),
    commitments: commitments.map((c) => bytesToHex(c.toBytes())),
    verifyingShares,
    transcriptHash: bytesToHex(transcriptHash),
  };
}

/** noble's public package (FrostPublic) for this share: identifiers are Identifier.fromNumber(j). */
export function toNoblePublic(share: FrostKeyShare) {
  const suite = frostSuite(share.suite);
  const verifyingShares: Record<string, Uint8Array> = {};
  for (let j = 1; j <= share.n; j++) verifyingShares[identifier(suite, j)] = fromHex(share.verifyingShares[String(j)]!);
  return { signers: { min: share.t, max: share.n }, commitments: share.commitments.map((c) => fromHex(c)), verifyingShares };
}

/** noble's secret package (FrostSecret) for this share. */
export function toNobleSecret(share: FrostKeyShare) {
  return { identifier: identifier(frostSuite(share.suite), share.index), signingShare: fromHex(share.signingShare) };
}

/**
 * Digest of the public part of a key (suite, t, n, commitments, verifying shares, transcript).
 * Refresh carries it in round 1 so that parties holding different versions of the key (say, one
 * missed an earlier refresh) stop before exchanging anything secret.
 */
export function publicPackageDigest(share: FrostKeyShare, hash: (label: string, ...parts: Uint8Array[]) => Uint8Array, label: string): Uint8Array {
  const vs: Uint8Array[] = [];
  for (let j = 1; j <= share.n; j++) vs.push(fromHex(share.verifyingShares[String(j)] ?? ''));
  return hash(
    label,
    new TextEncoder().encode(share.suite),
    Uint8Array.of(share.t, share.n),
    ...share.commitments.map((c) => fromHex(c)),
    ...vs,
    fromHex(share.transcriptHash),
  );
}
