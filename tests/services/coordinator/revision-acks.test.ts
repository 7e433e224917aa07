// The gateway's side of the parties' signed revision acknowledgements (services/coordinator/revision-acks.ts,
// docs/policies.md "Checking what every party enforces"): the real Coordinator in process with three
// real parties. A revision is installed (PutKeyPolicy succeeds, the document changes) only with a valid
// acknowledgement from every party; the acknowledgements each party sent are kept per party and read
// back with signingPolicyRevisions (GetKeyPolicy `TuttiRevisions`), also when the change failed.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPolicyChangeApproval, policyHash } from '../../../policies/index.ts';
import { approverKey } from '../../policies/support/keys.ts';
import { openDatabase, type Database } from '../../../services/storage/db.ts';
import { KeyRepository } from '../../../services/storage/key-repository.ts';
import { RevisionAckStore } from '../../../services/storage/revision-acks.ts';
import { sqliteAckStore, sqliteKeyStore } from '../../../services/storage/gateway-store.ts';
import { Coordinator } from '../../../services/coordinator/coordinator.ts';
import { verifyRevisionAck } from '../../../services/control/revision-ack.ts';
import type { PolicyRevisionResult } from '../../../services/control/messages.ts';
import { makePartyCluster, type PartyCluster } from '../../support/party-cluster.ts';

const ACCOUNT = '111122223333';
const caller = { accessKeyId: 'AKIATUTTITEST0000001', principal: `arn:aws:iam::${ACCOUNT}:root` };
const GOV = approverKey('operator', 'ed25519');
const policy = (pattern: string) => ({
  policyLanguage: 'tutti-signing-policy/1',
  keyBinding: { keySpec: 'ECC_NIST_EDWARDS25519' },
  defaultEffect: 'deny',
  approvers: [{ id: 'operator', scheme: 'ed25519', publicKey: `0x${Buffer.from(GOV.publicKey).toString('hex')}` }],
  governance: { changeApprovals: { threshold: 1, approvers: ['operator'] } },
  rules: [{ id: 'greetings', effect: 'allow', conditions: { messageType: { in: ['RAW'] }, format: { kind: 'raw', utf8Pattern: pattern } } }],
});
const P1 = policy('hello [a-z]+');
const P2 = policy('hello alice');
const ROOT = { Sid: 'root', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' };
const keyPolicy = (signing: object, change?: object) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [ROOT], TuttiSigningPolicy: signing, ...(change ? { TuttiSigningPolicyChange: change } : {}) });

describe('signed acknowledgements of signing-policy revisions at the gateway', () => {
  let c: PartyCluster;
  let dir: string;
  let db: Database;
  let coordinator: Coordinator;
  let keyId: string;

  const revisions = async () => (await coordinator.signingPolicyRevisions(keyId, caller)).map((a) => [a.partyId, a.revision, a.policyHash]);
  const put = () => {
    const approval = createPolicyChangeApproval(GOV, { keyId, revision: 2, previousHash: policyHash(P1), policyHash: policyHash(P2) }, Date.now() + 3_600_000);
    return coordinator.putKeyPolicy(
      {
        keyId,
        policyName: 'default',
        bypassPolicyLockoutSafetyCheck: false,
        policy: keyPolicy(P2, { revision: 2, previousHash: policyHash(P1), approvals: [approval] }),
      },
      caller,
    );
  };

  beforeAll(async () => {
    c = makePartyCluster(3);
    dir = mkdtempSync(join(tmpdir(), 'tutti-acks-'));
    db = openDatabase(join(dir, 'keys.db'));
    coordinator = new Coordinator({
      keys: sqliteKeyStore(new KeyRepository(db)),
      runner: c.runner,
      parties: c.ids,
      isConnected: () => true,
      region: 'eu-west-1',
      accountId: ACCOUNT,
      acks: sqliteAckStore(new RevisionAckStore(db)),
      identities: c.allowlist,
    });
    keyId = (
      await coordinator.createKey({ keySpec: 'ECC_NIST_EDWARDS25519', keyUsage: 'SIGN_VERIFY', description: '', tags: [], policy: keyPolicy(P1) }, caller)
    ).keyId;
  });
  afterAll(() => {
    c.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('key generation: every party acknowledged revision 1, each signature verifies under its own identity key only', async () => {
    expect(await revisions()).toEqual(c.ids.map((p) => [p, 1, policyHash(P1)]));
    const acks = await coordinator.signingPolicyRevisions(keyId, caller);
    for (const [i, a] of acks.entries()) {
      expect(verifyRevisionAck(c.allowlist[i]!.signPublic, { keyId, revision: 1, policyHash: policyHash(P1) }, a.signature)).toBe(true);
      expect(verifyRevisionAck(c.allowlist[(i + 1) % 3]!.signPublic, { keyId, revision: 1, policyHash: policyHash(P1) }, a.signature)).toBe(false);
    }
  });

  test('a party whose acknowledgement does not verify has not installed the revision: PutKeyPolicy fails, nothing changes, the split is visible', async () => {
    c.rewrite = (party, msg) =>
      party === 'party-3' && msg.type === 'done' && 'activatesAt' in msg.output
        ? {
            ...msg,
            output: { ...msg.output, acknowledgement: (msg.output as PolicyRevisionResult).acknowledgement!.replace(/^./, (d) => (d === '0' ? '1' : '0')) },
          }
        : msg;
    await expect(put()).rejects.toMatchObject({
      type: 'KMSInternalException',
      message: expect.stringMatching(/party-3 sent no valid signed acknowledgement of revision 2/),
    });
    c.rewrite = undefined;
    expect(JSON.parse(await coordinator.getKeyPolicy(keyId, 'default', caller)).TuttiSigningPolicy).toEqual(P1);
    expect(await revisions()).toEqual([
      ['party-1', 2, policyHash(P2)],
      ['party-2', 2, policyHash(P2)],
      ['party-3', 1, policyHash(P1)],
    ]);
    // Repeating the request completes it (party-3 holds revision 2 already and acknowledges it again).
    await put();
    expect(await revisions()).toEqual(c.ids.map((p) => [p, 2, policyHash(P2)]));
    expect(JSON.parse(await coordinator.getKeyPolicy(keyId, 'default', caller)).TuttiSigningPolicy).toEqual(P2);
  });
});
