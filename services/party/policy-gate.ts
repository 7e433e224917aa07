// The party's signing-policy gate (issue 5, docs/policies.md "Wiring it into the party"): every
// decision a party takes about what a key may sign or become, taken on the party's own state.
//
//  - At DKG open: the policy document travels in the open; the party validates it and computes its
//    hash itself (that hash goes into the DKG context). When the DKG completes, revision 1 is stored
//    with the share, in the same transaction that activates the share.
//  - For every sign request, before the first round: ONE transaction takes the key's monotonic time
//    (max(wall clock, latest used)), reads the rate-limit and sequence counters and the counted
//    approval ids, evaluates the enforced revision with policies/evaluate on the full message,
//    records the charges, sequence and approval ids on allow, and appends the decision to the
//    audit log. The decision is committed before the session starts; a charge is never refunded.
//  - For a policy revision (PutKeyPolicy): checkPolicyRevision against the party's latest revision
//    and the approvals the current policy demands, stored (and logged) in one transaction.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex as toHex } from '@noble/hashes/utils.js';
import {
  canonicalize,
  checkApprovals,
  checkPolicyRevision,
  checkRevisionChain,
  reshareApprovalStatement,
  compilePolicy,
  evaluate,
  policyHash,
  type CompiledPolicy,
  type Decision,
  type KeySpec,
  type PolicyRevision,
  type ReshareApprovalSubject,
  type RevisionLink,
  type SignRequest,
  type VerifiedLink,
} from '../../policies/index.ts';
import { defaultSigningPolicy } from '../../policies/default-policy.ts';
import { sequenceStateKey, signerOverlapProblem } from '../../policies/signer-overlap.ts';
import { hexToBytes } from '../../protocols/core/bytes.ts';
import type { PolicyRevisionRecord, PolicyRevisionResult } from '../control/messages.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { AuditEntry, PolicyStore, StoredRevision } from '../storage/policy-store.ts';
import { PROTOCOL_SUITES, RequestRefused, type CheckedSignRequest } from './request-check.ts';
import type { SignAgreement } from './sign-agreement.ts';

/** What the party knows of a key from its own share record (never the coordinator's word). */
export type KeyFacts = {
  keyId: string;
  keySpec: string;
  protocol: string;
  /** Hex of the group public key. */
  publicKey: string;
  /** The policy hash bound into the key's DKG; null for keys generated before signing policies. */
  policyHash: string | null;
  /** Threshold and number of parties, from the share record: a policy whose promises cannot hold for them is refused (policies/signer-overlap.ts). */
  threshold?: number;
  n?: number;
  /** A derived child key signs (derived-key.ts): its path from this key; publicKey is then the child's. */
  derivationPath?: string;
};

/** `agreement`: what this party enforced and decided, which every signer must share (sign-agreement.ts). */
export type SignOutcome = { decision: Decision; policyHash: string | null; revision: number | null; agreement: SignAgreement };

export type PolicyGateOptions = { store: PolicyStore; metrics?: Metrics; now?: () => number };

// noble rather than node:crypto: the embedded party runs this gate in a browser too (docs/waas.md).
const sha256hex = (data: Uint8Array | string): string => toHex(sha256(typeof data === 'string' ? new TextEncoder().encode(data) : data));
const deny = (code: Decision['code'], rule: string, reasons: string[]): Decision => ({ decision: 'deny', code, rule, reasons });

/** Why a decision was a deny, in one line that names the rule (it reaches the caller's AccessDeniedException). */
export function denialMessage(d: Decision): string {
  const why = d.reasons.length ? `: ${d.reasons.slice(0, 4).join('; ')}${d.reasons.length > 4 ? '; …' : ''}` : '';
  return `signing policy denies (rule '${d.rule ?? 'none'}', ${d.code})${why}`;
}

