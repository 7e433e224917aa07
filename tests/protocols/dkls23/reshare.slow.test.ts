// DKLs23 resharing, the five-party honest runs (protocols/dkls23/reshare.ts; fast cases in
// reshare.test.ts): 2-of-3 → 3-of-5 with two new parties, 3-of-5 → 2-of-3, and P-256 2-of-3 →
// 3-of-4 with disjoint dealers and receivers; each new set signs, verified by @noble and
// node:crypto under the old public key.
import { describe } from '@jest/globals';
import { HONEST, honestTest } from './reshare-fixtures.ts';

describe('DKLs23 reshare: five-party honest runs keep the public key and sign', () => {
  for (const name of Object.keys(HONEST).filter((n) => !n.startsWith('2-of-3 → 2-of-2'))) honestTest(name, HONEST[name]!);
});
