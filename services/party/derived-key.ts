// Signing with a derived child key (issue 15 item 3; docs/protocols.md "HD derivation"), on the
// party's side. The sign 'open' names the parent key (whose share this party holds) in `keyId` and
// the child in `derive` ({ keyId, path }). The party computes the tweak ITSELF from what it stored
// at the parent's DKG — the parent public key and chain code — and the path; it never takes a
// tweak or a child public key from the coordinator. The parent's signing policy decides, with the
// path checked against its `derivation.allowedPaths` (policies/match/derivation.ts); the share is
// moved to the child (protocols/*/tweak.ts) in memory only, and the protocol verifies the
// signature under the child key before it is output.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '../../protocols/core/bytes.ts';
import { chainCodeOf, deriveChild, DerivationError, type HdCurve } from '../../protocols/core/hd-derivation.ts';
import { tweakDklsShare } from '../../protocols/dkls23/tweak.ts';
import type { DklsKeyShare } from '../../protocols/dkls23/keyshare.ts';
import { tweakFrostShare } from '../../protocols/frost/tweak.ts';
import type { FrostKeyShare } from '../../protocols/frost/share.ts';
import { KEY_ID_RE, type OpenSign } from '../control/messages.ts';
import { RequestRefused } from './request-check.ts';
import type { KeyMeta } from './party-options.ts';

/** The HD curve of each suite a key can have (KeyMeta.suite); Ed448 keys are not derived. */
const HD_CURVES: Record<string, HdCurve> = { secp256k1: 'secp256k1', p256: 'p256', ed25519: 'ed25519' };

/** The chain code a party stores beside a new share (KeyMeta.chainCode): from the DKG transcript all n confirmed. */
export function chainCodeHex(transcriptHash: string): string {
  return bytesToHex(chainCodeOf(hexToBytes(transcriptHash)));
}

export type DerivedSigning = {
  /** The child's path, for the policy (KeyFacts.derivationPath). */
  path: string;
  /** The child's public key, hex (compressed SEC1 or Ed25519). */
  publicKey: string;
  /** The parent's share moved to the child. */
  share: unknown;
  /** Binds the child into what every signer must agree on (the signing context). */
  bind(context: Uint8Array): Uint8Array;
};

/** Checks `msg.derive` against this party's own record of the parent and moves the share; refuses otherwise. */
export function derivedSigning(msg: OpenSign, meta: KeyMeta, share: unknown): DerivedSigning {
  const d = msg.derive!;
  if (typeof d !== 'object' || d === null || typeof d.keyId !== 'string' || !KEY_ID_RE.test(d.keyId) || typeof d.path !== 'string') {
    throw new RequestRefused('derive must name the child key id and its path');
  }
  if (msg.premade !== undefined || msg.premake !== undefined) throw new RequestRefused('a derived key signs in two rounds (no pre-made commitments)');
  const curve = HD_CURVES[meta.suite];
  if (!curve) throw new RequestRefused(`${meta.protocol} keys have no HD derivation`);
  if (typeof meta.chainCode !== 'string') {
    throw new RequestRefused(`key ${msg.keyId} was created before HD derivation: this party stored no chain code for it`);
  }
  let derived;
  try {
    derived = deriveChild(curve, hexToBytes(meta.publicKey), hexToBytes(meta.chainCode), d.path);
  } catch (e) {
    if (e instanceof DerivationError) throw new RequestRefused(e.message);
    throw e;
  }
  const moved = meta.protocol.startsWith('frost-')
    ? tweakFrostShare(share as FrostKeyShare, derived.tweak)
    : tweakDklsShare(share as DklsKeyShare, derived.tweak);
  const publicKey = bytesToHex(derived.publicKey);
  return {
    path: d.path,
    publicKey,
    share: moved,
    // Signers told different children (or one told none) stop in round one, before anything secret.
    bind: (context) => sha256(concatBytes(context, utf8ToBytes(`tutti/hd/child\0${d.keyId}\0${d.path}\0`), derived.publicKey)),
  };
}
