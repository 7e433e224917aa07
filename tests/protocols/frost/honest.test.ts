// Honest runs through the simulator: DKG, signing with several signer subsets, refresh, and
// signing after refresh, for both suites and (t, n) in {(2,2), (2,3), (3,5)} (honest-cases.ts);
// (5,7) is in honest.slow.test.ts (the slow tier). Every signature is checked by node:crypto.
import { honestFrostCases } from './honest-cases.ts';

honestFrostCases([
  [2, 2],
  [2, 3],
  [3, 5],
]);
