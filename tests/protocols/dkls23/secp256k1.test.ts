// DKLs23 on secp256k1: honest DKG (2-of-2, with a snapshot and restore before every delivery and
// known answers) and signing, signing with the cached 2-of-3 and 3-of-5 keys (honest-cases.ts),
// every signature checked by noble and node:crypto (timings printed, not asserted); then the
// signing attacks on the 2-of-3 key. The 2-of-3 key comes from the cache of keys made by the real
// DKG (tests/support/dkls23-test-keys.ts), as on P-256: a 2-of-3 DKG is three pairwise OT setups
// where 2-of-2 is one, and runs the same code for each pair. A 2-of-3 DKLs23 DKG still runs in
// `npm test` between real Party objects (tests/services/party/identity-key-decrypts-dkg.test.ts)
// and in every e2e CreateKey, and the cache runs it again whenever the protocol code changes.
import type { DklsKeyShare } from '../../../protocols/dkls23/keyshare.ts';
import { honestCases } from './honest-cases.ts';
import { signAttackCases } from './sign-attack-cases.ts';

let key: Map<number, DklsKeyShare> | undefined;
honestCases(
  'secp256k1',
  (t, n, shares) => {
    if (t === 2 && n === 3) key = shares;
  },
  ['2,3', '3,5'],
);
signAttackCases('secp256k1', () => {
  if (!key) throw new Error('the 2-of-3 key was not loaded');
  return key;
});
