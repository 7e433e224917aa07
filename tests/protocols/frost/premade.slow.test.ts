// Pre-made FROST signing with a 4-of-7 key on both suites (premade-cases.ts), in the slow tier:
// a variant of the 2-of-2, 2-of-3 and 3-of-5 runs of premade.test.ts (the same code with seven
// parties and t = 4; most of its time is the 7-party DKG that deals the key).
import { describe } from '@jest/globals';
import type { FrostSuiteName } from '../../../protocols/frost/suite.ts';
import { SUITES } from './fixtures.ts';
import { honestPremadeCases } from './premade-cases.ts';

describe.each(SUITES)('pre-made FROST signing, %s', (suite: FrostSuiteName) => {
  honestPremadeCases(suite, [[4, 7, [1, 2, 6, 7]]]);
});
