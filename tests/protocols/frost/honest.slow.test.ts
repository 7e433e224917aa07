// The honest FROST runs of honest.test.ts (DKG, signing, refresh, signing after refresh, both
// suites) with a 5-of-7 key, in the slow tier (`npm run test:slow`, CI): the same code paths as
// the 3-of-5 key of `npm test`, with seven parties.
import { honestFrostCases } from './honest-cases.ts';

honestFrostCases([[5, 7]]);
