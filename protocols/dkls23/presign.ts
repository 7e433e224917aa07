// DKLs23 signing with the message-independent rounds run ahead (DKLs23 Protocol 3.6: Phases 1–3
// need no message; only Phase 4, "each party sends w_i = m·φ_i + r_x·v_i and u_i", does). A
// presignature is what a signer holds after R3 of sign.ts, run in presign mode
// (createPresignSession: protocol `dkls23-<curve>/presign`, no digest, same checks and bans):
//   R = Σ R_j (public), φ_i, u_i, v_i (secret) with Σu = k·φ, Σv = sk·φ,
// and the public images Φ_i = φ_i·G, U_i = u_i·G, V_i = v_i·G that let the aggregator name a
// signer whose online share does not match what it presigned (an attribution DKLs23's Phase 4
// does not have; SPEC.md "Presignatures").
//
// Online round (one message per signer, to the aggregator): re-randomized as Groth–Shoup
// (Eurocrypt 2022, "On the security of ECDSA with additive key derivation and presignatures",
// §1.3/§6 re-randomized presignatures): δ = H(id, pk', R, digest, tweak), R' = R + δ·G, k' = k + δ.
// With an optional additive tweak t (HD derivation), pk' = pk + t·G, sk' = sk + t:
//   u'_i = u_i + δ·φ_i,  v'_i = v_i + t·φ_i,  w_i = m·φ_i + r'_x·v'_i,
//   s = Σw / Σu' = φ·(m + r'_x·sk') / (φ·k') = (m + r'_x·sk') / k'.
// R' is fixed only once the digest and the tweak are, so an adversary that sees R ahead cannot
// pick a message/tweak pair against it (the related-key forgery of Groth–Shoup §1.2).
//
// Single use: presignatureShare empties the presignature's secret part before it returns (an
// emptied one is refused, 'nonce-reuse'); the caller makes `consumeId` durable before the share
// leaves (services: in the transaction that holds the policy decision). Two shares from one
// presignature for different digests give w − w' = (m − m')·φ_i + …: φ_i, then v_i, leak.
import { ProtocolError } from '../core/errors.ts';
import { concatBytes, equalBytes, utf8ToBytes } from '../core/bytes.ts';
import { LABELS } from '../core/labels.ts';
import type { Rng, Session } from '../core/session.ts';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { decodePoint, decodeScalar, encodePoint, fromHex } from './codec.ts';
import { dklsCurve, type DklsCurve, type DklsCurveName, type Point } from './curve.ts';
import type { DklsKeyShare } from './keyshare.ts';
import { hashToScalar, tagged } from './hash.ts';
import { createPresignSession } from './sign.ts';

/** One signer's public part of a presignature: what the aggregator checks its online share against. */
export type PresignaturePart = { index: number; Phi: string; U: string; V: string };

/** A presignature as one signer holds it (hex throughout); `secret` is null once used. */
export type DklsPresignature = {
  v: 1;
  curve: DklsCurveName;
  /** The presign session's final session id: the same at every signer, the name the coordinator uses. */
  id: string;
  /** The key it was made with (compressed), and its DKG session id: it signs for that key only (plus a tweak bound into δ). */
  publicKey: string;
  dkgSessionId: string;
  signers: number[];
  self: number;
  /** R = Σ R_j, compressed. */
  R: string;
  /** This signer's single-use id for its online share (made durable before the share leaves). */
  consumeId: string;
  secret: { phi: string; u: string; v: string } | null;
  public: PresignaturePart;
};

/** What an aggregator keeps of a presignature: public values only. */
export type PresignatureRecord = { curve: DklsCurveName; id: string; publicKey: string; signers: number[]; R: string; parts: PresignaturePart[] };

/**
 * The points of a record, decoded once when the record is made (presignatureRecord validates them
 * anyway) and kept beside it: the online round then decompresses nothing (a SEC1 decompression is
 * a square root, ≈ 0.6 ms each in noble on the team's machine; docs/benchmarks.md "Where the
 * warm-stock 26–31 ms go"). A WeakMap, so the record type stays plain JSON-able data and a record
 * from elsewhere (a test, a copy) is decoded on first use.
 */
