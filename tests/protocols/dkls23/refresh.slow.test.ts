// DKLs23 key refresh of a 3-of-5 secp256k1 key (issue 4): the honest cases of refresh.test.ts
// (same public key, every share, OT seed and zero seed new; the new shares sign; old and new do
// not mix) on the cached 3-of-5 key. In the slow tier (`npm run test:slow`, CI): its 20 pairwise
// OT setups were the largest single cost of the unit tier. A refresh with t = 3 stays in
// `npm test`: refresh-without.test.ts refreshes the same key with 3 of its 5 parties.
import { honestRefreshCases } from './refresh-cases.ts';

honestRefreshCases([['secp256k1', 3, 5]]);
