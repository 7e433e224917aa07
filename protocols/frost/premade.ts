// FROST signing with round one made ahead (RFC 9591 §5.1 commit() run before the request; the
// preprocessing stage of FROST, Komlo–Goldberg 2020 §5.2), in RFC 9591's own shape: each signer
// publishes commitments of nonce pairs it keeps secret; for a request the coordinator assembles
// one commitment per signer into the list and sends it with the message; each signer checks the
// list and returns its signature share (§5.2 sign()); the coordinator aggregates (§5.3) and
// verifies the signature. One round trip, and no signer waits for another.
//
// What each signer checks is what sign.ts's two-round session checks: every peer commitment is
// fully validated (DeserializeElement: canonical, on the curve, not the identity, in the
// prime-order subgroup), the list is sorted, within t..n, and carries exactly our commitment at
// our position (checkCommitmentList); the nonce pair is used once — the service takes it out of
// its pool when a request names it and makes its id durable before the share leaves.
//
// A coordinator that shows signers different lists or messages gets shares that do not combine:
// each share binds its list and message through the binding factors (§4.4), and every signer
// returns R and a digest of what it signed (with the caller's `context`: the service binds the
// signing-policy revision each signer enforces), which the aggregator compares. Each signer computed
// its share only for a message its own policy allowed, with a fresh nonce pair. A signature that
// does not verify names nobody here (shares are not checked one by one: that needs §5.4's
// verify_signature_share per signer, which the two-round session does); the service then signs
// again in two rounds, where a cheating signer is named.
import { ProtocolError } from '../core/errors.ts';
import { SESSION_ID_BYTES } from '../core/envelope.ts';
import { checkSigners } from '../core/signers.ts';
import { concatBytes, equalBytes, utf8ToBytes } from '../core/bytes.ts';
import { LABELS } from '../core/labels.ts';
import type { Rng } from '../core/session.ts';
import { decodePoint, decodeScalar, fromHex } from './codec.ts';
import { taggedHash } from './agreement.ts';
import { checkCommitmentList } from './commitments.ts';
import { commit, signatureShare, signingContext, type DecodedCommitment } from './rfc9591.ts';
import { parseKeyShare, type FrostKeyShare } from './share.ts';
import { frostNonceId } from './sign.ts';
import { frostSuite, keySuiteOf, type FrostSigningSuiteName, type FrostSuiteName } from './suite.ts';

/** A nonce pair made ahead of any request, and its public commitments. */
export type PremadeNonces = {
  /** SerializeScalar(d), SerializeScalar(e): secret, for one signature only. */
  nonces: { hiding: Uint8Array; binding: Uint8Array };
  /** SerializeElement(D), SerializeElement(E): what the coordinator is given. */
  commitment: { hiding: Uint8Array; binding: Uint8Array };
};

export type Commitment = { hiding: Uint8Array; binding: Uint8Array };

/** One signer's answer: z_i, the group commitment R it computed, the digest of what it signed, and the nonce id to consume. */
export type PremadeShare = { z: Uint8Array; R: Uint8Array; request: Uint8Array; nonceId: string };

export const MAX_PREMAKE_COUNT = 64;

/** The protocol name bound into a pre-made signature's request digest. */
export function premadeProtocol(suiteName: FrostSigningSuiteName): string {
  return `${frostSuite(suiteName).prefix}/sign-premade`;
}

/**
 * RFC 9591 §5.1 commit(), `count` times, ahead of any request: nonce pairs (hedged with the
 * signing share, §4.1) and their commitments. The caller keeps each pair's nonces and commitment
 * together and secret, uses the pair for one signature at most, and publishes only the commitment.
 */
export function premakeFrostNonces(o: { share: FrostKeyShare; count: number; rng: Rng }): PremadeNonces[] {
  const parsed = parseKeyShare(o.share);
  if (!Number.isInteger(o.count) || o.count < 1 || o.count > MAX_PREMAKE_COUNT)
    throw new ProtocolError('bad-parameters', `count must be 1..${MAX_PREMAKE_COUNT}`);
  const { suite } = parsed;
  return Array.from({ length: o.count }, () => {
    const { nonces, D, E } = commit(suite, parsed.signingShare, o.rng);
    return {
      nonces: { hiding: suite.Fn.toBytes(nonces.hiding), binding: suite.Fn.toBytes(nonces.binding) },
      commitment: { hiding: D.toBytes(), binding: E.toBytes() },
    };
  });
}

/**
 * RFC 9591 §5.2 sign() with a pre-made pair: `commitments` holds one commitment per signer in
 * `signers` order, as the coordinator assembled them; `own` is the pair behind ours. Throws a
 * ProtocolError (blaming nobody: the list came from the coordinator) if anything is off.
 */