export class PolicyGate {
  /** Compiled policies by hash (a policy compiles once per process). */
  private readonly compiled = new Map<string, CompiledPolicy>();
  /** Each key's stored revisions; this gate is the only writer, so it keeps the cache exact. */
  private readonly revisionCache = new Map<string, StoredRevision[]>();

  constructor(private readonly o: PolicyGateOptions) {}

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  // --- key generation ----------------------------------------------------------------------------

  /**
   * A DKG's policy: valid, for this key spec, revision 1. Returns the record to store and the hash
   * this party computed. A refusal is logged and thrown as RequestRefused('policy').
   */
  initial(keyId: string, keySpec: string, session: string, policy: unknown, size?: { t: number; n: number }): { record: PolicyRevision; hash: string } {
    const now = this.now();
    const r = checkPolicyRevision(keyId, null, { revision: 1, previousHash: null, policy: policy as PolicyRevision['policy'] }, [], now);
    let refusal: string[] | null = null;
    const overlap = r.ok && size ? signerOverlapProblem(r.compiled.document, size.t, size.n) : null;
    if (!r.ok) refusal = [`${r.code}`, ...r.reasons];
    else if (r.compiled.document.keyBinding.keySpec !== keySpec)
      refusal = ['KEY_MISMATCH', `the policy is for ${r.compiled.document.keyBinding.keySpec}, the key is ${keySpec}`];
    else if (overlap) refusal = ['SIGNER_OVERLAP', overlap];
    if (refusal) {
      const [code, ...reasons] = refusal as [string, ...string[]];
      this.o.store.transaction(() =>
        this.o.store.appendAudit({
          at: now,
          keyId,
          session,
          event: 'policy-bind',
          decision: 'deny',
          code,
          rule: 'builtin:policy',
          reasons,
          detail: { revision: 1 },
          requestDigest: sha256hex(safeCanonical(policy)),
        }),
      );
      this.count('deny', code, 'builtin:policy');
      throw new RequestRefused(`signing policy refused (${code}): ${reasons.slice(0, 4).join('; ')}`, 'policy');
    }
    const ok = r as Extract<typeof r, { ok: true }>;
    this.compiled.set(ok.policyHash, ok.compiled);
    return { record: { revision: 1, previousHash: null, policy: ok.compiled.document }, hash: ok.policyHash };
  }

  /**
   * The DKG completed: in one transaction, `activate()` the share, store revision 1 beside it and
   * log it — a share never becomes usable without its policy.
   */
  bind(keyId: string, session: string, record: PolicyRevision, hash: string, activate: () => void): void {
    const now = this.now();
    this.o.store.transaction(() => {
      activate();
      this.o.store.putRevision({
        keyId,
        revision: 1,
        previousHash: null,
        policy: record.policy,
        policyHash: hash,
        acceptedAt: now,
        activatesAt: now,
        approvedBy: [],
      });
      this.o.store.appendAudit({
        at: now,
        keyId,
        session,
        event: 'policy-bind',
        decision: 'allow',
        code: 'BOUND',
        rule: null,
        reasons: [],
        detail: { revision: 1, policyHash: hash },
        requestDigest: hash.slice(2),
      });
    });
    this.revisionCache.delete(keyId);
  }

  // --- signing -----------------------------------------------------------------------------------

  /** The last `limit` entries of this party's audit log, oldest first (the console's audit-query). */
  auditTail(limit: number): { total: number; entries: AuditEntry[] } {
    return this.o.store.auditTail(limit);
  }

  /**
   * Group commit: runs `fn` in ONE transaction; every decideSign inside it is a savepoint of it, in
   * call order (each sees the charges and sequences of the ones before), and all are committed
   * together — one fsync — when this returns. If the commit fails, none of them is (and this throws).
   */
  batch<T>(fn: () => T): T {
    return this.o.store.transaction(fn);
  }

