// The DKLs23 key share a party keeps after the DKG (research notes §1.5 "Stored key share"):
// JSON-safe (lowercase hex), self-contained, and checked in full whenever a session is built on
// it, since it comes back from storage. Per counterpart it holds the OT-extension seeds of both
// directions and the zero-sharing seed (≈65 KB of secrets per counterpart).
import { ProtocolError } from '../core/errors.ts';
import { equalBytes } from '../core/bytes.ts';
import { decodePoint, decodeScalar, fromHex } from './codec.ts';
import { dklsCurve, isDklsCurveName, type DklsCurve, type DklsCurveName, type Point } from './curve.ts';
import { evalCommitment } from './feldman.ts';
import { mulBase } from './scalar-mul.ts';
import type { OteSenderSeeds } from './softspoken.ts';
import { MAX_PARTIES, OTE_BLOCKS, SEED_BYTES, SOFTSPOKEN_Q } from './params.ts';

export type DklsPeerMaterial = {
  /** seed_ij of the zero-sharing (32 bytes). */
  zeroSeed: string;
  /** All 16 seeds per block: this party is the VOLE receiver ("Bob") toward the peer. */
  voleReceiverSeeds: string;
  /** Δ digits (64 bytes, each < 16): this party is the VOLE sender ("Alice") toward the peer. */
  voleSenderDelta: string;
  /** The punctured seeds that go with Δ (the seed at Δ_j is zeros). */
  voleSenderSeeds: string;
};

export type DklsKeyShare = {
  curve: DklsCurveName;
  /** This party's index, 1..n; also its evaluation point. */
  index: number;
  n: number;
  t: number;
  /** s_i, hex scalar. */
  secretShare: string;
  /** Compressed public key = commitments[0]. */
  publicKey: string;
  /** The joint Feldman commitment F (t compressed points). */
  commitments: string[];
  /** j (decimal) → S_j = F(j), for every party 1..n. */
  verificationShares: Record<string, string>;
  /** The DKG's final session id: every signing session binds to it (TOB-SILA-10). */
  dkgSessionId: string;
  /** The confirmed DKG transcript hash. */
  transcriptHash: string;
  /** j (decimal) → OT and zero-sharing material with party j, for every j ≠ index; empty in a dealer-only share. */
  peers: Record<string, DklsPeerMaterial>;
  /**
   * Set on a share restored from a backup (protocols/backup/share-backup.ts): the scalar and the
   * key's public part, but no OT material (a backup leaves out the pairwise seeds, bound to the old
   * peers, and none is invented). It deals in a reshare (reshare.ts, as a stand-in for the holder
   * it was backed up from) and nothing else: parseKeyShare refuses it, so it never signs, presigns
   * or refreshes. The reshare gives its holder a full share with fresh OT setup.
   */
  dealerOnly?: true;
};

export type ParsedPeer = { zeroSeed: Uint8Array; voleReceiverSeeds: Uint8Array; voleSender: OteSenderSeeds };

export type ParsedKeyShare = {
  curve: DklsCurve;
  index: number;
  n: number;
  t: number;
  secretShare: bigint;
  publicKey: Point;
  commitments: Point[];
  verificationShares: Map<number, Point>;
  dkgSessionId: Uint8Array;
  transcriptHash: Uint8Array;
  peers: Map<number, ParsedPeer>;
};

const SEEDS_BYTES = OTE_BLOCKS * SOFTSPOKEN_Q * SEED_BYTES;

export function checkThreshold(t: number, n: number): void {
  if (!Number.isInteger(t) || !Number.isInteger(n) || t < 2 || t > n || n > MAX_PARTIES)
    throw new ProtocolError('bad-parameters', `need 2 <= t <= n <= ${MAX_PARTIES}, got t=${t} n=${n}`);
}

function bad(why: string): never {
  throw new ProtocolError('bad-parameters', `key share: ${why}`);
}

function wrap<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    return bad(e instanceof Error ? e.message : String(e));
  }
}

