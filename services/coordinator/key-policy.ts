// The key policy: GetKeyPolicy, PutKeyPolicy, ListKeyPolicies and GetKeyPolicy's TuttiRevisions.
// A key has one AWS key policy ('default'); its TuttiSigningPolicy is the signing policy every party
// of the key enforces. Changing it is a revision (docs/policies.md "Revisions"): every party checks
// and stores it and signs an acknowledgement (revision-acks.ts) before the key's record changes here.
import type { Caller, Page } from '../kms-api/key-service.ts';
import { accessDenied, dependencyTimeout, internal, invalidState, keyUnavailable, notFound, validation } from '../kms-api/errors.ts';
import { defaultKeyPolicy, parseKeyPolicy } from '../../policies/aws-key-policy.ts';
import { policyHash as signingPolicyHash } from '../../policies/hash.ts';
import type { StoredKey } from '../storage/key-repository.ts';
import type { StoredRevisionAck } from '../storage/revision-acks.ts';
import type { PolicyRevisionResult } from '../control/messages.ts';
import { KEY_SPECS } from './key-specs.ts';
import type { Answer } from './session-runner.ts';
import { recordRevisionAcks, revisionAcksOf } from './revision-acks.ts';
import { currentSigningPolicy, requestedRevision, storedSigningPolicy, type PendingRevision } from './signing-policy.ts';
import { offsetPage, requireNotPendingDeletion } from './key-access.ts';
import type { CoordinatorContext } from './context.ts';

const POLICY_NAME = 'default';

export type PutKeyPolicyRequest = { keyId: string; policyName: string; policy: string; bypassPolicyLockoutSafetyCheck: boolean };

export async function getKeyPolicy({ o, access }: CoordinatorContext, keyId: string, policyName: string, caller: Caller): Promise<string> {
  const k = await access.resolve(keyId, caller, 'key');
  access.authorize(k, 'GetKeyPolicy', caller);
  if (policyName !== POLICY_NAME) throw notFound(`Key ${k.arn} has no policy named '${policyName}'; its only key policy is '${POLICY_NAME}'.`);
  return k.policy ?? defaultKeyPolicy(o.accountId);
}

/**
 * Stores the key policy. If its TuttiSigningPolicy differs from the key's signing policy, that is
 * a revision: checked here, then sent to every party of the key, each of which checks it itself
 * (it follows the revision the party holds and carries the approvals the current policy demands)
 * and stores it. The document and the new policy hash are committed only when all n accepted;
 * otherwise nothing changes here and the error names the parties that refused.
 */
export async function putKeyPolicy(ctx: CoordinatorContext, req: PutKeyPolicyRequest, caller: Caller): Promise<void> {
  const { access } = ctx;
  const checkAws = (k: StoredKey): void => {
    if (req.policyName !== POLICY_NAME) throw validation(`PolicyName must be '${POLICY_NAME}', the only key policy a key has; got '${req.policyName}'.`);
    requireNotPendingDeletion(k);
    access.checkNewPolicy(req.policy, k.arn, caller, req.bypassPolicyLockoutSafetyCheck);
  };
  const k = await access.resolve(req.keyId, caller, 'key');
  access.authorize(k, 'PutKeyPolicy', caller);
  checkAws(k);
  const doc = parseKeyPolicy(req.policy);
  const revision = requestedRevision(doc, k, KEY_SPECS[k.keySpec]!, access.now());
  if (revision) await reviseSigningPolicy(ctx, k, revision);
  const given = doc.tuttiSigningPolicy === undefined ? null : signingPolicyHash(doc.tuttiSigningPolicy);
  await access.change(req.keyId, 'PutKeyPolicy', caller, (cur) => {
    checkAws(cur);
    // Another PutKeyPolicy may have changed the signing policy while the parties were asked
    // (an identical one may have committed ours first).
    const hashOf = (x: StoredKey) => currentSigningPolicy(x, KEY_SPECS[x.keySpec]!).hash;
    const now = hashOf(cur);
    const expected = revision ? [hashOf(k), revision.hash] : [hashOf(k)];
    if (!expected.includes(now) || (!revision && given !== null && given !== now)) {
      throw invalidState(`The signing policy of ${cur.arn} changed while this request ran; read it again with GetKeyPolicy.`);
    }
    if (!revision) return { policy: req.policy };
    return {
      policy: req.policy,
      policyHash: revision.hash,
      policyRevision: revision.record.revision,
      signingPolicy: storedSigningPolicy(revision.record.policy),
    };
  });
}