  /**
   * Decides one sign request and commits the decision (charges, sequence, audit entry) before it
   * returns — or, inside batch(), when the batch commits. Never throws for a deny; the caller aborts
   * the session on `decision.decision === 'deny'`.
   */
  decideSign(facts: KeyFacts, session: string, req: CheckedSignRequest, signers: number[]): SignOutcome {
    const wallClock = this.now();
    const { store } = this.o;
    const messageSha256 = sha256hex(req.message);
    const requestDigest = sha256hex(
      canonicalize({
        type: 'tutti-sign-request/1',
        keyId: facts.keyId,
        signingAlgorithm: req.signingAlgorithm,
        messageType: req.messageType,
        messageSha256,
        caller: req.caller,
        grantTokens: req.grantTokens,
        ...(facts.derivationPath === undefined ? {} : { derivationPath: facts.derivationPath }),
      }),
    );
    const outcome = store.transaction((): SignOutcome => {
      let enforced: { revision: StoredRevision; compiled: CompiledPolicy } | null = null;
      let decision: Decision;
      let now = wallClock;
      let sequenceKeys = new Map<string, string>();
      let aliases = new Map<string, string[]>();
      try {
        // The key's monotonic time (docs/policies.md "Time"): a clock stepped back reopens nothing.
        now = store.advanceClock(facts.keyId, wallClock);
        enforced = this.enforced(facts, now);
        if (enforced) sequenceKeys = sequenceKeysOf(enforced.compiled);
        if (enforced) aliases = this.renamedFrom(facts, enforced.revision);
        decision =
          enforced === null
            ? deny('INVALID_POLICY', 'builtin:policy', ['no signing policy is stored for this key'])
            : evaluate(enforced.compiled, this.request(facts, req), {
                now,
                // A rule renamed by a revision keeps its budget: its charges under its earlier ids count too.
                rateLimitCounts: (scope, windowMs) =>
                  [scope, ...(aliases.get(scope) ?? [])].reduce((n, s) => n + store.rateLimitCount(facts.keyId, s, now, windowMs), 0),
                sequenceHighWater: (ruleId) => highWater(store, facts.keyId, ruleId, sequenceKeys, aliases),
                approvalUsed: (approverId, approvalId) => store.approvalUsed(facts.keyId, approverId, approvalId),
              });
      } catch (e) {
        decision = deny('INTERNAL_ERROR', 'builtin:policy-store', [(e as Error).message]);
      }
      if (decision.decision === 'allow') {
        store.pruneCharges(facts.keyId, now);
        for (const c of decision.rateLimitCharges ?? []) store.charge(facts.keyId, c.scope, c.at, c.keepForMs);
        for (const u of decision.sequenceUpdates ?? []) store.raiseHighWater(facts.keyId, sequenceKeys.get(u.ruleId) ?? u.ruleId, u.value);
        // One-use approvals: recorded with the decision, so a replay (here or after a restart) is refused.
        store.pruneApprovals(facts.keyId, now);
        for (const a of decision.approvalsUsed ?? []) store.useApproval(facts.keyId, a.approverId, a.approvalId, a.expiresAt);
      }
      const policyHash = enforced?.revision.policyHash ?? null;
      const revision = enforced?.revision.revision ?? null;
      const sequences = (decision.sequenceUpdates ?? []).map((u) => ({ key: sequenceKeys.get(u.ruleId) ?? u.ruleId, value: u.value }));
      store.appendAudit({
        at: now,
        keyId: facts.keyId,
        session,
        event: 'sign',
        decision: decision.decision,
        code: decision.code,
        rule: decision.rule ?? null,
        reasons: decision.reasons,
        detail: {
          policyHash,
          revision,
          format: decision.format ?? null,
          signingAlgorithm: req.signingAlgorithm,
          messageType: req.messageType,
          messageBytes: req.message.length,
          messageSha256,
          caller: req.caller,
          approvedBy: decision.approvedBy ?? [],
          signers,
          approvalIds: (decision.approvalsUsed ?? []).map((a) => a.approvalId),
          ...(now !== wallClock ? { wallClock } : {}),
        },
        requestDigest,
      });
      return { decision, policyHash, revision, agreement: { revision, policyHash, sequences } };
    });
    this.count(outcome.decision.decision, outcome.decision.code, outcome.decision.rule ?? 'none');
    return outcome;
  }

