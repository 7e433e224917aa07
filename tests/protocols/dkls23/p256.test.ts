// DKLs23 on P-256: honest DKG (2-of-2, with known answers) and signing, signing with the cached 2-of-3 and 3-of-5 keys (honest-cases.ts), every signature
// checked by noble and node:crypto (timings printed, not asserted); then the curve-sensitive
// signing attacks on the 2-of-3 key. (secp256k1.test.ts takes its 2-of-3 key from the cache too.)
import type { DklsKeyShare } from '../../../protocols/dkls23/keyshare.ts';
import { honestCases } from './honest-cases.ts';
import { signAttackCases } from './sign-attack-cases.ts';

let key: Map<number, DklsKeyShare> | undefined;
honestCases(
  'p256',
  (t, n, shares) => {
    if (t === 2 && n === 3) key = shares;
  },
  ['2,3', '3,5'],
);
signAttackCases(
  'p256',
  () => {
    if (!key) throw new Error('the 2-of-3 key was not loaded');
    return key;
  },
  false,
);
