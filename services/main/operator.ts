// The operator commands of docs/operations.md "Runbook: three operators on three hosts":
//   init-operator --role party    a party's sealed identity, and the public identity its peers pin
//   init-operator --role gateway  the gateway's sealed identity, TLS key + CSR (+ certificate from a
//                                 private CA), config.json with the parties' public identities,
//                                 and the snippet every party pins
//   pin                           a party's peers.json from the files its peers sent
//   tls ca / tls sign             a private CA, and a server certificate from a CSR
// Every file holding a secret is written 0600 in a 0700 folder (secret-file.ts).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { initGateway, initParty } from './cluster.ts';
import { checkCredentials, paths, type Credential, type GatewayConfig } from './config.ts';
import { parsePublicIdentity, type PublicIdentity } from '../transport/identity.ts';
import { parseCoordinatorPin, type CoordinatorPin } from '../transport/coordinator-identity.ts';
import { readSecretFile, writeSecretFile } from '../storage/secret-file.ts';
import { readPublicIdentityFile } from '../storage/identity-file.ts';
import { createCa, createCsr, signCsr } from '../transport/certificates.ts';

export const tlsPaths = {
  key: (gatewayDir: string) => join(gatewayDir, 'tls.key'),
  csr: (gatewayDir: string) => join(gatewayDir, 'tls.csr'),
  cert: (gatewayDir: string) => join(gatewayDir, 'tls.crt'),
  /** The CA certificate clients and parties trust (a copy; the CA key stays in the CA folder). */
  ca: (gatewayDir: string) => join(gatewayDir, 'ca.crt'),
  caCert: (caDir: string) => join(caDir, 'ca.crt'),
  caKey: (caDir: string) => join(caDir, 'ca.key'),
};

const enc = (s: string) => new TextEncoder().encode(s);
const readText = (file: string) => Buffer.from(readSecretFile(file)).toString('utf8');

/** A party operator's first step: the identity (sealed under the party's master key) and what peers pin. */
export function initPartyOperator(dir: string, partyId: string, env: Record<string, string | undefined> = process.env): PublicIdentity {
  return initParty(dir, partyId, env);
}

/** Creates the CA in `caDir` if it has none (ca.key 0600); returns its PEMs. */
export async function ensureCa(caDir: string, name?: string): Promise<{ certPem: string; keyPem: string }> {
  mkdirSync(caDir, { recursive: true, mode: 0o700 });
  if (existsSync(tlsPaths.caKey(caDir))) return { certPem: readFileSync(tlsPaths.caCert(caDir), 'utf8'), keyPem: readText(tlsPaths.caKey(caDir)) };
  const ca = await createCa(name);
  writeSecretFile(tlsPaths.caKey(caDir), enc(ca.keyPem), { overwrite: false });
  writeFileSync(tlsPaths.caCert(caDir), ca.certPem);
  return ca;
}

/** Signs `csrFile` with the CA in `caDir` and writes the certificate to `outFile`. */
export async function signCsrFile(caDir: string, csrFile: string, outFile: string): Promise<void> {
  const ca = { certPem: readFileSync(tlsPaths.caCert(caDir), 'utf8'), keyPem: readText(tlsPaths.caKey(caDir)) };
  writeFileSync(outFile, await signCsr(ca, readFileSync(csrFile, 'utf8')));
}

export type GatewayOperatorOptions = {
  /** The cluster root: the gateway's folder is `<root>/gateway`. */
  root: string;
  /** Hostnames and IPs the parties and clients use to reach the gateway (the certificate's SAN). */
  hosts: string[];
  /** The parties' public identities (as `init-operator --role party` printed them). */
  parties: PublicIdentity[];
  /** A CA folder: sign the CSR with it (created if missing). Without it: only the CSR, for an outside CA. */
  caDir?: string;
  region: string;
  accountId: string;
  env?: Record<string, string | undefined>;
};

export type GatewayOperatorResult = {
  pin: CoordinatorPin;
  config: GatewayConfig;
  files: { key: string; csr: string; cert?: string; ca?: string; config: string };
};

