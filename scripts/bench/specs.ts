// The benchmark's table: one row per KMS key spec. A row says which curve its single-key baseline
// uses, how to run its protocol in process (a driver, or why not yet), and how to check its
// signatures with node:crypto. End-to-end rows run when the gateway offers the key spec
// (services/coordinator/key-specs.ts KEY_SPECS), so secp256k1 / P-256 start to run there as
// soon as issue 4 registers them; until then they say `pending`.
import { dkls23Driver, frostDriver, type InProcessDriver } from './drivers.ts';

export type Curve = 'ed25519' | 'ed448' | 'secp256k1' | 'p256';

export type BenchSpec = {
  keySpec: string;
  label: string;
  curve: Curve;
  signingAlgorithm: string;
  /** node:crypto's digest argument for verify(): null for pure EdDSA, 'sha256' for ECDSA_SHA_256. */
  verifyDigest: string | null;
  /** The in-process driver, or null with the reason in `pending`. */
  inProcess: InProcessDriver | null;
  /** Shown where a part is not available yet (no driver; the gateway does not offer the key spec). */
  pending?: string;
  /** false: the smoke run skips the in-process part (a DKG of several seconds would not fit its minute). */
  smokeInProcess?: boolean;
};

export const SPECS: BenchSpec[] = [
  {
    keySpec: 'ECC_NIST_EDWARDS25519',
    label: 'Ed25519',
    curve: 'ed25519',
    signingAlgorithm: 'ED25519_SHA_512',
    verifyDigest: null,
    inProcess: frostDriver('ed25519'),
  },
  { keySpec: 'ECC_NIST_EDWARDS448', label: 'Ed448', curve: 'ed448', signingAlgorithm: 'ED448_SHAKE_256', verifyDigest: null, inProcess: frostDriver('ed448') },
  {
    keySpec: 'ECC_SECG_P256K1',
    label: 'secp256k1',
    curve: 'secp256k1',
    signingAlgorithm: 'ECDSA_SHA_256',
    verifyDigest: 'sha256',
    inProcess: dkls23Driver('secp256k1'),
    pending: 'not yet (issue 4)',
    smokeInProcess: false,
  },
  {
    keySpec: 'ECC_NIST_P256',
    label: 'P-256',
    curve: 'p256',
    signingAlgorithm: 'ECDSA_SHA_256',
    verifyDigest: 'sha256',
    inProcess: dkls23Driver('p256'),
    pending: 'not yet (issue 4)',
    smokeInProcess: false,
  },
];

/**
 * Bytes of every message signed. Not 32: the parties' built-in policy refuses a 32-byte RAW message
 * under ECDSA_SHA_256 on secp256k1 (it would sign SHA-256(SHA-256(x)), a Bitcoin sighash).
 */
export const MESSAGE_BYTES = 64;

export type Config = { t: number; n: number };
export const CONFIGS: Config[] = [
  { t: 2, n: 3 },
  { t: 3, n: 5 },
];
export const CONCURRENCY = [1, 16, 64] as const;
