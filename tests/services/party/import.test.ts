// A party's checks of an import open (services/party/import.ts), before any message leaves: it
// refuses a bundle that is not sealed to its identity key or was altered, a share that does not
// match the manifest (naming the splitter), and a manifest that differs from the open or names
// other identity keys than the party's own allowlist. A good one gives the family's import session.
import { describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { splitKey } from '../../../protocols/import/split.ts';
import { sealBundle } from '../../../protocols/import/bundle.ts';
import { generateIdentity, publicIdentity } from '../../../services/transport/identity.ts';
import { importSessionSpec } from '../../../services/party/import.ts';
import type { PartyOptions } from '../../../services/party/party-options.ts';
import type { OpenDkg } from '../../../services/control/messages.ts';

const rng = (n: number) => new Uint8Array(randomBytes(n));
const ids = ['party-1', 'party-2', 'party-3'].map((p) => generateIdentity(p));
const parties = ids.map(publicIdentity);
const { manifest, shares } = splitKey({ keySpec: 'ECC_NIST_EDWARDS25519', secret: ed25519.utils.randomSecretKey(), threshold: 2, parties, rng });

function open(bundleIndex: number, share: Uint8Array, over: Partial<OpenDkg> = {}, m = manifest) {
  const msg = {
    type: 'open',
    kind: 'dkg',
    session: 'ab'.repeat(32),
    keyId: '11111111-2222-3333-4444-555555555555',
    keySpec: 'ECC_NIST_EDWARDS25519',
    protocol: 'frost-ed25519',
    threshold: 2,
    parties: parties.map((p) => p.partyId),
    policy: null,
    ...over,
    import: { manifest: m, bundle: sealBundle(m, bundleIndex, share, rng) },
  } as OpenDkg & { import: NonNullable<OpenDkg['import']> };
  return msg;
}

/** Party 2's view: its identity, its allowlist in index order. */
const asParty2 = (msg: ReturnType<typeof open>, allowlist = parties) =>
  importSessionSpec({ identity: ids[1]! } as PartyOptions, msg, allowlist, 2, 'frost', 'ed25519', new Uint8Array(32), new Uint8Array(32));

describe('party checks of an import open', () => {
  test('a good bundle gives the FROST import session', () => {
    const spec = asParty2(open(2, shares.get(2)!));
    expect(spec.factory).toBe('frost/import');
    expect(spec.protocol).toBe('frost-ed25519/refresh');
  });

  test('a bundle sealed to another party, or altered, does not open: refused', () => {
    const other = open(2, shares.get(2)!);
    other.import.bundle = { ...sealBundle(manifest, 3, shares.get(3)!, rng), partyId: 'party-2', index: 2 };
    expect(() => asParty2(other)).toThrow(/import of key .* refused: .*does not open with this party's identity key/);
    const altered = open(2, shares.get(2)!);
    altered.import.bundle = { ...altered.import.bundle, sealed: altered.import.bundle.sealed.slice(0, -2) + '00' };
    expect(() => asParty2(altered)).toThrow(/does not open/);
  });

  test('a share that does not match the manifest: refused, naming the splitter', () => {
    expect(() => asParty2(open(2, shares.get(1)!))).toThrow(/import of key .* refused: .*splitter made a bad share/);
  });

  test('a manifest that differs from the open, or from the allowlist, is refused', () => {
    expect(() => asParty2(open(2, shares.get(2)!, { threshold: 3 }))).toThrow(/threshold is 2, the request's 3/);
    expect(() => asParty2(open(2, shares.get(2)!, { keySpec: 'ECC_NIST_EDWARDS448', protocol: 'frost-ed448' }))).toThrow(
      /the manifest is for ECC_NIST_EDWARDS25519/,
    );
    const impostor = { ...parties[0]!, kexPublic: publicIdentity(generateIdentity('party-1')).kexPublic };
    expect(() => asParty2(open(2, shares.get(2)!), [impostor, parties[1]!, parties[2]!])).toThrow(/identity keys on this party's allowlist/);
    const tampered = open(2, shares.get(2)!);
    tampered.import.manifest = { ...manifest, publicKey: manifest.commitments[1]! };
    expect(() => asParty2(tampered)).toThrow(/import manifest: .*hash does not match/);
  });
});
