// Policy revisions form a hash chain (docs/policies.md "Policy hash and revisions"): revision 1 has previousHash null
// and is bound to the key at CreateKey (its hash is in the DKG transcript, so it needs no
// approvals); revision n+1 names policyHash(policy n) and carries the approvals that the CURRENT
// policy's governance.changeApprovals demands, over
//   {"expiresAt","keyId","policyHash" (new),"previousHash","revision","type":"tutti-policy-change/1"}.
// Lower, equal or skipped revision numbers are refused (no rollback, no fork). The new revision
// takes effect at activatesAt = now + the current policy's activationDelaySeconds; until then the
// party keeps enforcing the current one.
import { changeApprovalStatement, checkApprovals } from './approvals.ts';
import { compilePolicy, PolicyInvalid, type CompiledPolicy } from './compile.ts';
import type { PolicyRevision } from './types.ts';

export type RevisionCheck =
  | { ok: true; policyHash: string; compiled: CompiledPolicy; activatesAt: number; approvedBy: string[] }
  | { ok: false; code: 'INVALID_POLICY' | 'GOVERNANCE'; reasons: string[] };

const refuse = (code: 'INVALID_POLICY' | 'GOVERNANCE', ...reasons: string[]): RevisionCheck => ({ ok: false, code, reasons });

/**
 * Whether a party may install `next` for `keyId`, given the revision it holds now (null at CreateKey).
 * `approvals` are grant-token strings (approvals.ts); `now` is the party's clock in ms.
 */
export function checkPolicyRevision(
  keyId: string,
  current: PolicyRevision | null,
  next: PolicyRevision,
  approvals: readonly string[],
  now: number,
): RevisionCheck {
  let compiled: CompiledPolicy;
  try {
    compiled = compilePolicy(next.policy);
  } catch (e) {
    if (e instanceof PolicyInvalid) return refuse('INVALID_POLICY', ...e.errors);
    throw e;
  }
  const boundId = compiled.document.keyBinding.keyId;
  if (boundId !== undefined && boundId !== keyId) return refuse('INVALID_POLICY', `policy is bound to key ${boundId}, not ${keyId}`);
  if (!Number.isSafeInteger(next.revision) || next.revision < 1) return refuse('GOVERNANCE', 'revision must be a positive integer');
  if (current === null) {
    if (next.revision !== 1 || next.previousHash !== null) return refuse('GOVERNANCE', 'the first policy of a key is revision 1 with previousHash null');
    return { ok: true, policyHash: compiled.hash, compiled, activatesAt: now, approvedBy: [] };
  }
  let cur: CompiledPolicy;
  try {
    cur = compilePolicy(current.policy);
  } catch (e) {
    if (e instanceof PolicyInvalid) return refuse('INVALID_POLICY', 'the current policy does not compile', ...e.errors);
    throw e;
  }
  if (next.revision !== current.revision + 1) {
    return refuse('GOVERNANCE', `revision ${next.revision} does not follow the current revision ${current.revision} (no rollback, no skipping)`);
  }
  if (next.previousHash !== cur.hash) return refuse('GOVERNANCE', `previousHash ${next.previousHash} is not the current policy's hash ${cur.hash}`);
  if (compiled.document.keyBinding.keySpec !== cur.document.keyBinding.keySpec) return refuse('GOVERNANCE', 'a revision cannot change the key spec');
  const requirement = cur.document.governance.changeApprovals;
  const subject = { keyId, revision: next.revision, previousHash: next.previousHash, policyHash: compiled.hash };
  const a = checkApprovals(approvals, requirement, cur.approvers, { kind: 'change', statement: (exp) => changeApprovalStatement(subject, exp) }, now);
  if (!a.ok) return refuse('GOVERNANCE', `${a.approvedBy.length} of ${requirement.threshold} required change approvals`, ...a.problems);
  const delay = (cur.document.governance.activationDelaySeconds ?? 0) * 1000;
  return { ok: true, policyHash: compiled.hash, compiled, activatesAt: now + delay, approvedBy: a.approvedBy };
}

// ---- a whole chain, for a party new to the key (docs/security.md "Policy chain at a reshare") ----

/** One revision as an old holder recorded it: the document, the approvals it was installed with, and when. */
export type RevisionLink = {
  revision: number;
  previousHash: string | null;
  policy: PolicyRevision['policy'];
  /** The change-approval tokens the holders checked when they installed it ([] for revision 1). */
  approvals: string[];
  /** On the key's clock at the holder: when it was accepted, and when it took effect. */
  acceptedAt: number;
  activatesAt: number;
};

export type VerifiedLink = RevisionLink & { policyHash: string; compiled: CompiledPolicy; approvedBy: string[] };

