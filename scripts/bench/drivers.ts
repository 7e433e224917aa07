// In-process drivers: a protocol's DKG and signing with every party in this one process, messages
// handed over by the test simulator (tests/support/simulator.ts: envelope encode/decode, no
// network, no transport authentication, no storage). This is "the protocol alone" of issue 6.
//
// A driver is all the benchmark needs to know about a protocol. DKLs23 (issue 4) gets one as soon
// as protocols/dkls23 exports its DKG and signing sessions: write `dkls23Driver` like
// `frostDriver` below and put it in the spec table (specs.ts).
import { randomBytes } from 'node:crypto';
import { createFrostDkg } from '../../protocols/frost/dkg.ts';
import { createFrostSign } from '../../protocols/frost/sign.ts';
import type { FrostKeyShare } from '../../protocols/frost/share.ts';
import type { FrostSuiteName } from '../../protocols/frost/suite.ts';
import { outputsOf, simulate } from '../../tests/support/simulator.ts';

export type InProcessKey = { publicKey: Uint8Array; t: number; n: number; state: unknown };

export interface InProcessDriver {
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