type DecodedRecord = { R: Point; pk: Point; parts: Map<number, { Phi: Point; U: Point; V: Point }> };
const decodedRecords = new WeakMap<PresignatureRecord, DecodedRecord>();

function decodedRecord(record: PresignatureRecord): DecodedRecord {
  let d = decodedRecords.get(record);
  if (!d) {
    const c = dklsCurve(record.curve);
    const pt = (hex: string, what: string, culprits: number[] = []) => decodePoint(c, fromHex(hex), what, culprits);
    d = {
      R: pt(record.R, 'presignature R'),
      pk: publicKeyPoint(c, record.publicKey),
      parts: new Map(
        record.parts.map((p) => [
          p.index,
          {
            Phi: pt(p.Phi, `presignature part of ${p.index}`, [p.index]),
            U: pt(p.U, `presignature part of ${p.index}`, [p.index]),
            V: pt(p.V, `presignature part of ${p.index}`, [p.index]),
          },
        ]),
      ),
    };
    decodedRecords.set(record, d);
  }
  return d;
}

/**
 * Public keys decoded once per key (bounded, oldest out): every online share and every combine for
 * a key needs pk as a point, and a key signs many times. Public values only.
 */
const publicKeyPoints = new Map<string, Point>();
const PUBLIC_KEY_POINTS_MAX = 4096;

function publicKeyPoint(curve: DklsCurve, publicKey: string): Point {
  const id = `${curve.name}:${publicKey}`;
  let p = publicKeyPoints.get(id);
  if (!p) {
    p = decodePoint(curve, fromHex(publicKey), 'public key');
    if (publicKeyPoints.size >= PUBLIC_KEY_POINTS_MAX) publicKeyPoints.delete(publicKeyPoints.keys().next().value!);
    publicKeyPoints.set(id, p);
  }
  return p;
}

/** One signer's online answer. */
export type PresignedShare = { index: number; w: Uint8Array; u: Uint8Array; request: Uint8Array; consumeId: string };

export function presignOnlineProtocol(curve: DklsCurveName): string {
  return `dkls23-${curve}/sign-presigned`;
}

/** R1–R3 of DKLs23 signing without a message (sign.ts in presign mode); its output is a DklsPresignature. */
export function createDklsPresign(o: {
  curve: DklsCurveName;
  sessionId: Uint8Array;
  self: number;
  signers: number[];
  share: DklsKeyShare;
  rng: Rng;
}): Session<DklsPresignature> {
  return createPresignSession(o);
}

/** The public part of a signer's presignature, for the aggregator (the secret part never leaves). */
export function presignatureRecordPart(p: DklsPresignature): { id: string; R: string; signers: number[]; part: PresignaturePart } {
  return { id: p.id, R: p.R, signers: [...p.signers], part: { ...p.public } };
}

/**
 * The aggregator's record, from every signer's public part: they must name the same presignature
 * (id, R, signer set), one part per signer, each a valid point. Anything else: 'bad-parameters'
 * naming the signers that disagree with the first (a signer whose presign session diverged).
 */
export function presignatureRecord(curve: DklsCurveName, publicKey: string, parts: ReturnType<typeof presignatureRecordPart>[]): PresignatureRecord {
  dklsCurve(curve); // an unknown curve throws
  if (!parts.length) throw new ProtocolError('bad-parameters', 'no presignature parts');
  const [first] = parts;
  const bad = parts.filter((p) => p.id !== first!.id || p.R !== first!.R || p.signers.join(',') !== first!.signers.join(','));
  if (bad.length)
    throw new ProtocolError(
      'bad-parameters',
      'signers report different presignatures',
      bad.map((p) => p.part.index),
    );
  const signers = first!.signers;
  const byIndex = new Map(parts.map((p) => [p.part.index, p.part]));
  if (byIndex.size !== signers.length || !signers.every((i) => byIndex.has(i)))
    throw new ProtocolError('bad-parameters', 'need one presignature part per signer');
  const record: PresignatureRecord = { curve, id: first!.id, publicKey, signers: [...signers], R: first!.R, parts: signers.map((i) => byIndex.get(i)!) };
  // Decodes (and so validates) every point now, and keeps them for the online round.
  decodedRecord(record);
  return record;
}

