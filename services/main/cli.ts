// Entry points: `cluster` (npm start), `gateway`, `party`, `party init`.
//   node --import tsx services/main/cli.ts cluster
//   node --import tsx services/main/cli.ts gateway --data DIR [--host H] [--port P] [--tls-cert FILE --tls-key FILE]
//   node --import tsx services/main/cli.ts party --data DIR --coordinator wss://HOST:PORT/parties [--ca FILE] [--metrics-port P]
//   node --import tsx services/main/cli.ts init-operator --role party --data DIR --id party-1 [--out FILE]
//   node --import tsx services/main/cli.ts init-operator --role gateway --data ROOT --host NAME… [--party FILE…] [--ca-dir DIR] [--out FILE]
//   node --import tsx services/main/cli.ts pin --data DIR --coordinator FILE --peer FILE…   (writes peers.json)
//   node --import tsx services/main/cli.ts tls ca --out DIR | tls sign --ca DIR --csr FILE --out FILE
//   node --import tsx services/main/cli.ts party init --data DIR --id party-4
//   node --import tsx services/main/cli.ts gateway-pin --data DIR     (the peers.json snippet pinning the gateway)
//   node --import tsx services/main/cli.ts verify-attestation --receipts FILE --peers PEERS.json [--policy FILE] [--threshold T]
//   node --import tsx services/main/cli.ts refresh --key KEY_ID [--lift-bans] [--exclude PARTY_ID[,PARTY_ID]] [--without-banned] [--data DIR] [--endpoint URL]
//   node --import tsx services/main/cli.ts import-split --key HEX|FILE --spec SPEC --threshold T (--peers PEERS.json | --party ID:SIGNPUB:KEXPUB …) --out DIR
//   node --import tsx services/main/cli.ts reshare --key KEY_ID --threshold T --parties P1,P2,… [--grant-token T]… [--endpoint URL] [--region R]   (KMS ReshareKey; AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or TUTTI_ACCESS_KEY_ID/…)
//   node --import tsx services/main/cli.ts recovery-init --seed FILE [--out RECOVERY_PUBLIC.json]      (operator, offline: docs/operations.md "Backup and recovery drill")
//   node --import tsx services/main/cli.ts backup-export --data DIR --recovery RECOVERY_PUBLIC.json [--key KEY_ID…] --out FILE
//   node --import tsx services/main/cli.ts backup-verify --backup FILE [--recovery RECOVERY_PUBLIC.json] [--public-key KEY_ID=HEX…] [--against OTHER_PARTY_DIR | --endpoint URL [--region R] [--access-key-id ID --secret-access-key S]]
//   node --import tsx services/main/cli.ts backup-restore --backup FILE --seed FILE --data NEW_PARTY_DIR [--key KEY_ID…]
import { parseArgs } from 'node:util';
import { envSettings, paths } from './config.ts';
import { readSecretFile } from '../storage/secret-file.ts';
import { initParty } from './cluster.ts';

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'cluster': {
      const { runCluster } = await import('./supervisor.ts');
      return runCluster(envSettings());
    }
    case 'gateway': {
      const { values } = parseArgs({
        args: rest,
        options: {
          data: { type: 'string' },
          host: { type: 'string' },
          port: { type: 'string' },
          'tls-cert': { type: 'string' },
          'tls-key': { type: 'string' },
        },
      });
      const s = envSettings();
      const { startGatewayFromDir } = await import('./gateway.ts');
      const { gatewayTls } = await import('./tls-config.ts');
      const { createLog, parseLogFormat } = await import('./log.ts');
      const host = values.host ?? s.host;
      const format = parseLogFormat(s.logFormat);
      const tls = gatewayTls(host, { cert: values['tls-cert'] ?? s.tlsCert, key: values['tls-key'] ?? s.tlsKey });
      const gw = await startGatewayFromDir(required(values.data, '--data'), {
        host,
        ...(tls ? { tls } : {}),
        log: createLog('gateway', format),
        accessLog: format === 'json',
        shutdownGraceMs: s.shutdownGraceMs,
        port: Number(values.port ?? s.port),
        roundTimeoutMs: s.roundTimeoutMs,
        sweepIntervalMs: s.sweepIntervalMs,
        dkgRoundTimeoutMs: s.dkgRoundTimeoutMs,
        deviceWaitMs: s.deviceWaitMs,
        maxSessionsPerParty: s.maxSessionsPerParty,
        // Tests only (TUTTI_TEST_STALL): without it, no fault injection is built.
        ...(s.stall ? { faults: { stallAt: s.stall } } : {}),
      });
      console.log(`TUTTI_READY ${JSON.stringify({ role: 'gateway', port: gw.port, scheme: gw.scheme })}`);
      onShutdown(() => gw.close());
      return;
    }
    case 'party': {
      if (rest[0] === 'init') {
        const { values } = parseArgs({ args: rest.slice(1), options: { data: { type: 'string' }, id: { type: 'string' } } });
        console.log(JSON.stringify(initParty(required(values.data, '--data'), required(values.id, '--id')), null, 2));
        return;
      }
      const { values } = parseArgs({
        args: rest,
        options: {
          data: { type: 'string' },
          coordinator: { type: 'string' },
          'metrics-port': { type: 'string' },
          host: { type: 'string' },
          ca: { type: 'string' },
        },
      });
      const s = envSettings();
      const { startPartyFromDir } = await import('./party-daemon.ts');
      const { partyTls } = await import('./tls-config.ts');
      const { createLog, parseLogFormat } = await import('./log.ts');
      const metricsPort = values['metrics-port'] !== undefined ? Number(values['metrics-port']) : (s.partyMetricsPort ?? 0);
      const coordinatorUrl = required(values.coordinator, '--coordinator');
      const { ca } = partyTls(coordinatorUrl, values.ca ?? s.tlsCa);
      const party = await startPartyFromDir(required(values.data, '--data'), {
        coordinatorUrl,
        ...(ca !== undefined ? { tlsCa: ca } : {}),
        log: createLog('party', parseLogFormat(s.logFormat)),
        shutdownGraceMs: s.shutdownGraceMs,
        metricsHost: values.host ?? s.host,
        metricsPort,
        stallAt: s.stall,
        tamperAt: s.tamper,
        sessionWorkers: s.sessionWorkers,
        deletionWaitMs: s.deletionWaitMs,
        sessionTtlMs: s.sessionTtlMs,
      });
      console.log(`TUTTI_READY ${JSON.stringify({ role: 'party', partyId: party.partyId, metricsPort: party.metricsPort })}`);
      onShutdown(() => party.close());
      return;
    }
    case 'gateway-pin': {
      // The gateway's public identity, as each party's peers.json must pin it (created if missing).
      const { values } = parseArgs({ args: rest, options: { data: { type: 'string' } } });
      const { gatewayPin, pinSnippet } = await import('./cluster.ts');
      const dir = paths.gatewayDir(values.data ?? envSettings().dataDir);
      const config = JSON.parse(Buffer.from(readSecretFile(paths.gatewayConfig(values.data ?? envSettings().dataDir))).toString('utf8')) as {
        coordinatorId: string;
      };
      console.log(pinSnippet(gatewayPin(dir, config.coordinatorId)));
      return;
    }
    case 'init-operator': {
      const { values } = parseArgs({
        args: rest,
        options: {
          role: { type: 'string' },
          data: { type: 'string' },
          id: { type: 'string' },
          host: { type: 'string', multiple: true },
          party: { type: 'string', multiple: true },
          'ca-dir': { type: 'string' },
          out: { type: 'string' },
        },
      });
      const op = await import('./operator.ts');
      const { writeFileSync } = await import('node:fs');
      let text: string;
      if (values.role === 'party') {
        text = JSON.stringify(op.initPartyOperator(required(values.data, '--data'), required(values.id, '--id')), null, 2);
      } else if (values.role === 'gateway') {
        const s = envSettings();
        const r = await op.initGatewayOperator({
          root: required(values.data, '--data'),
          hosts: values.host ?? [],
          parties: (values.party ?? []).map(op.readIdentityPinFile),
          ...(values['ca-dir'] ? { caDir: values['ca-dir'] } : {}),
          region: s.region,
          accountId: s.accountId,
        });
        text = JSON.stringify({ coordinator: r.pin }, null, 2);
        console.error(
          `gateway ${r.config.coordinatorId}: ${r.config.parties.length} parties in ${r.files.config}; TLS key ${r.files.key}, CSR ${r.files.csr}` +
            (r.files.cert ? `, certificate ${r.files.cert}, CA ${r.files.ca}` : ' (have it signed: tls sign, or your CA)') +
            `\naccess key id ${r.config.credentials[0]!.accessKeyId} (secret in config.json)\nthe pin below goes to every party operator:`,
        );
      } else {
        console.error('init-operator --role party|gateway');
        process.exit(2);
      }
      if (values.out) writeFileSync(values.out, text + '\n');
      console.log(text);
      return;
    }
    case 'pin': {
      const { values } = parseArgs({
        args: rest,
        options: { data: { type: 'string' }, coordinator: { type: 'string' }, peer: { type: 'string', multiple: true } },
      });
      const op = await import('./operator.ts');
      const file = op.writePeers(
        required(values.data, '--data'),
        op.readPinFile(required(values.coordinator, '--coordinator')),
        (values.peer ?? []).map(op.readIdentityPinFile),
      );
      console.log(`wrote ${file}`);
      return;
    }
    case 'tls': {
      const { values } = parseArgs({
        args: rest.slice(1),
        options: { out: { type: 'string' }, ca: { type: 'string' }, csr: { type: 'string' }, name: { type: 'string' } },
      });
      const op = await import('./operator.ts');
      if (rest[0] === 'ca') {
        const dir = required(values.out, '--out');
        await op.ensureCa(dir, values.name);
        console.log(`CA certificate ${op.tlsPaths.caCert(dir)} (give it to clients and parties), key ${op.tlsPaths.caKey(dir)} (keep it offline)`);
      } else if (rest[0] === 'sign') {
        const out = required(values.out, '--out');
        await op.signCsrFile(required(values.ca, '--ca'), required(values.csr, '--csr'), out);
        console.log(`wrote ${out}`);
      } else {
        console.error('tls ca --out DIR | tls sign --ca DIR --csr FILE --out FILE');
        process.exit(2);
      }
      return;
    }
    case 'verify-attestation': {
      const { runVerifyAttestation } = await import('./verify-attestation.ts');
      return process.exit(runVerifyAttestation(rest));
    }
    case 'import-split': {
      // Offline, on the operator's air-gapped machine (docs/operations.md "Importing a key").
      const { runImportSplit } = await import('./import-split.ts');
      return process.exit(runImportSplit(rest));
    }
    case 'recovery-init':
    case 'backup-export':
    case 'backup-verify':
    case 'backup-restore': {
      const { runBackupCommand } = await import('./backup.ts');
      return process.exit(await runBackupCommand(command, rest));
    }
    case 'reshare': {
      // The ReshareKey extension operation of the KMS endpoint, authorised by the key policy like
      // any KMS call (kms:ReshareKey), so it is signed with the caller's credentials, not the admin token.
      const { values } = parseArgs({
        args: rest,
        options: {
          key: { type: 'string' },
          threshold: { type: 'string' },
          parties: { type: 'string', multiple: true },
          // Approvals of this reshare (governance.reshareApprovals), one token per flag.
          'grant-token': { type: 'string', multiple: true },
          endpoint: { type: 'string' },
          region: { type: 'string' },
        },
      });
      const s = envSettings();
      const accessKeyId = process.env.AWS_ACCESS_KEY_ID ?? s.accessKeyId;
      const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY ?? s.secretAccessKey;
      if (!accessKeyId || !secretAccessKey)
        throw new Error('reshare: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or TUTTI_ACCESS_KEY_ID/TUTTI_SECRET_ACCESS_KEY)');
      const { kmsCall } = await import('./kms-call.ts');
      const parties = (values.parties ?? [])
        .flatMap((v) => v.split(','))
        .map((v) => v.trim())
        .filter((v) => v !== '');
      const res = await kmsCall({
        endpoint: values.endpoint ?? `${s.tlsCert ? 'https' : 'http'}://127.0.0.1:${s.port}`,
        region: values.region ?? process.env.AWS_REGION ?? s.region,
        accessKeyId,
        secretAccessKey,
        target: 'ReshareKey',
        body: {
          KeyId: required(values.key, '--key'),
          Threshold: Number(required(values.threshold, '--threshold')),
          Parties: parties,
          ...(values['grant-token']?.length ? { GrantTokens: values['grant-token'] } : {}),
        },
      });
      console.log(JSON.stringify(res.json));
      if (res.status !== 200) process.exit(1);
      return;
    }
    case 'refresh': {
      // An operator action, not a KMS operation: the running gateway's admin call, with the token
      // from its data folder (docs/operations.md "Refreshing a key").
      const { values } = parseArgs({
        args: rest,
        options: {
          key: { type: 'string' },
          'lift-bans': { type: 'boolean' },
          exclude: { type: 'string', multiple: true },
          'without-banned': { type: 'boolean' },
          data: { type: 'string' },
          endpoint: { type: 'string' },
        },
      });
      // --exclude party-2,party-3 or --exclude party-2 --exclude party-3: party ids as the service names them.
      const exclude = (values.exclude ?? [])
        .flatMap((v) => v.split(','))
        .map((v) => v.trim())
        .filter((v) => v !== '');
      const s = envSettings();
      const token = Buffer.from(readSecretFile(paths.adminToken(paths.gatewayDir(values.data ?? s.dataDir))))
        .toString('utf8')
        .trim();
      // With TLS configured the gateway serves https (its certificate must name 127.0.0.1, and this
      // process trust its CA: NODE_EXTRA_CA_CERTS; docs/operations.md "TLS").
      const endpoint = values.endpoint ?? `${s.tlsCert ? 'https' : 'http'}://127.0.0.1:${s.port}`;
      const res = await fetch(`${endpoint}/admin/refresh-key`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          keyId: required(values.key, '--key'),
          liftBans: values['lift-bans'] === true,
          exclude,
          withoutBanned: values['without-banned'] === true,
        }),
      });
      const text = await res.text();
      console.log(text);
      if (!res.ok) process.exit(1);
      return;
    }
    default:
      console.error(
        'usage: cli.ts cluster | gateway --data DIR [--tls-cert F --tls-key F] | init-operator --role party|gateway … | pin --data DIR --coordinator F --peer F… | tls ca|sign … | gateway-pin --data DIR | verify-attestation … | party --data DIR --coordinator URL [--ca F] | party init --data DIR --id ID | refresh --key ID [--lift-bans] [--exclude PARTY_ID[,PARTY_ID]] [--without-banned] [--data DIR] [--endpoint URL] | reshare --key ID --threshold T --parties P1,P2,… [--grant-token T]… [--endpoint URL] [--region R] | recovery-init --seed F | backup-export --data DIR --recovery F --out F | backup-verify --backup F [--against DIR | --endpoint URL] | backup-restore --backup F --seed F --data DIR',
      );
      process.exit(2);
  }
}

function required(v: string | undefined, flag: string): string {
  if (!v) {
    console.error(`missing ${flag}`);
    process.exit(2);
  }
  return v;
}

function onShutdown(close: () => Promise<void> | void): void {
  let closing = false;
  const stop = async () => {
    if (closing) return;
    closing = true;
    try {
      await close();
    } finally {
      process.exit(0);
    }
  };
  // stop never rejects (exit in finally); void says so to the signal emitter, which ignores results.
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main(process.argv.slice(2)).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
