// Honest DKG and signing on secp256k1 for (t, n) ∈ {(2,2), (2,3), (3,5)}; every signature checked
// by noble and node:crypto. Timings are printed, not asserted.
import { honestCases } from './honest-cases.ts';

honestCases('secp256k1');
