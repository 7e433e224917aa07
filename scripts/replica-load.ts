// The load-and-faults run across gateway replicas (docs/reliability.md), as a script that prints
// its counts: `node --import tsx scripts/replica-load.ts [operations] [seed]`. Starts a throwaway
// PostgreSQL (tests/support/postgres.ts), two gateways on it and three parties connected to both,
// runs tests/support/replica-load.ts, prints the counts as JSON and stops everything.
import { findPostgres, NO_POSTGRES_MESSAGE, TestPostgres } from '../tests/support/postgres.ts';
import { ReplicaCluster } from '../tests/support/replica-cluster.ts';
import { runReplicaLoad } from '../tests/support/replica-load.ts';

const operations = Number(process.argv[2] ?? 1000);
const seed = Number(process.argv[3] ?? 14);
const bin = findPostgres();
if (!bin) {
  console.error(NO_POSTGRES_MESSAGE);
  process.exit(2);
}
const pg = await new TestPostgres(bin).start();
let cluster: ReplicaCluster | undefined;
try {
  cluster = await new ReplicaCluster(await pg.createDatabase('replica_load')).start({ gateways: 2, parties: 3 });
  const counts = await runReplicaLoad(cluster, { operations, seed, log: (l) => console.error(l) });
  console.log(JSON.stringify(counts, null, 2));
} finally {
  await cluster?.stop();
  await pg.stop();
}
