// What a party checks about a request itself, whatever the coordinator claims (docs/security.md "What each party checks"):
// the structure of a DKG or signing request. What a key may sign — algorithm, message type, size,
// format, caller, approvals, rate limits — is the signing policy's to decide (services/party/
// policy-gate.ts, policies/evaluate), right after these checks and before the first round.
import type { OpenDkg, OpenSign } from '../control/messages.ts';
import type { PublicIdentity } from '../transport/identity.ts';
import type { ProtocolFamily } from './protocol-families.ts';
import { TuttiError, type RefusalKind } from '../../protocols/core/errors.ts';
import { KEY_SPEC_NAMES, KEY_SPEC_TABLE } from '../../protocols/core/key-specs.ts';

/**
 * Why a party refuses to take part (one of the wire's failure kinds, protocols/core/errors.ts). The
 * coordinator maps 'policy' to AccessDeniedException and may retry without a party that answered
 * 'unknown-key' (e.g. restored from an old backup).
 */
export type { RefusalKind };

/**
 * 'banned': the signer set includes a peer this party banned for the key (a failed DKLs23 OT/VOLE
 * check); `culprits` names them, so the coordinator can choose signers without them.
 * 'premade-unknown': the request names a pre-made FROST commitment of this party whose nonce pair it
 * does not hold (any more), or a DKLs23 presignature it does not hold; the coordinator signs with the
 * full protocol instead.
 */
export class RequestRefused extends TuttiError {
  constructor(message: string, kind: RefusalKind = 'bad-parameters', culprits: number[] = []) {
    super(kind, message, culprits);
    this.name = 'RequestRefused';
  }
}

const refuse = (message: string, kind: RefusalKind = 'bad-parameters'): never => {
  throw new RequestRefused(message, kind);
};

/**
 * What each protocol makes: its family (protocol-families.ts), its suite (the FROST suite or the
 * DKLs23 curve), the key spec of its keys and the algorithms it can compute — read off the one table
 * of key specs (protocols/core/key-specs.ts). ED25519_PH_SHA_512 is FROST with the dom2(1, "")
 * challenge (protocols/frost/suite.ts 'ed25519ph'); DKLs23 signs a 32-byte digest: SHA-256 or
 * Keccak-256 of the message (or the EIP-712 digest), or a DIGEST as given.
 */
export const PROTOCOL_SUITES: Record<string, { family: ProtocolFamily['name']; suite: string; keySpec: string; algorithms: string[] }> = Object.fromEntries(
  KEY_SPEC_NAMES.map((keySpec) => {
    const e = KEY_SPEC_TABLE[keySpec];
    return [e.protocol, { family: e.family, suite: e.suite, keySpec, algorithms: [...e.algorithms] }];
  }),
);

const KEY_ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/**
 * A sanity bound on the message a party decodes at all (the largest `limits.maxMessageBytes` a
 * policy may set, policies/policy-schema.ts); each key's policy sets its own, lower or equal, limit.
 */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/** Sign's GrantTokens: at most 10 strings of at most 8192 characters (AWS's limits). */
const MAX_GRANT_TOKENS = 10;
const MAX_GRANT_TOKEN_LENGTH = 8192;

/**
 * A DKG request is acceptable when every named party is on this party's own allowlist, this party
 * is one of them, and the parameters are sane. Returns the peers in index order and our index.
 */