export function premadeSignatureShare(o: {
  share: FrostKeyShare;
  sessionId: Uint8Array;
  signers: number[];
  message: Uint8Array;
  own: PremadeNonces;
  commitments: Commitment[];
  /** What every signer must agree on besides the request (sign.ts createFrostSign); bound into the request digest. */
  context?: Uint8Array;
  /** The signing suite when it is not the key's: 'ed25519ph' (then `message` is PH(M), suite.ts). */
  suite?: FrostSigningSuiteName;
}): PremadeShare {
  const parsed = parseKeyShare(o.share);
  const { index: self } = parsed;
  if (o.suite !== undefined && keySuiteOf(o.suite) !== parsed.suite.name)
    throw new ProtocolError('bad-parameters', `share is for ${parsed.suite.name}, not ${o.suite}`);
  const suite = o.suite === undefined ? parsed.suite : frostSuite(o.suite);
  if (!(o.sessionId instanceof Uint8Array) || o.sessionId.length !== SESSION_ID_BYTES)
    throw new ProtocolError('bad-parameters', `session id must be ${SESSION_ID_BYTES} bytes`);
  if (!(o.message instanceof Uint8Array)) throw new ProtocolError('bad-parameters', 'message must be bytes');
  if (o.context !== undefined && !(o.context instanceof Uint8Array)) throw new ProtocolError('bad-parameters', 'context must be bytes');
  const signers = checkSigners(o.signers, self, o.share);
  const bytes = (b: unknown, n: number, what: string): Uint8Array => {
    if (!(b instanceof Uint8Array) || b.length !== n) throw new ProtocolError('bad-parameters', `pre-made ${what} must be ${n} bytes`);
    return b;
  };
  if (!Array.isArray(o.commitments) || o.commitments.length !== signers.length)
    throw new ProtocolError(
      'bad-parameters',
      `pre-made commitments: need one per signer (${signers.length}), got ${Array.isArray(o.commitments) ? o.commitments.length : 'none'}`,
    );
  const own = {
    hiding: bytes(o.own?.commitment?.hiding, suite.elementBytes, 'own hiding commitment'),
    binding: bytes(o.own?.commitment?.binding, suite.elementBytes, 'own binding commitment'),
  };
  const list: DecodedCommitment[] = signers.map((index, k) => {
    const c = o.commitments[k];
    const hiding = bytes(c?.hiding, suite.elementBytes, `hiding commitment of ${index}`);
    const binding = bytes(c?.binding, suite.elementBytes, `binding commitment of ${index}`);
    if (index === self) {
      // Ours must be ours byte for byte (checkCommitmentList says so too): the nonce id made
      // durable is this commitment's, so a list cannot make us spend a pair under another's id.
      if (!equalBytes(hiding, own.hiding) || !equalBytes(binding, own.binding))
        throw new ProtocolError('invalid-commitment', 'the commitment list carries a commitment for us that is not ours');
      return { index, hiding, binding, D: suite.Point.fromBytes(hiding), E: suite.Point.fromBytes(binding) };
    }
    if (equalBytes(hiding, own.hiding) || equalBytes(binding, own.binding))
      throw new ProtocolError('invalid-commitment', `party ${index} was given our own nonce commitment`);
    // Full DeserializeElement, or its verdict from when the commitment was published (prevalidatePoint).
    return {
      index,
      hiding,
      binding,
      D: decodePoint(suite, hiding, `hiding commitment of ${index}`),
      E: decodePoint(suite, binding, `binding commitment of ${index}`),
    };
  });
  checkCommitmentList(suite, list, self, own, parsed.t, parsed.n);
  const hiding = decodeScalar(suite, bytes(o.own.nonces?.hiding, suite.scalarBytes, 'hiding nonce'), 'hiding nonce');
  const binding = decodeScalar(suite, bytes(o.own.nonces?.binding, suite.scalarBytes, 'binding nonce'), 'binding nonce');
  if (suite.Fn.is0(hiding) || suite.Fn.is0(binding)) throw new ProtocolError('nonce-reuse', 'signing nonces already used');
  const ctx = signingContext(suite, parsed.groupPublicKey, list, o.message);
  const z = signatureShare(suite, ctx, self, { hiding, binding }, parsed.signingShare);
  const request = taggedHash(
    LABELS.frostSignBinding,
    utf8ToBytes(premadeProtocol(suite.name)),
    o.sessionId,
    parsed.groupPublicKey,
    // The share's version, as in sign.ts: signers on different versions return different digests.
    fromHex(o.share.transcriptHash),
    Uint8Array.from(signers),
    o.message,
    o.context ?? new Uint8Array(0),
    ...list.flatMap((c) => [c.hiding, c.binding]),
  );
  // The nonce id is the key suite's, whatever is signed: a pair is spent once, for one or the other.
  return {
    z: suite.Fn.toBytes(z),
    R: ctx.Rbytes,
    request,
    nonceId: frostNonceId(keySuiteOf(parsed.suite.name), parsed.groupPublicKey, own.hiding, own.binding),
  };
}

/**
 * RFC 9591 §5.3 aggregate() of the signers' answers: they must agree on R and on what they signed
 * (else the coordinator showed them different lists or messages); z = Σ z_i. Returns R ‖ z. The
 * caller verifies the signature before using it.
 */
export function aggregatePremadeShares(suiteName: FrostSuiteName, answers: { index: number; z: Uint8Array; R: Uint8Array; request: Uint8Array }[]): Uint8Array {
  const suite = frostSuite(suiteName);
  if (answers.length === 0) throw new ProtocolError('bad-parameters', 'no signature shares');
  const [first] = answers;
  for (const a of answers) {
    if (!equalBytes(a.request, first!.request) || !equalBytes(a.R, first!.R))
      throw new ProtocolError(
        'bad-parameters',
        `signers ${first!.index} and ${a.index} signed different requests or commitment lists, hold different versions of the key, or enforce different signing-policy revisions`,
      );
  }
  if (first!.R.length !== suite.elementBytes) throw new ProtocolError('malformed', 'group commitment of the wrong length');
  let z = suite.Fn.ZERO;
  for (const a of answers) z = suite.Fn.add(z, decodeScalar(suite, a.z, `signature share of ${a.index}`, [a.index]));
  return concatBytes(first!.R, suite.Fn.toBytes(z));
}
