// Importing a key into FROST (docs/protocols.md "Importing a key"): the party's share f(i) of the
// offline split (protocols/import/split.ts), checked against the public manifest, is a FROST key
// share whose VSS commitment is the splitter's Feldman commitment; the session run on it is the
// refresh of refresh.ts (a zero-constant DKG, ZF frost-core keys::refresh), so the shares used
// afterwards are NOT the split-time ones that existed on the operator's machine. Round 1 binds a
// digest of the public key package, so parties shown different manifests do not agree. The share's
// "transcript hash" (64 bytes) is SHA-512 over a label and the manifest hash.
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, hexToBytes, utf8ToBytes } from '../core/bytes.ts';
import { ProtocolError } from '../core/errors.ts';
import type { Rng, Session } from '../core/session.ts';
import { checkManifest, checkShare, type ImportManifest } from '../import/split.ts';
import type { FrostDkgOutput } from './dkg.ts';
import { createFrostRefresh } from './refresh.ts';
import { makeKeyShare, type FrostKeyShare } from './share.ts';
import { frostSuite, type FrostSuiteName } from './suite.ts';

export function createFrostImport(o: {
  suite: FrostSuiteName;
  sessionId: Uint8Array;
  self: number;
  manifest: ImportManifest;
  share: Uint8Array;
  context: Uint8Array;
  rng: Rng;
}): Session<FrostDkgOutput, FrostKeyShare> {
  const checked = checkManifest(o.manifest);
  if (checked.group.protocol !== `frost-${o.suite}`)
    throw new ProtocolError('bad-parameters', `the manifest is for ${checked.group.protocol}, not frost-${o.suite}`);
  const s = checkShare(checked, o.self, o.share);
  const suite = frostSuite(o.suite);
  const commitments = o.manifest.commitments.map((c) => suite.Point.fromBytes(hexToBytes(c)));
  const transcript = sha512(concatBytes(utf8ToBytes('tutti/v1/frost-import'), hexToBytes(o.manifest.hash)));
  const share = makeKeyShare(suite, o.self, o.manifest.parties.length, o.manifest.threshold, s, commitments, transcript);
  return createFrostRefresh({ suite: o.suite, sessionId: o.sessionId, self: o.self, share, context: o.context, rng: o.rng });
}
