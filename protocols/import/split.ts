// Importing an existing single key (issue 15 item 5; docs/protocols.md "Importing a key", docs/
// security.md "Imported keys are weaker than DKG"). An operator splits the key ONCE, offline, on an
// air-gapped machine (`cli.ts import-split`): Shamir's sharing of the secret scalar x over a random
// polynomial f of degree t−1 with f(0) = x, Feldman commitments F_k = a_k·G (public, so that every
// party can check its share), and each party's f(i) sealed to that party's identity key
// (bundle.ts). The manifest is public: spec, threshold, the parties and their identity keys, the
// commitments, every verification share S_j = f(j)·G = Σ F_k·j^k, the public key F_0, and a hash
// binding all of it. Nothing here reconstructs a key: the splitter starts from one and only splits.
//
// The secret scalar per spec:
//   ECDSA (secp256k1, P-256)  the private key d itself (SEC 1 §3.2).
//   EdDSA (Ed25519, Ed448)    the RFC 8032 §5.1.5 / §5.2.5 secret scalar s: the clamped first half
//                             of H(seed), reduced mod L. The second half (the "prefix") only makes
//                             single-signer nonces deterministic; FROST draws its nonces jointly
//                             (RFC 9591 §4.1), so the prefix is never needed and is not split.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { p256 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ed448 } from '@noble/curves/ed448.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, equalBytes, hexToBytes, lengthPrefixed, u32, utf8ToBytes } from '../core/bytes.ts';
import { ProtocolError } from '../core/errors.ts';

export const IMPORT_FORMAT = 'tutti-import/v1';
const MANIFEST_LABEL = 'tutti/v1/import-manifest';

export type ImportKeySpec = 'ECC_SECG_P256K1' | 'ECC_NIST_P256' | 'ECC_NIST_EDWARDS25519' | 'ECC_NIST_EDWARDS448';

/** What the import needs of a prime-order group: its scalar field, base point and encoding. */
type GroupPoint = { add(o: GroupPoint): GroupPoint; multiply(k: bigint): GroupPoint; equals(o: GroupPoint): boolean; is0(): boolean };
export type ImportGroup = {
  keySpec: ImportKeySpec;
  /** The protocol family name the service stores (protocols/core/key-specs.ts). */
  protocol: string;
  order: bigint;
  /** The length of a private key as the operator holds it (scalar, or RFC 8032 seed). */
  secretBytes: number;
  scalarBytes: number;
  base: GroupPoint;
  encode(p: GroupPoint): Uint8Array;
  decode(b: Uint8Array): GroupPoint;
  /** The secret scalar of a private key in the operator's form (see the header). */
  scalarOf(secret: Uint8Array): bigint;
  scalarToBytes(s: bigint): Uint8Array;
  scalarFromBytes(b: Uint8Array): bigint;
};

const le = (b: Uint8Array): bigint => {
  let x = 0n;
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]!);
  return x;
};
const be = (b: Uint8Array): bigint => {
  let x = 0n;
  for (const v of b) x = (x << 8n) | BigInt(v);
  return x;
};
const toLe = (x: bigint, len: number): Uint8Array => {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++, x >>= 8n) out[i] = Number(x & 0xffn);
  return out;
};
const toBe = (x: bigint, len: number): Uint8Array => toLe(x, len).reverse();

function weierstrass(keySpec: ImportKeySpec, protocol: string, c: typeof secp256k1 | typeof p256): ImportGroup {
  const order = c.Point.Fn.ORDER;
  return {
    keySpec,
    protocol,
    order,
    secretBytes: 32,
    scalarBytes: 32,
    base: c.Point.BASE,
    encode: (p) => (p as unknown as InstanceType<typeof c.Point>).toBytes(true),
    decode: (b) => {
      if (b.length !== 33) throw new Error('expected a 33-byte compressed point');
      return c.Point.fromBytes(b);
    },
    scalarOf: (secret) => {
      if (secret.length !== 32) throw new Error(`a ${keySpec} private key is 32 bytes`);
      const d = be(secret);
      if (d === 0n || d >= order) throw new Error(`not a ${keySpec} private key: 0 < d < n fails`);
      return d;
    },
    scalarToBytes: (s) => toBe(s, 32),
    scalarFromBytes: (b) => be(b),
  };
}

