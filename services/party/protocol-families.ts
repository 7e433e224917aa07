// What the party needs to know about each protocol family, in one small table: how to build its
// DKG and signing sessions (by factory name and plain-data parameters, so that a session can be
// built inside a worker thread as well as here), where its sessions run, what it signs, and how to
// read the public facts of its key shares. The party's flows (session-driver.ts, sign.ts, dkg.ts, refresh.ts) are generic over this table.
//
//   family   keys                         signs                                 sessions run
//   frost    Ed25519, Ed448 (pure EdDSA)  the message itself                    inline (ms of work)
//   dkls23   secp256k1, P-256 (ECDSA)     the policy engine's 32-byte digest    DKG in a worker thread
//                                                                               (seconds of base OTs)
import type { Rng, Session } from '../../protocols/core/session.ts';
import type { KeySpecEntry } from '../../protocols/core/key-specs.ts';
import { createFrostDkg } from '../../protocols/frost/dkg.ts';
import { createFrostSign } from '../../protocols/frost/sign.ts';
import {
  createFrostRefreshReshare,
  createFrostReshare,
  publicPackageOf,
  type FrostPublicKeyPackage,
  type ReshareMember,
} from '../../protocols/frost/reshare.ts';
import type { FrostKeyShare } from '../../protocols/frost/share.ts';
import type { FrostSuiteName } from '../../protocols/frost/suite.ts';
import { createDklsDkg } from '../../protocols/dkls23/dkg.ts';
import { createDklsSign } from '../../protocols/dkls23/sign.ts';
import { createDklsPresign } from '../../protocols/dkls23/presign.ts';
import { createDklsRefresh } from '../../protocols/dkls23/refresh.ts';
import { createDklsImport } from '../../protocols/dkls23/import.ts';
import { createDklsReshare, dklsPublicPackageOf, type DklsPublicKeyPackage } from '../../protocols/dkls23/reshare.ts';
import { createFrostImport } from '../../protocols/frost/import.ts';
import { isDealerOnlyShare, type DklsKeyShare } from '../../protocols/dkls23/keyshare.ts';
import type { DklsCurveName } from '../../protocols/dkls23/curve.ts';

type Params<F extends (o: never) => unknown> = Omit<Parameters<F>[0], 'rng'>;

/**
 * Every session a party can run, by name. Parameters are plain data (numbers, strings, bytes, JSON
 * shares) so they can be posted to a worker thread; randomness is the host's own.
 */
export const SESSION_FACTORIES = {
  'frost/dkg': (p: Params<typeof createFrostDkg>, rng: Rng) => createFrostDkg({ ...p, rng }),
  'frost/sign': (p: Params<typeof createFrostSign>, rng: Rng) => createFrostSign({ ...p, rng }),
  'frost/refresh': (p: Params<typeof createFrostRefreshReshare>, rng: Rng) => createFrostRefreshReshare({ ...p, rng }),
  'frost/reshare': (p: Params<typeof createFrostReshare>, rng: Rng) => createFrostReshare({ ...p, rng }),
  'dkls23/dkg': (p: Params<typeof createDklsDkg>, rng: Rng) => createDklsDkg({ ...p, rng }),
  'dkls23/sign': (p: Params<typeof createDklsSign>, rng: Rng) => createDklsSign({ ...p, rng }),
  'dkls23/presign': (p: Params<typeof createDklsPresign>, rng: Rng) => createDklsPresign({ ...p, rng }),
  'dkls23/refresh': (p: Params<typeof createDklsRefresh>, rng: Rng) => createDklsRefresh({ ...p, rng }),
  'dkls23/reshare': (p: Params<typeof createDklsReshare>, rng: Rng) => createDklsReshare({ ...p, rng }),
  // Importing a key (services/party/import.ts): a refresh on the imported sharing.
  'dkls23/import': (p: Params<typeof createDklsImport>, rng: Rng) => createDklsImport({ ...p, rng }),
  'frost/import': (p: Params<typeof createFrostImport>, rng: Rng) => createFrostImport({ ...p, rng }),
} as const;

export type SessionFactoryName = keyof typeof SESSION_FACTORIES;

/** A session to build: which factory, with what parameters, under which protocol name. */
export type SessionSpec = { factory: SessionFactoryName; protocol: string; params: unknown };

