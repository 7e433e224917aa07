// The signed statements of a refresh's second phase (docs/protocols.md "Refresh activation"):
// what a member signs with its identity key to confirm a refresh, or to abandon one it never
// confirmed, and the check of a certificate against a list of pinned identities. Used by the
// parties (services/party/activation.ts), which act on these proofs, and by the coordinator, which
// only carries them and checks a certificate before it changes its key record on one.
import { ed25519 } from '@noble/curves/ed25519.js';
import { hexToBytes, lengthPrefixed, utf8ToBytes } from '../../protocols/core/bytes.ts';
import type { PublicIdentity } from '../transport/identity.ts';
import type { RefreshCertificate } from './messages.ts';

const CONFIRM_LABEL = 'tutti/v1/refresh-confirm';
const ABANDON_LABEL = 'tutti/v1/refresh-abandon';

/** What a member signs to confirm a refresh: it holds the new version durably and keeps it until the refresh is settled. */
export function confirmationBytes(c: { keyId: string; session: string; publicKey: string; transcriptHash: string; members: string[] }): Uint8Array {
  return lengthPrefixed(
    utf8ToBytes(CONFIRM_LABEL),
    utf8ToBytes(c.keyId),
    utf8ToBytes(c.session),
    utf8ToBytes(c.publicKey),
    utf8ToBytes(c.transcriptHash),
    ...c.members.map((m) => utf8ToBytes(m)),
  );
}

/** What a member signs to abandon a refresh it never confirmed (and never will). */
export function abandonBytes(a: { keyId: string; session: string; partyId: string }): Uint8Array {
  return lengthPrefixed(utf8ToBytes(ABANDON_LABEL), utf8ToBytes(a.keyId), utf8ToBytes(a.session), utf8ToBytes(a.partyId));
}

/** An Ed25519 signature (hex) by `signPublic` (hex) over `message`; false for anything malformed. */
export function validSignature(signature: unknown, message: Uint8Array, signPublic: string): boolean {
  if (typeof signature !== 'string' || !/^[0-9a-f]{128}$/.test(signature)) return false;
  try {
    return ed25519.verify(hexToBytes(signature), message, hexToBytes(signPublic));
  } catch {
    return false;
  }
}

/**
 * Why `c` is not one valid confirmation per member, each by the member's pinned key (undefined: it
 * is). `pinned(id)`: the identity the checker holds for that party id.
 */
export function certificateSignatureProblem(c: RefreshCertificate, pinned: (partyId: string, index: number) => PublicIdentity | undefined): string | undefined {
  if (!c || typeof c !== 'object' || !Array.isArray(c.members) || c.members.some((m) => typeof m !== 'string')) return 'malformed';
  if (typeof c.keyId !== 'string' || typeof c.session !== 'string' || typeof c.publicKey !== 'string' || typeof c.transcriptHash !== 'string')
    return 'malformed';
  if (!Array.isArray(c.confirmations) || c.confirmations.length !== c.members.length) return 'not one confirmation per member';
  const bytes = confirmationBytes(c);
  const bad = c.members.filter((m, i) => {
    const key = pinned(m, i);
    return !key || key.partyId !== m || !validSignature(c.confirmations[i], bytes, key.signPublic);
  });
  return bad.length ? `no valid confirmation of ${bad.join(', ')}` : undefined;
}