function edwards(keySpec: ImportKeySpec, protocol: string, c: typeof ed25519 | typeof ed448, secretBytes: number, scalarBytes: number): ImportGroup {
  const order = c.Point.Fn.ORDER;
  return {
    keySpec,
    protocol,
    order,
    secretBytes,
    scalarBytes,
    base: c.Point.BASE,
    encode: (p) => (p as unknown as InstanceType<typeof c.Point>).toBytes(),
    decode: (b) => {
      const p = c.Point.fromBytes(b);
      // Only points of the prime-order subgroup (RFC 9591 §6.1 / §6.3 DeserializeElement).
      p.assertValidity();
      if (!p.isTorsionFree()) throw new Error('point is not in the prime-order subgroup');
      return p;
    },
    scalarOf: (secret) => {
      if (secret.length !== secretBytes) throw new Error(`a ${keySpec} private key (RFC 8032 seed) is ${secretBytes} bytes`);
      // RFC 8032 §5.1.5 steps 1–3 (§5.2.5 for Ed448): hash, clamp, little-endian; reduced mod L,
      // which changes no signature (s·B depends on s mod L only).
      const s = c.utils.getExtendedPublicKey(secret).scalar % order;
      if (s === 0n) throw new Error('the secret scalar is zero');
      return s;
    },
    scalarToBytes: (s) => toLe(s, scalarBytes),
    scalarFromBytes: (b) => le(b),
  };
}

export const IMPORT_GROUPS: Readonly<Record<ImportKeySpec, ImportGroup>> = Object.freeze({
  ECC_SECG_P256K1: weierstrass('ECC_SECG_P256K1', 'dkls23-secp256k1', secp256k1),
  ECC_NIST_P256: weierstrass('ECC_NIST_P256', 'dkls23-p256', p256),
  ECC_NIST_EDWARDS25519: edwards('ECC_NIST_EDWARDS25519', 'frost-ed25519', ed25519, 32, 32),
  ECC_NIST_EDWARDS448: edwards('ECC_NIST_EDWARDS448', 'frost-ed448', ed448, 57, 57),
});

export function importGroup(keySpec: string): ImportGroup {
  const g = (IMPORT_GROUPS as Record<string, ImportGroup>)[keySpec];
  if (!g) throw new ProtocolError('bad-parameters', `key spec ${keySpec} cannot be imported; one of ${Object.keys(IMPORT_GROUPS).join(', ')}`);
  return g;
}

const mod = (a: bigint, n: bigint): bigint => ((a % n) + n) % n;

function inv(a: bigint, n: bigint): bigint {
  // Fermat (n is prime): a^(n−2) mod n. Public values only (Lagrange coefficients).
  let r = 1n,
    b = mod(a, n),
    e = n - 2n;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % n;
    b = (b * b) % n;
    e >>= 1n;
  }
  return r;
}

/** λ_i over `set` at 0: Π_{j≠i} j / (j − i) mod n. */
export function lagrangeAtZero(order: bigint, set: readonly number[], i: number): bigint {
  let num = 1n,
    den = 1n;
  for (const j of set) {
    if (j === i) continue;
    num = (num * BigInt(j)) % order;
    den = mod(den * BigInt(j - i), order);
  }
  return (num * inv(den, order)) % order;
}

/** A party as the manifest names it: its id and identity keys (services/transport/identity.ts). */
export type ImportParty = { partyId: string; signPublic: string; kexPublic: string };

