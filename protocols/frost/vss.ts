// Feldman VSS arithmetic on noble's Fn / Point (RFC 9591 Appendix C.1–C.2; Komlo–Goldberg 2020
// Fig. 1 steps 1–2 and round 2 step 2) and the DKG proof of knowledge check. noble keeps its
// polynomial helpers internal and cannot share a polynomial with a zero constant term (refresh),
// so the few lines needed are written here.
import { concatBytes } from '../core/bytes.ts';
import { nobleRng, type FrostSuite, type Point } from './suite.ts';

/** f(x) = Σ_k a_k·x^k by Horner's rule (RFC 9591 Appendix C.1 polynomial_evaluate). */
export function evalPolynomial(suite: FrostSuite, coefficients: readonly bigint[], x: bigint): bigint {
  const { Fn } = suite;
  let acc = Fn.ZERO;
  for (let k = coefficients.length - 1; k >= 0; k--) acc = Fn.add(Fn.mul(acc, x), coefficients[k]!);
  return acc;
}

/**
 * Σ_k x^k·C_k, i.e. f(x)·G for the committed polynomial (Appendix C.2 vss_verify's right-hand
 * side). Commitments and x are public, so variable-time multiplication is fine.
 */
export function evalCommitment(suite: FrostSuite, commitment: readonly Point[], x: bigint): Point {
  let acc = suite.Point.ZERO;
  for (let k = commitment.length - 1; k >= 0; k--) {
    acc = acc.multiplyUnsafe(x).add(commitment[k]!);
  }
  return acc;
}

/** Feldman check: share·G == Σ_k index^k·C_k (Komlo–Goldberg round 2 step 2). */
export function verifyFeldman(suite: FrostSuite, commitment: readonly Point[], index: number, share: bigint): boolean {
  // The share is secret: constant-time multiply (which refuses 0, the one value it cannot take).
  const lhs = suite.Fn.is0(share) ? suite.Point.ZERO : suite.Point.BASE.multiply(share);
  return lhs.equals(evalCommitment(suite, commitment, BigInt(index)));
}

/**
 * Proof of knowledge of the constant term (Komlo–Goldberg round 1 step 2, as ZF frost-core and
 * noble compute it, without the paper's context string Φ): with
 * c = HDKG(SerializeScalar(id) ‖ SerializeElement(C_0) ‖ SerializeElement(R)),
 * accept iff R == μ·G − c·C_0. Replay across sessions is stopped by the envelope binding instead.
 */
export function verifyProofOfKnowledge(suite: FrostSuite, index: number, c0: Point, R: Point, mu: bigint): boolean {
  const c = suite.hashDkg(concatBytes(suite.Fn.toBytes(BigInt(index)), c0.toBytes(), R.toBytes()));
  return R.equals(suite.Point.BASE.multiplyUnsafe(mu).subtract(c0.multiplyUnsafe(c)));
}

/** Random non-zero scalar from the injected RNG, through noble's hardened derivation. */
export function randomScalar(suite: FrostSuite, rng: (n: number) => Uint8Array): bigint {
  return suite.Fn.fromBytes(suite.frost.utils.randomScalar(nobleRng(rng)));
}
