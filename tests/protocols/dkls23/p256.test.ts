// DKLs23 on P-256: honest DKG and signing for (t, n) ∈ {(2,2), (2,3)}, signing with the cached 3-of-5 key (honest-cases.ts), every signature
// checked by noble and node:crypto (timings printed, not asserted); then the curve-sensitive
// signing attacks on the 2-of-3 key (one DKG serves both: the DKG is the expensive part).
import type { DklsKeyShare } from '../../../protocols/dkls23/keyshare.ts';
import { honestCases } from './honest-cases.ts';
import { signAttackCases } from './sign-attack-cases.ts';

let key: Map<number, DklsKeyShare> | undefined;
honestCases('p256', (t, n, shares) => {
  if (t === 2 && n === 3) key = shares;
});
signAttackCases(
  'p256',
  () => {
    if (!key) throw new Error('the 2-of-3 DKG did not run');
    return key;
  },
  false,
);
