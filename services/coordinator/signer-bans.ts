// Which of a key's parties sign together. A party that caught a peer cheating in the DKLs23 OT/VOLE
// check bans it durably and refuses to sign with it (docs/security.md "Bans"); this coordinator
// learns those bans from the parties' 'banned' aborts and refusals (memory only: after a restart it
// learns them again) and never picks a signer set in which one party banned another.
import type { StoredKey } from '../storage/key-repository.ts';

/** A pair of a key's parties that will not sign together: `by` banned `peer` (key indices). */
export type BannedPair = { by: number; peer: number; why: string };

/** The parties of one signing attempt (party id, key index), or why there is none. */
export type SignerChoice = { signers: { p: string; i: number }[] } | { unavailable: string };

export class SignerBans {
  private readonly bans = new Map<string, BannedPair[]>();

  constructor(private readonly o: { isConnected: (partyId: string) => boolean; log?: (line: string) => void }) {}

  /** The pairs learned for a key. */
  of(keyId: string): BannedPair[] {
    return this.bans.get(keyId) ?? [];
  }

  /**
   * The signer set for the next attempt: the first t connected, not excluded parties in key-index
   * order such that no one of them banned another; or why there is none.
   */
  choose(k: StoredKey, excluded: Set<number>): SignerChoice {
    const candidates = k.parties.map((p, i) => ({ p, i: i + 1 })).filter(({ p, i }) => !excluded.has(i) && this.o.isConnected(p));
    if (candidates.length < k.threshold) {
      return { unavailable: `Only ${candidates.length} of the key's ${k.parties.length} parties are reachable; ${k.threshold} are needed to sign.` };
    }
    const bans = this.of(k.keyId);
    const banned = (a: number, b: number) => bans.some((x) => (x.by === a && x.peer === b) || (x.by === b && x.peer === a));
    // Lexicographic search over t-subsets (n ≤ 10): with no bans, the first t candidates.
    const pick: { p: string; i: number }[] = [];
    const search = (from: number): boolean => {
      if (pick.length === k.threshold) return true;
      for (let c = from; c <= candidates.length - (k.threshold - pick.length); c++) {
        const next = candidates[c]!;
        if (pick.some((q) => banned(q.i, next.i))) continue;
        pick.push(next);
        if (search(c + 1)) return true;
        pick.pop();
      }
      return false;
    };
    if (search(0)) return { signers: pick };
    const named = bans.map((b) => `party ${b.by} (${k.parties[b.by - 1]}) banned party ${b.peer} (${k.parties[b.peer - 1]})`).join('; ');
    return {
      unavailable:
        `No ${k.threshold} of the key's reachable parties (${candidates.map((c) => c.i).join(', ')}) can sign together: ${named} ` +
        'after a failed OT/VOLE consistency check. Refresh the key without the banned party (cli.ts refresh --key ID --without-banned, or --exclude PARTY_ID), ' +
        'or, once you trust it again, with it and lift the bans (cli.ts refresh --key ID --lift-bans); docs/operations.md "Refreshing a key".',
    };
  }

  /** Records the pairs a 'banned' abort names (key indices); true if any was new (then another signer set is worth a try). */
  learn(k: StoredKey, f: { reporter?: number; culprits: number[]; message: string }): boolean {
    if (f.reporter === undefined || f.culprits.length === 0) return false;
    const list = this.bans.get(k.keyId) ?? [];
    let learned = false;
    for (const peer of f.culprits) {
      if (peer === f.reporter || list.some((b) => b.by === f.reporter && b.peer === peer)) continue;
      list.push({ by: f.reporter, peer, why: f.message });
      learned = true;
      this.o.log?.(`sign ${k.keyId}: party ${f.reporter} banned party ${peer}: ${f.message}`);
    }
    this.bans.set(k.keyId, list);
    return learned;
  }

  /** The key now has only `remaining` of `parties` (a refresh without some): bans against the others go, the rest are renumbered. */
  keepOnly(keyId: string, parties: string[], remaining: string[]): void {
    const newIndex = (i: number) => remaining.indexOf(parties[i - 1]!) + 1;
    const kept = this.of(keyId)
      .filter((b) => newIndex(b.by) > 0 && newIndex(b.peer) > 0)
      .map((b) => ({ ...b, by: newIndex(b.by), peer: newIndex(b.peer) }));
    this.bans.set(keyId, kept);
  }

  /** The parties lifted their bans for the key (a refresh with --lift-bans). */
  lift(keyId: string): void {
    this.bans.delete(keyId);
  }
}
