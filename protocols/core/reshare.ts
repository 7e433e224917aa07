// The secret-sharing part of verifiable resharing, shared by FROST's (protocols/frost/reshare.ts)
// and DKLs23's (protocols/dkls23/reshare.ts): Desmedt–Jajodia 1997 redistribution with the
// verification of Wong–Wang–Wing 2002 (VSR), in the Feldman setting (Feldman 1987).
//
// Roles: the session's parties are numbered 1..m; each is a dealer (an old holder, with its old
// index), a receiver (a holder of the new key, with its new index 1..n_new), or both. Dealers D
// (|D| ≥ t_old) hold shares x_i of the old key; dealer i deals a fresh polynomial f_i of degree
// t_new−1 with f_i(0) = λ_i·x_i (λ_i: Lagrange at zero over D's old indices), committed as
// C_i,k = a_i,k·G. The checks every receiver makes, each naming the dealer at fault:
//   - C_i,0 = λ_i·X_i, X_i the OLD verification share of dealer i (dealerConstantMatches), so
//     Σ_i C_i,0 = Σ_i λ_i·X_i = the old public key;
//   - f_i(j)·G = Σ_k j^k·C_i,k (Feldman), before the sub-share is used;
// and the new share is s'_j = Σ_i f_i(j), the new commitment Σ_i C_i (combineDealings).
// The curve arithmetic is the caller's (noble's Point and Fn, structurally typed here), so this
// file stays free of any one curve.
import { bytesToHex, fromHex } from './bytes.ts';
import { ProtocolError } from './errors.ts';

/** Session party k (1..m) is members[k−1]: an old holder dealing (`old`), a new holder (`new`), or both. */
export type ReshareMember = { old?: number; new?: number };

/** The scalar field operations the Lagrange coefficient needs (noble's Fn). */
export type ScalarField = { ONE: bigint; mul(a: bigint, b: bigint): bigint; sub(a: bigint, b: bigint): bigint; div(a: bigint, b: bigint): bigint };

/** The group operations the dealing checks need (noble's Point). */
export type GroupPoint<P> = { add(other: P): P; multiplyUnsafe(k: bigint): P; equals(other: P): boolean; is0(): boolean };

/** λ_i at zero over `xs` (distinct non-zero indices holding i): Π_{j≠i} j / (j − i). */
export function lagrangeAtZero(Fn: ScalarField, xs: readonly number[], i: number): bigint {
  let num = Fn.ONE,
    den = Fn.ONE;
  for (const j of xs) {
    if (j === i) continue;
    num = Fn.mul(num, BigInt(j));
    den = Fn.mul(den, Fn.sub(BigInt(j), BigInt(i)));
  }
  return Fn.div(num, den);
}

/**
 * Validates the roles; returns the dealers' old indices and the receivers' new indices by session
 * index. `checkThreshold(tNew, nNew)` is the family's own bound (it throws 'bad-parameters').
 */
export function checkReshareMembers(
  members: unknown,
  tOld: number,
  nOld: number,
  tNew: number,
  checkThreshold: (t: number, n: number) => void,
): { dealers: Map<number, number>; receivers: Map<number, number> } {
  const bad = (why: string): never => {
    throw new ProtocolError('bad-parameters', `reshare members: ${why}`);
  };
  if (!Array.isArray(members) || members.length < 2) bad('need a list of at least two members');
  const dealers = new Map<number, number>(),
    receivers = new Map<number, number>();
  (members as ReshareMember[]).forEach((m, k) => {
    if (typeof m !== 'object' || m === null || (m.old === undefined && m.new === undefined)) bad(`member ${k + 1} neither deals nor receives`);
    if (m.old !== undefined) {
      if (!Number.isInteger(m.old) || m.old < 1 || m.old > nOld) bad(`member ${k + 1}: old index ${String(m.old)} is not 1..${nOld}`);
      if ([...dealers.values()].includes(m.old)) bad(`old index ${m.old} deals twice`);
      dealers.set(k + 1, m.old);
    }
    if (m.new !== undefined) {
      if (!Number.isInteger(m.new) || m.new < 1) bad(`member ${k + 1}: new index ${String(m.new)} is not positive`);
      if ([...receivers.values()].includes(m.new)) bad(`new index ${m.new} is given twice`);
      receivers.set(k + 1, m.new);
    }
  });
  if (dealers.size < tOld) bad(`${dealers.size} old holders deal, fewer than the old threshold ${tOld}`);
  const nNew = receivers.size;
  if ([...receivers.values()].some((j) => j > nNew)) bad(`new indices must be 1..${nNew}`);
  checkThreshold(tNew, nNew);
  return { dealers, receivers };
}

