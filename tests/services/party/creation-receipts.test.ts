// Trust review M4: the gateway alone chooses a new key's signing policy, threshold and parties, and
// the parties' answers were unsigned. Now each party signs a creation receipt of what it bound, and
// a client checks the receipts offline against party keys it pinned itself (cli.ts verify-attestation).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { policyHash } from '../../../policies/hash.ts';
import { defaultSigningPolicy } from '../../../policies/default-policy.ts';
import { verifyAttestation, type CreationReceipt } from '../../../services/control/receipts.ts';
import { runVerifyAttestation } from '../../../services/main/verify-attestation.ts';
import { generateIdentity, publicIdentity } from '../../../services/transport/identity.ts';
import { KEY_SPEC, makeHarness, type Harness } from '../../support/party-harness.ts';

const KEY = '4a0e0d0c-0b0a-4908-8706-050403020100';
/** What the client asked for: only "hello …" may be signed. */
const asked = {
  policyLanguage: 'tutti-signing-policy/1',
  keyBinding: { keySpec: KEY_SPEC },
  defaultEffect: 'deny',
  rules: [{ id: 'hello', effect: 'allow', conditions: { messageType: { in: ['RAW'] }, format: { kind: 'raw', utf8Pattern: '^hello' } } }],
};
let h: Harness;
let receipts: CreationReceipt[];
let dir: string;

beforeAll(async () => {
  h = makeHarness();
  dir = mkdtempSync(join(tmpdir(), 'tutti-attest-'));
  // A hostile gateway: the client asked for `asked`, the parties are given the allow-all default.
  const results = await h.dkg(KEY, defaultSigningPolicy(KEY_SPEC, ['ED25519_SHA_512']));
  receipts = [...results.values()].map((r) => r.receipt!).sort((a, b) => a.partyId.localeCompare(b.partyId));
});
afterAll(() => {
  h.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('creation receipts', () => {
  test('every party signs the same facts, which verify offline under the pinned party keys', () => {
    expect(receipts).toHaveLength(3);
    const { problems, facts } = verifyAttestation(receipts, { pinned: h.allowlist, keyId: KEY, threshold: 2 });
    expect(problems).toEqual([]);
    expect(facts).toMatchObject({ keyId: KEY, keySpec: KEY_SPEC, threshold: 2, policyHash: policyHash(defaultSigningPolicy(KEY_SPEC, ['ED25519_SHA_512'])) });
    expect(facts!.parties.map((p) => p.partyId)).toEqual(['party-1', 'party-2', 'party-3']);
  });

  test('M4: a client that asked for its own policy and threshold sees that the key was not made with them', () => {
    const { problems } = verifyAttestation(receipts, { pinned: h.allowlist, policyHash: policyHash(asked), minThreshold: 3 });
    expect(problems).toEqual([`signing policy hash ${receipts[0]!.policyHash}, expected ${policyHash(asked)}`, 'threshold 2, below the minimum 3']);
  });

  test('a receipt altered by the gateway, or from a party the client does not pin, does not verify', () => {
    const altered = receipts.map((r) => ({ ...r, threshold: 3 }));
    expect(verifyAttestation(altered, { pinned: h.allowlist }).problems).toContain("party-1's signature does not verify under its pinned key");
    const stranger = publicIdentity(generateIdentity('party-2'));
    const pinned = h.allowlist.map((p) => (p.partyId === 'party-2' ? stranger : p));
    expect(verifyAttestation(receipts, { pinned }).problems).toEqual(
      expect.arrayContaining(["party-2's signature does not verify under its pinned key", 'party party-2 of the key has other keys than the pinned ones']),
    );
    expect(verifyAttestation(receipts.slice(0, 2), { pinned: h.allowlist }).problems).toEqual(['no valid receipt from party party-3']);
  });

  test('cli.ts verify-attestation: exit 0 for what was made, 1 for the policy the client asked for', () => {
    const file = join(dir, 'attestation.json');
    const peers = join(dir, 'peers.json');
    const policy = join(dir, 'asked.json');
    writeFileSync(file, JSON.stringify({ KeyId: KEY, Receipts: receipts }));
    writeFileSync(peers, JSON.stringify({ peers: h.allowlist }));
    writeFileSync(policy, JSON.stringify(asked));
    const out: string[] = [];
    expect(runVerifyAttestation(['--receipts', file, '--peers', peers, '--key-id', KEY, '--threshold', '2'], (l) => out.push(l))).toBe(0);
    expect(out.join('\n')).toMatch(/^attestation OK: key 4a0e0d0c-.* 2-of-3 \(party-1, party-2, party-3\)/);
    expect(runVerifyAttestation(['--receipts', file, '--peers', peers, '--policy', policy], (l) => out.push(l))).toBe(1);
    expect(out.at(-1)).toMatch(/attestation FAILED:\n {2}- signing policy hash/);
  });
});
