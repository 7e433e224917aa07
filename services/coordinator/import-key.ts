// ImportKeyShares (a Tutti extension; docs/kms-compatibility.md "ImportKeyShares"): CreateKey for a
// key that already exists whole, split once offline (`cli.ts import-split`, protocols/import/).
// The gateway checks the public manifest (a good error early) and relays each party ONLY its own
// sealed bundle — it cannot open any — inside an ordinary DKG open (create-key.ts); each party
// checks everything again itself (services/party/import.ts) and the session is a refresh on the
// imported sharing. The key's parties and threshold are the manifest's (not tags); the record is
// tagged tutti:origin = imported:<manifest hash> (fixed, DescribeKey Origin EXTERNAL), and every
// party's creation receipt carries the manifest hash (receipts.ts `imported`).
import { KmsError, validation } from '../kms-api/errors.ts';
import type { Tag } from '../kms-api/key-service.ts';
import { ProtocolError } from '../../protocols/core/errors.ts';
import { checkManifest, type ImportManifest } from '../../protocols/import/split.ts';
import type { ImportBundle } from '../../protocols/import/bundle.ts';
import type { PublicIdentity } from '../transport/identity.ts';
import { SessionFailed } from './session-runner.ts';

export const ORIGIN_TAG = 'tutti:origin';
export const IMPORTED_PREFIX = 'imported:';

export type ImportRequest = { manifest: unknown; bundles: unknown };

export type ImportPlan = {
  parties: string[];
  threshold: number;
  publicKey: string;
  manifestHash: string;
  tag: Tag;
  open(index: number): { manifest: ImportManifest; bundle: ImportBundle };
};

const incorrect = (message: string) => new KmsError('IncorrectKeyMaterialException', message);

/** Whether a key record's tags say it was imported (DescribeKey Origin EXTERNAL). */
export function isImported(tags: readonly Tag[]): boolean {
  return tags.some((t) => t.TagKey === ORIGIN_TAG && t.TagValue.startsWith(IMPORTED_PREFIX));
}

/**
 * The gateway's check of an import request against the spec asked for and its configured parties.
 * Bad manifest or bundles → IncorrectKeyMaterialException (AWS's error for key material that does
 * not fit, ImportKeyMaterial); tags that would choose parties → ValidationException.
 */
export function planImport(req: ImportRequest, keySpec: string, tags: Tag[], known: string[], identities?: PublicIdentity[]): ImportPlan {
  const manifest = req.manifest as ImportManifest;
  try {
    checkManifest(manifest);
  } catch (e) {
    throw incorrect(e instanceof ProtocolError ? e.message : 'import manifest: malformed');
  }
  if (manifest.keySpec !== keySpec) throw incorrect(`the import manifest is for ${manifest.keySpec}, not KeySpec ${keySpec}`);
  if (tags.some((t) => t.TagKey.startsWith('tutti:')))
    throw validation('An imported key takes its parties and threshold from the manifest: tutti:* tags are not allowed.');
  const ids = manifest.parties.map((p) => p.partyId);
  for (const p of manifest.parties) {
    if (!known.includes(p.partyId)) throw incorrect(`the import manifest names party ${p.partyId}, which this service does not have`);
    const id = identities?.find((i) => i.partyId === p.partyId);
    if (id && (id.signPublic !== p.signPublic || id.kexPublic !== p.kexPublic))
      throw incorrect(`the import manifest names other identity keys for ${p.partyId} than this service's configuration`);
  }
  const bundles = req.bundles as ImportBundle[];
  if (!Array.isArray(bundles) || bundles.length !== ids.length) throw incorrect(`expected ${ids.length} bundles, one per party of the manifest`);
  const byIndex = new Map<number, ImportBundle>();
  for (const b of bundles) {
    if (typeof b !== 'object' || b === null || b.manifestHash !== manifest.hash) throw incorrect('a bundle belongs to another manifest');
    if (!Number.isInteger(b.index) || ids[b.index - 1] !== b.partyId || byIndex.has(b.index))
      throw incorrect(`bundle for ${String(b.partyId)} (index ${String(b.index)}) does not match the manifest's parties`);
    byIndex.set(b.index, b);
  }
  return {
    parties: ids,
    threshold: manifest.threshold,
    publicKey: manifest.publicKey,
    manifestHash: manifest.hash,
    tag: { TagKey: ORIGIN_TAG, TagValue: `${IMPORTED_PREFIX}${manifest.hash}` },
    open: (index) => ({ manifest, bundle: byIndex.get(index)! }),
  };
}

/** A party that refused its bundle or the manifest names the splitter's output: a client error. */
export function importError(err: unknown): KmsError | undefined {
  if (err instanceof SessionFailed && /import of key \S+ refused/.test(err.failure.message)) return incorrect(err.failure.message);
  return undefined;
}
