// In-process drivers: a protocol's DKG and signing with every party in this one process, messages
// handed over by the test simulator (tests/support/simulator.ts: envelope encode/decode, no
// network, no transport authentication, no storage). This is "the protocol alone" of issue 6.
//
// A driver is all the benchmark needs to know about a protocol; a new protocol is one driver and
// its rows in the spec table (specs.ts).
import { randomBytes } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { createDklsDkg } from '../../protocols/dkls23/dkg.ts';
import { createDklsSign } from '../../protocols/dkls23/sign.ts';
import type { DklsKeyShare } from '../../protocols/dkls23/keyshare.ts';
import type { DklsCurveName } from '../../protocols/dkls23/curve.ts';
import { createFrostDkg } from '../../protocols/frost/dkg.ts';
import { createFrostSign } from '../../protocols/frost/sign.ts';
import type { FrostKeyShare } from '../../protocols/frost/share.ts';
import type { FrostSuiteName } from '../../protocols/frost/suite.ts';
import { outputsOf, simulate } from '../../tests/support/simulator.ts';

export type InProcessKey = { publicKey: Uint8Array; t: number; n: number; state: unknown };

export interface InProcessDriver {
  /** How node:crypto must read the signature: DER (default) or r ‖ s. */
  readonly dsaEncoding?: 'der' | 'ieee-p1363';
  /** A DKG among n parties with threshold t, all in this process. */
  keygen(t: number, n: number): InProcessKey;
  /** One signature by `signers` (1-based key indices), all in this process; returns the signature bytes. */
  sign(key: InProcessKey, signers: number[], message: Uint8Array): Uint8Array;
}

const rng = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const sessionId = (): Uint8Array => new Uint8Array(randomBytes(32));

export function frostDriver(suite: FrostSuiteName): InProcessDriver {
  return {
    keygen(t, n) {
      const context = new TextEncoder().encode('bench');
      const sid = sessionId();
      const sessions = Array.from({ length: n }, (_, k) => createFrostDkg({ suite, sessionId: sid, self: k + 1, n, t, context, rng }));
      const outputs = outputsOf(simulate(sessions));
      const shares = new Map([...outputs].map(([p, o]) => [p, o.share]));
      return { publicKey: outputs.get(1)!.publicKey, t, n, state: shares };
    },
    sign(key, signers, message) {
      const shares = key.state as Map<number, FrostKeyShare>;
      const sid = sessionId();
      const sessions = signers.map((p) => createFrostSign({ suite, sessionId: sid, self: p, signers, share: shares.get(p)!, message, rng }));
      return outputsOf(simulate(sessions)).get(signers[0]!)!.signature;
    },
  };
}

/** DKLs23 threshold ECDSA (issue 4): the parties sign SHA-256(message), as KMS ECDSA_SHA_256 with MessageType RAW. */
export function dkls23Driver(curve: DklsCurveName): InProcessDriver {
  return {
    dsaEncoding: 'ieee-p1363',
    keygen(t, n) {
      const context = new TextEncoder().encode('bench');
      const sid = sessionId();
      const sessions = Array.from({ length: n }, (_, k) => createDklsDkg({ curve, sessionId: sid, self: k + 1, n, t, context, rng }));
      const outputs = outputsOf(simulate(sessions));
      const shares = new Map([...outputs].map(([p, o]) => [p, o.share]));
      return { publicKey: outputs.get(1)!.publicKey, t, n, state: shares };
    },
    sign(key, signers, message) {
      const shares = key.state as Map<number, DklsKeyShare>;
      const sid = sessionId();
      const digest = sha256(message);
      const sessions = signers.map((p) => createDklsSign({ curve, sessionId: sid, self: p, signers, share: shares.get(p)!, digest, rng }));
      return outputsOf(simulate(sessions)).get(signers[0]!)!.signature;
    },
  };
}
