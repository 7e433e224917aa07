// The refresh kill -9 matrix of tests/e2e/refresh-kill.slow.test.ts on Ed25519 keys (issue 15 item 2):
// the service's FROST refresh is a reshare onto the same holders (protocols/frost/reshare.ts), three
// rounds, the new share stored pending in the step that sends round 3 ('refresh:3'), then the same
// two-phase activation as DKLs23's. A 2-of-2 and a 3-of-3 key; kill -9 of the stalled party, another
// party or the gateway at each step; every party settles on one version and the key signs under
// the same public key (node:crypto verifies). Slow (some minutes): the slow tier runs it.
import { afterAll, beforeAll, describe, jest, test } from '@jest/globals';
import { TestCluster } from '../support/cluster.ts';
import { pointsFor, RefreshKill, type Key, type Point, type RefreshKillSpec } from '../support/refresh-kill.ts';

jest.setTimeout(300_000);

const ED25519: RefreshKillSpec = { keySpec: 'ECC_NIST_EDWARDS25519', signingAlgorithm: 'ED25519_SHA_512', shareRound: 3 };
const POINTS = pointsFor(ED25519.shareRound);

let cluster: TestCluster;
let rk: RefreshKill;

beforeAll(async () => {
  // A longer round deadline than the default 2 s: restarts under load (the DKLs23 file gets its
  // slack from its 30 s DKG round deadline, which FROST refresh shares, but signing does not).
  cluster = await new TestCluster().start({ gatewayEnv: { TUTTI_ROUND_TIMEOUT_MS: '5000' } });
  rk = new RefreshKill(cluster, cluster.client(), ED25519);
});

afterAll(async () => {
  rk?.kms.destroy();
  await cluster?.stop();
});

describe.each([
  ['2-of-2', ['party-1', 'party-2'], 'party-2'],
  ['3-of-3', ['party-1', 'party-2', 'party-3'], 'party-3'],
])('refresh of a %s ECC_NIST_EDWARDS25519 key: kill -9 at every step, the key still signs', (_shape, parties, stalled) => {
  let key: Key;
  const outcomes: string[] = [];

  beforeAll(async () => {
    key = await rk.createKey(parties);
    await rk.signedAndVerified(key, 'before any refresh');
  });

  const victim = (p: Point) => (p.victim === 'gateway' ? 'the gateway' : p.victim === 'other' ? parties[0]! : stalled);
  test.each(POINTS.map((p, i) => [`${p.at === 'gateway' ? 'the gateway' : stalled} stops at ${p.stall}, kill -9 of ${victim(p)}`, p, POINTS[i + 1]] as const))(
    '%s: every party settles on one version and the key signs with the same public key',
    async (_name, p, next) => {
      const t0 = Date.now();
      outcomes.push(`${p.stall}/${p.victim}: ${await rk.killAt(key, p, stalled, next?.at === 'party' ? next.stall : undefined)} (${Date.now() - t0} ms)`);
    },
  );

  test('an uninterrupted refresh still activates, and the key signs', async () => {
    await rk.cleanRefresh(key, stalled);
    console.log(`[e2e] ${_shape}: ${outcomes.join('; ')}`);
  });
});
