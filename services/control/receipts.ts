// Creation receipts (docs/security.md "Checking how a key was made"): when a DKG completes, each
// party signs, with its identity key, what it bound into the key — the facts a client cannot
// otherwise check, since the gateway alone chooses them at CreateKey:
//
//   Ed25519(party sign key, lengthPrefixed(LABEL_RECEIPT, keyId, keySpec, protocol, publicKey,
//           u32 threshold, u32 n, for each party in index order lengthPrefixed(partyId, signPublic, kexPublic),
//           policyHash, transcriptHash, partyId of the signer))
//
// The gateway stores the n receipts and serves them (GetKeyAttestation); `cli.ts
// verify-attestation` checks them offline against party keys the verifier pinned itself.
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex, hexToBytes, lengthPrefixed, u32, utf8ToBytes } from '../../protocols/core/bytes.ts';
import type { PublicIdentity } from '../transport/identity.ts';

export const LABEL_RECEIPT = 'tutti/v1/key-creation-receipt';

export type ReceiptFacts = {
  keyId: string;
  keySpec: string;
  protocol: string;
  publicKey: string;
  threshold: number;
  parties: PublicIdentity[];
  policyHash: string;
  transcriptHash: string;
  /**
   * Set for an imported key (docs/security.md "Imported keys are weaker than DKG"): the hash of the
   * offline split's manifest. Signed as two more fields ('imported', hash); absent for a DKG key,
   * whose receipt bytes are unchanged.
   */
  imported?: string;
};
/** One party's receipt: the facts, who signed them (`partyId`) and its signature (hex). */
export type CreationReceipt = ReceiptFacts & { partyId: string; signature: string };

export function receiptBytes(f: ReceiptFacts, partyId: string): Uint8Array {
  return lengthPrefixed(
    utf8ToBytes(LABEL_RECEIPT),
    utf8ToBytes(f.keyId),
    utf8ToBytes(f.keySpec),
    utf8ToBytes(f.protocol),
    utf8ToBytes(f.publicKey),
    u32(f.threshold),
    u32(f.parties.length),
    ...f.parties.map((p) => lengthPrefixed(utf8ToBytes(p.partyId), hexToBytes(p.signPublic), hexToBytes(p.kexPublic))),
    utf8ToBytes(f.policyHash),
    utf8ToBytes(f.transcriptHash),
    utf8ToBytes(partyId),
    ...(f.imported !== undefined ? [utf8ToBytes('imported'), utf8ToBytes(f.imported)] : []),
  );
}

export function signReceipt(f: ReceiptFacts, partyId: string, signSecret: Uint8Array): CreationReceipt {
  const facts: ReceiptFacts = {
    keyId: f.keyId,
    keySpec: f.keySpec,
    protocol: f.protocol,
    publicKey: f.publicKey,
    threshold: f.threshold,
    parties: f.parties.map((p) => ({ partyId: p.partyId, signPublic: p.signPublic, kexPublic: p.kexPublic })),
    policyHash: f.policyHash,
    transcriptHash: f.transcriptHash,
    ...(f.imported !== undefined ? { imported: f.imported } : {}),
  };
  return { ...facts, partyId, signature: bytesToHex(ed25519.sign(receiptBytes(facts, partyId), signSecret)) };
}

/** Whether the receipt's signature verifies under `signPublic` (hex), strictly (no ZIP-215 leniency). */
export function receiptSignatureValid(r: CreationReceipt, signPublic: string): boolean {
  try {
    return ed25519.verify(hexToBytes(r.signature), receiptBytes(r, r.partyId), hexToBytes(signPublic), { zip215: false });
  } catch {
    return false;
  }
}

export type AttestationExpectations = {
  /** The parties' identity keys the verifier trusts (its own copy, e.g. a peers.json). */
  pinned: PublicIdentity[];
  keyId?: string;
  publicKey?: string;
  policyHash?: string;
  minThreshold?: number;
  threshold?: number;
  /** Refuse an imported key (receipts with `imported`): only a key made by DKG passes. */
  requireDkg?: boolean;
};

/**
 * Checks a key's receipts offline: every one of the key's n parties signed the same facts under
 * the key it is pinned with, and the facts match what the verifier expects. Returns the problems
 * found (empty: the attestation holds) and the facts agreed on.
 */
export function verifyAttestation(receipts: unknown[], e: AttestationExpectations): { problems: string[]; facts?: ReceiptFacts } {
  const problems: string[] = [];
  if (!Array.isArray(receipts) || receipts.length === 0) return { problems: ['no receipts'] };
  const rs = receipts as CreationReceipt[];
  const first = rs[0]!;
  const canon = (r: ReceiptFacts) =>
    JSON.stringify([r.keyId, r.keySpec, r.protocol, r.publicKey, r.threshold, r.parties, r.policyHash, r.transcriptHash, r.imported ?? null]);
  const pinned = new Map(e.pinned.map((p) => [p.partyId, p]));
  const signedBy = new Set<string>();
  for (const r of rs) {
    if (typeof r !== 'object' || r === null || typeof r.partyId !== 'string' || !Array.isArray(r.parties)) {
      problems.push('a malformed receipt');
      continue;
    }
    if (canon(r) !== canon(first)) problems.push(`${r.partyId}'s receipt states other facts than ${first.partyId}'s`);
    const pin = pinned.get(r.partyId);
    if (!pin) {
      problems.push(`${r.partyId} is not a pinned party`);
      continue;
    }
    const listed = r.parties.find((p) => p.partyId === r.partyId);
    if (!listed || listed.signPublic !== pin.signPublic || listed.kexPublic !== pin.kexPublic)
      problems.push(`the receipt of ${r.partyId} lists it with other keys than the pinned ones`);
    if (!receiptSignatureValid(r, pin.signPublic)) problems.push(`${r.partyId}'s signature does not verify under its pinned key`);
    else signedBy.add(r.partyId);
  }
  for (const p of first.parties ?? []) {
    const pin = pinned.get(p.partyId);
    if (!pin) problems.push(`party ${p.partyId} of the key is not pinned`);
    else if (pin.signPublic !== p.signPublic || pin.kexPublic !== p.kexPublic)
      problems.push(`party ${p.partyId} of the key has other keys than the pinned ones`);
    if (!signedBy.has(p.partyId)) problems.push(`no valid receipt from party ${p.partyId}`);
  }
  if (e.keyId !== undefined && first.keyId !== e.keyId) problems.push(`key id ${first.keyId}, expected ${e.keyId}`);
  if (e.publicKey !== undefined && first.publicKey !== e.publicKey.toLowerCase()) problems.push(`public key ${first.publicKey}, expected ${e.publicKey}`);
  if (e.policyHash !== undefined && first.policyHash !== e.policyHash) problems.push(`signing policy hash ${first.policyHash}, expected ${e.policyHash}`);
  if (e.threshold !== undefined && first.threshold !== e.threshold) problems.push(`threshold ${first.threshold}, expected ${e.threshold}`);
  if (e.minThreshold !== undefined && first.threshold < e.minThreshold) problems.push(`threshold ${first.threshold}, below the minimum ${e.minThreshold}`);
  if (e.requireDkg && first.imported !== undefined)
    problems.push(`the key was imported (manifest ${first.imported}), not made by DKG (docs/security.md "Imported keys are weaker than DKG")`);
  return { problems, facts: first };
}
