// Crash safety of a refresh in `npm test` (issue 11 item 4; docs/protocols.md "Refresh
// activation"): one party kill and one gateway kill during a refresh of a 2-of-2 secp256k1 key;
// the restarted processes settle every party on one share version and the key still signs under
// the same public key (node:crypto verifies). The whole matrix (every step, a 2-of-2 and a 3-of-3
// key) is tests/e2e/refresh-kill.slow.test.ts, in `npm run test:slow`.
//
// The two points: party-2 confirmed durably and did not send its confirmation when it is killed
// (refresh:confirm: the others hold the new share pending and must wait for it, then activate or
// roll back together), and the gateway killed when every party confirmed but the certificate was
// not sent (refresh:certificate: the parties hold a confirmed new share and nobody tells them so).
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { TestCluster } from '../support/cluster.ts';
import { RefreshKill, type Key, type Point } from '../support/refresh-kill.ts';

jest.setTimeout(180_000);

const POINTS: Point[] = [
  { stall: 'refresh:confirm', at: 'party', victim: 'party' },
  { stall: 'refresh:certificate', at: 'gateway', victim: 'gateway' },
];

let cluster: TestCluster;
let rk: RefreshKill;
let key: Key;
const parties = ['party-1', 'party-2'];
const stalled = 'party-2';

beforeAll(async () => {
  cluster = await new TestCluster().start();
  rk = new RefreshKill(cluster, cluster.client());
  key = await rk.createKey(parties);
  await rk.signedAndVerified(key, 'before any refresh');
});

afterAll(async () => {
  rk?.kms.destroy();
  await cluster?.stop();
});

describe('refresh of a 2-of-2 secp256k1 key: kill -9 of a party and of the gateway, the key still signs', () => {
  test.each([
    ['party-2 stops at refresh:confirm (confirmed durably, not sent), kill -9 of party-2', POINTS[0]!, POINTS[1]!],
    ['the gateway stops at refresh:certificate (every party confirmed, no certificate sent), kill -9 of the gateway', POINTS[1]!, undefined],
  ] as const)('%s: every party settles on one version and the key signs with the same public key', async (_name, p, next) => {
    expect(['rolled back', 'activated']).toContain(await rk.killAt(key, p, stalled, next?.at === 'party' ? next.stall : undefined));
  });

  test('an uninterrupted refresh still activates, and the key signs', async () => {
    await rk.cleanRefresh(key, stalled);
  });
});
