// Trust review E4 (L1): a session id runs at most once at a party, also after a restart. The old
// code remembered ids in memory only: after a restart a replayed 'open' ran again — the policy was
// asked and charged again, a fresh nonce was spent, and the honest peer was named culprit.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { makeHarness, until, type Harness } from '../../support/party-harness.ts';
import type { OpenSign } from '../../../services/control/messages.ts';

const KEY = '5a0e0d0c-0b0a-4908-8706-050403020100';
let h: Harness;

beforeAll(async () => {
  h = makeHarness();
  await h.dkg(KEY);
});
afterAll(() => h.close());

test('E4: an open replayed after a restart is refused as a reused session id, and spends nothing', async () => {
  const request = {
    message: Buffer.from('pay 1').toString('base64'),
    messageType: 'RAW' as const,
    signingAlgorithm: 'ED25519_SHA_512',
    caller: { accessKeyId: 'AKIA', principal: 'p' },
  };
  let open: OpenSign | undefined;
  h.relayed.length = 0;
  await h.runner.run(
    'frost-ed25519/sign',
    new Map([
      [1, 'party-1'],
      [2, 'party-2'],
    ]),
    (session) => {
      open = { type: 'open', kind: 'sign', session, keyId: KEY, signers: [1, 2], request };
      return open;
    },
  );
  const S = open!.session;
  const old = h.relayed.filter((r) => r.msg.session === S && r.from === 'party-1').map((r) => r.msg);
  const node = () => h.nodes.get('party-2')!;
  const consumed = () => (node().db.prepare('SELECT count(*) AS n FROM consumed').get() as { n: number }).n;
  const signs = () =>
    node()
      .policyStore.auditLog()
      .filter((a) => a.event === 'sign').length;
  const before = { consumed: consumed(), signs: signs() };

  h.intercept = (_party, msg) => 'session' in msg && msg.session === S; // the hostile coordinator keeps the answers
  h.restart('party-2');
  const from = h.sent.length;
  h.deliver('party-2', open!);
  for (const e of old) h.deliver('party-2', e);
  const answers = () =>
    h.sent
      .slice(from)
      .filter((m) => m.party === 'party-2')
      .map((m) => m.msg);
  expect(await until(() => answers().some((m) => m.type === 'abort'))).toBe(true);
  expect(answers()).toEqual([{ type: 'abort', session: S, kind: 'unexpected', message: 'party-2 refused: session id reused', culprits: [] }]);
  expect(consumed()).toBe(before.consumed);
  expect(signs()).toBe(before.signs);
  h.intercept = undefined;
});