/** Builds a session from its spec in the calling thread. */
export function buildSession(spec: SessionSpec, rng: Rng): Session<unknown, unknown> {
  const factory = SESSION_FACTORIES[spec.factory] as ((p: unknown, rng: Rng) => Session<unknown, unknown>) | undefined;
  if (!factory) throw new Error(`unknown session factory '${String(spec.factory)}'`);
  return factory(spec.params, rng);
}

/** Where a family's sessions run: on the party's event loop, or in the session host's worker threads. */
export type SessionPlacement = 'inline' | 'worker';

export type ShareFacts = { publicKey: string; transcriptHash: string; index: number };

export type ProtocolFamily = {
  /** The family names of the one table of key specs (protocols/core/key-specs.ts). */
  readonly name: KeySpecEntry['family'];
  readonly dkgPlacement: SessionPlacement;
  readonly signPlacement: SessionPlacement;
  /** 'message': pure EdDSA signs the message itself; 'digest': ECDSA signs the policy engine's `decision.digest`. */
  readonly signs: 'message' | 'digest';
  dkg(o: { protocol: string; suite: string; sessionId: Uint8Array; self: number; n: number; t: number; context: Uint8Array }): SessionSpec;
  /** `context`: what every signer must agree on besides the request (sign-agreement.ts), bound into the first round. */
  sign(o: {
    protocol: string;
    suite: string;
    sessionId: Uint8Array;
    self: number;
    signers: number[];
    share: unknown;
    input: Uint8Array;
    context?: Uint8Array;
  }): SessionSpec;
  /**
   * The refresh session (all n parties, or those not in `exclude`; new shares, same public key);
   * it runs where the DKG does. FROST's is a reshare onto the same holders (protocols/frost/reshare.ts).
   */
  refresh?(o: { protocol: string; suite: string; sessionId: Uint8Array; self: number; share: unknown; context: Uint8Array; exclude?: number[] }): SessionSpec;
  /**
   * ReshareKey's session (protocols/frost/reshare.ts, protocols/dkls23/reshare.ts): `share` when this party deals,
   * `oldKey` the old key's public package, `members` the roles by session index.
   */
  reshare?(o: {
    protocol: string;
    suite: string;
    sessionId: Uint8Array;
    self: number;
    share?: unknown;
    oldKey: unknown;
    members: { old?: number; new?: number }[];
    tNew: number;
    context: Uint8Array;
  }): SessionSpec;
  /** The public package of a share (no secret, no OT state), for a new party of a reshare; `groupPublicKey` is the key's hex public key. */
  publicPackage?(share: unknown): unknown;
  /** The public facts of a share this family's DKG produced (hex public key, transcript hash, own index). */
  shareFacts(share: unknown): ShareFacts;
  /**
   * A share that only deals in a reshare: restored from a backup without what signing needs
   * (DKLs23's pairwise OT material, protocols/dkls23/keyshare.ts `dealerOnly`). Sign, presign and
   * refresh refuse it before any session (dealOnlyRefusal).
   */
  dealsOnly(share: unknown): boolean;
};

/** The refusal for a sign, presign or refresh asked of a dealer-only share (ProtocolFamily.dealsOnly). */
export function dealOnlyRefusal(keyId: string): string {
  return `key ${keyId}: the share here was restored from a backup without its OT material; it only deals in a ReshareKey (as the holder it was backed up from), which gives this party a signing share`;
}

/**
 * Where DKLs23 signing runs: inline (about 30 ms per party and signature, in four slices of at most
 * ~16 ms) unless TUTTI_DKLS_SIGN_IN_WORKER=1 moves it to the worker threads. Measured on the 2-core
 * machine (docs/benchmarks.md): the same p50 (59 ms) and throughput (20/s at 16 clients) either way,
 * with a longer tail in the worker (the share, ~260 KB of JSON, is posted to it per signature).
 */
const dklsSignPlacement = (): SessionPlacement => (process.env.TUTTI_DKLS_SIGN_IN_WORKER === '1' ? 'worker' : 'inline');

