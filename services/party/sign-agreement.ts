// What the signers of one request must agree on besides the request itself (docs/protocols.md
// "What signers agree on"): the signing-policy revision each one enforces (its number and hash)
// and the sequence values it decided. Each signer computes this digest from its own decision and
// the protocol binds it into what every signer commits to in its first message (the FROST round-1
// request digest, the pre-made answers' request digest, the DKLs23 R1 request digest): signers
// that enforce different revisions — a revision withheld from some of them — cannot finish a
// signature together, and the session aborts before any signature share exists.
import { sha256 } from '@noble/hashes/sha2.js';
import { lengthPrefixed, u32, utf8ToBytes } from '../../protocols/core/bytes.ts';

export const SIGN_AGREEMENT_LABEL = 'tutti/v1/sign-agreement';

export type SignAgreement = {
  /** The revision this party enforces for the request (null only for a refused request). */
  revision: number | null;
  policyHash: string | null;
  /** The sequence values the decision records, by state key (policies/signer-overlap.ts sequenceStateKey), sorted. */
  sequences: { key: string; value: bigint }[];
};

export function signAgreementDigest(a: SignAgreement): Uint8Array {
  const sequences = [...a.sequences].sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  return sha256(
    lengthPrefixed(
      utf8ToBytes(SIGN_AGREEMENT_LABEL),
      u32(a.revision ?? 0),
      utf8ToBytes(a.policyHash ?? ''),
      u32(sequences.length),
      ...sequences.map((s) => lengthPrefixed(utf8ToBytes(s.key), utf8ToBytes(s.value.toString()))),
    ),
  );
}