  private request(facts: KeyFacts, req: CheckedSignRequest): SignRequest {
    return {
      keyId: facts.keyId,
      keySpec: facts.keySpec,
      signingAlgorithm: req.signingAlgorithm,
      messageType: req.messageType,
      message: req.message,
      // The gateway checked the caller's SigV4 (an HMAC the party cannot check): front-end asserted.
      caller: { accessKeyId: req.caller.accessKeyId, principal: req.caller.principal, verifiedBy: 'frontEnd' },
      approvals: req.grantTokens,
      publicKey: hexToBytes(facts.publicKey),
      ...(facts.derivationPath === undefined ? {} : { derivationPath: facts.derivationPath }),
    };
  }

  // --- revisions ---------------------------------------------------------------------------------

  /**
   * Installs the next revision of the key's policy if it follows the party's latest one and carries
   * the approvals the current policy demands; the same revision again is accepted (a retried
   * PutKeyPolicy). Logs the decision. Throws RequestRefused('policy') on refusal.
   */
  revise(facts: KeyFacts, session: string, next: PolicyRevisionRecord, approvals: string[]): PolicyRevisionResult {
    const wallClock = this.now();
    const { store } = this.o;
    const requestDigest = sha256hex(safeCanonical({ type: 'tutti-policy-revision/1', keyId: facts.keyId, next, approvals }));
    const result = store.transaction(() => {
      // On the key's clock, as its sign decisions are: activation times are on the same time line.
      const now = store.advanceClock(facts.keyId, wallClock);
      const revs = this.revisions(facts);
      const latest = revs[revs.length - 1];
      let code: string;
      let reasons: string[] = [];
      let installed: PolicyRevisionResult | null = null;
      let approvedBy: string[] = [];
      if (!latest) {
        code = 'INVALID_POLICY';
        reasons = ['no signing policy is stored for this key'];
      } else if (next.revision === latest.revision && next.previousHash === latest.previousHash && safeHash(next.policy) === latest.policyHash) {
        code = 'ALREADY_INSTALLED';
        installed = { policyHash: latest.policyHash, revision: latest.revision, activatesAt: latest.activatesAt };
      } else if (latest.activatesAt > now) {
        code = 'GOVERNANCE';
        reasons = [`revision ${latest.revision} takes effect at ${new Date(latest.activatesAt).toISOString()}; a further change waits until then`];
      } else {
        const current: PolicyRevision = { revision: latest.revision, previousHash: latest.previousHash, policy: latest.policy };
        const r = checkPolicyRevision(facts.keyId, current, next as PolicyRevision, approvals, now);
        const overlap =
          r.ok && facts.threshold !== undefined && facts.n !== undefined ? signerOverlapProblem(r.compiled.document, facts.threshold, facts.n) : null;
        if (r.ok && overlap) {
          code = 'SIGNER_OVERLAP';
          reasons = [overlap];
        } else if (r.ok) {
          code = 'REVISION_ACCEPTED';
          approvedBy = r.approvedBy;
          store.putRevision({
            keyId: facts.keyId,
            revision: next.revision,
            previousHash: next.previousHash,
            policy: r.compiled.document,
            policyHash: r.policyHash,
            acceptedAt: now,
            activatesAt: r.activatesAt,
            approvedBy: r.approvedBy,
            // Kept for a party new to the key, which checks the chain itself at a reshare.
            approvals: [...approvals],
          });
          this.compiled.set(r.policyHash, r.compiled);
          this.revisionCache.delete(facts.keyId);
          installed = { policyHash: r.policyHash, revision: next.revision, activatesAt: r.activatesAt };
        } else {
          code = r.code;
          reasons = r.reasons;
        }
      }
      const decision = installed ? 'allow' : 'deny';
      store.appendAudit({
        at: now,
        keyId: facts.keyId,
        session,
        event: 'policy-revision',
        decision,
        code,
        rule: installed ? null : 'builtin:governance',
        reasons,
        detail: {
          revision: typeof next.revision === 'number' ? next.revision : null,
          previousHash: next.previousHash ?? null,
          policyHash: installed?.policyHash ?? safeHash(next.policy),
          activatesAt: installed?.activatesAt ?? null,
          approvedBy,
        },
        requestDigest,
      });
      return { installed, code, reasons };
    });
    this.count(result.installed ? 'allow' : 'deny', result.code, result.installed ? 'none' : 'builtin:governance');
    if (!result.installed) throw new RequestRefused(`policy revision refused (${result.code}): ${result.reasons.slice(0, 4).join('; ')}`, 'policy');
    return result.installed;
  }