/**
 * The gateway operator's step: identity (kept if present), TLS key and CSR (kept if present),
 * a certificate when a CA folder is given, and config.json (created with a fresh credential, or
 * updated: the parties given are added, nothing is removed).
 */
export async function initGatewayOperator(o: GatewayOperatorOptions): Promise<GatewayOperatorResult> {
  const gatewayDir = paths.gatewayDir(o.root);
  mkdirSync(gatewayDir, { recursive: true, mode: 0o700 });
  const configFile = paths.gatewayConfig(o.root);
  const previous = existsSync(configFile) ? (JSON.parse(readText(configFile)) as GatewayConfig) : undefined;
  const coordinatorId = previous?.coordinatorId ?? 'coordinator-' + randomBytes(4).toString('hex');
  const identity = initGateway(gatewayDir, coordinatorId, o.env ?? process.env);

  const parties = [...(previous?.parties ?? [])];
  for (const p of o.parties) {
    const known = parties.find((q) => q.partyId === p.partyId);
    if (known && (known.signPublic !== p.signPublic || known.kexPublic !== p.kexPublic))
      throw new Error(`config.json already pins ${p.partyId} with other keys: remove it by hand first if the party really has new keys`);
    if (!known) parties.push(p);
  }
  const credentials: Credential[] = previous?.credentials ?? [
    {
      accessKeyId: 'AKIATUTTI' + randomBytes(6).toString('hex').toUpperCase().slice(0, 11),
      secretAccessKey: randomBytes(30).toString('base64url').slice(0, 40),
      principal: `arn:aws:iam::${o.accountId}:user/tutti-admin`,
    },
  ];
  checkCredentials(credentials);
  const config: GatewayConfig = { region: previous?.region ?? o.region, accountId: previous?.accountId ?? o.accountId, coordinatorId, credentials, parties };
  writeSecretFile(configFile, enc(JSON.stringify(config, null, 2) + '\n'));

  const files: GatewayOperatorResult['files'] = { key: tlsPaths.key(gatewayDir), csr: tlsPaths.csr(gatewayDir), config: configFile };
  if (!existsSync(files.key)) {
    if (o.hosts.length === 0) throw new Error('--host is needed: the names and addresses parties and clients use to reach the gateway');
    const { csrPem, keyPem } = await createCsr(o.hosts);
    writeSecretFile(files.key, enc(keyPem), { overwrite: false });
    writeFileSync(files.csr, csrPem);
  }
  if (o.caDir) {
    const ca = await ensureCa(o.caDir);
    files.cert = tlsPaths.cert(gatewayDir);
    files.ca = tlsPaths.ca(gatewayDir);
    writeFileSync(files.cert, await signCsr(ca, readFileSync(files.csr, 'utf8')));
    writeFileSync(files.ca, ca.certPem);
  }
  return { pin: identity.pin, config, files };
}

/** Reads a pin file: `{"coordinator": {…}}` (as gateway-pin prints it) or the bare pin. */
export function readPinFile(file: string): CoordinatorPin {
  const o = JSON.parse(readFileSync(file, 'utf8')) as { coordinator?: unknown };
  return parseCoordinatorPin(o.coordinator ?? o);
}

/** Reads a public identity file (as `init-operator --role party` printed it). */
export function readIdentityPinFile(file: string): PublicIdentity {
  return parsePublicIdentity(JSON.parse(readFileSync(file, 'utf8')));
}

/**
 * Writes a party's peers.json: the pinned gateway and every party it will hold keys with. Its own
 * identity must be among them (keys are created only with parties all listed, itself included).
 */
export function writePeers(partyDir: string, coordinator: CoordinatorPin, peers: PublicIdentity[]): string {
  const own = readPublicIdentityFile(paths.identity(partyDir));
  if (!peers.some((p) => p.partyId === own.partyId && p.signPublic === own.signPublic))
    throw new Error(`the peers given do not include this party (${own.partyId}) with its own keys`);
  if (new Set(peers.map((p) => p.partyId)).size !== peers.length) throw new Error('a party id appears twice among the peers');
  const file = paths.peers(partyDir);
  writeFileSync(file, JSON.stringify({ coordinator, peers }, null, 2) + '\n');
  return file;
}
