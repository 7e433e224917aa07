// The import sessions in the simulator (protocols/dkls23/import.ts, protocols/frost/import.ts): a
// key split offline becomes a DKLs23 / FROST key of the SAME public key with NEW shares (not the
// split-time ones), which sign; a party that deals another constant than its share of the imported
// key is named (DKLs23: on a 2-of-2 split, one pairwise OT setup); parties given different manifests of the same key do not agree; a share that does
// not match the manifest is refused before any message leaves. The honest DKLs23 import (base OTs:
// tens of seconds on a loaded machine) is in dkls23-import.slow.test.ts and the e2e.
import { describe, expect, test } from '@jest/globals';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ed448 } from '@noble/curves/ed448.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '../../../protocols/core/bytes.ts';
import { createDklsImport } from '../../../protocols/dkls23/import.ts';
import { DklsDkgSession, newDkgState } from '../../../protocols/dkls23/dkg.ts';
import { DKLS_CURVES } from '../../../protocols/dkls23/curve.ts';
import { lagrangeAtZero } from '../../../protocols/dkls23/feldman.ts';
import { createFrostImport } from '../../../protocols/frost/import.ts';
import { splitKey, type ImportParty } from '../../../protocols/import/split.ts';
import { outputsOf, simulate } from '../../support/simulator.ts';
import { CONTEXT, expectBlame, expectNoOutput } from '../dkls23/session-fixtures.ts';
import { runSign as runFrostSign, nodeVerify } from '../frost/fixtures.ts';
import { seededRng, sid } from '../dkls23/fixtures.ts';

const parties: ImportParty[] = [1, 2, 3].map((i) => ({ partyId: `p${i}`, signPublic: '11'.repeat(32), kexPublic: '22'.repeat(32) }));
const HARDHAT_0 = hexToBytes('ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');

describe('DKLs23 import (secp256k1)', () => {
  const { manifest, shares } = splitKey({ keySpec: 'ECC_SECG_P256K1', secret: HARDHAT_0.slice(), threshold: 2, parties, rng: seededRng('split/k1') });

  test('a party dealing another constant than λ_i·f(i) is named', () => {
    // A 2-of-2 split of the same key: the check is each receiver's own (the dealt constant against
    // λ_i·X_i of the manifest), and two parties are one pairwise OT setup where three are three.
    const pair = splitKey({ keySpec: 'ECC_SECG_P256K1', secret: HARDHAT_0.slice(), threshold: 2, parties: parties.slice(0, 2), rng: seededRng('split/k1/2') });
    const label = 'import/k1/evil';
    const curve = DKLS_CURVES.secp256k1;
    const evil = new DklsDkgSession(
      newDkgState(
        { curve: 'secp256k1', sessionId: sid(label), self: 2, n: 2, t: 2, context: CONTEXT, rng: seededRng(`${label}/evil`) },
        {
          binding: {
            publicKey: pair.manifest.publicKey,
            transcriptHash: pair.manifest.hash,
            verificationShares: { ...pair.manifest.verificationShares },
            members: [1, 2],
          },
          constant: curve.Fn.add(curve.Fn.mul(lagrangeAtZero(curve, [1, 2], 2), BigInt('0x' + bytesToHex(pair.shares.get(2)!))), 1n),
        },
      ),
    );
    const honest = createDklsImport({
      curve: 'secp256k1',
      sessionId: sid(label),
      self: 1,
      manifest: pair.manifest,
      share: pair.shares.get(1)!,
      context: CONTEXT,
      rng: seededRng(`${label}/1`),
    });
    const sim = simulate([honest, evil]);
    expectBlame(sim, [1], 'invalid-commitment', [2]);
  });

  test('a share that does not match the manifest is refused before the session starts', () => {
    expect(() =>
      createDklsImport({ curve: 'secp256k1', sessionId: sid('x'), self: 1, manifest, share: shares.get(2)!, context: CONTEXT, rng: seededRng('x') }),
    ).toThrow(/splitter made a bad share/);
    expect(() =>
      createDklsImport({ curve: 'p256', sessionId: sid('x'), self: 1, manifest, share: shares.get(1)!, context: CONTEXT, rng: seededRng('x') }),
    ).toThrow(/not dkls23-p256/);
  });
});

describe('FROST import (Ed25519 and Ed448, 2-of-3)', () => {
  const seed = hexToBytes('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
  const pub = ed25519.getPublicKey(seed);
  const split = (label: string) => splitKey({ keySpec: 'ECC_NIST_EDWARDS25519', secret: seed.slice(), threshold: 2, parties, rng: seededRng(label) });

  test('the group key is the imported one, the shares are new, and they sign (OpenSSL verifies)', () => {
    const { manifest, shares } = split('split/ed');
    const sessions = [1, 2, 3].map((p) =>
      createFrostImport({
        suite: 'ed25519',
        sessionId: sid('import/ed'),
        self: p,
        manifest,
        share: shares.get(p)!,
        context: CONTEXT,
        rng: seededRng(`ed/${p}`),
      }),
    );
    const outputs = outputsOf(simulate(sessions));
    expect(outputs.size).toBe(3);
    for (const o of outputs.values()) {
      expect(bytesToHex(o.publicKey)).toBe(bytesToHex(pub));
      expect(o.share.signingShare).not.toBe(bytesToHex(shares.get(o.share.index)!));
    }
    const newShares = new Map([...outputs].map(([p, o]) => [p, o.share]));
    const msg = utf8ToBytes('imported ed25519');
    const sig = outputsOf(runFrostSign('ed25519', newShares, [2, 3], msg, 'import/ed/sign')).get(2)!.signature;
    expect(nodeVerify('ed25519', sig, msg, pub)).toBe(true);
  });

  test('Ed448: the group key is the imported one and the new shares sign', () => {
    const seed448 = ed448.utils.randomSecretKey();
    const pub448 = ed448.getPublicKey(seed448);
    const { manifest, shares } = splitKey({ keySpec: 'ECC_NIST_EDWARDS448', secret: seed448, threshold: 2, parties, rng: seededRng('split/ed448') });
    const sessions = [1, 2, 3].map((p) =>
      createFrostImport({
        suite: 'ed448',
        sessionId: sid('import/ed448'),
        self: p,
        manifest,
        share: shares.get(p)!,
        context: CONTEXT,
        rng: seededRng(`ed448/${p}`),
      }),
    );
    const outputs = outputsOf(simulate(sessions));
    expect([...outputs.values()].map((o) => bytesToHex(o.publicKey))).toEqual([1, 2, 3].map(() => bytesToHex(pub448)));
    const newShares = new Map([...outputs].map(([p, o]) => [p, o.share]));
    const msg = utf8ToBytes('imported ed448');
    const sig = outputsOf(runFrostSign('ed448', newShares, [1, 3], msg, 'import/ed448/sign')).get(1)!.signature;
    expect(nodeVerify('ed448', sig, msg, pub448)).toBe(true);
  });

  test('parties given different manifests of the same key do not agree', () => {
    const a = split('split/ed/a');
    const b = split('split/ed/b');
    const sessions = [1, 2, 3].map((p) => {
      const m = p === 3 ? b : a;
      return createFrostImport({
        suite: 'ed25519',
        sessionId: sid('import/ed/fork'),
        self: p,
        manifest: m.manifest,
        share: m.shares.get(p)!,
        context: CONTEXT,
        rng: seededRng(`fork/${p}`),
      });
    });
    const sim = simulate(sessions);
    expectNoOutput(sim, [1, 2, 3]);
  });
});
