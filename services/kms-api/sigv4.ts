// Server-side AWS Signature Version 4 verification for the KMS JSON endpoint (docs/kms-compatibility.md "Wire protocol"),
// with node:crypto only. Checks run in the order docs/kms-compatibility.md "Wire protocol" gives, and fail with AWS's error types and words.
// Nothing here logs or echoes the Authorization header or a secret.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { KmsError } from './errors.ts';
import type { Caller } from './key-service.ts';

export type Credential = { accessKeyId: string; secretAccessKey: string; principal: string };

/** The parts of an HTTP request the signature covers, as received. */
export type SignedRequest = {
  method: string;
  /** Path and query exactly as on the request line (`req.originalUrl`). */
  url: string;
  /** Node's `req.rawHeaders`: [name, value, name, value, …], repeats kept apart. */
  rawHeaders: string[];
  body: Uint8Array;
};

export type VerifyOptions = { credentials: ReadonlyMap<string, Credential>; region: string; service: string; now: Date };

const ALGORITHM = 'AWS4-HMAC-SHA256';
const MAX_SKEW_MS = 5 * 60 * 1000;
/** Headers every accepted request must sign; x-amz-target stops a signed DescribeKey being replayed as another operation. */
const REQUIRED_SIGNED = [
  ['host', `'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.`],
  ['x-amz-date', `'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.`],
  ['x-amz-target', `'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.`],
] as const;
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

const incomplete = (message: string) => new KmsError('IncompleteSignatureException', message);
const invalid = (message: string) => new KmsError('InvalidSignatureException', message);
const unrecognized = () => new KmsError('UnrecognizedClientException', 'The security token included in the request is invalid.');

/** Verifies the request's SigV4 signature and returns who signed it; throws a KmsError otherwise. */
export function verifySigV4(req: SignedRequest, o: VerifyOptions): Caller {
  const headers = headerMap(req.rawHeaders);
  const authorization = headers.get('authorization');
  if (!authorization) throw new KmsError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const auth = parseAuthorization(authorization.join(','));
  const amzDate = headers.get('x-amz-date')?.join(',');
  if (amzDate === undefined) throw incomplete(`Authorization header requires existence of a 'X-Amz-Date' header.`);

  const scope = auth.credential.split('/');
  if (scope.length !== 5) {
    throw incomplete(`Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${auth.credential}'`);
  }
  const [accessKeyId, scopeDate, scopeRegion, scopeService, terminator] = scope as [string, string, string, string, string];

  const signedAt = parseAmzDate(amzDate);
  if (!signedAt) throw incomplete(`X-Amz-Date must be in the ISO 8601 basic format YYYYMMDD'T'HHMMSS'Z', got '${amzDate}'.`);
  if (scopeDate !== amzDate.slice(0, 8)) {
    throw invalid(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
    );
  }
  const now = o.now.getTime();
  if (now - signedAt.getTime() > MAX_SKEW_MS) {
    throw invalid(`Signature expired: ${amzDate} is now earlier than ${formatAmzDate(new Date(now - MAX_SKEW_MS))} (${formatAmzDate(o.now)} - 5 min.)`);
  }
  if (signedAt.getTime() - now > MAX_SKEW_MS) {
    throw invalid(`Signature not yet current: ${amzDate} is still later than ${formatAmzDate(new Date(now + MAX_SKEW_MS))} (${formatAmzDate(o.now)} + 5 min.)`);
  }
  if (scopeService !== o.service) throw invalid(`Credential should be scoped to correct service: '${o.service}'. `);
  if (scopeRegion !== o.region) throw invalid('Credential should be scoped to a valid region. ');
  if (terminator !== 'aws4_request') throw invalid(`Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'. `);

  const credential = o.credentials.get(accessKeyId);
  // Only static credentials are configured, so any session token is one we did not issue.
  if (!credential || headers.has('x-amz-security-token')) throw unrecognized();

  const signedHeaders = auth.signedHeaders.split(';');
  for (const [name, message] of REQUIRED_SIGNED) if (!signedHeaders.includes(name)) throw invalid(message);

  // The body is hashed as received; a client-sent x-amz-content-sha256 is only ever compared with it.
  const payloadHash = sha256Hex(req.body);
  const claimedHash = headers.get('x-amz-content-sha256')?.join(',');
  if (claimedHash !== undefined && claimedHash !== payloadHash) {
    throw invalid(`The provided 'x-amz-content-sha256' header does not match what was computed.`);
  }

  const [path = '', query = ''] = splitOnce(req.url, '?');
  const canonicalRequest = [
    req.method.toUpperCase(),
    canonicalUri(path),
    canonicalQuery(query),
    signedHeaders.map((name) => `${name}:${canonicalHeaderValue(headers.get(name))}\n`).join(''),
    auth.signedHeaders,
    payloadHash,
  ].join('\n');
  const credentialScope = `${scopeDate}/${scopeRegion}/${scopeService}/${terminator}`;
  const stringToSign = [ALGORITHM, amzDate, credentialScope, sha256Hex(canonicalRequest)].join('\n');
  const expected = signature(credential.secretAccessKey, scopeDate, scopeRegion, scopeService, stringToSign);

  if (!/^[0-9a-f]{64}$/.test(auth.signature) || !timingSafeEqual(expected, Buffer.from(auth.signature, 'hex'))) {
    throw invalid(MISMATCH);
  }
  return { accessKeyId, principal: credential.principal };
}