  // --- reshare ------------------------------------------------------------------------------------

  /**
   * The key's whole signing-policy history as this holder recorded it, for a party new to the key
   * (docs/security.md "Policy chain at a reshare"): each revision with the approvals it was
   * installed with, oldest first.
   */
  chain(facts: KeyFacts): RevisionLink[] {
    return this.revisions(facts).map((r) => ({
      revision: r.revision,
      previousHash: r.previousHash,
      policy: r.policy,
      approvals: r.approvals ?? [],
      acceptedAt: r.acceptedAt,
      activatesAt: r.activatesAt,
    }));
  }

  /** The key's newest revision here: what a reshare binds (reshare.ts reshareContext) and what must be in force before one onto new parties. */
  head(facts: KeyFacts): { revision: number; policyHash: string; activatesAt: number } | null {
    const revs = this.revisions(facts);
    const last = revs[revs.length - 1];
    return last ? { revision: last.revision, policyHash: last.policyHash, activatesAt: last.activatesAt } : null;
  }

  /**
   * A party new to the key checks the chain of revisions that comes with a reshare's open itself
   * (policies/revisions.ts checkRevisionChain) and that its newest revision can be enforced for the
   * new quorum. A refusal is logged and thrown as RequestRefused('policy'), naming the link that failed.
   */
  newcomerChain(
    keyId: string,
    keySpec: string,
    session: string,
    chain: unknown,
    size: { t: number; n: number },
  ): { links: VerifiedLink[]; head: { revision: number; policyHash: string } } {
    const now = this.now();
    const r = checkRevisionChain(keyId, keySpec, chain, now);
    let refusal: string[] | null = null;
    if (!r.ok) refusal = ['POLICY_CHAIN', ...(r.revision === null ? [] : [`revision ${r.revision}`]), ...r.reasons];
    else {
      const overlap = signerOverlapProblem(r.links[r.links.length - 1]!.compiled.document, size.t, size.n);
      if (overlap) refusal = ['SIGNER_OVERLAP', overlap];
    }
    if (refusal) {
      const [code, ...reasons] = refusal as [string, ...string[]];
      this.o.store.transaction(() =>
        this.o.store.appendAudit({
          at: now,
          keyId,
          session,
          event: 'policy-bind',
          decision: 'deny',
          code,
          rule: 'builtin:policy-chain',
          reasons,
          detail: { links: Array.isArray(chain) ? chain.length : null },
          requestDigest: sha256hex(safeCanonical(chain)),
        }),
      );
      this.count('deny', code, 'builtin:policy-chain');
      throw new RequestRefused(`signing policy chain refused (${code}): ${reasons.slice(0, 4).join('; ')}`, 'policy');
    }
    const ok = r as Extract<typeof r, { ok: true }>;
    for (const l of ok.links) this.compiled.set(l.policyHash, l.compiled);
    return { links: ok.links, head: ok.head };
  }

