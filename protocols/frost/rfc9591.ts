// RFC 9591 §4–§5 signing arithmetic on noble's Point / Fn, over values that are already decoded
// and validated. noble's FROST functions (signShare, verifyShare, aggregate) take bytes and
// re-decode and re-validate the group key, every verifying share and every nonce commitment on
// each call; a subgroup check costs as much as a scalar multiplication (≈ 0.8 ms on Ed25519,
// ≈ 2.1 ms on Ed448), so that re-validation was most of a signature's cost. Here every input is
// a Point the caller has validated once (long-lived key material when the share was loaded or
// produced, nonce commitments once per session when they arrived: codec.ts decodePoint), and the
// formulas are the RFC's, step for step. tests/protocols/frost/vectors.test.ts checks each one
// against the Appendix E vectors (binding factors, group commitment, challenge, Lagrange
// coefficients, signature shares, verify_signature_share, signature).
import { mulAddUnsafe } from '@noble/curves/abstract/curve.js';
import { concatBytes } from '../core/bytes.ts';
import { ProtocolError } from '../core/errors.ts';
import type { FrostSuite, Point } from './suite.ts';

/** One signer's round-one commitment, decoded (D = hiding, E = binding) and with its encodings. */
export type DecodedCommitment = { index: number; hiding: Uint8Array; binding: Uint8Array; D: Point; E: Point };

/** Everything about a signing session that depends only on public inputs (RFC 9591 §4.3–§4.6). */
export type SigningContext = {
  /** Signer identifiers in ascending order. */
  indices: number[];
  /** ρ_j for each signer, in `indices` order (§4.4 compute_binding_factors). */
  bindingFactors: bigint[];
  /** R = Σ_j D_j + ρ_j·E_j (§4.5 compute_group_commitment) and SerializeElement(R). */
  R: Point;
  Rbytes: Uint8Array;
  /** c = H2(SerializeElement(R) ‖ SerializeElement(PK) ‖ msg) (§4.6 compute_challenge). */
  challenge: bigint;
};

/** §4.1 nonce_generate(secret) = H3(random_bytes(32) ‖ SerializeScalar(secret)): hedged, never deterministic. */
export function nonceGenerate(suite: FrostSuite, secret: bigint, rng: (n: number) => Uint8Array): bigint {
  const random = rng(32);
  if (!(random instanceof Uint8Array) || random.length !== 32) throw new ProtocolError('bad-parameters', 'rng must return 32 bytes');
  const k = suite.H3(concatBytes(random, suite.Fn.toBytes(secret)));
  // Zero has probability 1/L; its commitment would be the identity, which cannot be sent.
  if (suite.Fn.is0(k)) throw new ProtocolError('internal', 'nonce_generate produced zero');
  return k;
}

/**
 * §5.1 commit(): the hiding and binding nonces (drawn in that order) and their commitments
 * D = d·G, E = e·G (constant-time base multiplications: the nonces are secret).
 */
export function commit(
  suite: FrostSuite,
  signingShare: bigint,
  rng: (n: number) => Uint8Array,
): { nonces: { hiding: bigint; binding: bigint }; D: Point; E: Point } {
  const hiding = nonceGenerate(suite, signingShare, rng);
  const binding = nonceGenerate(suite, signingShare, rng);
  return { nonces: { hiding, binding }, D: suite.Point.BASE.multiply(hiding), E: suite.Point.BASE.multiply(binding) };
}

/** SerializeScalar(identifier) for Identifier.fromNumber(index). */
export function identifierBytes(suite: FrostSuite, index: number): Uint8Array {
  return suite.Fn.toBytes(BigInt(index));
}

/**
 * §4.3 encode_group_commitment_list and §4.4 compute_binding_factors:
 * ρ_j = H1(SerializeElement(PK) ‖ H4(msg) ‖ H5(encoded list) ‖ SerializeScalar(j)).
 * `list` must be sorted by identifier (the callers check it: commitments.ts).
 */
export function bindingFactors(suite: FrostSuite, groupPublicKey: Uint8Array, list: readonly DecodedCommitment[], msg: Uint8Array): bigint[] {
  const encoded = concatBytes(...list.flatMap((c) => [identifierBytes(suite, c.index), c.hiding, c.binding]));
  const prefix = concatBytes(groupPublicKey, suite.H4(msg), suite.H5(encoded));
  return list.map((c) => suite.H1(concatBytes(prefix, identifierBytes(suite, c.index))));
}

