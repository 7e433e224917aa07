// The refresh kill -9 matrix of tests/e2e/refresh-kill.test.ts on Ed25519 keys (issue 15 item 2):
// the service's FROST refresh is a reshare onto the same holders (protocols/frost/reshare.ts), three
// rounds, the new share stored pending in the step that sends round 3 ('refresh:3'), then the same
// two-phase activation as DKLs23's. A 2-of-2 and a 3-of-3 key; kill -9 of the stalled party, another
// party or the gateway at each step; every party settles on one version and the key signs under
// the same public key (node:crypto verifies). Slow (some minutes): the slow tier runs it.
import { jest } from '@jest/globals';
import { refreshKillMatrix } from '../support/refresh-kill-matrix.ts';

jest.setTimeout(300_000);

refreshKillMatrix({
  keySpec: 'ECC_NIST_EDWARDS25519',
  signingAlgorithm: 'ED25519_SHA_512',
  shareRound: 3,
  // A longer round deadline than the default 2 s: restarts under load (the DKLs23 file gets its
  // slack from its 30 s DKG round deadline, which FROST refresh shares, but signing does not).
  gatewayEnv: { TUTTI_ROUND_TIMEOUT_MS: '5000' },
});
