// The messages of a DKLs23 signing session (sign.ts; DKLs23 Protocol 3.6, research notes §1.6):
// the protocol names, the round shapes, the byte layout of each round and its decoding, the R1
// request digest every signer must agree on, and the pairwise VOLE session id. What the rounds do
// with them is sign.ts.
//
//   R1 bc   sid_i ‖ com_i ‖ request
//   R2 p2p  fsid ‖ echo(R1) ‖ VOLE message 1
//   R3 p2p  fsid ‖ VOLE message 2 ‖ R_i ‖ blind_i ‖ pk_i ‖ Γ^u ‖ Γ^v ‖ ψ
//   R4 bc   fsid ‖ w_i ‖ u_i
import { ProtocolError } from '../core/errors.ts';
import { equalBytes, utf8ToBytes } from '../core/bytes.ts';
import { LABELS } from '../core/labels.ts';
import { Reader, encodePoint } from './codec.ts';
import type { DklsCurve, DklsCurveName, Point } from './curve.ts';
import { COMMITMENT_BYTES } from './commit.ts';
import { DIGEST_BYTES } from './agreement.ts';
import type { ParsedKeyShare } from './keyshare.ts';
import { VOLE_RECEIVER_MESSAGE_BYTES, voleSenderMessageBytes } from './rvole.ts';
import { partyByte, tagged } from './hash.ts';
import { SIGN_VOLE_INPUTS } from './params.ts';

export type Round1 = { sid: Uint8Array; commitment: Uint8Array };
export type Round2 = { finalSid: Uint8Array; echo: Uint8Array; vole: Uint8Array };
export type Round3 = { finalSid: Uint8Array; vole: Uint8Array; R: Point; blind: Uint8Array; pk: Point; gammaU: Point; gammaV: Point; psi: bigint };
export type Round4 = { finalSid: Uint8Array; w: bigint; u: bigint };

export const SIGN_SHAPES = [
  { broadcast: true, p2p: false },
  { broadcast: false, p2p: true },
  { broadcast: false, p2p: true },
  { broadcast: true, p2p: false },
] as const;

export function signProtocolName(curve: DklsCurveName): string {
  return `dkls23-${curve}/sign`;
}

/** The message-independent rounds run ahead (presign.ts): their own protocol name, so every id and hash differs from a signing session's. */
export function presignProtocolName(curve: DklsCurveName): string {
  return `dkls23-${curve}/presign`;
}

/** The pairwise VOLE session id of one signature: one per (Alice, Bob) ordered pair. */
export function voleSessionId(finalSid: Uint8Array, alice: number, bob: number): Uint8Array {
  return tagged(LABELS.dkls23SignVoleSid, finalSid, partyByte(alice), partyByte(bob));
}

/**
 * The R1 request digest: H(protocol, coordinator sid, pk, DKG final sid, signers, digest, context).
 * Signers given different requests (key, signer set, digest, or the context: the policy revision
 * each enforces, docs/protocols.md "What signers agree on") stop at R1.
 */
export function signRequestDigest(
  protocol: string,
  sessionId: Uint8Array,
  key: Pick<ParsedKeyShare, 'publicKey' | 'dkgSessionId'>,
  signers: readonly number[],
  digest: Uint8Array,
  context: Uint8Array,
): Uint8Array {
  return tagged(
    LABELS.dkls23SignRequest,
    utf8ToBytes(protocol),
    sessionId,
    encodePoint(key.publicKey),
    key.dkgSessionId,
    Uint8Array.from(signers),
    digest,
    context,
  );
}

/**
 * Decodes one signing message. `ourRequest` gives our R1 request digest: a signer with another one is
 * stopped at R1 ('bad-parameters'), before anything secret is sent. `signerCount` sizes R2's echo.
 */
export function decodeSignMessage(
  curve: DklsCurve,
  round: number,
  from: number,
  payload: Uint8Array,
  ourRequest: () => Uint8Array,
  signerCount: number,
): Round1 | Round2 | Round3 | Round4 {
  const r = new Reader(curve, payload, `round-${round} message from ${from}`, [from]);
  if (round === 1) {
    const m: Round1 = { sid: r.bytesN(32), commitment: r.bytesN(COMMITMENT_BYTES) };
    const request = r.bytesN(32);
    r.end();
    // Signers given different requests (key, signer set, digest, or the context: the policy
    // revision each enforces, docs/protocols.md "What signers agree on") stop before anything secret.
    if (!equalBytes(request, ourRequest()))
      throw new ProtocolError(
        'bad-parameters',
        `party ${from} was asked to sign something else (key, signers or digest differ) or enforces another signing-policy revision or sequence`,
        [from],
      );
    return m;
  }
  if (round === 2) {
    const m: Round2 = { finalSid: r.bytesN(32), echo: r.bytesN(signerCount * DIGEST_BYTES), vole: r.bytesN(VOLE_RECEIVER_MESSAGE_BYTES) };
    r.end();
    return m;
  }
  if (round === 3) {
    const m: Round3 = {
      finalSid: r.bytesN(32),
      vole: r.bytesN(voleSenderMessageBytes(SIGN_VOLE_INPUTS)),
      R: r.point('R'),
      blind: r.bytesN(32),
      pk: r.point('pk'),
      gammaU: r.point('Γu'),
      gammaV: r.point('Γv'),
      psi: r.scalar('ψ'),
    };
    r.end();
    return m;
  }
  const m: Round4 = { finalSid: r.bytesN(32), w: r.scalar('w'), u: r.scalar('u') };
  r.end();
  return m;
}
