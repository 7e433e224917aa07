// A refresh could lose the key (issue 11 item 4): before the two-phase activation, a party that saw every
// round-5 confirmation deleted its old share while one that missed one dropped its new share, and
// for n ≤ 2t−2 no version kept t holders. Now (docs/protocols.md "Refresh activation") kill -9 of
// the gateway or of a party at each step of a refresh leaves a state that the restarted processes
// settle — activated by every party's signed confirmation, or rolled back by a member's signed
// abandon statement — and the key still signs under the same public key (node:crypto verifies).
//
// The slow tier (`npm run test:slow`): every kill point (tests/support/refresh-kill.ts) on two key
// shapes. `npm test` runs one party kill and one gateway kill (tests/e2e/refresh-kill.test.ts).
// Real processes; one DKG per key shape (2-of-2 on party-1,2 and 3-of-3), then a loop over the
// kill points on it. Rounds 2–4 are the same case as round 1 (no new share is stored before
// round 5's step) and are left out.
import { afterAll, beforeAll, describe, jest, test } from '@jest/globals';
import { TestCluster } from '../support/cluster.ts';
import { ALL_POINTS, RefreshKill, type Key, type Point } from '../support/refresh-kill.ts';

jest.setTimeout(300_000);

let cluster: TestCluster;
let rk: RefreshKill;

beforeAll(async () => {
  cluster = await new TestCluster().start();
  rk = new RefreshKill(cluster, cluster.client());
});

afterAll(async () => {
  rk?.kms.destroy();
  await cluster?.stop();
});

describe.each([
  ['2-of-2', ['party-1', 'party-2'], 'party-2'],
  ['3-of-3', ['party-1', 'party-2', 'party-3'], 'party-3'],
])('refresh of a %s secp256k1 key: kill -9 at every step, the key still signs', (_shape, parties, stalled) => {
  let key: Key;
  const outcomes: string[] = [];

  beforeAll(async () => {
    key = await rk.createKey(parties);
    await rk.signedAndVerified(key, 'before any refresh');
  });

  const victim = (p: Point) => (p.victim === 'gateway' ? 'the gateway' : p.victim === 'other' ? parties[0]! : stalled);
  test.each(
    ALL_POINTS.map((p, i) => [`${p.at === 'gateway' ? 'the gateway' : stalled} stops at ${p.stall}, kill -9 of ${victim(p)}`, p, ALL_POINTS[i + 1]] as const),
  )('%s: every party settles on one version and the key signs with the same public key', async (_name, p, next) => {
    const t0 = Date.now();
    outcomes.push(`${p.stall}/${p.victim}: ${await rk.killAt(key, p, stalled, next?.at === 'party' ? next.stall : undefined)} (${Date.now() - t0} ms)`);
  });

  test('an uninterrupted refresh still activates, and the key signs', async () => {
    await rk.cleanRefresh(key, stalled);
    console.log(`[e2e] ${_shape}: ${outcomes.join('; ')}`);
  });
});
