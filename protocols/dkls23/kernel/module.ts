// The compiled WebAssembly kernel of protocols/dkls23 (vole.as.ts, embedded by
// scripts/build-wasm.mjs in vole-wasm.ts): compiled once per process on first use, one instance
// per user (vole-kernel.ts, ec-kernel.ts: each sets its own modulus and owns its memory). Where
// WebAssembly is missing or refuses the module (a browser's main thread limits synchronous
// compilation), `kernelModule` returns null and the callers run their TypeScript code.
import { VOLE_WASM } from './vole-wasm.ts';

// The slice of the WebAssembly JS API used here (lib ES2022 has none; a browser's DOM lib and
// Node both provide it at run time). A module-scoped declaration: it emits nothing.
type WasmModule = object;
type WasmMemory = { readonly buffer: ArrayBuffer; grow(pages: number): number };
declare const WebAssembly:
  | {
      Module: new (bytes: Uint8Array) => WasmModule;
      Instance: new (module: WasmModule, imports: Record<string, Record<string, () => void>>) => { exports: unknown };
    }
  | undefined;

type Ptr = number;
/** The kernel's exports (vole.as.ts). */
export type Exports = {
  memory: WasmMemory;
  setModulus(q: Ptr, r2: Ptr, qinv: number): void;
  wipe(): void;
  senderRows(prefix: Ptr, rows: Ptr, xi: number, delta: Ptr, alpha: Ptr, gadgetM: Ptr, width: number, aTilde: Ptr, g0: Ptr, acc: Ptr): void;
  senderMu(thetaM: Ptr, g0: Ptr, xi: number, width: number, mu: Ptr): void;
  firstNonCanonical(bytes: Ptr, count: number): number;
  receiverRows(prefix: Ptr, rows: Ptr, xi: number, choices: Ptr, aTilde: Ptr, thetaM: Ptr, eta: Ptr, gadgetM: Ptr, width: number, mu: Ptr, acc: Ptr): void;
  oteReceiverColumns(nonce: Ptr, seeds: Ptr, betaPrime: Ptr, corrections: Ptr, columns: Ptr): void;
  oteSenderColumns(nonce: Ptr, seeds: Ptr, delta: Ptr, corrections: Ptr, columns: Ptr): void;
  fieldInit(): void;
  powMany(base: Ptr, count: number, exp: Ptr, out: Ptr): void;
  ecMul(point: Ptr, digits: Ptr, n: number, out: Ptr): number;
};

let module: WasmModule | null | undefined;
let enabled = true;

/** Turns every kernel off (the TypeScript code runs instead) or back on; for tests and benchmarks. */
export function setKernelEnabled(on: boolean): void {
  enabled = on;
}
export function kernelEnabled(): boolean {
  return enabled;
}

/** The compiled module, or null where WebAssembly is unavailable or the kernels are turned off. */
export function kernelModule(): WasmModule | null {
  if (!enabled) return null;
  if (module === undefined) module = compile();
  return module;
}

/** A fresh instance of the module with at least `end` bytes of memory. */
export function instantiate(module: WasmModule, end: number): Exports {
  // Only called after compile() returned a module, so WebAssembly exists.
  const x = new WebAssembly!.Instance(module, { env: { abort: () => {} } }).exports as Exports;
  const pages = Math.ceil(end / 65536) - x.memory.buffer.byteLength / 65536;
  if (pages > 0) x.memory.grow(pages);
  return x;
}

function compile(): WasmModule | null {
  try {
    if (typeof WebAssembly !== 'object' || WebAssembly === undefined) return null;
    const bin = atob(VOLE_WASM);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new WebAssembly.Module(bytes);
  } catch {
    return null;
  }
}

const MASK32 = 0xffffffffn;

/** Writes s < 2^256 at `at` as the kernel's scalar: 8 little-endian u32 limbs. */
export function putLE(x: Exports, at: number, s: bigint): void {
  const v = new DataView(x.memory.buffer);
  for (let j = 0; j < 8; j++) v.setUint32(at + 4 * j, Number((s >> BigInt(32 * j)) & MASK32), true);
}

/** Reads the kernel's scalar at `at` (8 little-endian u32 limbs). */
export function getLE(x: Exports, at: number): bigint {
  const v = new DataView(x.memory.buffer);
  let s = 0n;
  for (let j = 7; j >= 0; j--) s = (s << 32n) | BigInt(v.getUint32(at + 4 * j, true));
  return s;
}

/**
 * Gives an instance its odd modulus m for Montgomery products (vole.as.ts setModulus): m and
 * 2^512 mod m written at `mAt` and `mAt + 32`, and −m⁻¹ mod 2^32 by Newton's iteration.
 */
export function setModulus(x: Exports, mAt: number, m: bigint): void {
  putLE(x, mAt, m);
  putLE(x, mAt + 32, (1n << 512n) % m);
  const m0 = m & MASK32;
  let inv = 1n;
  for (let i = 0; i < 5; i++) inv = (inv * (2n - m0 * inv)) & MASK32;
  x.setModulus(mAt, mAt + 32, Number(((1n << 32n) - inv) & MASK32));
}