function hexOf(h: unknown, bytes: number, what: string): Uint8Array {
  const b = wrap(() => fromHex(h as string, what));
  if (b.length !== bytes) bad(`${what}: expected ${bytes} bytes`);
  return b;
}

type PublicPart = { publicKey: Point; commitments: Point[]; verificationShares: Map<number, Point> };
/** Public parts already checked (pure memo of public values: the check costs O(n·t) multiplications). */
const CHECKED = new Map<string, PublicPart>();

/** The public part of a key (threshold, commitments, verification shares = F(j), key = F(0)), checked; 'bad-parameters' otherwise. */
export function parsePublicPart(curve: DklsCurve, share: Pick<DklsKeyShare, 'n' | 't' | 'publicKey' | 'commitments' | 'verificationShares'>): PublicPart {
  return parsePublic(curve, share);
}

function parsePublic(curve: DklsCurve, share: Pick<DklsKeyShare, 'n' | 't' | 'publicKey' | 'commitments' | 'verificationShares'>): PublicPart {
  const { n, t } = share;
  if (!Array.isArray(share.commitments) || share.commitments.length !== t) bad(`expected ${t} commitments`);
  if (typeof share.verificationShares !== 'object' || share.verificationShares === null || Object.keys(share.verificationShares).length !== n)
    bad(`expected ${n} verification shares`);
  const key = JSON.stringify([curve.name, n, t, share.publicKey, share.commitments, share.verificationShares]);
  const known = CHECKED.get(key);
  if (known) return known;
  const commitments = share.commitments.map((c, k) => wrap(() => decodePoint(curve, fromHex(c), `commitment ${k}`)));
  const publicKey = commitments[0]!;
  if (!equalBytes(hexOf(share.publicKey, 33, 'public key'), publicKey.toBytes(true))) bad('public key is not commitments[0]');
  const verificationShares = new Map<number, Point>();
  for (let j = 1; j <= n; j++) {
    const h = share.verificationShares[String(j)];
    const S = wrap(() => decodePoint(curve, fromHex(h as string), `verification share ${j}`));
    if (!S.equals(evalCommitment(curve, commitments, BigInt(j)))) bad(`verification share ${j} does not match the commitments`);
    verificationShares.set(j, S);
  }
  const part = { publicKey, commitments, verificationShares };
  if (CHECKED.size >= 256) CHECKED.delete(CHECKED.keys().next().value!);
  CHECKED.set(key, part);
  return part;
}

/**
 * Shares parsed before, by object: only frozen shares (the party's share store hands out deep-
 * frozen ones, kept while they are the key's active share), which cannot have changed since they
 * were checked. Each call gets its own copy of the byte arrays, so no session can disturb another's.
 */
const PARSED = new WeakMap<DklsKeyShare, ParsedKeyShare>();

function copyParsed(p: ParsedKeyShare): ParsedKeyShare {
  const peers = new Map<number, ParsedPeer>();
  for (const [j, m] of p.peers) {
    peers.set(j, {
      zeroSeed: m.zeroSeed.slice(),
      voleReceiverSeeds: m.voleReceiverSeeds.slice(),
      voleSender: { delta: m.voleSender.delta.slice(), seeds: m.voleSender.seeds.slice() },
    });
  }
  return {
    ...p,
    commitments: [...p.commitments],
    verificationShares: new Map(p.verificationShares),
    dkgSessionId: p.dkgSessionId.slice(),
    transcriptHash: p.transcriptHash.slice(),
    peers,
  };
}

/**
 * Decodes and cross-checks a stored share; any inconsistency is 'bad-parameters'. A frozen share
 * is checked once per process (≈ 2.5 ms for a 2-of-3 secp256k1 share: the OT seeds' hex and the
 * secret share's multiplication) and copied from then on.
 */
