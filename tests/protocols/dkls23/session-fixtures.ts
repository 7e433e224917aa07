// DKG and signing runs through the shared simulator, and the independent verifiers (not a test file).
import crypto from 'node:crypto';
import { expect } from '@jest/globals';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { AbortKind } from '../../../protocols/core/errors.ts';
import { createDklsDkg, type DklsDkgOutput } from '../../../protocols/dkls23/dkg.ts';
import { createDklsSign } from '../../../protocols/dkls23/sign.ts';
import type { DklsKeyShare } from '../../../protocols/dkls23/keyshare.ts';
import type { DklsCurveName } from '../../../protocols/dkls23/curve.ts';
import { outputsOf, simulate, type SimulateOptions, type Simulation } from '../../support/simulator.ts';
import { seededRng, sid } from './fixtures.ts';

export const CONTEXT = new TextEncoder().encode('key-id=test; policy=none');

export function dkgSessions(curve: DklsCurveName, t: number, n: number, label: string, context = CONTEXT) {
  return Array.from({ length: n }, (_, k) =>
    createDklsDkg({ curve, sessionId: sid(label), self: k + 1, n, t, context, rng: seededRng(`${label}/dkg/${k + 1}`) }),
  );
}

export function runDkg(curve: DklsCurveName, t: number, n: number, label: string, opts: SimulateOptions = {}) {
  const sim = simulate(dkgSessions(curve, t, n, label), opts);
  return { sim, outputs: outputsOf(sim) };
}

export function sharesOf(outputs: Map<number, DklsDkgOutput>): Map<number, DklsKeyShare> {
  return new Map([...outputs].map(([p, o]) => [p, o.share]));
}

export function signSessions(curve: DklsCurveName, shares: Map<number, DklsKeyShare>, signers: number[], digest: Uint8Array, label: string) {
  return signers.map((p) =>
    createDklsSign({ curve, sessionId: sid(label), self: p, signers, share: shares.get(p)!, digest, rng: seededRng(`${label}/sign/${p}`) }),
  );
}

export function runSign(
  curve: DklsCurveName,
  shares: Map<number, DklsKeyShare>,
  signers: number[],
  digest: Uint8Array,
  label: string,
  opts: SimulateOptions = {},
) {
  return simulate(signSessions(curve, shares, signers, digest, label), opts);
}

const SPKI_PREFIX: Record<DklsCurveName, string> = {
  secp256k1: '3056301006072a8648ce3d020106052b8104000a034200',
  p256: '3059301306072a8648ce3d020106082a8648ce3d030107034200',
};

const NOBLE = { secp256k1, p256 } as const;

/** node:crypto (OpenSSL) verification of sig = r ‖ s over SHA-256(message), from an SPKI built around the key. */
export function nodeVerify(curve: DklsCurveName, message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  const uncompressed = NOBLE[curve].Point.fromBytes(publicKey).toBytes(false);
  const key = crypto.createPublicKey({ key: Buffer.concat([Buffer.from(SPKI_PREFIX[curve], 'hex'), uncompressed]), format: 'der', type: 'spki' });
  return crypto.verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature);
}

/** Checks a signature every way we can: noble (low-S required), node:crypto, recovery id, low S. */
export function expectValidSignature(curve: DklsCurveName, message: Uint8Array, out: { signature: Uint8Array; recovery: number }, publicKey: Uint8Array): void {
  const digest = sha256(message);
  const noble = NOBLE[curve];
  expect(noble.verify(out.signature, digest, publicKey, { prehash: false, lowS: true })).toBe(true);
  expect(nodeVerify(curve, message, out.signature, publicKey)).toBe(true);
  const sig = noble.Signature.fromBytes(out.signature, 'compact');
  expect(sig.hasHighS()).toBe(false);
  expect(sig.addRecoveryBit(out.recovery).recoverPublicKey(digest).toBytes(true)).toEqual(publicKey);
}

/** No party in `honest` produced output. */
export function expectNoOutput<O, S>(sim: Simulation<O, S>, honest: number[]): void {
  for (const p of honest) expect({ party: p, kind: sim.results.get(p)!.kind }).toEqual({ party: p, kind: 'abort' });
}

/**
 * Every honest party aborted; at least one with `kind` naming exactly `culprits`; the others with
 * the same kind or a timeout (they waited for a party that had aborted).
 */
export function expectBlame<O, S>(sim: Simulation<O, S>, honest: number[], kind: AbortKind, culprits: number[]): void {
  expectNoOutput(sim, honest);
  const errors = honest.map((p) => sim.results.get(p)!).flatMap((r) => (r.kind === 'abort' ? [r.error] : []));
  const matching = errors.filter((e) => e.kind === kind);
  expect(matching.length > 0 ? kind : errors.map((e) => `${e.kind}: ${e.message}`)).toEqual(kind);
  for (const e of matching) expect(e.culprits).toEqual(culprits);
  for (const e of errors) expect([kind, 'timeout']).toContain(e.kind);
}