/** Copies the roles without anything else a caller may have put on them (a snapshot holds exactly these). */
export function normalizeMembers(members: readonly ReshareMember[]): ReshareMember[] {
  return members.map((m) => ({ ...(m.old !== undefined ? { old: m.old } : {}), ...(m.new !== undefined ? { new: m.new } : {}) }));
}

/**
 * The dealer's constant commitment C_i,0 must be λ_i·X_i: its Lagrange-weighted OLD verification
 * share (λ over the dealers' old indices). Public values: variable-time multiplication.
 */
export function dealerConstantMatches<P extends GroupPoint<P>>(
  Fn: ScalarField,
  constant: P,
  oldVerificationShare: P,
  dealerOldIndices: readonly number[],
  oldIndex: number,
): boolean {
  return constant.equals(oldVerificationShare.multiplyUnsafe(lagrangeAtZero(Fn, dealerOldIndices, oldIndex)));
}

/**
 * The new joint commitment Σ_i C_i (coefficient-wise) over the dealers' commitment vectors, each
 * exactly tNew long; throws 'invalid-commitment' if any coefficient of the sum is the identity.
 */
export function combineDealings<P extends GroupPoint<P>>(zero: P, dealings: readonly (readonly P[])[], tNew: number): P[] {
  const sum: P[] = Array.from({ length: tNew }, () => zero);
  for (const c of dealings) {
    if (c.length !== tNew) throw new ProtocolError('internal', `a dealing of ${c.length} coefficients, expected ${tNew}`);
    c.forEach((p, k) => (sum[k] = sum[k]!.add(p)));
  }
  if (sum.some((p) => p.is0())) throw new ProtocolError('invalid-commitment', 'reshared commitment contains the identity');
  return sum;
}

/**
 * The new key's public part, as every member computes it once the dealings are checked: the joint
 * commitment Σ_i C_i (combineDealings), which must still commit to the old key (`isOldKey`; every
 * constant was checked on arrival, so a failure here is ours: 'internal'), and the new holders'
 * verification shares S'_j = Σ_k j^k·C'_k for j = 1..nNew, none the identity
 * ('invalid-commitment'). `names` keeps each family's words in its messages (FROST says
 * "verifying share" and "group public key", as RFC 9591 does).
 */
export function reshareNewPublicPart<P extends GroupPoint<P>>(o: {
  zero: P;
  dealings: readonly (readonly P[])[];
  tNew: number;
  nNew: number;
  isOldKey: (constant: P) => boolean;
  evalCommitment: (commitment: readonly P[], x: bigint) => P;
  names: { key: string; share: string };
}): { commitment: P[]; verificationShares: P[] } {
  const commitment = combineDealings(o.zero, o.dealings, o.tNew);
  if (!o.isOldKey(commitment[0]!)) throw new ProtocolError('internal', `reshare changed the ${o.names.key}`);
  const verificationShares = Array.from({ length: o.nNew }, (_, k) => o.evalCommitment(commitment, BigInt(k + 1)));
  if (verificationShares.some((p) => p.is0())) throw new ProtocolError('invalid-commitment', `a new ${o.names.share} share is the identity`);
  return { commitment, verificationShares };
}

/** A receiver's own new share s'_j must be non-zero and match its new verification share: s'_j·G = S'_j. */
export function checkOwnNewShare<P extends GroupPoint<P>>(base: { multiply(k: bigint): P }, share: bigint, verificationShare: P): void {
  if (share === 0n || !base.multiply(share).equals(verificationShare)) throw new ProtocolError('internal', 'reshared share does not match the new commitment');
}

/** What a reshare session outputs in either family (S: the family's key share). */
export type ReshareOutput<S> = {
  /** The key's public key, unchanged by the reshare. */
  publicKey: Uint8Array;
  transcriptHash: Uint8Array;
  /** The new share; null for a dealer that does not hold the new key. */
  share: S | null;
};

/** A reshare output as a snapshot holds it (hex for bytes, the share as it is). */
export function reshareOutputToJSON<S>(o: ReshareOutput<S>): unknown {
  return { publicKey: bytesToHex(o.publicKey), transcriptHash: bytesToHex(o.transcriptHash), share: o.share };
}

export function reshareOutputFromJSON<S>(j: unknown): ReshareOutput<S> {
  const o = j as { publicKey: string; transcriptHash: string; share: S | null };
  return { publicKey: fromHex(o.publicKey), transcriptHash: fromHex(o.transcriptHash), share: o.share };
}
