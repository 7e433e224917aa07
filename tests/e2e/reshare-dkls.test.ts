// ReshareKey of a DKLs23 secp256k1 key (issue 15 item 1), end to end in real gateway and party
// processes through the AWS SDK: 2-of-3 on party-1..3 → 3-of-5 on party-1..5, then signed by
// party-3 and the two new parties with party-1 and party-2 killed (tests/support/reshare-dkls.ts
// says what each case checks). The same cases on P-256 are in reshare-dkls-p256.slow.test.ts: the
// reshare's code is the same for both curves, and P-256's own arithmetic is covered in `npm test`
// by its CreateKey and signing (ecdsa.test.ts, conformance.test.ts). The FROST cases are in
// reshare.test.ts; the gateway's refusals are the same for every key spec.
import { reshareDklsSuite } from '../support/reshare-dkls.ts';

reshareDklsSuite([['secp256k1', 'ECC_SECG_P256K1']]);
