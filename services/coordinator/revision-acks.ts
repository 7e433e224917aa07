// The gateway's side of the parties' signed revision acknowledgements (services/control/revision-ack.ts,
// docs/policies.md "Checking what every party enforces"): each answer's acknowledgement is checked
// against the party's public identity key (from the gateway's configuration) and kept; one that
// is missing or does not verify is not an acknowledgement. These checks give early errors; an
// owner does not depend on them: it checks the signatures itself.
import { verifyRevisionAck } from '../control/revision-ack.ts';
import type { StoredRevisionAck } from '../storage/revision-acks.ts';
import type { AckStore } from '../storage/gateway-store.ts';
import type { PublicIdentity } from '../transport/identity.ts';

export type AckAnswer = { partyId: string; revision: number; policyHash: string; acknowledgement: unknown };

/**
 * Checks each answer's acknowledgement and stores the good ones. Returns the parties whose
 * acknowledgement is missing or does not verify. Without a known identity for a party (no
 * identities configured: tests), its acknowledgement is kept if present, unchecked.
 */
export async function recordRevisionAcks(
  store: AckStore | undefined,
  identities: PublicIdentity[] | undefined,
  keyId: string,
  answers: AckAnswer[],
): Promise<string[]> {
  const bad: string[] = [];
  for (const a of answers) {
    const identity = identities?.find((p) => p.partyId === a.partyId);
    const ok =
      typeof a.acknowledgement === 'string' &&
      (identity === undefined
        ? identities === undefined
        : verifyRevisionAck(identity.signPublic, { keyId, revision: a.revision, policyHash: a.policyHash }, a.acknowledgement));
    if (!ok) {
      bad.push(a.partyId);
      continue;
    }
    await store?.put(keyId, { partyId: a.partyId, revision: a.revision, policyHash: a.policyHash, signature: a.acknowledgement as string });
  }
  return bad;
}

/** The key's acknowledgements, one per party of the key (a party that never acknowledged is absent). */
export async function revisionAcksOf(store: AckStore | undefined, keyId: string, parties: string[]): Promise<StoredRevisionAck[]> {
  return ((await store?.of(keyId)) ?? []).filter((a) => parties.includes(a.partyId));
}
