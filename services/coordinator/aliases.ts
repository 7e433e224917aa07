// Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases (docs/kms-compatibility.md "Aliases"). An alias names a
// key of the service's own account; a key has at most MAX_ALIASES_PER_KEY of them (AWS quota).
import type { AliasRecord, Caller, Page } from '../kms-api/key-service.ts';
import { alreadyExists, limitExceeded, notFound, validation } from '../kms-api/errors.ts';
import { KeyRepositoryError, type StoredAlias, type StoredKey } from '../storage/key-repository.ts';
import { decodeMarker, encodeMarker } from './markers.ts';
import { repositoryError, requireNotPendingDeletion } from './key-access.ts';
import type { CoordinatorContext } from './context.ts';

/** AWS quota: aliases per KMS key. */
export const MAX_ALIASES_PER_KEY = 50;
/** At most this many entries per ListAliases page, whatever Limit asks (AWS: "might return fewer"). */
const MAX_ALIAS_PAGE = 100;

export async function createAlias(ctx: CoordinatorContext, aliasName: string, targetKeyId: string, caller: Caller): Promise<void> {
  const { o, access } = ctx;
  const k = await access.resolve(targetKeyId, caller, 'key');
  access.authorize(k, 'CreateAlias', caller);
  requireNotPendingDeletion(k);
  if (await o.keys.getAlias(aliasName)) throw alreadyExists(`An alias with the name ${access.aliasArnOf(aliasName)} already exists`);
  await requireAliasRoom(ctx, k);
  try {
    await o.keys.createAlias(aliasName, k.keyId, access.now());
  } catch (e) {
    // The check above passed, but another request (on another gateway replica) created the name
    // meanwhile: the primary key decides, and the loser gets what AWS answers.
    if (e instanceof KeyRepositoryError && e.code === 'exists') throw alreadyExists(`An alias with the name ${access.aliasArnOf(aliasName)} already exists`);
    throw repositoryError(e, k);
  }
}

export async function updateAlias(ctx: CoordinatorContext, aliasName: string, targetKeyId: string, caller: Caller): Promise<void> {
  const { o, access } = ctx;
  const alias = await requireAlias(ctx, aliasName);
  const current = (await o.keys.get(alias.keyId))!;
  const k = await access.resolve(targetKeyId, caller, 'key');
  access.authorize(current, 'UpdateAlias', caller);
  access.authorize(k, 'UpdateAlias', caller);
  requireNotPendingDeletion(k);
  // AWS: the new key must be of the same type and usage. Every Tutti key is an asymmetric SIGN_VERIFY key.
  if (k.keyUsage !== current.keyUsage) {
    throw validation(`${access.aliasArnOf(aliasName)} points to a ${current.keyUsage} key; ${k.arn} has key usage ${k.keyUsage}.`);
  }
  if (k.keyId === current.keyId) return;
  await requireAliasRoom(ctx, k);
  try {
    await o.keys.retargetAlias(aliasName, k.keyId, access.now());
  } catch (e) {
    throw repositoryError(e, k);
  }
}

export async function deleteAlias(ctx: CoordinatorContext, aliasName: string, caller: Caller): Promise<void> {
  const alias = await requireAlias(ctx, aliasName);
  ctx.access.authorize((await ctx.o.keys.get(alias.keyId))!, 'DeleteAlias', caller);
  await ctx.o.keys.deleteAlias(aliasName);
}

export async function listAliases(
  { o, access }: CoordinatorContext,
  req: { keyId?: string; limit: number; marker?: string },
  caller: Caller,
): Promise<Page<AliasRecord>> {
  access.requireAccountPrincipal(caller, 'ListAliases');
  const keyId = req.keyId === undefined ? undefined : (await access.resolve(req.keyId, caller, 'key')).keyId;
  const afterName = req.marker === undefined ? undefined : decodeMarker('aliases', req.marker, isString);
  const page = await o.keys.listAliases(Math.min(req.limit, MAX_ALIAS_PAGE), {
    ...(keyId !== undefined ? { keyId } : {}),
    ...(afterName !== undefined ? { afterName } : {}),
  });
  const items = page.aliases.map((a) => access.aliasRecord(a));
  const last = page.aliases[page.aliases.length - 1];
  return page.more && last ? { items, nextMarker: encodeMarker('aliases', last.aliasName) } : { items };
}

async function requireAlias({ o, access }: CoordinatorContext, aliasName: string): Promise<StoredAlias> {
  const alias = await o.keys.getAlias(aliasName);
  if (!alias) throw notFound(`Alias ${access.aliasArnOf(aliasName)} is not found.`);
  return alias;
}

async function requireAliasRoom({ o }: CoordinatorContext, k: StoredKey): Promise<void> {
  if ((await o.keys.countAliases(k.keyId)) >= MAX_ALIASES_PER_KEY) {
    throw limitExceeded(`${k.arn} already has ${MAX_ALIASES_PER_KEY} aliases, the most a key can have.`);
  }
}

function isString(p: unknown): p is string {
  return typeof p === 'string';
}