  /**
   * A reshare onto this party activated: in the activation's transaction, the chain it checked
   * (newcomerChain) is stored as its own history — every revision, with its approvals and times —
   * and logged. The newest revision is enforced from the first Sign on. Times recorded by the
   * holder a little ahead of this party's clock are brought back to now, so that the newest
   * revision is in force here at once, as at the holders.
   */
  bindChain(keyId: string, session: string, links: readonly RevisionLink[]): void {
    const now = this.now();
    this.o.store.transaction(() => {
      for (const l of links) {
        const hash = policyHash(l.policy);
        this.o.store.putRevision({
          keyId,
          revision: l.revision,
          previousHash: l.previousHash,
          policy: l.policy,
          policyHash: hash,
          acceptedAt: Math.min(l.acceptedAt, now),
          activatesAt: Math.min(l.activatesAt, now),
          approvedBy: [],
          ...(l.approvals.length ? { approvals: [...l.approvals] } : {}),
        });
      }
      const head = links[links.length - 1]!;
      this.o.store.appendAudit({
        at: now,
        keyId,
        session,
        event: 'policy-bind',
        decision: 'allow',
        code: 'BOUND_CHAIN',
        rule: null,
        reasons: [],
        detail: { revision: head.revision, policyHash: policyHash(head.policy), links: links.length, firstPolicyHash: policyHash(links[0]!.policy) },
        requestDigest: sha256hex(safeCanonical(links.map((l) => [l.revision, l.previousHash, policyHash(l.policy)]))),
      });
    });
    this.revisionCache.delete(keyId);
  }

  /**
   * Whether this party lets the key move to another quorum (ReshareKey): when the revision in
   * force (`policy`: this holder's, or for a party new to the key the head of the chain it
   * checked) has governance.reshareApprovals, that many of its approvers must have signed this
   * very move (policies/approvals.ts reshareApprovalStatement). Logged either way; a refusal is
   * thrown as RequestRefused('policy') — AccessDeniedException at the API.
   */
  decideReshare(
    keyId: string,
    session: string,
    policy: { document: CompiledPolicy['document']; approvers: CompiledPolicy['approvers']; hash: string } | null,
    move: Omit<ReshareApprovalSubject, 'keyId' | 'policyHash'>,
    approvals: unknown,
  ): void {
    const wallClock = this.now();
    const { store } = this.o;
    const tokens = Array.isArray(approvals) ? approvals.filter((a): a is string => typeof a === 'string') : [];
    const subject: ReshareApprovalSubject = { keyId, policyHash: policy?.hash ?? '', ...move };
    const requirement = policy?.document.governance.reshareApprovals;
    const result = store.transaction(() => {
      const now = store.advanceClock(keyId, wallClock);
      let code = 'NO_APPROVALS_REQUIRED';
      let reasons: string[] = [];
      let approvedBy: string[] = [];
      let ok = true;
      if (!policy) {
        ok = false;
        code = 'INVALID_POLICY';
        reasons = ['no signing policy in force for this key'];
      } else if (requirement) {
        const a = checkApprovals(tokens, requirement, policy.approvers, { kind: 'change', statement: (exp) => reshareApprovalStatement(subject, exp) }, now);
        approvedBy = a.approvedBy;
        ok = a.ok;
        code = a.ok ? 'APPROVED' : 'GOVERNANCE';
        if (!a.ok) reasons = [`${a.approvedBy.length} of ${requirement.threshold} required reshare approvals (governance.reshareApprovals)`, ...a.problems];
      }
      store.appendAudit({
        at: now,
        keyId,
        session,
        event: 'reshare',
        decision: ok ? 'allow' : 'deny',
        code,
        rule: ok ? null : 'builtin:governance',
        reasons,
        detail: { ...move, fromParties: [...move.fromParties], parties: [...move.parties], policyHash: subject.policyHash, approvedBy },
        requestDigest: sha256hex(safeCanonical({ type: 'tutti-reshare-request/1', ...subject, approvals: tokens })),
      });
      return { ok, code, reasons };
    });
    this.count(result.ok ? 'allow' : 'deny', result.code, result.ok ? 'none' : 'builtin:governance');
    if (!result.ok) throw new RequestRefused(`reshare refused (${result.code}): ${result.reasons.slice(0, 4).join('; ')}`, 'policy');
  }

