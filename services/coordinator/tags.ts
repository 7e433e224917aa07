// How a caller chooses threshold and parties through fields the unmodified AWS SDK already sends:
// CreateKey Tags. `tutti:threshold` = t; `tutti:parties` = n (a count) or a comma list of party ids.
import { validation } from '../kms-api/errors.ts';

export const THRESHOLD_TAG = 'tutti:threshold';
export const PARTIES_TAG = 'tutti:parties';
export const DEFAULT_THRESHOLD = 2;
export const DEFAULT_PARTIES = 3;

export type Tag = { TagKey: string; TagValue: string };

/**
 * Picks the key's parties (in index order) and threshold from its tags and the configured parties.
 * A comma list may also name registered device parties (`devices`, docs/waas.md); a count or the
 * default never picks one.
 */
export function chooseParties(tags: Tag[], configured: string[], devices: readonly string[] = []): { parties: string[]; threshold: number } {
  const get = (k: string) => tags.find((t) => t.TagKey === k)?.TagValue;
  const pTag = get(PARTIES_TAG)?.trim();
  let parties: string[];
  if (pTag === undefined || pTag === '') {
    parties = configured.slice(0, Math.min(DEFAULT_PARTIES, configured.length));
  } else if (/^\d+$/.test(pTag)) {
    const n = Number(pTag);
    if (n > configured.length) throw validation(`Tag ${PARTIES_TAG}=${pTag} asks for ${n} parties but only ${configured.length} are configured.`);
    parties = configured.slice(0, n);
  } else {
    parties = pTag.split(',').map((s) => s.trim());
    for (const p of parties)
      if (!configured.includes(p) && !devices.includes(p)) {
        const hint = p.startsWith('device-') ? ' Register the device party first (RegisterDeviceParty).' : '';
        throw validation(`Tag ${PARTIES_TAG} names unknown party '${p}'. Known parties: ${configured.join(', ')}.${hint}`);
      }
    if (new Set(parties).size !== parties.length) throw validation(`Tag ${PARTIES_TAG} names a party twice.`);
  }
  const tTag = get(THRESHOLD_TAG)?.trim();
  const threshold = tTag === undefined || tTag === '' ? Math.min(DEFAULT_THRESHOLD, parties.length) : Number(tTag);
  if (!Number.isInteger(threshold) || threshold < 2 || threshold > parties.length || parties.length > 10) {
    throw validation(`Threshold ${tTag ?? threshold} of ${parties.length} parties is not allowed: need 2 <= ${THRESHOLD_TAG} <= parties <= 10.`);
  }
  return { parties, threshold };
}
