// Paging markers for the List operations: opaque to clients (AWS documents only "use the
// NextMarker you got"), a kind-tagged JSON value inside base64url here. A marker of another kind,
// or one that does not decode, is InvalidMarkerException.
import { invalidMarker } from '../kms-api/errors.ts';

export type MarkerKind = 'keys' | 'aliases' | 'tags' | 'policies';

export function encodeMarker(kind: MarkerKind, position: unknown): string {
  return Buffer.from(JSON.stringify({ k: kind, p: position }), 'utf8').toString('base64url');
}

/** The position a marker of `kind` carries, if `valid` accepts it. */
export function decodeMarker<T>(kind: MarkerKind, marker: string, valid: (p: unknown) => p is T): T {
  let decoded: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(marker)) throw new Error('not base64url');
    decoded = JSON.parse(Buffer.from(marker, 'base64url').toString('utf8'));
  } catch {
    throw invalidMarker(`The marker '${marker}' is not one this service issued. Use the NextMarker of a previous response.`);
  }
  const d = decoded as { k?: unknown; p?: unknown } | null;
  if (!d || typeof d !== 'object' || d.k !== kind || !valid(d.p)) {
    throw invalidMarker(`The marker '${marker}' does not belong to this listing. Use the NextMarker of a previous response to the same operation.`);
  }
  return d.p;
}
