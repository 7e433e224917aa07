// The three-valued outcome of a condition (docs/policies.md "Rules and evaluation"): it holds, it fails, or it cannot be
// evaluated (a missing field, a layout past the end of the message …). An undeterminable
// condition makes an allow rule NOT match and a deny rule MATCH — fail closed both ways.
export type Miss = { why: string; unknown: boolean };
/** null = the condition holds. */
export type Verdict = Miss | null;

export const fails = (why: string): Miss => ({ why, unknown: false });
export const unknown = (why: string): Miss => ({ why, unknown: true });

/** The first verdict that is not null, evaluating lazily in order. */
export function firstMiss(...checks: Array<() => Verdict>): Verdict {
  for (const c of checks) {
    const v = c();
    if (v) return v;
  }
  return null;
}