/** Every party of the key must accept the revision; a KmsError naming the refusing parties otherwise. */
async function reviseSigningPolicy({ o }: CoordinatorContext, k: StoredKey, revision: PendingRevision): Promise<void> {
  const offline = k.parties.filter((p) => !o.isConnected(p));
  if (offline.length) {
    throw keyUnavailable(
      `Cannot change the signing policy of ${k.arn}: parties ${offline.join(', ')} are not connected; every party of the key must accept a change.`,
    );
  }
  const members = new Map(k.parties.map((p, i) => [i + 1, p]));
  const answers = await o.runner.ask(`${KEY_SPECS[k.keySpec]!.protocol}/policy`, members, (session) => ({
    type: 'open',
    kind: 'policy',
    session,
    keyId: k.keyId,
    revision: revision.record,
    approvals: revision.approvals,
  }));
  const accepted: string[] = [];
  const refused: { party: string; answer: Exclude<Answer, { ok: true }> }[] = [];
  for (const [i, a] of answers) {
    const party = members.get(i)!;
    const out = a.ok ? (a.output as PolicyRevisionResult) : undefined;
    // Installed counts only with the party's signed acknowledgement of (key, revision, hash).
    const acknowledged =
      out?.policyHash === revision.hash &&
      out.revision === revision.record.revision &&
      (
        await recordRevisionAcks(o.acks, o.identities, k.keyId, [
          { partyId: party, revision: out.revision, policyHash: out.policyHash, acknowledgement: out.acknowledgement },
        ])
      ).length === 0;
    if (acknowledged) accepted.push(party);
    else if (out?.policyHash !== revision.hash)
      refused.push({ party, answer: a.ok ? { ok: false, kind: 'internal', message: `${party} installed another policy hash` } : a });
    else
      refused.push({
        party,
        answer: { ok: false, kind: 'internal', message: `${party} sent no valid signed acknowledgement of revision ${revision.record.revision}` },
      });
  }
  if (refused.length === 0) {
    o.log?.(`coordinator: ${k.keyId} signing policy revision ${revision.record.revision} (${revision.hash}) accepted by all ${accepted.length} parties`);
    return;
  }
  const detail = refused.map(({ answer }) => answer.message).join(' | ');
  const partial = accepted.length
    ? ` Parties ${accepted.join(', ')} accepted and now hold revision ${revision.record.revision}; the key's policy stays unchanged here until all accept: repeat the same request.`
    : ' Nothing changed.';
  const names = refused.map((r) => r.party).join(', ');
  const message = `The signing-policy change of ${k.arn} was refused by ${names}: ${detail}.${partial}`;
  o.log?.(`coordinator: ${message}`);
  if (refused.some((r) => r.answer.kind === 'policy')) throw accessDenied(message);
  if (refused.some((r) => r.answer.kind === 'timeout')) throw dependencyTimeout(message);
  if (refused.some((r) => r.answer.kind === 'unavailable' || r.answer.kind === 'unknown-key')) throw keyUnavailable(message);
  throw internal(message);
}

/**
 * GetKeyPolicy's Tutti extension: each party's signed acknowledgement of the latest signing-policy
 * revision it installed (docs/kms-compatibility.md `TuttiRevisions`). Same authorization as GetKeyPolicy.
 */
export async function signingPolicyRevisions({ o, access }: CoordinatorContext, keyId: string, caller: Caller): Promise<StoredRevisionAck[]> {
  const k = await access.resolve(keyId, caller, 'key');
  access.authorize(k, 'GetKeyPolicy', caller);
  return revisionAcksOf(o.acks, k.keyId, k.parties);
}

export async function listKeyPolicies(
  { access }: CoordinatorContext,
  req: { keyId: string; limit: number; marker?: string },
  caller: Caller,
): Promise<Page<string>> {
  const k = await access.resolve(req.keyId, caller, 'key');
  access.authorize(k, 'ListKeyPolicies', caller);
  return offsetPage('policies', [POLICY_NAME], req.limit, req.marker);
}
