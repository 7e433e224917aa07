// A host's own elliptic-curve arithmetic for the products whose result the protocol only needs as
// bytes, per curve (docs/architecture.md "Purity"). Like hash.ts `useSha256`: protocols/ stays on
// @noble so that it runs in a browser (the embedded party, docs/waas.md), and a Node process may
// install a native implementation that computes the very same values. The party daemon installs
// OpenSSL's (services/party/native-crypto.ts): all three for P-256, where its products are ≈ 5–9×
// faster than the BigInt code, and only decompression for secp256k1, whose products OpenSSL
// computes as a generic curve, slower than the code here (docs/benchmarks.md "OpenSSL for P-256's
// products and the points' square roots").
//
// Four operations, all on canonical SEC1 encodings (SEC 1 v2 §2.3.3–2.3.4), the scalar 32 bytes
// big-endian in [1, q):
//   mulBase     k·G, uncompressed (65 bytes)                  (scalar-mul.ts mulBase, base OT r_i)
//   mul         k·P for an uncompressed P, uncompressed        (scalar-mul.ts mulPoint: signing)
//   ecdhX       x(k·P_j) for one k and many points, 32 bytes each: the ECDH primitive of
//               SEC 1 §3.3.1 (the base OT's key agreement, base-ot.ts)
//   decompress  a compressed point to its uncompressed form; throws when the bytes are not a point
//               on the curve (codec.ts decodePoint, which keeps every one of its own checks)
// Where WebAssembly exists, secp256k1's `mul` and `ecdhX` default to the products of
// kernel/ec-kernel.ts (pure, in this folder); an installed operation replaces its default.
// Every result is decoded again by noble (on-curve check) where it becomes a point, so a broken
// implementation fails loudly rather than computing with a point off the curve.
import { DKLS_CURVES, type DklsCurveName } from './curve.ts';
import { wasmEc } from './kernel/ec-kernel.ts';
import { kernelEnabled } from './kernel/module.ts';

/** Any subset of the three: an operation left out runs on the pure code. */
export type NativeEc = {
  mulBase?: (k: Uint8Array) => Uint8Array;
  mul?: (k: Uint8Array, point: Uint8Array) => Uint8Array;
  ecdhX?: (k: Uint8Array, points: readonly Uint8Array[]) => Uint8Array[];
  decompress?: (point: Uint8Array) => Uint8Array;
};

const installed: Partial<Record<DklsCurveName, NativeEc>> = {};
/** Per curve: the WebAssembly defaults overlaid with what is installed (rebuilt on every install). */
const effective = new Map<DklsCurveName, NativeEc | undefined>();
/** Whether the kernels were on when `effective` was built (tests turn them off and on). */
let effectiveWithKernels = true;

/** Installs (or, with null, removes) the native arithmetic for one curve; before any session. */
export function useNativeEc(curve: DklsCurveName, impl: NativeEc | null): void {
  if (impl) installed[curve] = impl;
  else delete installed[curve];
  effective.clear();
}

/**
 * Only what the host installed for this curve (no WebAssembly defaults): for a product where the
 * pure batch code beats the kernel's one-product-at-a-time ladder (base-ot.ts baseOtReceive2: many
 * scalars, one point).
 */
export function installedEc(curve: DklsCurveName): NativeEc | undefined {
  return installed[curve];
}

/** The native arithmetic for this curve, if any: what is installed, over the WebAssembly defaults. */
export function nativeEc(curve: DklsCurveName): NativeEc | undefined {
  if (effectiveWithKernels !== kernelEnabled()) {
    effective.clear();
    effectiveWithKernels = kernelEnabled();
  }
  if (effective.has(curve)) return effective.get(curve);
  const wasm = wasmEc(DKLS_CURVES[curve]);
  const own = installed[curve];
  const merged = wasm || own ? { ...wasm, ...own } : undefined;
  effective.set(curve, merged);
  return merged;
}
