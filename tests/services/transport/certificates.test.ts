// The private CA: a server certificate from it passes a real TLS handshake for the names in its
// SAN, and only for those, and only for a client that trusts the CA.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer, request, type Server } from 'node:https';
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createCa, createCsr, csrHosts, issueServerCert, signCsr, type CertAndKey } from '../../../services/transport/certificates.ts';

let ca: CertAndKey;
let server: Server;
let port: number;

function get(ca: string | undefined, servername: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', servername, ...(ca ? { ca } : {}) }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  ca = await createCa('Test CA');
  const leaf = await issueServerCert(ca, ['localhost', '127.0.0.1', 'gateway.internal']);
  server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (_req, res) => res.writeHead(204).end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('private CA', () => {
  test('the CA is a CA; the leaf is a server certificate for exactly its SAN, issued by it', async () => {
    const caCert = new X509Certificate(ca.certPem);
    expect(caCert.ca).toBe(true);
    const leaf = await issueServerCert(ca, ['gw.example', '10.0.0.5']);
    const x = new X509Certificate(leaf.certPem);
    expect(x.ca).toBe(false);
    expect(x.checkIssued(caCert)).toBe(true);
    expect(x.verify(caCert.publicKey)).toBe(true);
    expect(x.checkHost('gw.example')).toBe('gw.example');
    expect(x.checkIP('10.0.0.5')).toBe('10.0.0.5');
    expect(x.checkHost('other.example')).toBeUndefined();
    expect(x.keyUsage).toContain('1.3.6.1.5.5.7.3.1'); // serverAuth
  });

  test('a client trusting the CA completes the handshake for a name in the SAN', async () => {
    expect(await get(ca.certPem, 'gateway.internal')).toBe(204);
    expect(await get(ca.certPem, 'localhost')).toBe(204);
  });

  test('a client without the CA, or with another CA, or for a name not in the SAN, is refused', async () => {
    await expect(get(undefined, 'localhost')).rejects.toThrow(/self.signed|unable to (get|verify)/i);
    const other = await createCa('Other CA');
    await expect(get(other.certPem, 'localhost')).rejects.toThrow(/unable to (get|verify)|self.signed/i);
    await expect(get(ca.certPem, 'evil.example')).rejects.toThrow(/altnames|Hostname/i);
  });

  test('a CSR names its hosts; a tampered CSR is not signed', async () => {
    const { csrPem } = await createCsr(['a.example', '192.0.2.1']);
    expect(await csrHosts(csrPem)).toEqual(['a.example', '192.0.2.1']);
    const der = Buffer.from(csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 5]! ^= 1; // inside the signature
    const bad = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    await expect(signCsr(ca, bad)).rejects.toThrow();
  });

  test('names are checked', async () => {
    await expect(createCsr([])).rejects.toThrow();
    await expect(createCsr(['bad/name'])).rejects.toThrow(/bad certificate name/);
  });
});
