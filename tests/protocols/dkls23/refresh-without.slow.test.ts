// DKLs23 refresh without some parties, the slow tier (`npm run test:slow`, CI): the honest
// refreshes of a 3-of-5 key leaving out 1 and 4 and of a 2-of-4 key leaving out 3 (three remaining
// parties each: six pairwise OT setups), and the shifted-constant variant of the wrong-constant
// attack. `npm test` keeps the 2-of-3 key leaving out 2 (renumbering, t unchanged, the new shares
// sign) and every attack and refused input (refresh-without.test.ts, which says what each shows).
import { describe } from '@jest/globals';
import { constantTest, honestWithoutCases } from './refresh-without-cases.ts';

honestWithoutCases([
  [3, 5, [1, 4]],
  [2, 4, [3]],
]);

describe('DKLs23 refresh without a party, under attack (secp256k1, 2-of-3), slow tier', () => {
  constantTest(['shifted']);
});