export function parseKeyShare(share: DklsKeyShare): ParsedKeyShare {
  if (isDealerOnlyShare(share))
    bad('restored from a backup without OT material: it only deals in a reshare (ReshareKey), which gives its holder a signing share');
  const known = typeof share === 'object' && share !== null ? PARSED.get(share) : undefined;
  if (known) return copyParsed(known);
  const parsed = parseKeyShareOnce(share);
  if (Object.isFrozen(share) && Object.isFrozen(share.peers)) PARSED.set(share, copyParsed(parsed));
  return parsed;
}

/** A share restored from a backup, which only deals in a reshare (DklsKeyShare.dealerOnly). */
export function isDealerOnlyShare(share: unknown): boolean {
  return typeof share === 'object' && share !== null && (share as { dealerOnly?: unknown }).dealerOnly !== undefined;
}

/** What a reshare dealer needs of a share: everything but the OT material. */
export type ParsedDealerShare = Omit<ParsedKeyShare, 'peers'>;

/**
 * The part of a share a reshare dealer uses (its scalar, checked against its verification share,
 * and the key's public part), of a full share or of a dealer-only one restored from a backup,
 * which must hold no OT material at all. 'bad-parameters' otherwise.
 */
export function parseDealerShare(share: DklsKeyShare): ParsedDealerShare {
  if (!isDealerOnlyShare(share)) {
    const { peers: _peers, ...rest } = parseKeyShare(share);
    return rest;
  }
  if (share.dealerOnly !== true) bad('dealerOnly must be true');
  if (typeof share.peers !== 'object' || share.peers === null || Object.keys(share.peers).length !== 0) bad('a dealer-only share holds no OT material');
  return parseScalarAndPublic(share);
}

function parseScalarAndPublic(share: DklsKeyShare): ParsedDealerShare {
  if (typeof share !== 'object' || share === null) bad('not an object');
  if (!isDklsCurveName(share.curve)) bad(`unknown curve '${String(share.curve)}'`);
  const curve = dklsCurve(share.curve);
  const { index, n, t } = share;
  checkThreshold(t, n);
  if (!Number.isInteger(index) || index < 1 || index > n) bad(`index ${index} outside 1..${n}`);
  const { publicKey, commitments, verificationShares } = parsePublic(curve, share);
  const secretShare = wrap(() => decodeScalar(curve, fromHex(share.secretShare), 'secret share'));
  if (secretShare === 0n || !mulBase(curve, secretShare).equals(verificationShares.get(index)!)) bad('secret share does not match its verification share');
  const dkgSessionId = hexOf(share.dkgSessionId, 32, 'DKG session id');
  const transcriptHash = hexOf(share.transcriptHash, 32, 'transcript hash');
  return { curve, index, n, t, secretShare, publicKey, commitments, verificationShares, dkgSessionId, transcriptHash };
}

function parseKeyShareOnce(share: DklsKeyShare): ParsedKeyShare {
  const { curve, index, n, t, secretShare, publicKey, commitments, verificationShares, dkgSessionId, transcriptHash } = parseScalarAndPublic(share);
  if (typeof share.peers !== 'object' || share.peers === null || Object.keys(share.peers).length !== n - 1) bad(`expected ${n - 1} peers`);
  const peers = new Map<number, ParsedPeer>();
  for (let j = 1; j <= n; j++) {
    if (j === index) continue;
    const m = share.peers[String(j)];
    if (!m) bad(`no OT material for party ${j}`);
    const delta = hexOf(m.voleSenderDelta, OTE_BLOCKS, `Δ for ${j}`);
    if (delta.some((d) => d >= SOFTSPOKEN_Q)) bad(`Δ for ${j} has a digit above 15`);
    peers.set(j, {
      zeroSeed: hexOf(m.zeroSeed, SEED_BYTES, `zero seed for ${j}`),
      voleReceiverSeeds: hexOf(m.voleReceiverSeeds, SEEDS_BYTES, `receiver seeds for ${j}`),
      voleSender: { delta, seeds: hexOf(m.voleSenderSeeds, SEEDS_BYTES, `sender seeds for ${j}`) },
    });
  }
  return { curve, index, n, t, secretShare, publicKey, commitments, verificationShares, dkgSessionId, transcriptHash, peers };
}
