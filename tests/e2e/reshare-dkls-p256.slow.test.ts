// ReshareKey of a DKLs23 P-256 key end to end: the cases of reshare-dkls.test.ts (secp256k1, in
// `npm test`) on the other curve, in the slow tier (a 5-party cluster, a P-256 DKG and a reshare
// with two new parties: ≈ 10 s). tests/support/reshare-dkls.ts says what each case checks.
import { reshareDklsSuite } from '../support/reshare-dkls.ts';

reshareDklsSuite([['p256', 'ECC_NIST_P256']]);