export function checkDkgRequest(
  req: OpenDkg,
  selfId: string,
  allowlist: Map<string, PublicIdentity>,
): { parties: PublicIdentity[]; self: number; family: ProtocolFamily['name']; suite: string } {
  const protocol = PROTOCOL_SUITES[req.protocol] ?? refuse(`unsupported protocol '${req.protocol}'`);
  const { family, suite } = protocol;
  if (req.keySpec !== protocol.keySpec) refuse(`key spec '${req.keySpec}' is not made by ${req.protocol}`);
  if (!KEY_ID_RE.test(req.keyId)) refuse(`malformed key id '${req.keyId}'`);
  const n = req.parties.length;
  if (new Set(req.parties).size !== n) refuse('party list has duplicates');
  if (!(Number.isInteger(req.threshold) && req.threshold >= 2 && req.threshold <= n && n <= 10)) {
    refuse(`threshold ${req.threshold} of ${n} is outside 2 <= t <= n <= 10`);
  }
  const parties = req.parties.map((id) => allowlist.get(id) ?? refuse(`party '${id}' is not on the allowlist`));
  const self = req.parties.indexOf(selfId) + 1;
  if (self === 0) refuse(`this party (${selfId}) is not among the key's parties`);
  return { parties, self, family, suite };
}

/** What a party reads from a sign request once its structure is sound. */
export type CheckedSignRequest = {
  message: Uint8Array;
  messageType: string;
  signingAlgorithm: string;
  caller: { accessKeyId: string; principal: string };
  grantTokens: string[];
};

/**
 * A sign request is acceptable when the signer set is sane, the request is well-formed and the
 * key's protocol can compute the algorithm. Everything else is the signing policy's decision.
 */
export function checkSignRequest(req: OpenSign, meta: { protocol: string; threshold: number; n: number }, self: number): CheckedSignRequest {
  const algorithms = PROTOCOL_SUITES[meta.protocol]?.algorithms ?? refuse(`unsupported protocol '${meta.protocol}'`);
  const s = req.signers;
  if (!Array.isArray(s) || s.length < meta.threshold || s.length > meta.n) refuse(`need ${meta.threshold}..${meta.n} signers, got ${s?.length}`);
  for (let i = 0; i < s.length; i++) {
    if (!Number.isInteger(s[i]) || s[i]! < 1 || s[i]! > meta.n || (i > 0 && s[i]! <= s[i - 1]!)) refuse('signers must be sorted distinct key indices');
  }
  if (!s.includes(self)) refuse('this party is not among the signers');
  const r = req.request;
  if (!r || typeof r !== 'object') refuse('missing sign request');
  if (typeof r.signingAlgorithm !== 'string' || typeof r.messageType !== 'string') refuse('malformed signing algorithm or message type');
  const c = r.caller;
  if (!c || typeof c !== 'object' || typeof c.accessKeyId !== 'string' || typeof c.principal !== 'string') refuse('malformed caller');
  const tokens = r.grantTokens ?? [];
  if (!Array.isArray(tokens) || tokens.length > MAX_GRANT_TOKENS || tokens.some((t) => typeof t !== 'string' || t.length > MAX_GRANT_TOKEN_LENGTH)) {
    refuse(`grant tokens must be at most ${MAX_GRANT_TOKENS} strings of at most ${MAX_GRANT_TOKEN_LENGTH} characters`);
  }
  // The protocol's capability, not a policy question: FROST computes pure EdDSA only, DKLs23 ECDSA only.
  if (!algorithms.includes(r.signingAlgorithm)) refuse(`algorithm ${r.signingAlgorithm} is not allowed for this key`, 'policy');
  // Every party must read the same bytes: only canonical base64 is accepted.
  if (typeof r.message !== 'string' || r.message.length > Math.ceil(MAX_MESSAGE_BYTES / 3) * 4) refuse('malformed or oversized message');
  const message = Buffer.from(r.message, 'base64');
  if (message.toString('base64') !== r.message) refuse('the message is not canonical base64');
  if (message.length > MAX_MESSAGE_BYTES) refuse(`message of ${message.length} bytes exceeds ${MAX_MESSAGE_BYTES}`);
  return {
    message: new Uint8Array(message),
    messageType: r.messageType,
    signingAlgorithm: r.signingAlgorithm,
    caller: { accessKeyId: c.accessKeyId, principal: c.principal },
    grantTokens: [...tokens],
  };
}
