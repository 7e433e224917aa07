// Importing a key, on the party's side (docs/protocols.md "Importing a key"): a DKG open that
// carries the split's public manifest and this party's sealed bundle (protocols/import/). The
// party checks, itself, that the manifest describes the key the open asks for — spec, protocol,
// threshold, the parties in index order and, for each, the identity keys on ITS OWN allowlist —
// opens its bundle with its identity key (the gateway that relayed it cannot), checks the share
// against the manifest's Feldman commitments and public key, and only then runs the family's
// import session (a refresh on the imported sharing: new shares, and DKLs23's OT setup). Any
// mismatch refuses the open with an error that names the splitter's output as the fault.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, lengthPrefixed, utf8ToBytes } from '../../protocols/core/bytes.ts';
import { checkManifest, checkShare, type ImportManifest } from '../../protocols/import/split.ts';
import { openBundle, type ImportBundle } from '../../protocols/import/bundle.ts';
import type { OpenDkg } from '../control/messages.ts';
import type { PublicIdentity } from '../transport/identity.ts';
import type { SessionSpec } from './protocol-families.ts';
import { RequestRefused } from './request-check.ts';
import type { PartyOptions } from './party-options.ts';

export type ImportOpen = { manifest: ImportManifest; bundle: ImportBundle };

/** The session spec of an import open; refuses (RequestRefused) anything that does not check. */
export function importSessionSpec(
  o: PartyOptions,
  msg: OpenDkg & { import: ImportOpen },
  parties: PublicIdentity[],
  self: number,
  family: 'frost' | 'dkls23',
  suite: string,
  sessionId: Uint8Array,
  dkgContext: Uint8Array,
): SessionSpec {
  const { manifest, bundle } = msg.import;
  const fail = (why: string): never => {
    throw new RequestRefused(`import of key ${msg.keyId} refused: ${why}`);
  };
  let share: Uint8Array;
  try {
    const checked = checkManifest(manifest);
    if (manifest.keySpec !== msg.keySpec || manifest.protocol !== msg.protocol)
      fail(`the manifest is for ${manifest.keySpec} (${manifest.protocol}), the request for ${msg.keySpec}`);
    if (manifest.threshold !== msg.threshold) fail(`the manifest's threshold is ${manifest.threshold}, the request's ${msg.threshold}`);
    if (manifest.parties.length !== parties.length) fail(`the manifest has ${manifest.parties.length} parties, the request ${parties.length}`);
    manifest.parties.forEach((p, k) => {
      const mine = parties[k]!;
      if (p.partyId !== mine.partyId || p.signPublic !== mine.signPublic || p.kexPublic !== mine.kexPublic)
        fail(`the manifest's party ${k + 1} (${p.partyId}) is not ${mine.partyId} with the identity keys on this party's allowlist`);
    });
    const me = o.identity;
    share = openBundle(manifest, bundle, { partyId: me.partyId, index: self, kexSecret: me.kexSecret, kexPublic: bytesToHex(me.kexPublic) });
    checkShare(checked, self, share);
  } catch (err) {
    if (err instanceof RequestRefused) throw err;
    return fail(err instanceof Error ? err.message : String(err));
  }
  // The DKG context (dkg.ts dkgContext: key, spec, parties' identity keys, policy hash) and the manifest hash.
  const context = sha256(lengthPrefixed(utf8ToBytes('tutti/v1/import-context'), dkgContext, hexToBytes(manifest.hash)));
  const params = { sessionId, self, manifest, share, context };
  return family === 'dkls23'
    ? { factory: 'dkls23/import', protocol: `${msg.protocol}/refresh`, params: { ...params, curve: suite } }
    : { factory: 'frost/import', protocol: `${msg.protocol}/refresh`, params: { ...params, suite } };
}
