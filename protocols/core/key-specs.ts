// What Tutti supports, written once: each key spec with the protocol that makes and uses its keys, and
// each signing algorithm with the message types, hash and DIGEST length it has on the KMS API
// (docs/kms-compatibility.md "Key specs and algorithms", which tests/protocols/core/key-specs.test.ts
// holds equal to this table). The coordinator (services/coordinator/key-specs.ts), the party
// (services/party/request-check.ts), the KMS edge (services/kms-api/shapes.ts) and the policy engine
// (policies/types.ts, policy-schema.ts, invariants.ts, default-policy.ts) all derive from it.
//
// It lives in protocols/core because it says which protocol computes which KMS algorithm, and because
// both pure cores and the services can read it there without a new arrow into services/ (docs/
// architecture.md "One table of key specs"). It is plain data and imports nothing.

/** Who defines a name: AWS KMS, or Tutti as an extension AWS does not offer (docs/kms-compatibility.md). */
export type Origin = 'aws' | 'tutti';

/** A signing algorithm as the KMS API names it. */
export type AlgorithmInfo = {
  readonly origin: Origin;
  /** The MessageTypes the API takes for it (AWS: Ed25519ph is DIGEST only, pure EdDSA RAW only). */
  readonly messageTypes: readonly ('RAW' | 'DIGEST')[];
  /**
   * What the signature is over for a RAW message: the message itself (pure EdDSA, RFC 8032), or its
   * hash (ECDSA's 32-byte digest; Ed25519ph's PH(M) = SHA-512, RFC 8032 §5.1). policies/digest.ts computes it.
   */
  readonly rawHash: 'none' | 'sha256' | 'keccak256' | 'sha512';
  /** The length of a DIGEST message; null where there is no DIGEST form (pure EdDSA). */
  readonly digestBytes: number | null;
  /** Ed25519ph: AWS hashes a DIGEST again before signing (kms-compatibility.md "Key specs and algorithms"). */
  readonly digestHashedAgain: boolean;
};

export const SIGNING_ALGORITHMS = {
  ECDSA_SHA_256: { origin: 'aws', messageTypes: ['RAW', 'DIGEST'], rawHash: 'sha256', digestBytes: 32, digestHashedAgain: false },
  // Ethereum: RAW is hashed with Keccak-256 (for EIP-712 JSON: the EIP-712 digest).
  ECDSA_KECCAK_256: { origin: 'tutti', messageTypes: ['RAW', 'DIGEST'], rawHash: 'keccak256', digestBytes: 32, digestHashedAgain: false },
  ED25519_SHA_512: { origin: 'aws', messageTypes: ['RAW'], rawHash: 'none', digestBytes: null, digestHashedAgain: false },
  ED25519_PH_SHA_512: { origin: 'aws', messageTypes: ['DIGEST'], rawHash: 'sha512', digestBytes: 64, digestHashedAgain: true },
  ED448_SHAKE_256: { origin: 'tutti', messageTypes: ['RAW'], rawHash: 'none', digestBytes: null, digestHashedAgain: false },
} as const satisfies Record<string, AlgorithmInfo>;

export type SigningAlgorithm = keyof typeof SIGNING_ALGORITHMS;

/** A key spec: who defines it, what protocol the parties run for it, and how its keys and signatures look. */
export type KeySpecEntry = {
  readonly origin: Origin;
  /** The protocol name in keys.db and on the wire: `<family>-<suite>`. */
  readonly protocol: 'frost-ed25519' | 'frost-ed448' | 'dkls23-secp256k1' | 'dkls23-p256';
  /** The protocol family the party runs (services/party/protocol-families.ts). */
  readonly family: 'frost' | 'dkls23';
  /** The FROST suite (protocols/frost/suite.ts) or the DKLs23 curve (protocols/dkls23/curve.ts). */
  readonly suite: 'ed25519' | 'ed448' | 'secp256k1' | 'p256';
  /** 'eddsa': pure EdDSA, signs the message itself; 'ecdsa': signs a 32-byte digest (DIGEST, or the hash of RAW). */
  readonly scheme: 'eddsa' | 'ecdsa';
  /** As DescribeKey / GetPublicKey list them: AWS's values first (kms-compatibility.md). */
  readonly algorithms: readonly SigningAlgorithm[];
  /** The public key as the parties report it: the raw EdDSA key, or the compressed SEC1 point. */
  readonly publicKeyBytes: number;
  /** EdDSA: the signature's fixed length. ECDSA: the party's r ‖ s (the API returns DER, low-S). */
  readonly signatureBytes: number;
  /** DER SubjectPublicKeyInfo prefix (RFC 8410 for EdDSA, RFC 5480 for EC); the raw key or the uncompressed point follows. */
  readonly spkiPrefix: string;
};