/** δ, R' and pk' of one online signature (every signer and the aggregator compute the same). */
// δ, t, r'_x and the digest are public (every signer and the aggregator compute them from public
// values), so their multiplications take noble's variable-time multiplyUnsafe, which walks the
// base point's precomputed wNAF tables (Point.BASE.precompute): ≈ 4× cheaper than the
// constant-time multiply kept for secrets.
function rerandomize(curve: DklsCurve, name: DklsCurveName, id: string, publicKey: Point, R: Point, digest: Uint8Array, tweak: bigint) {
  const { Fn } = curve;
  const pk = tweak === 0n ? publicKey : publicKey.add(curve.Point.BASE.multiplyUnsafe(tweak));
  const delta = hashToScalar(
    curve,
    LABELS.dkls23PresignRerandomize,
    utf8ToBytes(presignOnlineProtocol(name)),
    fromHex(id),
    encodePoint(pk),
    encodePoint(R),
    digest,
    Fn.toBytes(tweak),
  );
  const Rp = delta === 0n ? R : R.add(curve.Point.BASE.multiplyUnsafe(delta));
  if (Rp.is0()) throw new ProtocolError('invalid-commitment', 'the re-randomized nonce is the identity');
  const rx = Fn.create(Rp.toAffine().x);
  if (rx === 0n) throw new ProtocolError('invalid-commitment', 'the re-randomized nonce has x = 0 mod q');
  return { delta, Rp, rx, pk };
}

function readTweak(curve: DklsCurve, tweak: Uint8Array | undefined): bigint {
  if (tweak === undefined) return 0n;
  if (!(tweak instanceof Uint8Array)) throw new ProtocolError('bad-parameters', 'tweak must be bytes');
  return decodeScalar(curve, tweak, 'tweak');
}

/**
 * The online round at one signer: its share (w_i, u'_i) for `digest`, and a digest of what it
 * signed (key, presignature, signers, digest, tweak, context: the policy revision and sequences it
 * enforces) that the aggregator compares across signers. Empties the presignature's secret part
 * first: whatever happens next, it yields no second share.
 */
export function presignatureShare(o: {
  presignature: DklsPresignature;
  share: DklsKeyShare;
  sessionId: Uint8Array;
  signers: number[];
  digest: Uint8Array;
  context?: Uint8Array;
  /** An additive tweak t (32-byte scalar): signs for pk + t·G (HD derivation); bound into δ. */
  tweak?: Uint8Array;
}): PresignedShare {
  const p = o.presignature;
  const secret = p?.secret;
  if (!secret) throw new ProtocolError('nonce-reuse', 'this presignature has already been used');
  p.secret = null;
  const curve = dklsCurve(p.curve);
  const { Fn } = curve;
  if (o.share.curve !== p.curve || o.share.publicKey !== p.publicKey || o.share.index !== p.self)
    throw new ProtocolError('bad-parameters', 'the presignature was made for another key or party');
  if (!(o.digest instanceof Uint8Array) || o.digest.length !== 32) throw new ProtocolError('bad-parameters', 'digest must be 32 bytes');
  if (!(o.sessionId instanceof Uint8Array) || o.sessionId.length !== 32) throw new ProtocolError('bad-parameters', 'session id must be 32 bytes');
  if (o.context !== undefined && !(o.context instanceof Uint8Array)) throw new ProtocolError('bad-parameters', 'context must be bytes');
  if (!Array.isArray(o.signers) || o.signers.join(',') !== p.signers.join(','))
    throw new ProtocolError('bad-parameters', 'the request names other signers than the presignature was made with');
  const t = readTweak(curve, o.tweak);
  const { delta, rx, pk } = rerandomize(curve, p.curve, p.id, publicKeyPoint(curve, p.publicKey), curve.Point.fromBytes(fromHex(p.R)), o.digest, t);
  const phi = Fn.fromBytes(fromHex(secret.phi));
  const u = Fn.add(Fn.fromBytes(fromHex(secret.u)), Fn.mul(delta, phi));
  const v = Fn.add(Fn.fromBytes(fromHex(secret.v)), Fn.mul(t, phi));
  const m = Fn.create(bytesToNumberBE(o.digest));
  const w = Fn.add(Fn.mul(m, phi), Fn.mul(rx, v));
  const request = tagged(
    LABELS.dkls23PresignOnlineRequest,
    utf8ToBytes(presignOnlineProtocol(p.curve)),
    o.sessionId,
    encodePoint(pk),
    fromHex(p.dkgSessionId),
    fromHex(p.id),
    Uint8Array.from(p.signers),
    o.digest,
    Fn.toBytes(t),
    o.context ?? new Uint8Array(0),
  );
  return { index: p.self, w: Fn.toBytes(w), u: Fn.toBytes(u), request, consumeId: p.consumeId };
}

