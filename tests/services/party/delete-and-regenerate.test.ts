// Trust review E6 (L4) and M3's deletion half: a share goes only on a deletion record signed by the
// pinned gateway key, after the party's own waiting period, unless a signed cancel came first; and
// a key id whose share was deleted is never used for another key (a DKG under it is refused).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { generateCoordinatorIdentity } from '../../../services/transport/coordinator-identity.ts';
import { makeHarness, sleep, within, type Harness } from '../../support/party-harness.ts';

const WAIT_MS = 400;
let h: Harness;

beforeAll(() => {
  h = makeHarness({ deletionWaitMs: WAIT_MS });
});
afterAll(() => h.close());

const held = (keyId: string) => h.ids.map((id) => h.nodes.get(id)!.shares.activeVersion(keyId));
// The deletion waits are the parties' own wall-clock timers: waited for by the clock (within).
const confirmed = (party: string, keyId: string) => h.sent.some((s) => s.party === party && s.msg.type === 'key-deleted' && s.msg.keyId === keyId);

describe('deleting a share', () => {
  test('a delete-key without a signed record, or signed by another key, deletes nothing', async () => {
    const keyId = '6a0e0d0c-0b0a-4908-8706-050403020101';
    await h.dkg(keyId);
    h.deliver('party-1', { type: 'delete-key', keyId, due: true });
    const impostor = generateCoordinatorIdentity('coordinator-test').identity;
    h.deliver('party-2', { type: 'delete-key', keyId, due: true, record: h.deletionRecord(keyId, { by: impostor, windowDays: 0 }) });
    const forged = { ...h.deletionRecord(keyId), windowDays: 0 };
    h.deliver('party-3', { type: 'delete-key', keyId, due: true, record: forged });
    await sleep(WAIT_MS + 100);
    expect(held(keyId)).toEqual([1, 1, 1]);
    expect(h.ids.some((p) => confirmed(p, keyId))).toBe(false);
    expect(h.nodes.get('party-1')!.logs.join('\n')).toMatch(/refused to delete key .*no deletion record/);
    expect(h.nodes.get('party-2')!.logs.join('\n')).toMatch(/signature does not verify under the pinned coordinator key/);
    expect(
      h.nodes
        .get('party-2')!
        .policyStore.auditLog()
        .some((a) => a.event === 'key-deletion-refused'),
    ).toBe(true);
  });

  test('a signed record is waited out by the party itself, and a signed cancel within the wait keeps the share', async () => {
    const keyId = '6a0e0d0c-0b0a-4908-8706-050403020102';
    await h.dkg(keyId);
    const record = h.deletionRecord(keyId);
    // The gateway says the key is gone at once: the party still waits its own period.
    for (const p of h.ids) h.deliver(p, { type: 'delete-key', keyId, due: true, record });
    await sleep(50);
    expect(held(keyId)).toEqual([1, 1, 1]);
    expect(
      h.nodes
        .get('party-1')!
        .policyStore.auditLog()
        .filter((a) => a.keyId === keyId)
        .map((a) => a.event),
    ).toContain('key-deletion-requested');
    h.deliver('party-1', { type: 'cancel-key-deletion', keyId, cancel: h.cancel(keyId) });
    await within(WAIT_MS + 5_000, () => confirmed('party-2', keyId) && confirmed('party-3', keyId));
    expect(held(keyId)).toEqual([1, undefined, undefined]);
    await sleep(WAIT_MS);
    expect(held(keyId)).toEqual([1, undefined, undefined]);
    const audit = h.nodes
      .get('party-2')!
      .policyStore.auditLog()
      .filter((a) => a.keyId === keyId);
    expect(audit.map((a) => a.event)).toEqual(['policy-bind', 'key-deletion-requested', 'key-deleted']);
    expect(audit[2]!.code).toBe('SIGNED_DELETION_RECORD');
  });

  test('E6: a key id whose share was deleted is refused for a new key generation', async () => {
    const keyId = '7a0e0d0c-0b0a-4908-8706-050403020100';
    await h.dkg(keyId);
    const record = h.deletionRecord(keyId);
    for (const p of h.ids) h.deliver(p, { type: 'delete-key', keyId, due: true, record });
    await within(WAIT_MS + 5_000, () => h.ids.every((p) => confirmed(p, keyId)));
    expect(held(keyId)).toEqual([undefined, undefined, undefined]);
    await expect(h.dkg(keyId)).rejects.toThrow(/was deleted here: a key id is never reused/);
    expect(held(keyId)).toEqual([undefined, undefined, undefined]);
    for (const p of h.ids) expect(h.nodes.get(p)!.policyStore.revisions(keyId)).toEqual([]);
  });
});
