// Policy-checked DIGEST (docs/kms-compatibility.md "Policy-checked DIGEST: the preimage in
// GrantTokens"): a caller that signs a DIGEST can hand every party the digest's preimage in Sign's
// GrantTokens, which every AWS SDK passes through unchanged. Each party then re-hashes the
// preimage itself, requires it to equal the digest, and evaluates the key's signing policy on the
// preimage as a RAW message — so the key's transaction rules apply to DIGEST clients as well.
//
//   tutti-preimage:v1:<hash>:<k>/<n>:<base64url, no padding>
//
// <hash> is `keccak256` (the preimage is read as a RAW message under ECDSA_KECCAK_256: an Ethereum
// transaction, EIP-191 message or EIP-712 RFC 8785 JSON, whose digest is the EIP-712 hash) or
// `sha256` (RAW under ECDSA_SHA_256). The preimage's base64url is cut into n ≤ 10 chunks, token k
// carrying chunk k (1-based), each token ≤ 8192 characters (AWS: at most 10 GrantTokens of 1–8192
// characters, shared with approvals `tutti-approval:v1:…`). Pure: no I/O.
import { signingDigest } from './digest.ts';

export const PREIMAGE_PREFIX = 'tutti-preimage:v1:';
export const PREIMAGE_HASHES = { keccak256: 'ECDSA_KECCAK_256', sha256: 'ECDSA_SHA_256' } as const;
export type PreimageHash = keyof typeof PREIMAGE_HASHES;
const MAX_TOKENS = 10;
const MAX_TOKEN_LENGTH = 8192;
const TOKEN_RE = /^tutti-preimage:v1:(keccak256|sha256):([1-9][0-9]?)\/([1-9][0-9]?):([A-Za-z0-9_-]+)$/;

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function toBase64url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let j = 0; j < chars; j++) out += B64URL[(n >> (18 - 6 * j)) & 63];
  }
  return out;
}

/** Strict base64url without padding: null for any other spelling (so every party reads the same bytes). */
function fromBase64url(s: string): Uint8Array | null {
  if (s.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((s.length * 6) / 8));
  let acc = 0,
    bits = 0,
    k = 0;
  for (const ch of s) {
    const v = B64URL.indexOf(ch);
    if (v < 0) return null;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[k++] = (acc >> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) return null; // non-zero padding bits: not canonical
  return out;
}

/** The GrantTokens that carry `preimage` (fewest chunks that fit); throws if it cannot fit in 10 tokens. */
export function preimageGrantTokens(preimage: Uint8Array, hash: PreimageHash, maxTokens = MAX_TOKENS): string[] {
  const b64 = toBase64url(preimage);
  const room = MAX_TOKEN_LENGTH - `${PREIMAGE_PREFIX}${hash}:10/10:`.length;
  const n = Math.max(1, Math.ceil(b64.length / room));
  if (n > maxTokens) throw new RangeError(`a preimage of ${preimage.length} bytes needs ${n} grant tokens; at most ${maxTokens} are free`);
  const size = Math.ceil(b64.length / n);
  return Array.from({ length: n }, (_, i) => `${PREIMAGE_PREFIX}${hash}:${i + 1}/${n}:${b64.slice(i * size, (i + 1) * size)}`);
}

export type Preimage = { hash: PreimageHash; algorithm: (typeof PREIMAGE_HASHES)[PreimageHash]; preimage: Uint8Array };

/**
 * The preimage carried by `tokens`: null when none is, an Error naming the problem when the tokens
 * are malformed (wrong syntax, mixed hashes, missing, repeated or extra chunks).
 */
export function readPreimage(tokens: readonly string[]): Preimage | null | Error {
  const ours = tokens.filter((t) => t.startsWith(PREIMAGE_PREFIX));
  if (ours.length === 0) return null;
  const parts = new Map<number, string>();
  let hash: PreimageHash | undefined, n: number | undefined;
  for (const t of ours) {
    const m = TOKEN_RE.exec(t);
    if (!m) return new Error('malformed preimage grant token (expected tutti-preimage:v1:<keccak256|sha256>:<k>/<n>:<base64url>)');
    const [h, k, total] = [m[1] as PreimageHash, Number(m[2]), Number(m[3])];
    if ((hash !== undefined && h !== hash) || (n !== undefined && total !== n))
      return new Error('preimage grant tokens disagree on the hash or the chunk count');
    if (k > total || parts.has(k)) return new Error(`preimage chunk ${k}/${total} is out of range or repeated`);
    hash = h;
    n = total;
    parts.set(k, m[4]!);
  }
  if (parts.size !== n) return new Error(`preimage grant tokens carry ${parts.size} of ${n} chunks`);
  const preimage = fromBase64url(Array.from({ length: n }, (_, i) => parts.get(i + 1)!).join(''));
  if (!preimage) return new Error('the preimage is not canonical base64url');
  return { hash: hash!, algorithm: PREIMAGE_HASHES[hash!], preimage };
}

/**
 * Checks a DIGEST request's preimage: the RAW request (algorithm, message) the policy is to be
 * evaluated on when `preimage` hashes — as that algorithm's RAW message is hashed by the parties
 * (policies/digest.ts, the EIP-712 digest for EIP-712 JSON) — to exactly `digest`; else the reason.
 */
export function checkPreimage(p: Preimage, keyAlgorithms: readonly string[], digest: Uint8Array): { algorithm: string; message: Uint8Array } | Error {
  if (!keyAlgorithms.includes(p.algorithm)) return new Error(`a ${p.hash} preimage needs ${p.algorithm}, which this key does not offer`);
  let computed: Uint8Array | undefined;
  try {
    computed = signingDigest(p.algorithm, 'RAW', p.preimage);
  } catch (e) {
    return new Error(`the preimage cannot be read: ${(e as Error).message}`);
  }
  if (!computed || computed.length !== digest.length || computed.some((x, i) => x !== digest[i])) {
    return new Error(`the preimage does not hash (${p.hash}) to the DIGEST`);
  }
  return { algorithm: p.algorithm, message: p.preimage };
}
