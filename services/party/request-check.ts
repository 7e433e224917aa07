// What a party checks about a request itself, before it contributes anything, whatever the
// coordinator claims (trust model §3–4). The per-key policy engine (issue 5) will extend the sign
// check; until then a party signs only what the key's algorithm allows.
import type { OpenDkg, OpenSign } from '../control/messages.ts';
import type { PublicIdentity } from '../transport/identity.ts';
import type { FrostSuiteName } from '../../protocols/frost/suite.ts';

/**
 * Why a party refuses to take part. The coordinator maps 'policy' to AccessDeniedException and
 * may retry without a party that answered 'unknown-key' (e.g. restored from an old backup).
 */
export type RefusalKind = 'policy' | 'bad-parameters' | 'unknown-key';

export class RequestRefused extends Error {
  constructor(message: string, readonly kind: RefusalKind = 'bad-parameters') {
    super(message);
    this.name = 'RequestRefused';
  }
}

const refuse = (message: string, kind: RefusalKind = 'bad-parameters'): never => { throw new RequestRefused(message, kind); };

export const PROTOCOL_SUITES: Record<string, { suite: FrostSuiteName; algorithms: string[] }> = {
  'frost-ed25519': { suite: 'ed25519', algorithms: ['ED25519_SHA_512'] },
  'frost-ed448': { suite: 'ed448', algorithms: ['ED448_SHAKE_256'] },
};

const KEY_ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** AWS's Message limit for the pure EdDSA algorithms (kms-compat §3.2). */
export const MAX_MESSAGE_BYTES = 4096;

/**
 * A DKG request is acceptable when every named party is on this party's own allowlist, this party
 * is one of them, and the parameters are sane. Returns the peers in index order and our index.
 */
export function checkDkgRequest(req: OpenDkg, selfId: string, allowlist: Map<string, PublicIdentity>):
  { parties: PublicIdentity[]; self: number; suite: FrostSuiteName } {
  const suite = PROTOCOL_SUITES[req.protocol]?.suite ?? refuse(`unsupported protocol '${req.protocol}'`);
  if (!KEY_ID_RE.test(req.keyId)) refuse(`malformed key id '${req.keyId}'`);
  const n = req.parties.length;
  if (new Set(req.parties).size !== n) refuse('party list has duplicates');
  if (!(Number.isInteger(req.threshold) && req.threshold >= 2 && req.threshold <= n && n <= 10)) {
    refuse(`threshold ${req.threshold} of ${n} is outside 2 <= t <= n <= 10`);
  }
  const parties = req.parties.map((id) => allowlist.get(id) ?? refuse(`party '${id}' is not on the allowlist`));
  const self = req.parties.indexOf(selfId) + 1;
  if (self === 0) refuse(`this party (${selfId}) is not among the key's parties`);
  return { parties, self, suite };
}

/** A sign request is acceptable when the signer set is sane and the algorithm and message fit the key. */
export function checkSignRequest(req: OpenSign, meta: { protocol: string; threshold: number; n: number }, self: number): Uint8Array {
  const algorithms = PROTOCOL_SUITES[meta.protocol]?.algorithms ?? refuse(`unsupported protocol '${meta.protocol}'`);
  const s = req.signers;
  if (!Array.isArray(s) || s.length < meta.threshold || s.length > meta.n) refuse(`need ${meta.threshold}..${meta.n} signers, got ${s?.length}`);
  for (let i = 0; i < s.length; i++) {
    if (!Number.isInteger(s[i]) || s[i]! < 1 || s[i]! > meta.n || (i > 0 && s[i]! <= s[i - 1]!)) refuse('signers must be sorted distinct key indices');
  }
  if (!s.includes(self)) refuse('this party is not among the signers');
  const r = req.request;
  if (!algorithms.includes(r.signingAlgorithm)) refuse(`algorithm ${r.signingAlgorithm} is not allowed for this key`, 'policy');
  // Pure EdDSA signs the message itself (RFC 8032): a DIGEST would be a different signature scheme.
  if (r.messageType !== 'RAW') refuse(`message type ${r.messageType} is not allowed for ${r.signingAlgorithm}`, 'policy');
  const message = Buffer.from(r.message, 'base64');
  if (message.length > MAX_MESSAGE_BYTES) refuse(`message of ${message.length} bytes exceeds ${MAX_MESSAGE_BYTES}`, 'policy');
  return new Uint8Array(message);
}