  /** The revision in force for `facts` now, compiled (decideReshare's policy for a holder); null if none. */
  inForce(facts: KeyFacts): { document: CompiledPolicy['document']; approvers: CompiledPolicy['approvers']; hash: string } | null {
    const e = this.enforced(facts, this.now());
    return e ? { document: e.compiled.document, approvers: e.compiled.approvers, hash: e.revision.policyHash } : null;
  }

  // --- deletion ----------------------------------------------------------------------------------

  /**
   * The key's share was deleted on the coordinator's word (the signing policy language has no rule
   * for deletion): forget its policy state and log the deletion.
   */
  deleted(
    keyId: string,
    why: { code: string; reasons: string[]; detail: Record<string, unknown> } = {
      code: 'COORDINATOR_REQUEST',
      reasons: ["share deleted on the coordinator's delete-key message"],
      detail: {},
    },
  ): void {
    const now = this.now();
    this.o.store.transaction(() => {
      this.o.store.deleteKey(keyId);
      this.o.store.appendAudit({
        at: now,
        keyId,
        session: '',
        event: 'key-deleted',
        decision: 'allow',
        code: why.code,
        rule: null,
        reasons: why.reasons,
        detail: why.detail,
        requestDigest: sha256hex(keyId),
      });
    });
    this.revisionCache.delete(keyId);
    this.aliasCache.delete(keyId);
  }

  /** An audit entry about a key's deletion that deletes nothing yet (a signed request received, cancelled, refused). */
  auditDeletion(
    keyId: string,
    event: 'key-deletion-requested' | 'key-deletion-cancelled' | 'key-deletion-refused',
    decision: 'allow' | 'deny',
    code: string,
    reasons: string[],
    detail: Record<string, unknown>,
  ): void {
    const now = this.now();
    this.o.store.transaction(() =>
      this.o.store.appendAudit({ at: now, keyId, session: '', event, decision, code, rule: null, reasons, detail, requestDigest: sha256hex(keyId) }),
    );
  }

  // --- state -------------------------------------------------------------------------------------

  /** The key's revisions, oldest first; a key generated before signing policies has the default one. */
  private revisions(facts: KeyFacts): StoredRevision[] {
    let revs = this.revisionCache.get(facts.keyId);
    if (!revs) {
      revs = this.o.store.revisions(facts.keyId);
      if (revs.length > 0 && facts.policyHash !== null && revs[0]!.policyHash !== facts.policyHash) {
        throw new Error(`the stored first policy revision of key ${facts.keyId} is not the one bound at key generation`);
      }
      if (revs.length === 0 && facts.policyHash === null) {
        const algorithms = PROTOCOL_SUITES[facts.protocol]?.algorithms ?? [];
        const policy = defaultSigningPolicy(facts.keySpec as KeySpec, algorithms);
        revs = [{ keyId: facts.keyId, revision: 1, previousHash: null, policy, policyHash: safeHash(policy), acceptedAt: 0, activatesAt: 0, approvedBy: [] }];
      }
      if (this.revisionCache.size > 10_000) this.revisionCache.clear();
      this.revisionCache.set(facts.keyId, revs);
    }
    return revs;
  }

  /** Per key: the enforced revision's rules' earlier ids (renamedFrom), cached for that revision and history length. */
  private readonly aliasCache = new Map<string, { hash: string; length: number; aliases: Map<string, string[]> }>();