/** A combined, not yet verified, online signature, and how to name the signers if it does not verify. */
export type UnverifiedPresignedSignature = {
  /** r ‖ s, 32 bytes each, s low (BIP-62/146, EIP-2). */
  signature: Uint8Array;
  recovery: number;
  /** The digest it is over, and the key (pk' = pk + t·G) it must verify under. */
  digest: Uint8Array;
  publicKey: Point;
  /**
   * The signers whose online shares do not match their presigned images (u'_i·G = U_i + δ·Φ_i,
   * w_i·G = m·Φ_i + r'_x·(V_i + t·Φ_i)); only worth calling when the signature does not verify.
   */
  culprits: () => number[];
};

/**
 * The aggregator: every signer must report the same request digest (else they were shown
 * different digests, signers or presignatures, or enforce different policy revisions:
 * 'bad-parameters', nothing combined); s = Σw / Σu', low-S. NOT verified: the caller verifies it
 * exactly once, with the verifier it trusts (services/coordinator/sign.ts gates the return on
 * key-specs.ts `verifyIssued`, OpenSSL where the message allows), and calls `culprits()` if it
 * does not verify. combinePresignedShares below is the same plus noble's verification.
 */
export function combinePresignedUnverified(o: {
  record: PresignatureRecord;
  digest: Uint8Array;
  tweak?: Uint8Array;
  answers: { index: number; w: Uint8Array; u: Uint8Array; request: Uint8Array }[];
}): UnverifiedPresignedSignature {
  const { record } = o;
  const curve = dklsCurve(record.curve);
  const { Fn } = curve;
  if (!(o.digest instanceof Uint8Array) || o.digest.length !== 32) throw new ProtocolError('bad-parameters', 'digest must be 32 bytes');
  const answers = [...o.answers].sort((a, b) => a.index - b.index);
  if (answers.map((a) => a.index).join(',') !== record.signers.join(',')) throw new ProtocolError('bad-parameters', 'need one online share per signer');
  const [first] = answers;
  const differ = answers.filter((a) => !equalBytes(a.request, first!.request)).map((a) => a.index);
  if (differ.length)
    throw new ProtocolError(
      'bad-parameters',
      `signers ${first!.index} and ${differ.join(', ')} signed different requests, or enforce different signing-policy revisions or sequences`,
    );
  const t = readTweak(curve, o.tweak);
  const decoded = decodedRecord(record);
  const { delta, Rp, rx, pk } = rerandomize(curve, record.curve, record.id, decoded.pk, decoded.R, o.digest, t);
  const shares = answers.map((a) => ({
    index: a.index,
    w: decodeScalar(curve, a.w, `online share of ${a.index}`, [a.index]),
    u: decodeScalar(curve, a.u, `online share of ${a.index}`, [a.index]),
  }));
  let w = 0n,
    u = 0n;
  for (const s of shares) {
    w = Fn.add(w, s.w);
    u = Fn.add(u, s.u);
  }
  const q = Fn.ORDER;
  const R = Rp.toAffine();
  let s = u === 0n ? 0n : Fn.div(w, u);
  let recovery = Number(R.y & 1n) | (R.x >= q ? 2 : 0);
  // Low-S (BIP-62/146, EIP-2), as sign.ts combine: negating s flips the parity bit.
  if (s > q >> 1n) {
    s = q - s;
    recovery ^= 1;
  }
  const digest = o.digest.slice();
  const culprits = (): number[] => {
    const m = Fn.create(bytesToNumberBE(digest));
    const G = curve.Point.BASE;
    const mul = (P: Point, k: bigint): Point => (k === 0n ? curve.Point.ZERO : P.multiplyUnsafe(k));
    return shares
      .filter((sh) => {
        const { Phi, U, V: V0 } = decoded.parts.get(sh.index)!;
        const V = V0.add(mul(Phi, t));
        const uOk = mul(G, sh.u).equals(U.add(mul(Phi, delta)));
        const wOk = mul(G, sh.w).equals(mul(Phi, m).add(mul(V, rx)));
        return !(uOk && wOk);
      })
      .map((sh) => sh.index);
  };
  return { signature: concatBytes(Fn.toBytes(rx), Fn.toBytes(s)), recovery, digest, publicKey: pk, culprits };
}

