// DKLs23 resharing, the honest runs beyond reshare.test.ts (protocols/dkls23/reshare.ts):
// 2-of-3 → 3-of-5 with two new parties, 3-of-5 → 2-of-3, and P-256 2-of-3 → 3-of-4 with disjoint
// dealers and receivers; each new set signs, verified by @noble and node:crypto under the old
// public key. Also 2-of-3 → 2-of-2 without restores: a variant of reshare.test.ts, which runs
// the same case (and every check here) with each session restored from a snapshot along the way.
import { describe } from '@jest/globals';
import { HONEST, honestTest } from './reshare-fixtures.ts';

describe('DKLs23 reshare: honest runs keep the public key and sign', () => {
  for (const name of Object.keys(HONEST)) honestTest(name, HONEST[name]!);
});
