// ReshareKey onto new parties, kill -9 at each step (issue 15 item 1; docs/operations.md
// "Recovering a reshare cut by a crash"): a 2-of-3 key on party-1..3 reshared to 2-of-2 on party-3
// (stays) and party-4 (new), party-1 dealing and leaving, party-2 leaving. At each step of the
// two-phase reshare (tests/support/reshare-kill.ts: the rounds, the newcomer's pending share, its
// confirmation, the certificate, the activation, the gateway's record, the answer) the staying
// holder, the leaving holder, the newcomer or the gateway is killed -9 and everything restarted:
// the key is wholly on the old set or wholly on the new set, GetPublicKey is unchanged, a retried
// ReshareKey completes, Sign verifies with @noble under the same public key, and the leavers
// delete their shares only after every new holder confirmed (a certificate exists).
//
// The step 'recorded' (every new holder activated, the gateway killed before its key record
// followed) left the record naming the old set for good before the parties reported their recent
// activations on connect (services/party/activation.ts; unit test in
// tests/services/party/refresh-split.test.ts).
//
// One cluster per family, a fresh key per case. FROST Ed25519 runs every case (keys are cheap);
// DKLs23 secp256k1 (a DKG and a reshare with OT setup per case: minutes each on a loaded host)
// runs each step once, the victims taking turns, so each role is killed at least once. Slow tier.
import { afterAll, beforeAll, describe, jest, test } from '@jest/globals';
import { TestCluster } from '../support/cluster.ts';
import { ALL_CASES, DKLS_SECP256K1, FROST_ED25519, RESHARE_KILL_PARTY_ENV, ReshareKill, type Case, type ReshareKillSpec } from '../support/reshare-kill.ts';

jest.setTimeout(900_000);

/** DKLs23: each step once, the victims in turn (every role killed at least once). */
const DKLS_CASES: Case[] = [
  { step: 'rounds', victim: 'leaver' },
  { step: 'pending', victim: 'newcomer' },
  { step: 'confirmed', victim: 'gateway' },
  { step: 'certificate', victim: 'gateway' },
  { step: 'activate', victim: 'stayer' },
  { step: 'recorded', victim: 'gateway' },
  { step: 'answered', victim: 'leaver' },
];

const FAMILIES: [string, ReshareKillSpec, Case[], NodeJS.ProcessEnv][] = [
  ['FROST Ed25519', FROST_ED25519, ALL_CASES, { TUTTI_ROUND_TIMEOUT_MS: '5000', TUTTI_DKG_ROUND_TIMEOUT_MS: '15000' }],
  ['DKLs23 secp256k1', DKLS_SECP256K1, DKLS_CASES, { TUTTI_ROUND_TIMEOUT_MS: '30000', TUTTI_DKG_ROUND_TIMEOUT_MS: '120000' }],
];

describe.each(FAMILIES)('ReshareKey of a %s key onto a new party: kill -9 at each step', (family, spec, cases, gatewayEnv) => {
  let cluster: TestCluster;
  let rk: ReshareKill;
  const outcomes: string[] = [];

  beforeAll(async () => {
    cluster = await new TestCluster().start({ parties: 4, partyEnv: { ...RESHARE_KILL_PARTY_ENV, TUTTI_SESSION_TTL_MS: '300000' }, gatewayEnv });
    rk = new ReshareKill(cluster, cluster.client(), spec, spec === DKLS_SECP256K1 ? 300_000 : 60_000);
  });

  afterAll(async () => {
    console.log(`[e2e] ${family}: ${outcomes.join('; ')}`);
    rk?.kms.destroy();
    await cluster?.stop();
  });

  test.each(cases.map((c) => [`stop at ${c.step}, kill -9 of the ${c.victim}`, c] as const))(
    '%s: old or new set (never half), same public key, a retry completes, Sign verifies, leavers delete after',
    async (_name, c) => {
      const t0 = Date.now();
      outcomes.push(`${c.step}/${c.victim}: ${await rk.run(c)} (${Date.now() - t0} ms)`);
    },
  );
});
