// Kill -9 during a refresh (issue 11 item 4; docs/protocols.md "Refresh activation"), shared by
// tests/e2e/refresh-kill.test.ts (one party kill and one gateway kill, in `npm test`) and
// tests/e2e/refresh-kill.slow.test.ts (every step, in `npm run test:slow`).
//
// Each point stops one party (or the gateway) with TUTTI_TEST_STALL: refresh:1 (before round 1:
// nobody holds a new share), refresh:5 (the others hold the new share pending, no confirmation
// left), refresh:confirm (confirmed durably, not sent), refresh:activate (the certificate arrived,
// not activated), and the gateway's refresh:certificate (every party confirmed, the certificate
// not sent). At each point the stalled party or the gateway is killed; at refresh:confirm and
// refresh:activate also party-1, which then has confirmed or activated already.
import { expect } from '@jest/globals';
import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Sqlite from 'better-sqlite3';
import { CreateKeyCommand, GetPublicKeyCommand, SignCommand, type KMSClient } from '@aws-sdk/client-kms';
import { paths } from '../../services/main/config.ts';
import { running, type TestCluster } from './cluster.ts';

export type Key = { keyId: string; spki: Uint8Array; parties: string[] };

/** victim 'party': the stalled party; 'other': a party of the key that did not stall (it confirmed, or activated, already). */
export type Point = { stall: string; at: 'party' | 'gateway'; victim: 'party' | 'gateway' | 'other' };

/** The key the matrix runs on, and the round whose step stores the new share pending (DKLs23: 5, FROST refresh: 3). */
export type RefreshKillSpec = {
  keySpec: 'ECC_SECG_P256K1' | 'ECC_NIST_P256' | 'ECC_NIST_EDWARDS25519';
  signingAlgorithm: 'ECDSA_SHA_256' | 'ED25519_SHA_512';
  shareRound: number;
};
export const SECP256K1: RefreshKillSpec = { keySpec: 'ECC_SECG_P256K1', signingAlgorithm: 'ECDSA_SHA_256', shareRound: 5 };

/** Every kill point of a refresh whose new share is stored in round `shareRound` (the slow tier runs them all). */
export const pointsFor = (shareRound: number): Point[] => [
  ...['refresh:1', `refresh:${shareRound}`, 'refresh:confirm', 'refresh:activate'].flatMap((stall) =>
    (['party', 'gateway', 'other'] as const)
      .filter((v) => v !== 'other' || stall === 'refresh:confirm' || stall === 'refresh:activate')
      .map((victim) => ({ stall, at: 'party' as const, victim })),
  ),
  { stall: 'refresh:certificate', at: 'gateway', victim: 'gateway' },
];
export const ALL_POINTS: Point[] = pointsFor(SECP256K1.shareRound);

async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Log lines a process printed since `from` (its output() offset). */
const since = (out: () => string, from: number) => out().slice(from);

/** One cluster and client, and the fault the stalled party process runs with now. */
export class RefreshKill {
  /** The fault the stalled party process runs with now (saves a restart when the next point wants the same). */
  private partyStall: { party: string; stall: string | undefined } = { party: '', stall: undefined };

  constructor(
    readonly cluster: TestCluster,
    readonly kms: KMSClient,
    readonly spec: RefreshKillSpec = SECP256K1,
  ) {}

  private readDb<T>(partyId: string, fn: (db: Sqlite.Database) => T): T {
    const d = new Sqlite(paths.sharesDb(paths.partyDir(this.cluster.dataDir, partyId)), { readonly: true });
    try {
      return fn(d);
    } finally {
      d.close();
    }
  }

