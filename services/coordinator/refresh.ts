// Refreshing a key (`cli.ts refresh`, docs/operations.md "Refreshing a key"), an operator action,
// not a KMS operation: every remaining party of the key runs the refresh session → all confirm the
// same transcript for the same public key → the certificate of their signed confirmations goes to
// all, and each activates its new share once it checked it (refresh-activation.ts; docs/protocols.md
// "Refresh activation") → the key record, the bans and the excluded parties' shares follow.
import { recordHolders } from './record-holders.ts';
import { internal, keyNotFound, keyUnavailable, notFound, validation } from '../kms-api/errors.ts';
import type { DkgResult } from '../control/messages.ts';
import { KEY_SPECS } from './key-specs.ts';
import { SessionFailed } from './session-runner.ts';
import { UUID_RE, requireNotPendingDeletion } from './key-access.ts';
import type { CoordinatorContext } from './context.ts';

export type RefreshOptions = { liftBans: boolean; exclude?: string[]; withoutBanned?: boolean };
export type RefreshOutcome = { keyId: string; publicKey: string; transcriptHash: string; parties: string[]; excluded: string[]; bansLifted: boolean };

/**
 * Refreshes a key: every party of the key runs the refresh session — new shares and all new OT
 * state, the same public key — and the new shares replace the old ones when all confirmed the same
 * transcript. `liftBans`: each party then forgets the bans it held for the key, and so does this
 * coordinator. DKLs23 keys run protocols/dkls23/refresh.ts; FROST keys a reshare onto the same
 * holders (protocols/frost/reshare.ts), whose signing binds the share's version like DKLs23's.
 *
 * `exclude` (party ids): the refresh runs without them (both families): the others
 * keep their order and are renumbered 1..n', t stays, at least t must remain. Afterwards the key
 * record lists the remaining parties only, the bans against the excluded ones are forgotten, and
 * each excluded party is told to delete its share (durably recorded, resent until it confirms).
 * `withoutBanned`: also leave out every party that a remaining party has banned for the key —
 * the parties' ban tables decide: a party that holds a ban against a remaining peer refuses
 * (kind 'banned', naming it), and the refresh is tried again without that peer.
 * Every remaining party must be connected; the excluded ones need not be.
 */
