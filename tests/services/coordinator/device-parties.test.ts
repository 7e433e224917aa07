// The gateway's registry of device parties (services/coordinator/device-parties.ts) and how
// CreateKey's tags may name them (tags.ts chooseParties): registration is idempotent for the same
// keys and refuses other keys under a registered id; it survives a restart (its file); a count or
// the default never picks a device; an unknown device- name says to register it; the bounded wait
// returns the devices that stayed offline.
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentity, publicIdentity } from '../../../services/transport/identity.ts';
import { awaitDevices, DevicePartyConflict, DeviceParties } from '../../../services/coordinator/device-parties.ts';
import { chooseParties } from '../../../services/coordinator/tags.ts';
import { withDevices } from '../../../services/party/dkg.ts';

const alice = publicIdentity(generateIdentity('device-alice'));

describe('device registry', () => {
  test('idempotent for the same keys, refuses other keys, kept in its file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tutti-devices-'));
    try {
      const file = join(dir, 'devices.json');
      const reg = new DeviceParties(file);
      const seen: number[] = [];
      reg.onChange((all) => seen.push(all.length));
      expect(reg.register(alice)).toEqual({ created: true });
      expect(reg.register(alice)).toEqual({ created: false });
      expect(() => reg.register({ ...publicIdentity(generateIdentity('device-alice')) })).toThrow(DevicePartyConflict);
      expect(() => reg.register(publicIdentity(generateIdentity('party-7')))).toThrow(/device party id/);
      expect(seen).toEqual([1]);
      expect(new DeviceParties(file).get('device-alice')).toEqual(alice);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('tags: a list may name a registered device; a count never picks one; an unknown device says what to do', () => {
    const tag = (v: string) => [{ TagKey: 'tutti:parties', TagValue: v }];
    expect(chooseParties(tag('party-1,device-alice'), ['party-1', 'party-2'], ['device-alice'])).toEqual({
      parties: ['party-1', 'device-alice'],
      threshold: 2,
    });
    expect(chooseParties(tag('2'), ['party-1', 'party-2'], ['device-alice']).parties).toEqual(['party-1', 'party-2']);
    expect(() => chooseParties(tag('party-1,device-bob'), ['party-1'], ['device-alice'])).toThrow(/RegisterDeviceParty/);
  });

  test('the bounded wait returns the devices still offline, after the bound', async () => {
    const reg = new DeviceParties(null);
    reg.register(alice);
    const t0 = Date.now();
    expect(await awaitDevices(['party-1', 'device-alice'], reg, (id) => id === 'party-1', 300)).toEqual(['device-alice']);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(await awaitDevices(['party-1', 'device-alice'], reg, () => true, 300)).toEqual([]);
  });

  test('a daemon takes device identities from the DKG open only under device- ids, never over its own entries', () => {
    const own = publicIdentity(generateIdentity('party-1'));
    const allow = new Map([[own.partyId, own]]);
    expect(withDevices(allow, [alice]).get('device-alice')).toEqual(alice);
    expect(() => withDevices(allow, [{ ...own }])).toThrow(/not a device party id/);
    expect(() => withDevices(new Map([[alice.partyId, alice]]), [publicIdentity(generateIdentity('device-alice'))])).toThrow(/other keys/);
    expect(withDevices(allow, undefined)).toBe(allow);
  });
});