export const FAMILIES: Record<ProtocolFamily['name'], ProtocolFamily> = {
  frost: {
    name: 'frost',
    dkgPlacement: 'inline',
    signPlacement: 'inline',
    signs: 'message',
    dkg: ({ protocol, suite, sessionId, self, n, t, context }) => ({
      factory: 'frost/dkg',
      protocol: `${protocol}/dkg`,
      params: { suite: suite as FrostSuiteName, sessionId, self, n, t, context },
    }),
    sign: ({ protocol, suite, sessionId, self, signers, share, input, context }) => ({
      factory: 'frost/sign',
      protocol: `${protocol}/sign`,
      params: { suite: suite as FrostSuiteName, sessionId, self, signers, share: share as FrostKeyShare, message: input, ...(context ? { context } : {}) },
    }),
    // A reshare onto the same holders (protocols/frost/reshare.ts): every share new, the group key
    // and t unchanged; `exclude` (old indices) as DKLs23's, `self` then the new index.
    refresh: ({ protocol, suite, sessionId, self, share, context, exclude }) => ({
      factory: 'frost/refresh',
      protocol: `${protocol}/refresh`,
      params: { suite: suite as FrostSuiteName, sessionId, self, share: share as FrostKeyShare, context, ...(exclude?.length ? { exclude } : {}) },
    }),
    reshare: ({ protocol, suite, sessionId, self, share, oldKey, members, tNew, context }) => ({
      factory: 'frost/reshare',
      protocol: `${protocol}/reshare`,
      params: {
        suite: suite as FrostSuiteName,
        sessionId,
        self,
        ...(share ? { share: share as FrostKeyShare } : {}),
        oldKey: oldKey as FrostPublicKeyPackage,
        members: members as ReshareMember[],
        tNew,
        context,
      },
    }),
    publicPackage: (share) => publicPackageOf(share as FrostKeyShare),
    // A FROST share restored from a backup is the share itself: it signs.
    dealsOnly: () => false,
    shareFacts: (share) => {
      const s = share as FrostKeyShare;
      return { publicKey: s.groupPublicKey, transcriptHash: s.transcriptHash, index: s.index };
    },
  },
  dkls23: {
    name: 'dkls23',
    dkgPlacement: 'worker',
    get signPlacement() {
      return dklsSignPlacement();
    },
    signs: 'digest',
    dkg: ({ protocol, suite, sessionId, self, n, t, context }) => ({
      factory: 'dkls23/dkg',
      protocol: `${protocol}/dkg`,
      params: { curve: suite as DklsCurveName, sessionId, self, n, t, context },
    }),
    sign: ({ protocol, suite, sessionId, self, signers, share, input, context }) => ({
      factory: 'dkls23/sign',
      protocol: `${protocol}/sign`,
      params: { curve: suite as DklsCurveName, sessionId, self, signers, share: share as DklsKeyShare, digest: input, ...(context ? { context } : {}) },
    }),
    // Replaces every share and all OT state (the recovery path after a ban, protocols/dkls23/refresh.ts).
    // `exclude` (old indices): a refresh without those parties; `self` is then the new index.
    refresh: ({ protocol, suite, sessionId, self, share, context, exclude }) => ({
      factory: 'dkls23/refresh',
      protocol: `${protocol}/refresh`,
      params: { curve: suite as DklsCurveName, sessionId, self, share: share as DklsKeyShare, context, ...(exclude?.length ? { exclude } : {}) },
    }),
    // ReshareKey: the old holders deal the key to the new set, which runs its own pairwise OT
    // setup in the same session (protocols/dkls23/reshare.ts); base OTs: in a worker, as the DKG.
    reshare: ({ protocol, suite, sessionId, self, share, oldKey, members, tNew, context }) => ({
      factory: 'dkls23/reshare',
      protocol: `${protocol}/reshare`,
      params: {
        curve: suite as DklsCurveName,
        sessionId,
        self,
        ...(share ? { share: share as DklsKeyShare } : {}),
        oldKey: oldKey as DklsPublicKeyPackage,
        members: members as ReshareMember[],
        tNew,
        context,
      },
    }),
    publicPackage: (share) => dklsPublicPackageOf(share as DklsKeyShare),
    dealsOnly: (share) => isDealerOnlyShare(share),
    shareFacts: (share) => {
      const s = share as DklsKeyShare;
      return { publicKey: s.publicKey, transcriptHash: s.transcriptHash, index: s.index };
    },
  },
};
