// The coordinator's stock of pre-made FROST commitments (protocols/frost/sign.ts): per key and
// party, the commitments the party published ('premade') after earlier signatures. A Sign whose
// every signer has one in stock runs in one round; otherwise in two, and asks the signers to make
// more. Public values only: the nonces stay in the parties' memory (services/party/nonce-pool.ts).
//
// Each commitment is handed out once. The stock keeps the newest STOCK_PER_PARTY per key and
// party (fewer than a party's pool keeps, so what is here is still there unless the party
// restarted); a party that disconnects loses its stock here too, since its pool is gone if it
// restarted; a refresh or deletion of the key drops the key's stock.

export const STOCK_PER_PARTY = 64;
export const STOCK_MAX_KEYS = 4096;
/** Most pairs asked of a party with one request, while its stock (with what is coming) is below FILL_FAST; one otherwise. */
export const ASK_AT_ONCE = 2;
export const FILL_FAST = 4;
/** An ask not answered within this long (its session failed, the party restarted) no longer counts as coming. */
export const ASK_EXPIRY_MS = 5_000;

export class PremadeStock {
  /** keyId → partyId → commitments (hex), oldest first. Keys in least-recently-used order. */
  private readonly keys = new Map<string, Map<string, string[]>>();
  /** `${keyId} ${partyId}` → when each pair asked for (and not yet arrived) was asked. */
  private readonly asked = new Map<string, number[]>();

  constructor(
    private readonly perParty = STOCK_PER_PARTY,
    private readonly maxKeys = STOCK_MAX_KEYS,
    private readonly now: () => number = Date.now,
  ) {}

  /** One commitment of each signer, taken out of the stock, if every signer has one; otherwise nothing is taken. */
  take(keyId: string, signers: string[]): string[] | undefined {
    const parties = this.keys.get(keyId);
    if (!parties || !signers.every((p) => (parties.get(p)?.length ?? 0) > 0)) return undefined;
    return signers.map((p) => parties.get(p)!.shift()!);
  }

  /**
   * How many pairs to ask `partyId` to make for the key with the request about to be sent: what its
   * stock lacks, less what was asked and is still coming — two while that is below FILL_FAST, so a
   * commitment is a few signatures old when it is used and its co-signers validated it long
   * before; then one per signature, which keeps pace with the signatures that use them (each pair
   * costs the party ≈ 0.7 ms to make and each co-signer ≈ 1.8 ms to validate, work that competes
   * with the next request). Recorded as coming.
   */
  ask(keyId: string, partyId: string): number {
    const id = `${keyId} ${partyId}`;
    const since = this.now() - ASK_EXPIRY_MS;
    const coming = (this.asked.get(id) ?? []).filter((t) => t > since);
    const have = this.count(keyId, partyId) + coming.length;
    const n = Math.max(0, Math.min(have < FILL_FAST ? ASK_AT_ONCE : 1, this.perParty - have));
    for (let i = 0; i < n; i++) coming.push(this.now());
    if (coming.length) this.asked.set(id, coming);
    else this.asked.delete(id);
    if (this.asked.size > this.maxKeys * 4) this.asked.delete(this.asked.keys().next().value!);
    return n;
  }

  /** A party published commitments for a key: the newest perParty are kept. */
  add(keyId: string, partyId: string, commitments: string[]): void {
    let parties = this.keys.get(keyId);
    if (parties) this.keys.delete(keyId);
    else if (this.keys.size >= this.maxKeys) this.keys.delete(this.keys.keys().next().value!);
    parties ??= new Map();
    this.keys.set(keyId, parties);
    this.asked.get(`${keyId} ${partyId}`)?.splice(0, commitments.length);
    const list = [...(parties.get(partyId) ?? []), ...commitments];
    parties.set(partyId, list.slice(Math.max(0, list.length - this.perParty)));
  }

  dropKey(keyId: string): void {
    this.keys.delete(keyId);
    for (const id of this.asked.keys()) if (id.startsWith(`${keyId} `)) this.asked.delete(id);
  }

  dropParty(partyId: string): void {
    for (const parties of this.keys.values()) parties.delete(partyId);
    for (const id of this.asked.keys()) if (id.endsWith(` ${partyId}`)) this.asked.delete(id);
  }

  /** Commitments held for a key and party (tests, metrics). */
  count(keyId: string, partyId: string): number {
    return this.keys.get(keyId)?.get(partyId)?.length ?? 0;
  }
}