export async function refreshKey({ o, access, bans, premade, presigns }: CoordinatorContext, keyId: string, opts: RefreshOptions): Promise<RefreshOutcome> {
  if (!UUID_RE.test(keyId)) throw notFound(`Invalid keyId '${keyId}'`);
  const k = await o.keys.get(keyId);
  if (!k || k.keyState === 'Creating') throw keyNotFound(access.arnOf(keyId));
  requireNotPendingDeletion(k);
  const spec = KEY_SPECS[k.keySpec]!;
  premade.dropKey(k.keyId);
  presigns.dropKey(k.keyId);
  const exclude = [...(opts.exclude ?? [])];
  const unknown = exclude.filter((p) => !k.parties.includes(p));
  if (unknown.length) throw validation(`Cannot leave out ${unknown.join(', ')}: not a party of ${k.arn} (its parties: ${k.parties.join(', ')}).`);
  if (new Set(exclude).size !== exclude.length) throw validation('A party is named twice in the parties to leave out.');
  if (opts.withoutBanned) {
    // What this coordinator learned (memory only) is a first guess; the parties' refusals decide.
    for (const b of bans.of(k.keyId)) {
      const peer = k.parties[b.peer - 1]!;
      if (!exclude.includes(peer) && !exclude.includes(k.parties[b.by - 1]!)) exclude.push(peer);
    }
  }
  for (let attempt = 0; ; attempt++) {
    const remaining = k.parties.filter((p) => !exclude.includes(p));
    if (remaining.length < k.threshold) {
      throw keyUnavailable(
        `Cannot refresh ${k.arn} without ${exclude.join(', ')}: ${remaining.length} parties would remain, fewer than its threshold ${k.threshold}. ` +
          'The key cannot be refreshed without them; its shares stay as they are.',
      );
    }
    const offline = remaining.filter((p) => !o.isConnected(p));
    if (offline.length) {
      throw keyUnavailable(
        `Cannot refresh ${k.arn}: parties ${offline.join(', ')} are not connected; every party of the key${exclude.length ? ' that stays' : ''} takes part in a refresh.`,
      );
    }
    const members = new Map(remaining.map((p, i) => [i + 1, p]));
    let results: DkgResult[];
    let refreshSession = '';
    try {
      const outputs = await o.runner.run(
        `${spec.protocol}/refresh`,
        members,
        (session) => ({
          type: 'open',
          kind: 'refresh',
          session: (refreshSession = session),
          keyId: k.keyId,
          liftBans: opts.liftBans,
          ...(exclude.length ? { exclude: [...exclude] } : {}),
          ...(opts.withoutBanned ? { withoutBanned: true } : {}),
        }),
        { roundTimeoutMs: o.dkgRoundTimeoutMs ?? 30_000 },
      );
      results = [...members.keys()].map((i) => outputs.get(i)) as DkgResult[];
    } catch (err) {
      // Some members may have confirmed the new version: settle it (a rollback, proven by a member that did not).
      if (refreshSession) o.activations?.settle(k.keyId, refreshSession, remaining);
      if (err instanceof SessionFailed && err.failure.kind === 'banned') {
        // The session numbers the remaining parties 1..n'; bans are kept by key index.
        const f = err.failure;
        const keyIndex = (i: number) => k.parties.indexOf(members.get(i)!) + 1;
        bans.learn(k, {
          ...f,
          reporter: f.reporter === undefined ? undefined : keyIndex(f.reporter),
          culprits: f.culprits.filter((c) => members.has(c)).map(keyIndex),
        });
        const more = f.culprits.map((c) => members.get(c)).filter((p): p is string => p !== undefined && !exclude.includes(p));
        if (opts.withoutBanned && more.length && attempt < k.parties.length) {
          exclude.push(...more);
          o.log?.(`refresh ${k.keyId}: ${f.message}; trying again without ${exclude.join(', ')}`);
          continue;
        }
      }
      throw access.sessionError(err, 'Refresh');
    }
    const first = results[0]!;
    if (results.some((r) => r.publicKey !== k.publicKey || r.transcriptHash !== first.transcriptHash)) {
      throw internal(`Refresh of ${k.arn}: the parties did not confirm the same transcript for the same public key.`);
    }
    // Every member confirmed: the certificate (their signed confirmations) goes to all, and each
    // activates the new version once it checked it (docs/protocols.md "Refresh activation").
    await o.activations?.certify(
      {
        keyId: k.keyId,
        session: refreshSession,
        publicKey: first.publicKey,
        transcriptHash: first.transcriptHash,
        members: remaining,
        confirmations: results.map((r) => String(r.confirmation ?? '')),
      },
      o.dkgRoundTimeoutMs ?? 30_000,
    );
    if (exclude.length) {
      // The remaining parties hold their new shares (active) under their new indices: the key
      // record follows, and the excluded parties are told to delete their shares.
      await recordHolders(o.keys, k.keyId, k.parties, remaining, undefined, access.now());
      o.onShareDeletions?.();
      bans.keepOnly(k.keyId, k.parties, remaining);
    }
    if (opts.liftBans) bans.lift(k.keyId);
    o.log?.(
      `coordinator: ${k.keyId} refreshed by all ${results.length} parties${exclude.length ? ` without ${exclude.join(', ')} (now ${remaining.join(', ')})` : ''} ` +
        `(transcript ${first.transcriptHash.slice(0, 16)}…)${opts.liftBans ? '; bans lifted' : ''}`,
    );
    return {
      keyId: k.keyId,
      publicKey: first.publicKey,
      transcriptHash: first.transcriptHash,
      parties: remaining,
      excluded: exclude,
      bansLifted: opts.liftBans,
    };
  }
}