export type ChainCheck =
  { ok: true; links: VerifiedLink[]; head: { revision: number; policyHash: string } } | { ok: false; revision: number | null; reasons: string[] };

/** Most links a chain may have (a key revised more often than this is not reshared onto new parties). */
export const MAX_CHAIN_LINKS = 1000;
/** Clock difference tolerated between the holder that recorded the chain and the party checking it. */
export const CHAIN_CLOCK_SKEW_MS = 60_000;

const isTime = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/**
 * Checks a key's whole signing-policy history as a party that holds nothing of the key must: by
 * itself, trusting no relay. Each link is re-checked exactly as the holders checked it when they
 * installed it (checkPolicyRevision, at the time they accepted it: its approvals must have been
 * valid then and must verify now under the previous revision's approvers), in order from revision
 * 1 (no approvals, previousHash null); every revision had taken effect before the next was
 * accepted; none was accepted after `now`, and the newest is in force by `now`. What this cannot
 * see by itself is whether the chain ends at the key's NEWEST revision and begins at the revision
 * bound at the key's creation: the caller binds `links[0]`'s hash and `head` into the session the
 * key's holders agree on (services/party/reshare.ts reshareContext).
 */
export function checkRevisionChain(keyId: string, keySpec: string, chain: unknown, now: number): ChainCheck {
  const fail = (revision: number | null, ...reasons: string[]): ChainCheck => ({ ok: false, revision, reasons });
  if (!Array.isArray(chain) || chain.length === 0) return fail(null, 'the policy chain is not a non-empty list of revisions');
  if (chain.length > MAX_CHAIN_LINKS) return fail(null, `the policy chain has ${chain.length} links, more than ${MAX_CHAIN_LINKS}`);
  const links: VerifiedLink[] = [];
  for (const [i, raw] of chain.entries()) {
    const at = i + 1;
    const l = raw as Partial<RevisionLink> | null;
    if (typeof l !== 'object' || l === null) return fail(at, `link ${at} is not a revision`);
    if (l.revision !== at)
      return fail(
        at,
        `link ${at} is revision ${String(l.revision)}: a chain lists revisions 1, 2, 3, … in order, none missing, none repeated (reordered or spliced)`,
      );
    if (!(l.previousHash === null || typeof l.previousHash === 'string')) return fail(at, `revision ${at}: previousHash is not a hash`);
    if (!Array.isArray(l.approvals) || l.approvals.some((a) => typeof a !== 'string')) return fail(at, `revision ${at}: approvals is not a list of tokens`);
    if (!isTime(l.acceptedAt) || !isTime(l.activatesAt)) return fail(at, `revision ${at}: acceptedAt and activatesAt must be times in ms`);
    if (l.acceptedAt > now + CHAIN_CLOCK_SKEW_MS) return fail(at, `revision ${at} was accepted at ${new Date(l.acceptedAt).toISOString()}, in the future`);
    const prev = links[i - 1] ?? null;
    if (prev && l.acceptedAt < prev.activatesAt)
      return fail(at, `revision ${at} was accepted before revision ${prev.revision} took effect (holders refuse that: a change waits for the one before)`);
    const next: PolicyRevision = { revision: at, previousHash: l.previousHash, policy: l.policy as PolicyRevision['policy'] };
    const r = checkPolicyRevision(
      keyId,
      prev && { revision: prev.revision, previousHash: prev.previousHash, policy: prev.policy },
      next,
      l.approvals,
      l.acceptedAt,
    );
    if (!r.ok) return fail(at, `revision ${at} (${r.code})`, ...r.reasons);
    if (r.compiled.document.keyBinding.keySpec !== keySpec)
      return fail(at, `revision ${at} is for ${r.compiled.document.keyBinding.keySpec}, the key is ${keySpec}`);
    if (l.activatesAt !== r.activatesAt)
      return fail(
        at,
        `revision ${at} takes effect at ${l.activatesAt}, but its acceptance at ${l.acceptedAt} and the delay its predecessor sets give ${r.activatesAt}`,
      );
    links.push({
      ...next,
      policy: r.compiled.document,
      approvals: [...l.approvals],
      acceptedAt: l.acceptedAt,
      activatesAt: l.activatesAt,
      policyHash: r.policyHash,
      compiled: r.compiled,
      approvedBy: r.approvedBy,
    });
  }
  const head = links[links.length - 1]!;
  if (head.activatesAt > now + CHAIN_CLOCK_SKEW_MS)
    return fail(
      head.revision,
      `revision ${head.revision} takes effect at ${new Date(head.activatesAt).toISOString()}: a key is reshared onto new parties once its newest revision is in force`,
    );
  return { ok: true, links, head: { revision: head.revision, policyHash: head.policyHash } };
}