  /**
   * For each rule of `enforced`, the ids it had in earlier revisions: a rule of an earlier revision
   * that is the same rule but for its id (RFC 8785 JSON of the rule without `id`) was renamed into
   * it, so its rate-limit charges (and sequence marks kept by rule id) are its own. An earlier id
   * that is still a rule of the enforced revision is that rule's, never an alias.
   */
  private renamedFrom(facts: KeyFacts, enforced: StoredRevision): Map<string, string[]> {
    const revs = this.revisions(facts);
    if (revs.length < 2) return new Map();
    const cached = this.aliasCache.get(facts.keyId);
    if (cached && cached.hash === enforced.policyHash && cached.length === revs.length) return cached.aliases;
    const body = (rule: { id: string }): string => {
      const { id: _id, ...rest } = rule;
      return canonicalize(rest);
    };
    const current = new Map(enforced.policy.rules.map((r) => [body(r), r.id]));
    const own = new Set(enforced.policy.rules.map((r) => r.id));
    const aliases = new Map<string, string[]>();
    for (const rev of revs) {
      for (const r of rev.policy.rules) {
        const id = current.get(body(r));
        if (id === undefined || r.id === id || own.has(r.id)) continue;
        const list = aliases.get(id) ?? [];
        if (!list.includes(r.id)) list.push(r.id);
        aliases.set(id, list);
      }
    }
    if (this.aliasCache.size > 10_000) this.aliasCache.clear();
    this.aliasCache.set(facts.keyId, { hash: enforced.policyHash, length: revs.length, aliases });
    return aliases;
  }

  /** The revision in force at `now` (the newest whose activation time has come), compiled; null if none. */
  private enforced(facts: KeyFacts, now: number): { revision: StoredRevision; compiled: CompiledPolicy } | null {
    const revs = this.revisions(facts);
    let revision: StoredRevision | undefined;
    for (const r of revs) if (r.activatesAt <= now) revision = r;
    if (!revision) return null;
    let compiled = this.compiled.get(revision.policyHash);
    if (!compiled) {
      compiled = compilePolicy(revision.policy);
      if (this.compiled.size > 10_000) this.compiled.clear();
      this.compiled.set(revision.policyHash, compiled);
    }
    return { revision, compiled };
  }

  private count(decision: string, code: string, rule: string): void {
    this.o.metrics?.policyDecisions.inc({ decision, code, rule });
  }
}

function safeCanonical(v: unknown): string {
  try {
    return canonicalize(v);
  } catch {
    return String(v);
  }
}

function safeHash(policy: unknown): string {
  try {
    return policyHash(policy);
  } catch {
    return 'unhashable';
  }
}

/**
 * Each `sequence` rule's state key (policies/signer-overlap.ts sequenceStateKey: the byte range the
 * number is read from), by rule id, so that a revision renaming the rule keeps its high-water mark.
 */
function sequenceKeysOf(compiled: CompiledPolicy): Map<string, string> {
  const keys = new Map<string, string>();
  for (const rule of compiled.document.rules) {
    const f = rule.conditions.format;
    if (f?.kind === 'raw' && f.sequence) keys.set(rule.id, sequenceStateKey(f.sequence));
  }
  return keys;
}

/** A rule's high-water mark: the highest under its state key and (kept from before state keys) under its rule id or an id it had before a rename. */
function highWater(store: PolicyStore, keyId: string, ruleId: string, keys: Map<string, string>, aliases: Map<string, string[]>): bigint | undefined {
  const key = keys.get(ruleId);
  let high: bigint | undefined;
  for (const k of [...(key === undefined ? [] : [key]), ruleId, ...(aliases.get(ruleId) ?? [])]) {
    const v = store.highWater(keyId, k);
    if (v !== undefined && (high === undefined || v > high)) high = v;
  }
  return high;
}
