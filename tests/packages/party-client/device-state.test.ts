// The embedded party's stores (packages/party-client/src/device-state.ts) keep the daemon stores'
// contracts where the party core relies on them: a transaction is all or nothing, a consumed id
// is refused the second time (and a batch refuses only its offending group), a pending share is
// invisible until activated, the audit log is hash-chained exactly as the daemon's; and the vault
// opens only with its key and under its party id.
import { describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { auditChainBreak } from '../../../services/storage/policy-store.ts';
import { ConsumedError } from '../../../services/storage/consumed-store.ts';
import { DeviceState, MemoryConsumedStore, MemoryPolicyStore, MemoryShareStore } from '../../../packages/party-client/src/device-state.ts';
import { open, seal, VaultError } from '../../../packages/party-client/src/vault.ts';

const fresh = () => {
  let commits = 0;
  const s = new DeviceState(null, () => commits++);
  return { s, commits: () => commits };
};

describe('device state', () => {
  test('a transaction that throws leaves nothing behind and commits nothing', () => {
    const { s, commits } = fresh();
    const consumed = new MemoryConsumedStore(s);
    expect(() =>
      s.transaction(() => {
        consumed.consume('a');
        throw new Error('policy said no');
      }),
    ).toThrow('policy said no');
    expect(consumed.isConsumed('a')).toBe(false);
    expect(commits()).toBe(0);
    consumed.consume('a');
    expect(() => consumed.consume('a')).toThrow(ConsumedError);
    expect(commits()).toBe(1);
  });

  test('consumeBatch refuses the group with a used id and records the others', () => {
    const { s } = fresh();
    const consumed = new MemoryConsumedStore(s);
    consumed.consume('x');
    const out = consumed.consumeBatch([{ ids: ['a', 'b'] }, { ids: ['c', 'x'] }, { ids: ['d'] }]);
    expect(out.map((e) => e instanceof ConsumedError)).toEqual([false, true, false]);
    expect(['a', 'b', 'c', 'd'].map((id) => consumed.isConsumed(id))).toEqual([true, true, false, true]);
  });

  test('shares: pending is invisible until activated; activation drops older versions', () => {
    const { s } = fresh();
    const shares = new MemoryShareStore(s);
    shares.putPending({ keyId: 'k', protocol: 'dkls23-secp256k1', version: 1, share: { x: 1 }, meta: { self: 1 } });
    expect(shares.getActive('k')).toBeUndefined();
    shares.activate('k', 1);
    shares.putPending({ keyId: 'k', protocol: 'dkls23-secp256k1', version: 2, share: { x: 2 }, meta: { self: 1 } });
    expect(shares.getActive('k')?.share).toEqual({ x: 1 });
    shares.activate('k', 2);
    expect(shares.getVersion('k', 1)).toBeUndefined();
    expect(shares.listActive()).toEqual(['k']);
    expect(() => shares.putPending({ keyId: 'k', protocol: 'frost-ed25519', version: 3, share: {}, meta: {} })).toThrow(/cannot follow/);
  });

  test('the audit log chains as the daemon checks it (policy-store.ts auditChainBreak)', () => {
    const { s } = fresh();
    const policies = new MemoryPolicyStore(s);
    for (let i = 0; i < 3; i++)
      policies.appendAudit({
        at: i,
        keyId: 'k',
        session: `s${i}`,
        event: 'sign',
        decision: 'allow',
        code: 'ALLOW',
        rule: 'r',
        reasons: [],
        detail: {},
        requestDigest: '00',
      });
    expect(auditChainBreak(policies.auditLog())).toBeNull();
  });

  test('the state survives JSON (what the vault stores)', () => {
    const { s } = fresh();
    new MemoryConsumedStore(s).consume('n1');
    const again = new DeviceState(JSON.parse(JSON.stringify(s.toJSON())), () => {});
    expect(new MemoryConsumedStore(again).isConsumed('n1')).toBe(true);
  });
});

describe('vault', () => {
  test('opens with its key and party id only', async () => {
    const key = new Uint8Array(randomBytes(32));
    const sealed = await seal(key, 'device-a', new TextEncoder().encode('secret'));
    expect(new TextDecoder().decode(await open(key, 'device-a', sealed))).toBe('secret');
    await expect(open(new Uint8Array(32), 'device-a', sealed)).rejects.toThrow(VaultError);
    await expect(open(key, 'device-b', sealed)).rejects.toThrow(VaultError);
    const flipped = Uint8Array.from(sealed);
    flipped[flipped.length - 1]! ^= 1;
    await expect(open(key, 'device-a', flipped)).rejects.toThrow(VaultError);
    await expect(seal(new Uint8Array(16), 'device-a', new Uint8Array(1))).rejects.toThrow(/32 bytes/);
  });
});
