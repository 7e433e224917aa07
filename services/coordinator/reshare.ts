// ReshareKey (a Tutti extension, `TrentService.ReshareKey`; docs/kms-compatibility.md "Extensions",
// docs/protocols.md "ReshareKey through the service"): the key keeps its public key and moves to a
// new set of holders under a new threshold. Top to bottom: key policy (kms:ReshareKey) → checks
// (2 ≤ t ≤ n ≤ 10; configured, connected parties) → t_old connected old holders
// deal (protocols/frost/reshare.ts; DKLs23 keys protocols/dkls23/reshare.ts, whose new holders also
// run their pairwise OT setup in the same session) to the new holders; a party new to the key gets the old key's
// public package (a holder's, key-packages.ts) and the signing policy with the open → every new
// holder confirms the same transcript → the certificate of their signed confirmations activates the
// new shares (two-phase, refresh-activation.ts) → the key record's parties and threshold, and its
// creation receipts, follow; the old holders left out are sent a signed deletion record.
import { recordHolders } from './record-holders.ts';
import { internal, invalidState, keyUnavailable, validation } from '../kms-api/errors.ts';
import type { Caller, KeyRecord } from '../kms-api/key-service.ts';
import type { DkgResult } from '../control/messages.ts';
import type { PolicyDocument } from '../../policies/types.ts';
import { KEY_SPECS } from './key-specs.ts';
import { keyRecord, requireNotPendingDeletion } from './key-access.ts';
import { checkSignerOverlap, currentSigningPolicy } from './signing-policy.ts';
import { recordRevisionAcks } from './revision-acks.ts';
import type { CoordinatorContext } from './context.ts';

/** grantTokens: approvals of this reshare, when the key's signing policy has governance.reshareApprovals (every party checks them). */
export type ReshareRequest = { threshold: unknown; parties: unknown; grantTokens?: unknown };

/** Most holders a key has (as CreateKey's tutti:parties, tags.ts). */
const MAX_PARTIES = 10;

/** Checks the request against the key and the configuration; throws the AWS-shaped error, changes nothing. */
function checkRequest(o: CoordinatorContext['o'], req: ReshareRequest): { threshold: number; parties: string[] } {
  const { threshold, parties } = req;
  if (!Array.isArray(parties) || parties.length === 0 || parties.some((p) => typeof p !== 'string' || p === ''))
    throw validation('Parties must be a non-empty list of party ids.');
  if (new Set(parties).size !== parties.length) throw validation(`A party is named twice in Parties (${parties.join(', ')}).`);
  const unknown = (parties as string[]).filter((p) => !o.parties.includes(p));
  if (unknown.length) throw validation(`Unknown parties ${unknown.join(', ')}: the configured parties are ${o.parties.join(', ')}.`);
  if (!Number.isInteger(threshold) || (threshold as number) < 2 || (threshold as number) > parties.length || parties.length > MAX_PARTIES)
    throw validation(`Threshold ${String(threshold)} of ${parties.length} parties is not allowed: need 2 <= Threshold <= parties <= ${MAX_PARTIES}.`);
  return { threshold: threshold as number, parties: parties as string[] };
}

/**
 * Newcomers holding a restored share of an old holder that is not connected: newcomer → that old
 * holder. Asked only when an old holder is missing; a newcomer's claim is checked by the protocol
 * (its commitment constant must be λ_i·X_i of the old share it claims), not trusted here.
 */
async function findStandIns(
  o: CoordinatorContext['o'],
  k: { keyId: string; parties: string[]; publicKey: string | null },
  newcomers: string[],
): Promise<Map<string, string>> {
  const gone = k.parties.filter((p) => !o.isConnected(p));
  const out = new Map<string, string>();
  if (!gone.length || !o.askKeyPackage) return out;
  const candidates = newcomers.filter((p) => o.isConnected(p));
  const answers = await Promise.all(candidates.map((p) => o.askKeyPackage!(p, k.keyId)));
  candidates.forEach((p, i) => {
    const a = answers[i];
    const pkg = a?.package as { groupPublicKey?: unknown } | undefined;
    const holds = a?.holds;
    if (holds && gone.includes(holds) && pkg?.groupPublicKey === k.publicKey && ![...out.values()].includes(holds)) out.set(p, holds);
  });
  return out;
}

