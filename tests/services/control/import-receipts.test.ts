// Creation receipts of an imported key (services/control/receipts.ts `imported`): the manifest
// hash is signed with the other facts, a receipt without it keeps the old bytes, a party cannot
// drop or change it unnoticed, and a verifier can demand a key made by DKG.
import { describe, expect, test } from '@jest/globals';
import { generateIdentity, publicIdentity } from '../../../services/transport/identity.ts';
import { receiptBytes, receiptSignatureValid, signReceipt, verifyAttestation, type ReceiptFacts } from '../../../services/control/receipts.ts';

const ids = ['p1', 'p2', 'p3'].map((p) => generateIdentity(p));
const pinned = ids.map(publicIdentity);
const facts: ReceiptFacts = {
  keyId: '11111111-2222-3333-4444-555555555555',
  keySpec: 'ECC_SECG_P256K1',
  protocol: 'dkls23-secp256k1',
  publicKey: '02' + 'ab'.repeat(32),
  threshold: 2,
  parties: pinned,
  policyHash: 'cd'.repeat(32),
  transcriptHash: 'ef'.repeat(32),
};
const imported = { ...facts, imported: '99'.repeat(32) };

describe('receipts of an imported key', () => {
  test('the manifest hash is signed; a DKG receipt keeps its bytes', () => {
    expect(receiptBytes(imported, 'p1')).not.toEqual(receiptBytes(facts, 'p1'));
    expect(receiptBytes({ ...facts, imported: undefined }, 'p1')).toEqual(receiptBytes(facts, 'p1'));
    const r = signReceipt(imported, 'p1', ids[0]!.signSecret);
    expect(r.imported).toBe(imported.imported);
    expect(receiptSignatureValid(r, pinned[0]!.signPublic)).toBe(true);
    const { imported: _dropped, ...stripped } = r;
    void _dropped;
    expect(receiptSignatureValid(stripped, pinned[0]!.signPublic)).toBe(false);
  });

  test('verifyAttestation: all parties must agree on it; --require-dkg refuses an imported key', () => {
    const receipts = ids.map((id) => signReceipt(imported, id.partyId, id.signSecret));
    expect(verifyAttestation(receipts, { pinned }).problems).toEqual([]);
    expect(verifyAttestation(receipts, { pinned, requireDkg: true }).problems.join()).toMatch(/imported/);
    const mixed = [signReceipt(facts, 'p1', ids[0]!.signSecret), ...receipts.slice(1)];
    expect(verifyAttestation(mixed, { pinned }).problems.join()).toMatch(/other facts/);
    const dkg = ids.map((id) => signReceipt(facts, id.partyId, id.signSecret));
    expect(verifyAttestation(dkg, { pinned, requireDkg: true }).problems).toEqual([]);
  });
});
