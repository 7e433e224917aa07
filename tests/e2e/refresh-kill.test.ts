// A refresh could lose the key (issue 11 item 4): before the two-phase activation, a party that saw every
// round-5 confirmation deleted its old share while one that missed one dropped its new share, and
// for n ≤ 2t−2 no version kept t holders. Now (docs/protocols.md "Refresh activation") kill -9 of
// the gateway or of a party at each step of a refresh leaves a state that the restarted processes
// settle — activated by every party's signed confirmation, or rolled back by a member's signed
// abandon statement — and the key still signs under the same public key (node:crypto verifies).
//
// Real processes; one DKG per key shape (2-of-2 on party-1,2 and 3-of-3), then a loop over the
// kill points on it. Each point stops one party (or the gateway) there with TUTTI_TEST_STALL:
// refresh:1 (before round 1: nobody holds a new share), refresh:5 (the others hold the new share pending, no
// confirmation left), refresh:confirm (confirmed durably, not sent), refresh:activate (the
// certificate arrived, not activated), and the gateway's refresh:certificate (every party
// confirmed, the certificate not sent). At each point the stalled party or the gateway is killed;
// at refresh:confirm and refresh:activate also party-1, which then has confirmed or activated
// already. Rounds 2–4 are the same case as round 1 (no new share is
// stored before round 5's step) and are left out to keep the file short.
import { jest } from '@jest/globals';
import { refreshKillMatrix } from '../support/refresh-kill.ts';

jest.setTimeout(300_000);

refreshKillMatrix({ keySpec: 'ECC_SECG_P256K1', signingAlgorithm: 'ECDSA_SHA_256', shareRound: 5 });