export async function reshareKey(ctx: CoordinatorContext, keyId: string, req: ReshareRequest, caller: Caller): Promise<KeyRecord> {
  const { o, access, bans, premade, presigns } = ctx;
  const k = await access.resolve(keyId, caller, 'key');
  access.authorize(k, 'ReshareKey', caller);
  requireNotPendingDeletion(k);
  if (k.keyState !== 'Enabled' && k.keyState !== 'Disabled') throw invalidState(`${k.arn} cannot be reshared in state ${k.keyState}.`);
  const spec = KEY_SPECS[k.keySpec]!;
  const child = o.derivations?.child(k.keyId);
  if (child) throw validation(`${k.arn} is derived from key ${child.parentKeyId} and has no shares of its own: reshare its parent (its children follow).`);
  const { threshold, parties } = checkRequest(o, req);
  const signingPolicy = k.signingPolicy ? (JSON.parse(k.signingPolicy) as PolicyDocument) : undefined;
  if (signingPolicy) checkSignerOverlap(signingPolicy, threshold, parties.length);
  const newcomers = parties.filter((p) => !k.parties.includes(p));
  const grantTokens = req.grantTokens ?? [];
  if (!Array.isArray(grantTokens) || grantTokens.length > 10 || grantTokens.some((g) => typeof g !== 'string' || g.length > 8192))
    throw validation('GrantTokens must be a list of at most 10 tokens.');
  // A party left out by an earlier reshare or refresh that has not deleted its old share yet would
  // delete the new one when its own wait ends (key-deletion.ts): it is named again only after that.
  const owed = await Promise.all(newcomers.map(async (p) => (await o.keys.pendingShareDeletionsOf(p)).includes(k.keyId)));
  const stale = newcomers.filter((_p, i) => owed[i]);
  if (stale.length)
    throw keyUnavailable(
      `Cannot reshare ${k.arn} onto ${stale.join(', ')} yet: they still hold a share of an earlier version of the key and delete it after their waiting period (docs/operations.md "Changing a key's quorum").`,
    );
  const offline = newcomers.filter((p) => !o.isConnected(p));
  if (offline.length) throw keyUnavailable(`Cannot reshare ${k.arn}: new parties ${offline.join(', ')} are not connected.`);
  // An old holder that is gone may be stood in for by a new party that restored its share from a
  // backup (docs/operations.md "Backup and recovery drill"): live holders in old-index order.
  const standIns = await findStandIns(o, k, newcomers);
  const standInFor = new Map([...standIns].map(([newcomer, old]) => [old, newcomer]));
  const live = k.parties.flatMap((p) => (o.isConnected(p) ? [p] : standInFor.has(p) ? [standInFor.get(p)!] : []));
  // Dealers: t_old connected holders, those staying first (fewer session members).
  const dealers = [...live.filter((p) => parties.includes(p)), ...live.filter((p) => !parties.includes(p))].slice(0, k.threshold);
  if (dealers.length < k.threshold)
    throw keyUnavailable(`Cannot reshare ${k.arn}: ${dealers.length} of its parties are connected, fewer than its threshold ${k.threshold}.`);
  // Old holders staying in the new set receive too and must be connected.
  const staying = parties.filter((p) => k.parties.includes(p) && !o.isConnected(p));
  if (staying.length) throw keyUnavailable(`Cannot reshare ${k.arn}: parties ${staying.join(', ')} are not connected.`);
  let extra: { oldKey?: unknown; policy?: unknown; policyChain?: unknown; chainCode?: string } = {};
  if (newcomers.length) {
    const answer = o.askKeyPackage ? await o.askKeyPackage(dealers[0]!, k.keyId) : undefined;
    const pkg = answer?.package as { groupPublicKey?: unknown } | undefined;
    if (!pkg || pkg.groupPublicKey !== k.publicKey)
      throw keyUnavailable(`Cannot reshare ${k.arn}: ${dealers[0]} did not report the key's public package (new parties need it).`);
    // The signing policy's whole history as that holder recorded it, with its approvals: each new
    // party checks it link by link and every old holder checks it is its own (docs/security.md
    // "Policy chain at a reshare"); relayed, not vouched for.
    if (!Array.isArray(answer?.policyChain) || answer.policyChain.length === 0)
      throw keyUnavailable(`Cannot reshare ${k.arn}: ${dealers[0]} did not report the key's signing-policy revisions (new parties need them).`);
    extra = { oldKey: pkg, policy: signingPolicy, policyChain: answer.policyChain, ...(answer?.chainCode ? { chainCode: answer.chainCode } : {}) };
  }
  // Premade nonces and presignatures belong to the old share version: none survives it (the
  // parties drop theirs when the new version activates, and refuse the old version's anyway).
  premade.dropKey(k.keyId);
  presigns.dropKey(k.keyId);
  const sessionIds = [...parties, ...dealers.filter((p) => !parties.includes(p))];
  const members = new Map(sessionIds.map((p, i) => [i + 1, p]));
  let session = '';
  let results: DkgResult[];
  try {
    const outputs = await o.runner.run(
      `${spec.protocol}/reshare`,
      members,
      (s) => ({
        type: 'open',
        kind: 'reshare',
        session: (session = s),
        keyId: k.keyId,
        keySpec: k.keySpec,
        protocol: spec.protocol,
        oldParties: [...k.parties],
        dealers,
        parties,
        threshold,
        fromThreshold: k.threshold,
        ...(grantTokens.length ? { approvals: grantTokens as string[] } : {}),
        ...extra,
        ...(dealers.some((p) => standIns.has(p))
          ? { standIns: Object.fromEntries(dealers.filter((p) => standIns.has(p)).map((p) => [p, standIns.get(p)!])) }
          : {}),
      }),
      { roundTimeoutMs: o.dkgRoundTimeoutMs ?? 30_000 },
    );
    results = [...members.keys()].map((i) => outputs.get(i)) as DkgResult[];
  } catch (err) {
    // Some new holders may have confirmed: settle it (a rollback, proven by one that did not).
    if (session) o.activations?.settle(k.keyId, session, parties);
    throw access.sessionError(err, 'ReshareKey');
  }
  const receivers = results.slice(0, parties.length);
  const first = receivers[0]!;
  if (results.some((r) => r.publicKey !== k.publicKey) || receivers.some((r) => r.transcriptHash !== first.transcriptHash || !r.confirmation)) {
    throw internal(`Reshare of ${k.arn}: the parties did not confirm the same transcript for the same public key.`);
  }
  await o.activations?.certify(
    {
      keyId: k.keyId,
      session,
      publicKey: first.publicKey,
      transcriptHash: first.transcriptHash,
      members: parties,
      confirmations: receivers.map((r) => String(r.confirmation)),
      threshold,
    },
    o.dkgRoundTimeoutMs ?? 30_000,
  );
  // The new holders hold their new shares (active): the record follows, the new receipts replace
  // the old ones, and the old holders left out are told to delete theirs (signed record).
  await recordHolders(o.keys, k.keyId, k.parties, parties, threshold, access.now());
  await o.evidence?.replaceReceipts(
    k.keyId,
    receivers.flatMap((r, i) => (r.receipt ? [{ partyId: parties[i]!, receipt: r.receipt }] : [])),
  );
  // The new parties' signed acknowledgements of the newest revision, which they checked themselves
  // (GetKeyPolicy TuttiRevisions): one that does not match the revision recorded here is logged.
  const current = currentSigningPolicy(k, spec);
  const unacknowledged = await recordRevisionAcks(
    o.acks,
    o.identities,
    k.keyId,
    receivers.flatMap((r, i) =>
      newcomers.includes(parties[i]!)
        ? [{ partyId: parties[i]!, revision: current.record.revision, policyHash: current.hash, acknowledgement: r.acknowledgement }]
        : [],
    ),
  );
  if (unacknowledged.length)
    o.log?.(`coordinator: ${k.keyId}: no valid acknowledgement of signing-policy revision ${current.record.revision} from ${unacknowledged.join(', ')}`);
  o.onShareDeletions?.();
  // Anything stocked while the reshare ran was made on the old version (whose pools the parties
  // dropped on activation): dropped again, the stock refills on the new holders.
  premade.dropKey(k.keyId);
  presigns.dropKey(k.keyId);
  // Bans are kept by index, which the reshare renumbered; the parties forgot theirs too.
  bans.lift(k.keyId);
  o.log?.(
    `coordinator: ${k.keyId} reshared from ${k.threshold}-of-${k.parties.length} (${k.parties.join(', ')}) to ${threshold}-of-${parties.length} (${parties.join(', ')}); ` +
      `dealers ${dealers.join(', ')} (transcript ${first.transcriptHash.slice(0, 16)}…)`,
  );
  return keyRecord((await o.keys.get(k.keyId))!);
}