/** The public manifest (everything but `hash` is hashed into `hash`). */
export type ImportManifest = {
  format: typeof IMPORT_FORMAT;
  /** Random, so that two splits of the same key are told apart. */
  importId: string;
  keySpec: ImportKeySpec;
  protocol: string;
  threshold: number;
  /** In index order: parties[i] holds f(i + 1). */
  parties: ImportParty[];
  /** The public key as the service stores it (compressed SEC 1 point; RFC 8032 encoding). */
  publicKey: string;
  /** F_0..F_{t−1}, hex. */
  commitments: string[];
  /** j (decimal) → S_j = f(j)·G, for every party. */
  verificationShares: Record<string, string>;
  /** SHA-256 over all the above (manifestHash), hex. */
  hash: string;
};

export function manifestHash(m: Omit<ImportManifest, 'hash'>): string {
  return bytesToHex(
    sha256(
      lengthPrefixed(
        utf8ToBytes(MANIFEST_LABEL),
        utf8ToBytes(m.format),
        utf8ToBytes(m.importId),
        utf8ToBytes(m.keySpec),
        utf8ToBytes(m.protocol),
        u32(m.threshold),
        u32(m.parties.length),
        ...m.parties.map((p) => lengthPrefixed(utf8ToBytes(p.partyId), hexToBytes(p.signPublic), hexToBytes(p.kexPublic))),
        hexToBytes(m.publicKey),
        u32(m.commitments.length),
        ...m.commitments.map((c) => hexToBytes(c)),
        ...m.parties.map((_, k) => hexToBytes(m.verificationShares[String(k + 1)] ?? '')),
      ),
    ),
  );
}

/** Σ_k F_k·x^k. */
function evalCommitment(g: ImportGroup, F: readonly GroupPoint[], x: bigint): GroupPoint {
  let acc = F[F.length - 1]!;
  for (let k = F.length - 2; k >= 0; k--) acc = acc.multiply(x).add(F[k]!);
  return acc;
}

export type SplitResult = { manifest: ImportManifest; shares: Map<number, Uint8Array> };

/**
 * Splits `secret` (the key as the operator holds it) t-of-n among `parties` (index order). The
 * returned share bytes are secret: the caller seals each (bundle.ts) and wipes them.
 * `rng(n)` must be a CSPRNG; the coefficients a_1..a_{t−1} are drawn from it.
 */
export function splitKey(o: { keySpec: string; secret: Uint8Array; threshold: number; parties: ImportParty[]; rng: (n: number) => Uint8Array }): SplitResult {
  const g = importGroup(o.keySpec);
  const n = o.parties.length;
  const t = o.threshold;
  if (!Number.isInteger(t) || t < 2 || t > n || n > 10) throw new ProtocolError('bad-parameters', `need 2 <= t <= n <= 10, got t=${t} n=${n}`);
  if (new Set(o.parties.map((p) => p.partyId)).size !== n) throw new ProtocolError('bad-parameters', 'a party is named twice');
  const x = g.scalarOf(o.secret);
  const coefficients = [x];
  for (let k = 1; k < t; k++) {
    // 64 bytes reduced mod n: bias below 2^-128 (RFC 9380 §5 uses the same margin).
    let a = 0n;
    while (a === 0n) a = mod(be(o.rng(64)), g.order);
    coefficients.push(a);
  }
  try {
    const F = coefficients.map((a) => g.base.multiply(a));
    const shares = new Map<number, Uint8Array>();
    const verificationShares: Record<string, string> = {};
    for (let j = 1; j <= n; j++) {
      let s = 0n;
      for (let k = t - 1; k >= 0; k--) s = (s * BigInt(j) + coefficients[k]!) % g.order;
      shares.set(j, g.scalarToBytes(s));
      verificationShares[String(j)] = bytesToHex(g.encode(g.base.multiply(s)));
    }
    const body: Omit<ImportManifest, 'hash'> = {
      format: IMPORT_FORMAT,
      importId: bytesToHex(o.rng(16)),
      keySpec: g.keySpec,
      protocol: g.protocol,
      threshold: t,
      parties: o.parties.map((p) => ({ partyId: p.partyId, signPublic: p.signPublic, kexPublic: p.kexPublic })),
      publicKey: bytesToHex(g.encode(F[0]!)),
      commitments: F.map((P) => bytesToHex(g.encode(P))),
      verificationShares,
    };
    return { manifest: { ...body, hash: manifestHash(body) }, shares };
  } finally {
    // As far as JavaScript allows: bigints cannot be wiped; drop the references.
    coefficients.fill(0n);
  }
}

