// OpenSSL (node:crypto) in place of noble for the two hot pure computations the protocols let a
// host replace (docs/architecture.md "Purity"): DKLs23's SHA-256 (protocols/dkls23/hash.ts
// `useSha256`) and FROST's final Ed25519/Ed448 verification (protocols/frost/suite.ts
// `useEdwardsVerify`), and DKLs23's elliptic-curve operations whose result it needs as bytes
// (protocols/dkls23/native-ec.ts `useNativeEc`: k·G, the base OT's ECDH and decompression for
// P-256; decompression alone for secp256k1).
// protocols/ itself stays on @noble so that it runs in a browser (the embedded
// party, docs/waas.md); Node processes that run sessions call `installNativeCrypto()` once at start:
// the party daemon, its session workers, and the gateway (pre-made FROST aggregation verifies).
// docs/benchmarks.md "noble or OpenSSL in protocols/" has the measurements that justify it.
import { ECDH, createECDH, createHash, createPublicKey, hash as nodeHash, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { useSha256 } from '../../protocols/dkls23/hash.ts';
import { useEdwardsVerify, type FrostSuiteName } from '../../protocols/frost/suite.ts';
import { useNativeEc, type NativeEc } from '../../protocols/dkls23/native-ec.ts';

/** DER SubjectPublicKeyInfo prefix of a raw Ed25519 / Ed448 public key (RFC 8410). */
const SPKI_PREFIX: Record<FrostSuiteName, string> = { ed25519: '302a300506032b6570032100', ed448: '3043300506032b6571033a00' };

/** node:crypto public keys by raw key, so that verifying is a single OpenSSL call (public values only). */
const KEY_OBJECTS = new Map<string, KeyObject>();
const KEY_OBJECTS_MAX = 4096;

function nodeKey(suite: FrostSuiteName, publicKey: Uint8Array): KeyObject {
  const id = SPKI_PREFIX[suite] + Buffer.from(publicKey).toString('hex');
  let key = KEY_OBJECTS.get(id);
  if (!key) {
    key = createPublicKey({ key: Buffer.from(id, 'hex'), format: 'der', type: 'spki' });
    if (KEY_OBJECTS.size >= KEY_OBJECTS_MAX) KEY_OBJECTS.delete(KEY_OBJECTS.keys().next().value!);
    KEY_OBJECTS.set(id, key);
  }
  return key;
}

/** OpenSSL's strict RFC 8032 verification (canonical R, S < L, cofactorless). */
export function nativeEdwardsVerify(suite: FrostSuiteName, sig: Uint8Array, msg: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return nodeVerify(null, msg, nodeKey(suite, publicKey), sig);
  } catch {
    return false;
  }
}

export const NATIVE_SHA256 = {
  hash: (data: Uint8Array): Uint8Array => new Uint8Array(nodeHash('sha256', data, 'buffer')),
  create() {
    const h = createHash('sha256');
    return {
      update(data: Uint8Array) {
        h.update(data);
      },
      digest: (): Uint8Array => new Uint8Array(h.digest()),
    };
  },
};

/**
 * OpenSSL's EC arithmetic for one curve (its P-256 is the constant-time ecp_nistz256 code). One
 * ECDH object per thread, used synchronously: `setPrivateKey` computes k·G, `computeSecret` the
 * x-coordinate of k·P (and throws for a point off the curve), `convertKey` decompresses (and
 * throws for an x with no point). Installed whole for P-256 only: OpenSSL treats secp256k1 as a
 * generic curve, ≈ 0.7 ms per k·G and ≈ 1.3 ms per k·P here against ≈ 0.2 and ≈ 1.25 ms for
 * protocols/dkls23's own code; its square root (decompression) is still ≈ 2× faster than noble's
 * (docs/benchmarks.md "OpenSSL for P-256's products and the points' square roots"). No full k·P
 * (`mul`): ECDH gives only the x-coordinate. secp256k1's products default to protocols/dkls23's
 * WebAssembly kernel (kernel/ec-kernel.ts), which installing its decompression here keeps.
 */
export function opensslEc(curve: 'prime256v1' | 'secp256k1'): Required<Omit<NativeEc, 'mul'>> {
  const ecdh = createECDH(curve);
  return {
    mulBase: (k) => {
      ecdh.setPrivateKey(k);
      return new Uint8Array(ecdh.getPublicKey(null, 'uncompressed'));
    },
    ecdhX: (k, points) => {
      ecdh.setPrivateKey(k);
      return points.map((p) => new Uint8Array(ecdh.computeSecret(p)));
    },
    decompress: (point) => new Uint8Array(ECDH.convertKey(point, curve, undefined, undefined, 'uncompressed') as Buffer),
  };
}

/** Installs all three; idempotent. */
export function installNativeCrypto(): void {
  useSha256(NATIVE_SHA256);
  useEdwardsVerify(nativeEdwardsVerify);
  useNativeEc('p256', opensslEc('prime256v1'));
  useNativeEc('secp256k1', { decompress: opensslEc('secp256k1').decompress });
}
