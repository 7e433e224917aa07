// A small private CA for the gateway's TLS (docs/operations.md "TLS"): a CA certificate, CSRs for
// the gateway's hostnames and IPs, and server certificates signed from them. ECDSA P-256 with
// SHA-256 everywhere (what every TLS client accepts, RFC 8446 §4.2.3). Built on @peculiar/x509 with
// Node's WebCrypto; keys are written as PKCS#8 PEM, certificates and CSRs as PEM.
//
// TLS authenticates the gateway's *address* to the SDK, the aws CLI and the parties. The party ↔
// gateway link is additionally authenticated by the pinned Ed25519 identities (auth.ts,
// coordinator-identity.ts), so a certificate mis-issued by the CA still cannot impersonate the
// coordinator to a party.
import { webcrypto, randomBytes } from 'node:crypto';
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
import { isIP } from 'node:net';
import type * as X509 from '@peculiar/x509';

// Loaded on first use, after the Reflect polyfill it needs (reflect-metadata.ts): a static import
// would be linked, and its CommonJS build evaluated, before any code of this module runs.
let loaded: Promise<typeof X509> | undefined;
function lib(): Promise<typeof X509> {
  return (loaded ??= import('./reflect-metadata.ts')
    .then(() => import('@peculiar/x509'))
    .then((m) => {
      m.cryptoProvider.set(webcrypto as unknown as Parameters<typeof m.cryptoProvider.set>[0]);
      return m;
    }));
}

const KEY_ALG = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN_ALG = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

/** A certificate and its private key, both PEM. */
export type CertAndKey = { certPem: string; keyPem: string };

async function newKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(KEY_ALG, true, ['sign', 'verify']);
}

async function keyPem(key: CryptoKey): Promise<string> {
  const x509 = await lib();
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY') + '\n';
}

async function importSigningKey(pem: string): Promise<CryptoKey> {
  const x509 = await lib();
  const der = x509.PemConverter.decode(pem)[0];
  if (!der) throw new TypeError('no PEM block in the private key');
  return webcrypto.subtle.importKey('pkcs8', der, KEY_ALG, false, ['sign']);
}

function serial(): string {
  // Positive 128-bit serial (RFC 5280 §4.1.2.2: at most 20 octets, positive).
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
}

/** The SAN entries for hostnames and IP addresses (RFC 5280 §4.2.1.6). */
function sanFor(x509: typeof X509, hosts: string[]): X509.SubjectAlternativeNameExtension {
  if (hosts.length === 0) throw new TypeError('a server certificate needs at least one hostname or IP address');
  return new x509.SubjectAlternativeNameExtension(hosts.map((h) => (isIP(h) ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h })));
}

function checkName(cn: string): string {
  if (!/^[A-Za-z0-9 ._-]{1,64}$/.test(cn)) throw new TypeError(`bad certificate name ${JSON.stringify(cn)}: letters, digits, space, . _ - (≤ 64)`);
  return cn;
}

/** A new private CA (self-signed, CA:true, path length 0): it signs server certificates only. */
export async function createCa(name = 'Tutti private CA', days = 3650): Promise<CertAndKey> {
  const x509 = await lib();
  const keys = await newKeys();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${checkName(name)}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + days * DAY_MS),
    signingAlgorithm: SIGN_ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await keyPem(keys.privateKey) };
}

/** A new key and a CSR for `hosts` (the first is the common name), as an operator sends to a CA. */
export async function createCsr(hosts: string[]): Promise<{ csrPem: string; keyPem: string }> {
  const x509 = await lib();
  const keys = await newKeys();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${checkName(hosts[0] ?? '')}`,
    keys,
    signingAlgorithm: SIGN_ALG,
    extensions: [sanFor(x509, hosts)],
  });
  return { csrPem: csr.toString('pem') + '\n', keyPem: await keyPem(keys.privateKey) };
}

/** The hostnames and IPs a CSR asks for (its SAN extension). */
export async function csrHosts(csrPem: string): Promise<string[]> {
  const x509 = await lib();
  const csr = new x509.Pkcs10CertificateRequest(csrPem);
  const san = csr.extensions.find((e): e is X509.SubjectAlternativeNameExtension => e instanceof x509.SubjectAlternativeNameExtension);
  return (san?.names.items ?? []).filter((n) => n.type === 'dns' || n.type === 'ip').map((n) => n.value);
}

/**
 * Signs a CSR as a TLS server certificate (serverAuth only, not a CA). The CSR's own signature
 * must verify, and only its DNS/IP SAN entries are copied: nothing else the requester put in it.
 */
export async function signCsr(ca: CertAndKey, csrPem: string, days = 825): Promise<string> {
  const x509 = await lib();
  const csr = new x509.Pkcs10CertificateRequest(csrPem);
  if (!(await csr.verify())) throw new Error('the CSR signature does not verify');
  const hosts = await csrHosts(csrPem);
  const caCert = new x509.X509Certificate(ca.certPem);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: csr.subject,
    issuer: caCert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + days * DAY_MS),
    signingAlgorithm: SIGN_ALG,
    publicKey: csr.publicKey,
    signingKey: await importSigningKey(ca.keyPem),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      sanFor(x509, hosts),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return cert.toString('pem') + '\n';
}

/** A server certificate for `hosts` signed by `ca`, with a fresh key. */
export async function issueServerCert(ca: CertAndKey, hosts: string[], days?: number): Promise<CertAndKey> {
  const { csrPem, keyPem } = await createCsr(hosts);
  return { certPem: await signCsr(ca, csrPem, days), keyPem };
}