/**
 * §4.5 compute_group_commitment: Σ_j (D_j + ρ_j·E_j). The hiding commitments carry the scalar 1
 * and are added directly; the binding ones go through one multi-scalar multiplication (an
 * interleaved wNAF: one doubling chain for all of them). Public inputs only: variable time.
 */
export function groupCommitment(suite: FrostSuite, list: readonly DecodedCommitment[], rho: readonly bigint[]): Point {
  let hiding = suite.Point.ZERO;
  for (const c of list) hiding = hiding.add(c.D);
  return hiding.add(
    mulAddUnsafe(
      suite.Point,
      list.map((c) => c.E),
      [...rho],
    ),
  );
}

/** §4.6 compute_challenge. */
export function challenge(suite: FrostSuite, Rbytes: Uint8Array, groupPublicKey: Uint8Array, msg: Uint8Array): bigint {
  return suite.H2(concatBytes(Rbytes, groupPublicKey, msg));
}

/** §4.2 derive_interpolating_value(L, x_i) = Π_{j≠i} x_j / (x_j − x_i). */
export function lagrange(suite: FrostSuite, indices: readonly number[], i: number): bigint {
  const { Fn } = suite;
  if (!indices.includes(i) || new Set(indices).size !== indices.length) throw new ProtocolError('internal', 'bad participant list for interpolation');
  let num = Fn.ONE,
    den = Fn.ONE;
  const xi = BigInt(i);
  for (const j of indices) {
    if (j === i) continue;
    const xj = BigInt(j);
    num = Fn.mul(num, xj);
    den = Fn.mul(den, Fn.sub(xj, xi));
  }
  return Fn.div(num, den);
}

/**
 * §4.4–§4.6 for one session: binding factors, group commitment and challenge. RFC 9591 §3.1
 * SerializeElement fails on the identity, so a group commitment that is the identity aborts (no
 * single signer can be blamed: it needs every commitment, and honest ones are random).
 */
export function signingContext(suite: FrostSuite, groupPublicKey: Uint8Array, list: readonly DecodedCommitment[], msg: Uint8Array): SigningContext {
  const rho = bindingFactors(suite, groupPublicKey, list, msg);
  const R = groupCommitment(suite, list, rho);
  if (R.is0()) throw new ProtocolError('invalid-commitment', 'the group commitment is the identity element');
  const Rbytes = R.toBytes();
  return { indices: list.map((c) => c.index), bindingFactors: rho, R, Rbytes, challenge: challenge(suite, Rbytes, groupPublicKey, msg) };
}

/** §5.2 sign(): z_i = d_i + e_i·ρ_i + λ_i·s_i·c. */
export function signatureShare(
  suite: FrostSuite,
  ctx: SigningContext,
  self: number,
  nonces: { hiding: bigint; binding: bigint },
  signingShare: bigint,
): bigint {
  const { Fn } = suite;
  const k = ctx.indices.indexOf(self);
  if (k < 0) throw new ProtocolError('internal', 'signer not in the signing context');
  const lambda = lagrange(suite, ctx.indices, self);
  return Fn.add(Fn.add(nonces.hiding, Fn.mul(nonces.binding, ctx.bindingFactors[k]!)), Fn.mul(Fn.mul(lambda, signingShare), ctx.challenge));
}

/**
 * §5.4 verify_signature_share: z_j·G == D_j + ρ_j·E_j + (c·λ_j)·PK_j, with PK_j the signer's
 * verifying share. Public inputs only: variable time.
 */
export function verifySignatureShare(suite: FrostSuite, ctx: SigningContext, commitment: DecodedCommitment, verifyingShare: Point, z: bigint): boolean {
  const { Fn, Point } = suite;
  const k = ctx.indices.indexOf(commitment.index);
  if (k < 0) return false;
  const lambda = lagrange(suite, ctx.indices, commitment.index);
  const rhs = commitment.D.add(mulAddUnsafe(Point, [commitment.E, verifyingShare], [ctx.bindingFactors[k]!, Fn.mul(ctx.challenge, lambda)]));
  return Point.BASE.multiplyUnsafe(z).equals(rhs);
}

/** §5.3 aggregate(): z = Σ z_i; the signature is SerializeElement(R) ‖ SerializeScalar(z). */
export function aggregateSignature(suite: FrostSuite, ctx: SigningContext, shares: readonly bigint[]): Uint8Array {
  let z = suite.Fn.ZERO;
  for (const s of shares) z = suite.Fn.add(z, s);
  return concatBytes(ctx.Rbytes, suite.Fn.toBytes(z));
}
