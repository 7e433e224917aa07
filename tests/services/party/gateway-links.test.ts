import { describe, expect, test } from '@jest/globals';
import { GatewayLinks, type RoutableLink } from '../../../services/party/gateway-links.ts';
import type { PartyToCoordinator } from '../../../services/control/messages.ts';

class FakeLink implements RoutableLink {
  sent: unknown[] = [];
  ready = true;
  send(msg: unknown): boolean {
    if (!this.ready) return false;
    this.sent.push(msg);
    return true;
  }
  isReady(): boolean {
    return this.ready;
  }
}

const SESSION_A = 'aa'.repeat(32);
const SESSION_B = 'bb'.repeat(32);
const KEY = '0badc0de-0000-4000-8000-000000000001';

describe('GatewayLinks: a party connected to several gateway replicas', () => {
  test('one link: everything goes on it, as with one gateway', () => {
    const l = new FakeLink();
    const links = new GatewayLinks([l]);
    expect(links.send({ type: 'done', session: SESSION_A } as unknown as PartyToCoordinator)).toBe(true);
    expect(links.send({ type: 'key-deleted', keyId: KEY })).toBe(true);
    expect(l.sent).toHaveLength(2);
  });

  test("a session's messages go back on the link its open came on, and only there", () => {
    const [a, b] = [new FakeLink(), new FakeLink()];
    const links = new GatewayLinks([a, b]);
    links.received(a, { type: 'open', session: SESSION_A, keyId: KEY });
    links.received(b, { type: 'open', session: SESSION_B, keyId: KEY });
    links.send({ type: 'envelope', session: SESSION_A, from: 1, to: 2, data: new Uint8Array() });
    links.send({ type: 'done', session: SESSION_B } as unknown as PartyToCoordinator);
    expect(a.sent.map((m) => (m as { session: string }).session)).toEqual([SESSION_A]);
    expect(b.sent.map((m) => (m as { session: string }).session)).toEqual([SESSION_B]);
    // A session no replica opened on this party goes nowhere.
    expect(links.send({ type: 'abort', session: 'cc'.repeat(32), kind: 'unexpected', message: '', culprits: [] })).toBe(false);
  });

  test("pre-made commitments go to the replica of the key's latest session; deletion confirmations to every replica", () => {
    const [a, b] = [new FakeLink(), new FakeLink()];
    const links = new GatewayLinks([a, b]);
    links.received(b, { type: 'open', session: SESSION_B, keyId: KEY });
    links.send({ type: 'premade', keyId: KEY, commitments: [] });
    expect(a.sent).toHaveLength(0);
    expect(b.sent).toHaveLength(1);
    links.send({ type: 'key-deleted', keyId: KEY });
    expect(a.sent).toHaveLength(1);
    expect(b.sent).toHaveLength(2);
    a.ready = false;
    expect(links.anyReady()).toBe(true);
  });
});
