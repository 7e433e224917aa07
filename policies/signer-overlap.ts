// Policy state that is only as global as the signer sets overlap (docs/policies.md "State kept per
// party"). Each party keeps its own rate-limit charges and sequence high-water marks: a party only
// learns of the signatures it took part in. A `sequence` rule promises that no two different
// messages are signed with the same sequence number; that holds only if any two signer sets of
// the key share an honest party, which remembers the first and refuses the second. Two t-sets of
// n parties always share at least 2t − n parties, so the promise needs 2t > n (and holds against
// c parties colluding with the gateway while c < 2t − n). With 2t ≤ n two disjoint signer sets
// exist and each signs the same sequence number once: the promise cannot hold, so such a policy
// is refused for such a key (by every party at key generation and at each revision, and by the
// gateway first, for a good error).
//
// Rate limits promise less and keep their promise for every t and n: each party signs at most L
// per window, so the key signs at most ⌊(n − c)·L / (t − c)⌋ (docs/policies.md); they are not refused.
import type { PolicyDocument, RawFormat } from './types.ts';

/** The rules of a policy that carry a `sequence`. */
export function sequenceRuleIds(policy: PolicyDocument): string[] {
  return policy.rules.filter((r) => (r.conditions.format as RawFormat | undefined)?.sequence !== undefined).map((r) => r.id);
}

/**
 * Why `policy` cannot keep its promises for a key of threshold t among n parties, or null when it
 * can: it has `sequence` rules and two signer sets of the key can be disjoint (2t ≤ n).
 */
export function signerOverlapProblem(policy: PolicyDocument, t: number, n: number): string | null {
  const rules = sequenceRuleIds(policy);
  if (rules.length === 0 || 2 * t > n) return null;
  return (
    `rule${rules.length > 1 ? 's' : ''} ${rules.map((r) => `'${r}'`).join(', ')} use${rules.length > 1 ? '' : 's'} sequence, ` +
    `whose anti-equivocation needs every two signer sets to share a party (2t > n); with threshold ${t} of ${n} parties, ` +
    `two disjoint signer sets could each sign the same sequence number (use a threshold of at least ${Math.floor(n / 2) + 1})`
  );
}

/**
 * Where a party keeps the high-water mark of a `sequence`: by the byte range the number is read
 * from, not by the rule's id, so a revision that renames the rule (or changes its other
 * conditions) keeps the state. Rules reading the same range share one mark: a number signed under
 * one of them is spent for all, which can only refuse more. ('@' cannot occur in a rule id.)
 */
export function sequenceStateKey(sequence: { offset: number; length: number }): string {
  return `sequence@${sequence.offset}+${sequence.length}`;
}