export const KEY_SPEC_TABLE = {
  // AWS's Ed25519 with its two algorithms: pure Ed25519 (RAW) and Ed25519ph (DIGEST of 64 bytes,
  // hashed again), which the parties compute as FROST with the dom2(1, "") prefix in H2
  // (protocols/frost/suite.ts 'ed25519ph').
  ECC_NIST_EDWARDS25519: {
    origin: 'aws',
    protocol: 'frost-ed25519',
    family: 'frost',
    suite: 'ed25519',
    scheme: 'eddsa',
    algorithms: ['ED25519_SHA_512', 'ED25519_PH_SHA_512'],
    publicKeyBytes: 32,
    signatureBytes: 64,
    spkiPrefix: '302a300506032b6570032100',
  },
  // Ed448 is NIST "Edwards448" in SP 800-186; AWS has no Ed448 key spec.
  ECC_NIST_EDWARDS448: {
    origin: 'tutti',
    protocol: 'frost-ed448',
    family: 'frost',
    suite: 'ed448',
    scheme: 'eddsa',
    algorithms: ['ED448_SHAKE_256'],
    publicKeyBytes: 57,
    signatureBytes: 114,
    spkiPrefix: '3043300506032b6571033a00',
  },
  // DKLs23 threshold ECDSA; ECDSA_KECCAK_256 is the Ethereum extension.
  ECC_SECG_P256K1: {
    origin: 'aws',
    protocol: 'dkls23-secp256k1',
    family: 'dkls23',
    suite: 'secp256k1',
    scheme: 'ecdsa',
    algorithms: ['ECDSA_SHA_256', 'ECDSA_KECCAK_256'],
    publicKeyBytes: 33,
    signatureBytes: 64,
    spkiPrefix: '3056301006072a8648ce3d020106052b8104000a034200',
  },
  ECC_NIST_P256: {
    origin: 'aws',
    protocol: 'dkls23-p256',
    family: 'dkls23',
    suite: 'p256',
    scheme: 'ecdsa',
    algorithms: ['ECDSA_SHA_256'],
    publicKeyBytes: 33,
    signatureBytes: 64,
    spkiPrefix: '3059301306072a8648ce3d020106082a8648ce3d030107034200',
  },
} as const satisfies Record<string, KeySpecEntry>;

export type KeySpec = keyof typeof KEY_SPEC_TABLE;

/** The key specs in the table's order (as CreateKey's error and docs/kms-compatibility.md list them). */
export const KEY_SPEC_NAMES = Object.keys(KEY_SPEC_TABLE) as KeySpec[];
/** The signing algorithms in the table's order (the order of the policy schema's enum). */
export const SIGNING_ALGORITHM_NAMES = Object.keys(SIGNING_ALGORITHMS) as SigningAlgorithm[];

/** The entry of a key spec, or undefined for a name outside the table (any string off the wire). */
export function keySpecEntry(keySpec: string): KeySpecEntry | undefined {
  return Object.hasOwn(KEY_SPEC_TABLE, keySpec) ? KEY_SPEC_TABLE[keySpec as KeySpec] : undefined;
}

/** The entry of a signing algorithm, or undefined for a name outside the table. */
export function algorithmInfo(algorithm: string): AlgorithmInfo | undefined {
  return Object.hasOwn(SIGNING_ALGORITHMS, algorithm) ? SIGNING_ALGORITHMS[algorithm as SigningAlgorithm] : undefined;
}

/** The key spec made by a protocol (`frost-ed25519`, …), or undefined. */
export function keySpecOfProtocol(protocol: string): KeySpec | undefined {
  return KEY_SPEC_NAMES.find((k) => KEY_SPEC_TABLE[k].protocol === protocol);
}

/** Tutti's extension algorithms (kms-compatibility.md): the API lets their messages exceed AWS's 4096 bytes. */
export const EXTENSION_SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = SIGNING_ALGORITHM_NAMES.filter((a) => SIGNING_ALGORITHMS[a].origin === 'tutti');
/** Tutti's extension key specs (kms-compatibility.md). */
export const EXTENSION_KEY_SPECS: readonly KeySpec[] = KEY_SPEC_NAMES.filter((k) => KEY_SPEC_TABLE[k].origin === 'tutti');
