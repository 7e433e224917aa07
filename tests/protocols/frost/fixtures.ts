// Shared setup for the FROST tests (not a test file): session ids, honest runs through the
// simulator, and the node:crypto verifier (OpenSSL's Ed25519/Ed448, independent of noble).
import crypto from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { createFrostDkg, type FrostDkgOutput } from '../../../protocols/frost/dkg.ts';
import { createFrostSign } from '../../../protocols/frost/sign.ts';
import { createFrostRefresh } from '../../../protocols/frost/refresh.ts';
import type { FrostKeyShare } from '../../../protocols/frost/share.ts';
import type { FrostSuiteName } from '../../../protocols/frost/suite.ts';
import { outputsOf, seededRng, simulate, type SimulateOptions } from '../../support/simulator.ts';

export const SUITES: FrostSuiteName[] = ['ed25519', 'ed448'];

export function sid(label: string): Uint8Array {
  return sha256(new TextEncoder().encode(`session/${label}`));
}

export const CONTEXT = new TextEncoder().encode('key-id=test; policy=none');

export function dkgSessions(suite: FrostSuiteName, t: number, n: number, label: string, context = CONTEXT) {
  return Array.from({ length: n }, (_, k) =>
    createFrostDkg({ suite, sessionId: sid(label), self: k + 1, n, t, context, rng: seededRng(`${label}/dkg/${k + 1}`) }),
  );
}

export function runDkg(suite: FrostSuiteName, t: number, n: number, label: string, opts: SimulateOptions = {}) {
  const sim = simulate(dkgSessions(suite, t, n, label), opts);
  return { sim, outputs: outputsOf(sim) };
}

/** Honest DKG; returns the shares by index. */
export function dealByDkg(suite: FrostSuiteName, t: number, n: number, label: string): Map<number, FrostKeyShare> {
  const { outputs } = runDkg(suite, t, n, label);
  return new Map([...outputs].map(([p, o]) => [p, o.share]));
}

export function signSessions(suite: FrostSuiteName, shares: Map<number, FrostKeyShare>, signers: number[], message: Uint8Array, label: string) {
  return signers.map((p) =>
    createFrostSign({ suite, sessionId: sid(label), self: p, signers, share: shares.get(p)!, message, rng: seededRng(`${label}/sign/${p}`) }),
  );
}

export function runSign(
  suite: FrostSuiteName,
  shares: Map<number, FrostKeyShare>,
  signers: number[],
  message: Uint8Array,
  label: string,
  opts: SimulateOptions = {},
) {
  return simulate(signSessions(suite, shares, signers, message, label), opts);
}

export function refreshSessions(suite: FrostSuiteName, shares: Map<number, FrostKeyShare>, label: string, context = CONTEXT) {
  return [...shares.keys()]
    .sort((a, b) => a - b)
    .map((p) => createFrostRefresh({ suite, sessionId: sid(label), self: p, share: shares.get(p)!, context, rng: seededRng(`${label}/refresh/${p}`) }));
}

const SPKI_PREFIX: Record<FrostSuiteName, string> = { ed25519: '302a300506032b6570032100', ed448: '3043300506032b6571033a00' };

/** Verification by node:crypto (OpenSSL), from the raw public key wrapped in an SPKI. */
export function nodeVerify(suite: FrostSuiteName, sig: Uint8Array, msg: Uint8Array, publicKey: Uint8Array): boolean {
  const der = Buffer.concat([Buffer.from(SPKI_PREFIX[suite], 'hex'), Buffer.from(publicKey)]);
  const key = crypto.createPublicKey({ key: der, format: 'der', type: 'spki' });
  return crypto.verify(null, msg, key, sig);
}

export function shareOutputs(outputs: Map<number, FrostDkgOutput>): Map<number, FrostKeyShare> {
  return new Map([...outputs].map(([p, o]) => [p, o.share]));
}

import { expect } from '@jest/globals';
import { ED25519_TORSION_SUBGROUP, ed25519 } from '@noble/curves/ed25519.js';
import { ED448_TORSION_SUBGROUP, ed448 } from '@noble/curves/ed448.js';
import type { AbortKind } from '../../../protocols/core/errors.ts';
import type { Simulation } from '../../support/simulator.ts';

/** Bad elements for each suite: the identity, a small-order point, and a valid point plus torsion. */
export function badPoints(suite: FrostSuiteName): Record<'identity' | 'smallOrder' | 'mixedOrder' | 'nonCanonical', Uint8Array> {
  const [curve, torsion] = suite === 'ed25519' ? [ed25519, ED25519_TORSION_SUBGROUP] : [ed448, ED448_TORSION_SUBGROUP];
  const P = curve.Point;
  const T = P.fromHex(torsion[1]!);
  const nonCanonical = P.BASE.toBytes().slice();
  // y ≥ p: p + small, encoded little-endian with the sign bit clear (RFC 8032 decoding rejects it).
  const p = P.Fp.ORDER;
  const y = p + 1n;
  for (let k = 0; k < nonCanonical.length; k++) nonCanonical[k] = Number((y >> BigInt(8 * k)) & 0xffn);
  return { identity: P.ZERO.toBytes(), smallOrder: T.toBytes(), mixedOrder: P.BASE.multiply(12345n).add(T).toBytes(), nonCanonical };
}

export function splice(payload: Uint8Array, offset: number, bytes: Uint8Array): Uint8Array {
  const out = payload.slice();
  out.set(bytes, offset);
  return out;
}

/** No party in `honest` produced output; each aborted (with the expected kind, or timed out waiting for one that did). */
export function expectNoOutput<O, S>(sim: Simulation<O, S>, honest: number[]): void {
  for (const p of honest) expect({ party: p, kind: sim.results.get(p)!.kind }).toEqual({ party: p, kind: 'abort' });
}

/**
 * At least one honest party aborted with `kind` naming exactly `culprits` (every one of them, if
 * `exact`; otherwise the others name a superset); none of the others got output.
 */
export function expectBlame<O, S>(sim: Simulation<O, S>, honest: number[], kind: AbortKind, culprits: number[], exact = true): void {
  expectNoOutput(sim, honest);
  const errors = honest.map((p) => sim.results.get(p)!).flatMap((r) => (r.kind === 'abort' ? [r.error] : []));
  const matching = errors.filter((e) => e.kind === kind);
  expect(matching.length > 0 ? kind : errors.map((e) => `${e.kind}: ${e.message}`)).toEqual(kind);
  expect(matching.some((e) => e.culprits.join() === culprits.join())).toBe(true);
  for (const e of matching) {
    if (exact) expect(e.culprits).toEqual(culprits);
    else expect(e.culprits).toEqual(expect.arrayContaining(culprits));
  }
  // Everyone else either blamed the same way or timed out waiting for the parties that aborted.
  for (const e of errors) expect([kind, 'timeout']).toContain(e.kind);
}
