// An honest DKLs23 import in the simulator (protocols/dkls23/import.ts): the joint key is the
// imported one (Hardhat's account #0), every share is new — not the split-time f(i), which existed
// on the operator's machine — with OT material toward both peers, and the new shares sign. Slow:
// a full DKG's base OTs.
import { describe, expect, test } from '@jest/globals';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '../../../protocols/core/bytes.ts';
import { createDklsImport } from '../../../protocols/dkls23/import.ts';
import { splitKey, type ImportParty } from '../../../protocols/import/split.ts';
import { outputsOf, simulate } from '../../support/simulator.ts';
import { CONTEXT, expectValidSignature, runSign } from '../dkls23/session-fixtures.ts';
import { seededRng, sid } from '../dkls23/fixtures.ts';

const parties: ImportParty[] = [1, 2, 3].map((i) => ({ partyId: `p${i}`, signPublic: '11'.repeat(32), kexPublic: '22'.repeat(32) }));
const HARDHAT_0 = hexToBytes('ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');

describe('DKLs23 import (secp256k1, 2-of-3)', () => {
  const { manifest, shares } = splitKey({ keySpec: 'ECC_SECG_P256K1', secret: HARDHAT_0.slice(), threshold: 2, parties, rng: seededRng('split/k1') });
  const sessions = (label: string) =>
    [1, 2, 3].map((p) =>
      createDklsImport({
        curve: 'secp256k1',
        sessionId: sid(label),
        self: p,
        manifest,
        share: shares.get(p)!,
        context: CONTEXT,
        rng: seededRng(`${label}/${p}`),
      }),
    );

  test('the joint key is the imported one, the shares are new, and they sign', () => {
    const outputs = outputsOf(simulate(sessions('import/k1')));
    expect(outputs.size).toBe(3);
    for (const o of outputs.values()) {
      expect(bytesToHex(o.publicKey)).toBe(bytesToHex(secp256k1.getPublicKey(HARDHAT_0, true)));
      expect(o.share.secretShare).not.toBe(bytesToHex(shares.get(o.share.index)!));
      expect(Object.keys(o.share.peers)).toHaveLength(2);
    }
    const newShares = new Map([...outputs].map(([p, o]) => [p, o.share]));
    const digest = sha256(utf8ToBytes('imported'));
    const sim = runSign('secp256k1', newShares, [1, 3], digest, 'import/k1/sign');
    const out = outputsOf(sim).get(1)!;
    expectValidSignature('secp256k1', utf8ToBytes('imported'), out, secp256k1.getPublicKey(HARDHAT_0, true));
  });
});
