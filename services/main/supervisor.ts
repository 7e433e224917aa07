// `npm start`: a local cluster — the gateway and three party processes on loopback, data under
// one folder — that prints its endpoint, dev credentials and an `aws kms` example, restarts a
// process that dies, and stops everything cleanly on Ctrl-C / SIGTERM.
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { prepareCluster, spawnGateway, spawnParty, waitForParties, type Spawned } from './cluster.ts';
import type { envSettings } from './config.ts';

type Settings = ReturnType<typeof envSettings>;

export async function runCluster(s: Settings): Promise<void> {
  const dataDir = resolve(s.dataDir);
  const config = prepareCluster({
    dataDir,
    parties: s.parties,
    region: s.region,
    accountId: s.accountId,
    accessKeyId: s.accessKeyId,
    secretAccessKey: s.secretAccessKey,
    ...(s.credentials.length ? { credentials: s.credentials } : {}),
  });
  const cred = config.credentials[0]!;
  const children = new Map<string, ChildProcess>();
  let stopping = false;
  const echo = (name: string) => (line: string) => {
    if (!line.startsWith('TUTTI_READY')) console.log(`[${name}] ${line}`);
  };

  const gw = spawnGateway(dataDir, s.host, s.port, {}, echo('gateway'));
  children.set('gateway', gw.child);
  const { port, scheme } = (await gw.ready) as { port: number; scheme?: string };
  // With TUTTI_TLS_CERT/KEY set the gateway serves https and wss (docs/operations.md "TLS"); this
  // process and the parties then trust the CA through NODE_EXTRA_CA_CERTS or TUTTI_TLS_CA.
  const endpoint = `${scheme ?? 'http'}://${s.host}:${port}`;
  const coordinatorUrl = `${scheme === 'https' ? 'wss' : 'ws'}://${s.host}:${port}/parties`;
  gw.child.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(`[supervisor] the gateway exited (${code ?? signal}); stopping the cluster`);
    void stop(1);
  });

  // TUTTI_PARTY_METRICS_PORT is a base: party-k serves its metrics on base + k.
  const metricsPortOf = (id: string) => (s.partyMetricsPort === undefined ? 0 : s.partyMetricsPort + Number(id.replace(/\D+/g, '')));
  const startParty = (id: string): Spawned => {
    const p = spawnParty(dataDir, id, coordinatorUrl, {}, echo(id), metricsPortOf(id));
    children.set(id, p.child);
    p.child.on('exit', (code, signal) => {
      if (stopping) return;
      console.error(`[supervisor] ${id} exited (${code ?? signal}); restarting it in 1 s`);
      setTimeout(() => {
        if (!stopping) startParty(id);
      }, 1000).unref();
    });
    return p;
  };
  const parties = config.parties.map((p) => startParty(p.partyId));
  let partyInfo: { partyId: string; metricsPort: number }[];
  try {
    partyInfo = (await Promise.all(parties.map((p) => p.ready))) as { partyId: string; metricsPort: number }[];
    await waitForParties(endpoint, config.parties.length);
  } catch (err) {
    // Never leave half a cluster running behind a failed start.
    console.error(`[supervisor] start failed: ${(err as Error).message}`);
    return stop(1);
  }

  const info = { endpoint, region: s.region, accessKeyId: cred.accessKeyId, secretAccessKey: cred.secretAccessKey, dataDir };
  console.log(`
Tutti is running: a gateway and ${config.parties.length} party processes, data in ${dataDir}

  endpoint           ${endpoint}
  region             ${s.region}
  access key id      ${cred.accessKeyId}
  secret access key  ${cred.secretAccessKey}${
    config.credentials.length > 1
      ? `
  more principals    ${config.credentials
    .slice(1)
    .map((c) => `${c.principal} (${c.accessKeyId})`)
    .join(', ')}`
      : ''
  }

Try it:
  export AWS_ACCESS_KEY_ID=${cred.accessKeyId} AWS_SECRET_ACCESS_KEY=${cred.secretAccessKey} AWS_REGION=${s.region} AWS_DEFAULT_REGION=${s.region}
  aws kms create-key --endpoint-url ${endpoint} --key-spec ECC_NIST_EDWARDS25519 --key-usage SIGN_VERIFY
  aws kms sign --endpoint-url ${endpoint} --key-id <KeyId> --message fileb://<(printf hello) \\
      --message-type RAW --signing-algorithm ED25519_SHA_512

Metrics: ${endpoint}/metrics (gateway)${partyInfo.map((p) => `, http://${s.host}:${p.metricsPort}/metrics (${p.partyId})`).join('')}
Stop: Ctrl-C
`);
  console.log(`TUTTI_READY ${JSON.stringify(info)}`);

  async function stop(code: number): Promise<void> {
    if (stopping) return;
    stopping = true;
    const exits = [...children.values()]
      .filter((c) => c.exitCode === null && c.signalCode === null)
      .map(
        (c) =>
          new Promise<void>((r) => {
            c.once('exit', () => r());
            c.kill('SIGTERM');
          }),
      );
    const timer = setTimeout(() => {
      for (const c of children.values()) c.kill('SIGKILL');
    }, 5000);
    await Promise.all(exits);
    clearTimeout(timer);
    console.log('[supervisor] stopped');
    process.exit(code);
  }
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
}