export type CheckedManifest = { group: ImportGroup; commitments: GroupPoint[]; verificationShares: Map<number, GroupPoint>; publicKey: GroupPoint };

/**
 * Checks a manifest on its own (public data only): its hash, the commitments' length t, F_0 = the
 * public key, every S_j = Σ F_k·j^k, and — independently of the commitments — that Lagrange in the
 * exponent over the first t verification shares gives the public key. Throws 'bad-parameters'
 * naming what is wrong: the splitter made a bad manifest (or someone changed it).
 */
export function checkManifest(m: ImportManifest): CheckedManifest {
  const bad = (why: string): never => {
    throw new ProtocolError('bad-parameters', `import manifest: ${why} (the splitter's output is wrong or was altered; import refused)`);
  };
  if (typeof m !== 'object' || m === null || m.format !== IMPORT_FORMAT) bad(`not a ${IMPORT_FORMAT} manifest`);
  const g = importGroup(m.keySpec);
  if (m.protocol !== g.protocol) bad(`protocol ${m.protocol} is not ${g.protocol}`);
  const n = Array.isArray(m.parties) ? m.parties.length : 0;
  const t = m.threshold;
  if (!Number.isInteger(t) || t < 2 || t > n || n > 10) bad(`need 2 <= t <= n <= 10, got t=${t} n=${n}`);
  if (!Array.isArray(m.commitments) || m.commitments.length !== t) bad(`expected ${t} commitments`);
  let hash: string;
  try {
    hash = manifestHash(m);
  } catch {
    return bad('malformed');
  }
  if (hash !== m.hash) bad('its hash does not match its contents');
  const point = (h: string, what: string): GroupPoint => {
    try {
      const P = g.decode(hexToBytes(h));
      if (P.is0()) throw new Error('identity');
      return P;
    } catch (e) {
      return bad(`${what} is not a valid point (${e instanceof Error ? e.message : String(e)})`);
    }
  };
  const commitments = m.commitments.map((c, k) => point(c, `commitment ${k}`));
  const publicKey = point(m.publicKey, 'public key');
  if (!publicKey.equals(commitments[0]!)) bad('the public key is not commitment 0');
  const verificationShares = new Map<number, GroupPoint>();
  for (let j = 1; j <= n; j++) {
    const S = point(m.verificationShares?.[String(j)] ?? '', `verification share ${j}`);
    if (!S.equals(evalCommitment(g, commitments, BigInt(j)))) bad(`verification share ${j} does not match the commitments`);
    verificationShares.set(j, S);
  }
  const first = Array.from({ length: t }, (_, k) => k + 1);
  let acc: GroupPoint | undefined;
  for (const j of first) {
    const term = verificationShares.get(j)!.multiply(lagrangeAtZero(g.order, first, j));
    acc = acc ? acc.add(term) : term;
  }
  if (!acc!.equals(publicKey)) bad('the verification shares do not interpolate to the public key');
  return { group: g, commitments, verificationShares, publicKey };
}

/**
 * A party's check of its own share against a checked manifest: 0 < s < n and s·G = S_index.
 * Returns the scalar. A share that fails is the splitter's fault (or the bundle's sender's).
 */
export function checkShare(c: CheckedManifest, index: number, share: Uint8Array): bigint {
  const g = c.group;
  if (share.length !== g.scalarBytes) throw new ProtocolError('bad-parameters', `import bundle: the share is not ${g.scalarBytes} bytes`);
  const s = g.scalarFromBytes(share);
  const S = c.verificationShares.get(index);
  if (!S || s === 0n || s >= g.order || !equalBytes(g.encode(g.base.multiply(s)), g.encode(S)))
    throw new ProtocolError(
      'bad-parameters',
      `import bundle: the share of party ${index} does not match its verification share in the manifest (the splitter made a bad share; import refused)`,
    );
  return s;
}