/** 'invalid-signature' naming the signers whose shares do not match their presignatures (or none: a part was misreported). */
export function presignedSignatureError(culprits: number[]): ProtocolError {
  return new ProtocolError(
    'invalid-signature',
    culprits.length
      ? `the online shares of ${culprits.join(', ')} do not match their presignatures`
      : 'the combined signature does not verify, and every online share matches its presignature (a presign part was misreported)',
    culprits,
  );
}

/**
 * ECDSA verification (SEC 1 v2 §4.1.4) of r ‖ s over a 32-byte digest under a decoded public key,
 * low-S required: noble's own steps (weierstrass.ts verify: R = u1·G + u2·P, joint Strauss–Shamir)
 * without re-encoding and decompressing the key it already holds as a point.
 */
export function verifyWithPoint(curveName: DklsCurveName, signature: Uint8Array, digest: Uint8Array, publicKey: Point): boolean {
  const curve = dklsCurve(curveName);
  const { Fn } = curve;
  if (signature.length !== 64 || digest.length !== 32 || publicKey.is0()) return false;
  const r = bytesToNumberBE(signature.subarray(0, 32));
  const s = bytesToNumberBE(signature.subarray(32));
  if (!Fn.isValidNot0(r) || !Fn.isValidNot0(s) || s > Fn.ORDER >> 1n) return false;
  const is = Fn.inv(s);
  const u1 = Fn.mul(Fn.create(bytesToNumberBE(digest)), is);
  const u2 = Fn.mul(r, is);
  const R = curve.Point.BASE.mulAddUnsafe(u1, publicKey, u2);
  return !R.is0() && Fn.create(R.toAffine().x) === r;
}

/**
 * combinePresignedUnverified, verified with noble (verifyWithPoint); if it does not verify, the
 * signers whose shares fail are named ('invalid-signature'). For callers with no verifier of their
 * own (tests, the in-process bench); the gateway verifies once, itself.
 */
export function combinePresignedShares(o: {
  record: PresignatureRecord;
  digest: Uint8Array;
  tweak?: Uint8Array;
  answers: { index: number; w: Uint8Array; u: Uint8Array; request: Uint8Array }[];
}): { signature: Uint8Array; recovery: number } {
  const c = combinePresignedUnverified(o);
  if (verifyWithPoint(o.record.curve, c.signature, c.digest, c.publicKey)) return { signature: c.signature, recovery: c.recovery };
  throw presignedSignatureError(c.culprits());
}
