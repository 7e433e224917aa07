// The console's read-only audit-query (docs/console.md): a party answers with the tail of its own
// audit log, hash-chained as stored, and writes nothing.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { makeHarness, until, type Harness } from '../../support/party-harness.ts';
import type { AuditLogMessage } from '../../../services/control/messages.ts';
import { auditEntryHash } from '../../../services/storage/policy-store.ts';

const KEY = '6b1f0e0d-0c0b-4a09-8807-060504030201';
let h: Harness;

beforeAll(async () => {
  h = makeHarness();
  await h.dkg(KEY);
});
afterAll(() => h.close());

const answers = () => h.sent.filter((s) => s.msg.type === 'audit-log') as { party: string; msg: AuditLogMessage }[];

test('a party sends the last entries of its audit log, each with its chain hash, and writes nothing', async () => {
  const node = h.nodes.get('party-1')!;
  const before = node.policyStore.auditLog();
  expect(before.length).toBeGreaterThan(0); // the DKG's policy-bind
  h.deliver('party-1', { type: 'audit-query', id: 'q1', limit: 1 });
  expect(await until(() => answers().length === 1)).toBe(true);
  const { party, msg } = answers()[0]!;
  expect(party).toBe('party-1');
  expect(msg).toMatchObject({ id: 'q1', total: before.length });
  expect(msg.entries).toHaveLength(1);
  expect(msg.entries[0]).toEqual(before.at(-1));
  expect(auditEntryHash({ ...msg.entries[0]!, event: msg.entries[0]!.event as never })).toBe(msg.entries[0]!.hash);
  expect(node.policyStore.auditLog()).toEqual(before);
});

test('the limit is clamped and a malformed id is ignored', async () => {
  h.sent.length = 0;
  h.deliver('party-2', { type: 'audit-query', id: 'x'.repeat(65), limit: 5 });
  h.deliver('party-2', { type: 'audit-query', id: 'q2', limit: 100_000 });
  expect(await until(() => answers().length === 1)).toBe(true);
  expect(answers()[0]!.msg.id).toBe('q2');
  expect(answers()[0]!.msg.entries.length).toBeLessThanOrEqual(200);
});