type Authorization = { credential: string; signedHeaders: string; signature: string };

function parseAuthorization(header: string): Authorization {
  const space = header.indexOf(' ');
  const scheme = space < 0 ? header : header.slice(0, space);
  if (scheme !== ALGORITHM) {
    throw incomplete(`Unsupported Authorization scheme '${scheme}'; this endpoint accepts ${ALGORITHM} (SigV4) only.`);
  }
  const params = new Map<string, string>();
  for (const part of (space < 0 ? '' : header.slice(space + 1)).split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq < 0) throw incomplete(`'${item}' not a valid key=value pair (missing equal-sign) in Authorization header.`);
    params.set(item.slice(0, eq), item.slice(eq + 1));
  }
  const missing = ['Credential', 'Signature', 'SignedHeaders'].filter((p) => !params.get(p));
  if (missing.length) throw incomplete(missing.map((p) => `Authorization header requires '${p}' parameter.`).join(' '));
  return { credential: params.get('Credential')!, signedHeaders: params.get('SignedHeaders')!, signature: params.get('Signature')! };
}

/** Lower-cased header name → every value received, in order (Node would join repeats with ", "). */
function headerMap(rawHeaders: string[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const values = map.get(name);
    if (values) values.push(rawHeaders[i + 1]!);
    else map.set(name, [rawHeaders[i + 1]!]);
  }
  return map;
}

/** Values trimmed, inner runs of whitespace collapsed, repeats joined with "," (SigV4 canonical headers). */
function canonicalHeaderValue(values: string[] | undefined): string {
  return (values ?? []).map((v) => v.trim().replace(/\s+/g, ' ')).join(',');
}

/** Non-S3 services encode the (already encoded) path once more: "URI-encode each path segment twice". */
function canonicalUri(path: string): string {
  if (path === '' || path === '/') return '/';
  return path.split('/').map(awsEncode).join('/');
}

function canonicalQuery(query: string): string {
  const pairs = query
    .split('&')
    .filter((p) => p !== '')
    .map((p) => splitOnce(p, '='))
    .map(([k = '', v = '']) => [awsEncode(safeDecode(k)), awsEncode(safeDecode(v))] as const);
  pairs.sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/** RFC 3986 encoding as SigV4 wants it: everything but A–Z a–z 0–9 - _ . ~ is percent-encoded. */
function awsEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function splitOnce(s: string, sep: string): [string, string?] {
  const i = s.indexOf(sep);
  return i < 0 ? [s] : [s.slice(0, i), s.slice(i + 1)];
}

/** `YYYYMMDD'T'HHMMSS'Z'` → Date, or null if malformed or not a real instant. */
export function parseAmzDate(s: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return null;
  const d = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  return Number.isNaN(d.getTime()) || formatAmzDate(d) !== s ? null : d;
}

export function formatAmzDate(d: Date): string {
  return d
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: Uint8Array | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function signature(secret: string, date: string, region: string, service: string, stringToSign: string): Buffer {
  const kDate = hmac(`AWS4${secret}`, date);
  const kRegion = hmac(kDate, region);
  const kService = hmac(kRegion, service);
  const kSigning = hmac(kService, 'aws4_request');
  return hmac(kSigning, stringToSign);
}
