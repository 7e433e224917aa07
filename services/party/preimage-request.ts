// A DIGEST sign request that carries its preimage in GrantTokens (policies/preimage.ts,
// docs/kms-compatibility.md "Policy-checked DIGEST"): this party re-hashes the preimage itself and,
// when it equals the digest, has the signing policy decide on the preimage as a RAW message under
// the algorithm whose hash it is. What is signed stays the digest (the policy engine derives the
// same 32 bytes from the preimage). A preimage that is malformed or hashes to something else is
// refused, never ignored: the caller asked for a policy-checked signature.
import { PREIMAGE_HASHES, PREIMAGE_PREFIX, checkPreimage, readPreimage } from '../../policies/preimage.ts';
import { RequestRefused, type CheckedSignRequest } from './request-check.ts';

export function applyPreimage(req: CheckedSignRequest, keyAlgorithms: readonly string[]): CheckedSignRequest {
  const p = readPreimage(req.grantTokens);
  if (p === null) return req;
  if (p instanceof Error) throw new RequestRefused(p.message, 'policy');
  if (req.messageType !== 'DIGEST' || !(Object.values(PREIMAGE_HASHES) as string[]).includes(req.signingAlgorithm)) {
    throw new RequestRefused(`a preimage goes with an ECDSA DIGEST only, not ${req.signingAlgorithm} ${req.messageType}`, 'policy');
  }
  const raw = checkPreimage(p, keyAlgorithms, req.message);
  if (raw instanceof Error) throw new RequestRefused(raw.message, 'policy');
  return {
    ...req,
    messageType: 'RAW',
    signingAlgorithm: raw.algorithm,
    message: raw.message,
    grantTokens: req.grantTokens.filter((t) => !t.startsWith(PREIMAGE_PREFIX)),
  };
}
