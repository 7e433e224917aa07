// When the gateway serves TLS and what a party trusts (docs/operations.md "TLS").
//
// - Loopback (127.0.0.0/8, ::1, localhost): TLS is optional. `npm start` stays zero-config with
//   plain HTTP and ws:// on 127.0.0.1: nothing leaves the host.
// - Any other address: the gateway refuses to start without a certificate and key
//   (TUTTI_TLS_CERT / TUTTI_TLS_KEY or --tls-cert / --tls-key), and a party refuses a ws:// URL
//   to a host that is not loopback. A party verifies the gateway's certificate against
//   TUTTI_TLS_CA / --ca (a PEM bundle; default: the system's CAs) and, on top of that, the
//   gateway's pinned Ed25519 key (auth.ts).
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (h.startsWith('::ffff:')) return h.slice(7).startsWith('127.');
  return false;
}

export type ServerTls = { cert: string; key: string };

/**
 * The gateway's certificate and key, read from the files named, or undefined for plain HTTP —
 * allowed on a loopback host only.
 */
export function gatewayTls(host: string, files: { cert?: string; key?: string }): ServerTls | undefined {
  if (!!files.cert !== !!files.key) throw new Error('TLS needs both a certificate and its key (TUTTI_TLS_CERT and TUTTI_TLS_KEY, or --tls-cert and --tls-key)');
  if (!files.cert || !files.key) {
    if (!isLoopbackHost(host)) {
      throw new Error(
        `refusing to serve plain HTTP on ${host}: a gateway on a non-loopback address needs TLS (TUTTI_TLS_CERT and TUTTI_TLS_KEY, see docs/operations.md "TLS")`,
      );
    }
    return undefined;
  }
  return { cert: readFileSync(files.cert, 'utf8'), key: readFileSync(files.key, 'utf8') };
}

/** What a party's link to `url` trusts: `ca` (PEM) if a bundle is named. ws:// only to loopback. */
export function partyTls(url: string, caFile?: string): { ca?: string } {
  const u = new URL(url);
  if (u.protocol === 'ws:' && !isLoopbackHost(u.hostname)) {
    throw new Error(`refusing ${url}: the link to a gateway that is not on this host must be wss:// (docs/operations.md "TLS")`);
  }
  if (u.protocol === 'ws:' && caFile) throw new Error(`a CA bundle (TUTTI_TLS_CA or --ca) was given, but ${url} is not wss://`);
  return caFile ? { ca: readFileSync(caFile, 'utf8') } : {};
}