  /** What a party holds of the key: its share versions and refresh records not settled. */
  holdings(partyId: string, keyId: string): { shares: { version: number; state: string; transcript: string }[]; unsettled: number } {
    return this.readDb(partyId, (db) => ({
      shares: (
        db.prepare(`SELECT version, state, meta FROM shares WHERE key_id = ? ORDER BY version`).all(keyId) as { version: number; state: string; meta: string }[]
      ).map((r) => ({ version: r.version, state: r.state, transcript: (JSON.parse(r.meta) as { transcriptHash: string }).transcriptHash })),
      unsettled: (
        db.prepare(`SELECT COUNT(*) AS n FROM refresh_activations WHERE key_id = ? AND state IN ('pending', 'confirmed')`).get(keyId) as { n: number }
      ).n,
    }));
  }

  /** Every party of the key holds exactly one share (active), all of the same version, and nothing unsettled. */
  settled(key: Key): boolean {
    const h = key.parties.map((p) => this.holdings(p, key.keyId));
    return (
      h.every((x) => x.unsettled === 0 && x.shares.length === 1 && x.shares[0]!.state === 'active') && new Set(h.map((x) => x.shares[0]!.transcript)).size === 1
    );
  }

  /** POST /admin/refresh-key (what cli.ts refresh does); resolves with the status (0: no answer) and body, never rejects. */
  refresh(keyId: string): Promise<{ status: number; body: string }> {
    const token = readFileSync(paths.adminToken(paths.gatewayDir(this.cluster.dataDir)), 'utf8').trim();
    return fetch(`${this.cluster.endpoint}/admin/refresh-key`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ keyId, liftBans: false }),
    }).then(
      async (r) => ({ status: r.status, body: await r.text() }),
      (e: Error) => ({ status: 0, body: e.message }),
    );
  }

  /**
   * Signs (one retry after a round timeout: on a loaded machine a 2 s round deadline can be load) and
   * verifies with node:crypto from the SPKI only. The message is never 32 bytes (the default policy
   * refuses a 32-byte RAW message under ECDSA_SHA_256 on secp256k1: a Bitcoin sighash). A "socket
   * hang up" is not retried: the gateway keeps idle connections longer than a client does
   * (services/main/gateway.ts, keepAliveTimeout).
   */
  async signedAndVerified(key: Key, text: string): Promise<void> {
    const message = new TextEncoder().encode(`tutti refresh-kill test: ${text}`);
    const send = () => this.kms.send(new SignCommand({ KeyId: key.keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: this.spec.signingAlgorithm }));
    const out = await send().catch((e: Error) => {
      // A timeout while a restarted party warms up: retried once, as a client would.
      if (e.name !== 'DependencyTimeoutException') throw e;
      console.log(`[e2e] sign retried once after: ${e.message}`);
      return send();
    });
    const digest = this.spec.signingAlgorithm === 'ECDSA_SHA_256' ? 'sha256' : null;
    expect(verify(digest, message, createPublicKey({ key: Buffer.from(key.spki), format: 'der', type: 'spki' }), out.Signature!)).toBe(true);
  }

  /** A t-of-t key of the spec on `parties`. */
  async createKey(parties: string[]): Promise<Key> {
    const created = await this.kms.send(
      new CreateKeyCommand({
        KeySpec: this.spec.keySpec,
        KeyUsage: 'SIGN_VERIFY',
        Tags: [
          { TagKey: 'tutti:parties', TagValue: parties.join(',') },
          { TagKey: 'tutti:threshold', TagValue: String(parties.length) },
        ],
      }),
    );
    const keyId = created.KeyMetadata!.KeyId!;
    const spki = (await this.kms.send(new GetPublicKeyCommand({ KeyId: keyId }))).PublicKey!;
    return { keyId, spki, parties };
  }

  /**
   * Stops `stalled` (a party of the key, or the gateway) at `p.stall` during a refresh, kills the
   * victim with SIGKILL there, restarts everything without that fault, waits until every party of
   * the key settled on one version, and signs. `next`: the fault the stalled party is restarted with
   * for the next point — only one that acts on a later refresh session, never on settling this one.
   * Resolves with whether the refresh was rolled back or activated.
   */
  async killAt(key: Key, p: Point, stalled: string, next: string | undefined): Promise<string> {
    const cluster = this.cluster;
    const want = p.at === 'party' ? p.stall : undefined;
    if (this.partyStall.party !== stalled || this.partyStall.stall !== want) await cluster.restartParty(stalled, want ? { TUTTI_TEST_STALL: want } : {});
    this.partyStall = { party: stalled, stall: want };
    if (p.at === 'gateway') await cluster.restartGateway({ TUTTI_TEST_STALL: p.stall });
    const proc = () => (p.at === 'party' ? cluster.parties.get(stalled)! : cluster.gateway);
    const from = proc().output().length;
    const before = this.holdings(key.parties[0]!, key.keyId).shares[0]!.transcript;
    let answered: { status: number; body: string } | undefined;
    const answer = this.refresh(key.keyId).then((a) => (answered = a));
    await waitFor(
      `${stalled} stalls at ${p.stall}`,
      () => {
        if (/TUTTI_TEST_STALL/.test(since(proc().output, from))) return true;
        // The refresh must not end before the stall (the gateway's stall answers 200 at once).
        if (answered && p.at === 'party') throw new Error(`the refresh ended before ${p.stall}: ${answered.status} ${answered.body}`);
        return false;
      },
      90_000,
    );
    if (p.victim === 'gateway' || p.victim === 'other') {
      const other = key.parties.find((id) => id !== stalled)!;
      if (p.victim === 'gateway') await cluster.restartGateway();
      else await cluster.restartParty(other);
      // The gateway (or another party) alone crashed: the parties settle what they can without
      // restarting the stalled one (which ignores certificates at refresh:activate)…
      await waitFor('settled after the restart', () => this.settled(key) || p.stall === 'refresh:activate', 15_000).catch(() => undefined);
    } else {
      await cluster.kill(stalled);
    }
    // …and the stalled party comes back without this fault (after a kill -9 when it was the victim).
    const again = next === 'refresh:activate' ? undefined : next;
    if (p.at === 'party' && running(cluster.parties.get(stalled)!)) await cluster.kill(stalled);
    if (p.at === 'party') {
      await cluster.waitConnected((ids) => !ids.includes(stalled));
      await cluster.startParty(stalled, again ? { TUTTI_TEST_STALL: again } : {});
      await cluster.waitConnected((ids) => key.parties.every((id) => ids.includes(id)));
      this.partyStall = { party: stalled, stall: again };
    }
    await answer;
    await waitFor(`every party of ${key.parties.length}-of-${key.parties.length} settled on one version after ${p.stall} / kill ${p.victim}`, () =>
      this.settled(key),
    );
    const after = this.holdings(key.parties[0]!, key.keyId).shares[0]!.transcript;
    await this.signedAndVerified(key, `after ${p.stall}, kill -9 ${p.victim}`);
    expect(Buffer.from((await this.kms.send(new GetPublicKeyCommand({ KeyId: key.keyId }))).PublicKey!)).toEqual(Buffer.from(key.spki));
    return after === before ? 'rolled back' : 'activated';
  }

  /** An uninterrupted refresh (the stalled party restarted without a fault first): it activates, and the key signs. */
  async cleanRefresh(key: Key, stalled: string): Promise<void> {
    if (this.partyStall.stall) await this.cluster.restartParty(stalled);
    this.partyStall = { party: stalled, stall: undefined };
    const before = this.holdings(key.parties[0]!, key.keyId).shares[0]!.transcript;
    expect(await this.refresh(key.keyId)).toMatchObject({ status: 200 });
    await waitFor('settled', () => this.settled(key));
    expect(this.holdings(key.parties[0]!, key.keyId).shares[0]!.transcript).not.toBe(before);
    await this.signedAndVerified(key, 'after a clean refresh');
  }
}
