// Count-per-window rate limits, per rule and per key (docs/policies.md "Rate limits"). Counting is the party's job,
// on its own durable state; this module only asks and answers:
//   - exhausted(): has `scope` already used `count` signatures in the last windowSeconds?
//     (sliding window: charges at t with now − window < t, as reported by the context; the party's
//     `now` never goes back, docs/policies.md "Time", and a charge dated after it counts too);
//   - charge(): what to record when the request is allowed — one entry per scope, kept as long as
//     the longest window of that scope.
// The party must check and record atomically (one transaction around evaluate() and the insert),
// and must never refund a charge once it has sent any message-dependent protocol output.
import type { EvaluationContext, RateLimit, RateLimitCharge } from './types.ts';

export function exhausted(limits: readonly RateLimit[], scope: string, ctx: EvaluationContext): string | null {
  for (const l of limits) {
    const windowMs = l.windowSeconds * 1000;
    const used = ctx.rateLimitCounts(scope, windowMs);
    if (used >= l.count) return `${used} of ${l.count} signatures used in the last ${l.windowSeconds} s`;
  }
  return null;
}

export function charge(limits: readonly RateLimit[], scope: string, now: number): RateLimitCharge {
  return { scope, at: now, keepForMs: Math.max(...limits.map((l) => l.windowSeconds * 1000)) };
}
