// Slow tier: 1,000 mixed operations across two gateway replicas on one PostgreSQL while one
// gateway and one party are killed (kill -9) and restarted at random (tests/support/replica-load.ts;
// the counts of a run are in docs/reliability.md, `node --import tsx scripts/replica-load.ts`
// prints them). 0 lost keys, 0 wrong signatures, every failed call one the AWS SDK retries.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { findPostgres, NO_POSTGRES_MESSAGE, TestPostgres } from '../support/postgres.ts';
import { ReplicaCluster } from '../support/replica-cluster.ts';
import { runReplicaLoad } from '../support/replica-load.ts';

jest.setTimeout(1_800_000);

const bin = findPostgres();
if (!bin) console.warn(NO_POSTGRES_MESSAGE);
const maybe = bin ? describe : describe.skip;

let pg: TestPostgres | undefined;
let cluster: ReplicaCluster | undefined;

beforeAll(async () => {
  if (!bin) return;
  pg = await new TestPostgres(bin).start();
  cluster = await new ReplicaCluster(await pg.createDatabase('replica_load')).start({ gateways: 2, parties: 3 });
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
  await pg?.stop();
});

maybe('load and faults across gateway replicas', () => {
  test('1,000 mixed operations, one gateway and one party killed and restarted: no lost key, no wrong signature, every failure retryable', async () => {
    const counts = await runReplicaLoad(cluster!, { operations: 1000, seed: Number(process.env.TUTTI_LOAD_SEED ?? 14) });
    console.log(JSON.stringify(counts, null, 2));
    expect(counts.gatewayKills).toBe(1);
    expect(counts.partyKills).toBe(1);
    expect(counts.keysLost).toBe(0);
    expect(counts.wrongSignatures).toBe(0);
    expect(counts.failedNotRetryable).toBe(0);
    expect(counts.gaveUp).toBe(0);
    expect(counts.signatures).toBeGreaterThan(400);
    expect(Object.keys(counts.signaturesBySpec).length).toBe(4);
  });
});
