// RFC 9591 Appendix E.1 / E.2 vectors through noble's FROST and through our own RFC 9591
// arithmetic (rfc9591.ts, which the signing sessions run), checked again by node:crypto, and the
// ZF frost DKG vectors through noble's DKG and through our own proof-of-knowledge, Feldman and
// key-derivation helpers (which the DKG session runs).
import { describe, test, expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { bytesToHex, hexToBytes } from '../../../protocols/core/bytes.ts';
import { frostSuite, type FrostSuiteName } from '../../../protocols/frost/suite.ts';
import { decodePoint, decodeScalar } from '../../../protocols/frost/codec.ts';
import { evalCommitment, evalPolynomial, verifyFeldman, verifyProofOfKnowledge } from '../../../protocols/frost/vss.ts';
import {
  aggregateSignature,
  bindingFactors,
  commit,
  lagrange,
  signatureShare,
  signingContext,
  verifySignatureShare,
  type DecodedCommitment,
} from '../../../protocols/frost/rfc9591.ts';
import { deriveKeyPackage } from '../../../protocols/frost/dkg.ts';
import { nodeVerify } from './fixtures.ts';

const FILES: Record<FrostSuiteName, string> = { ed25519: 'frost-ed25519-sha512', ed448: 'frost-ed448-shake256' };
type R1 = {
  identifier: number;
  hiding_nonce_randomness: string;
  binding_nonce_randomness: string;
  hiding_nonce: string;
  binding_nonce: string;
  hiding_nonce_commitment: string;
  binding_nonce_commitment: string;
};
const load = (name: string) => JSON.parse(readFileSync(new URL(`../../vectors/${name}.json`, import.meta.url), 'utf8'));

describe.each(Object.keys(FILES) as FrostSuiteName[])('RFC 9591 vectors, %s', (name) => {
  const v = load(FILES[name]);
  const suite = frostSuite(name);
  const { frost } = suite;
  const t = Number(v.config.MIN_PARTICIPANTS);
  const n = Number(v.config.MAX_PARTICIPANTS);
  const msg = hexToBytes(v.inputs.message);
  const id = (i: number) => frost.Identifier.fromNumber(i);
  const pub = {
    signers: { min: t, max: n },
    commitments: [
      hexToBytes(v.inputs.group_public_key),
      ...v.inputs.share_polynomial_coefficients.map((c: string) => suite.Point.BASE.multiply(suite.Fn.fromBytes(hexToBytes(c))).toBytes()),
    ],
    verifyingShares: Object.fromEntries(
      v.inputs.participant_shares.map((s: { identifier: number; participant_share: string }) => [
        id(s.identifier),
        suite.Point.BASE.multiply(suite.Fn.fromBytes(hexToBytes(s.participant_share))).toBytes(),
      ]),
    ),
  };
  const secretOf = (i: number) => ({
    identifier: id(i),
    signingShare: hexToBytes(v.inputs.participant_shares.find((s: { identifier: number }) => s.identifier === i).participant_share),
  });

  test('group key and shares are consistent (Appendix C.2 vss_verify)', () => {
    expect(bytesToHex(suite.Point.BASE.multiply(suite.Fn.fromBytes(hexToBytes(v.inputs.group_secret_key))).toBytes())).toBe(v.inputs.group_public_key);
    for (const s of v.inputs.participant_shares) expect(() => frost.validateSecret(secretOf(s.identifier), pub)).not.toThrow();
  });

  test('commitments, signature shares and the signature are reproduced', () => {
    const commits = v.round_one_outputs.outputs.map((o: R1) => {
      // Inject the vector's nonce randomness: commit() draws hiding, then binding (RFC 9591 §5.1).
      const draws = [hexToBytes(o.hiding_nonce_randomness), hexToBytes(o.binding_nonce_randomness)];
      const c = frost.commit(secretOf(o.identifier), (() => draws.shift()!) as never);
      expect(bytesToHex(c.nonces.hiding)).toBe(o.hiding_nonce);
      expect(bytesToHex(c.nonces.binding)).toBe(o.binding_nonce);
      expect(bytesToHex(c.commitments.hiding)).toBe(o.hiding_nonce_commitment);
      expect(bytesToHex(c.commitments.binding)).toBe(o.binding_nonce_commitment);
      return { i: o.identifier, ...c };
    });
    const list = commits.map((c: { commitments: unknown }) => c.commitments);
    const shares: Record<string, Uint8Array> = {};
    for (const o of v.round_two_outputs.outputs) {
      const c = commits.find((x: { i: number }) => x.i === o.identifier);
      const z = frost.signShare(secretOf(o.identifier), pub, c.nonces, list, msg);
      expect(bytesToHex(z)).toBe(o.sig_share);
      expect(frost.verifyShare(pub, list, msg, id(o.identifier), z)).toBe(true);
      shares[id(o.identifier)] = z;
    }
    const sig = frost.aggregate(pub, list, msg, shares);
    expect(bytesToHex(sig)).toBe(v.final_output.sig);
    expect(suite.verify(sig, msg, hexToBytes(v.inputs.group_public_key))).toBe(true);
    expect(nodeVerify(name, sig, msg, hexToBytes(v.inputs.group_public_key))).toBe(true);
    // ...and a different message does not verify.
    expect(nodeVerify(name, sig, new Uint8Array([1, 2, 3]), hexToBytes(v.inputs.group_public_key))).toBe(false);
  });

  test('the used nonces cannot sign again', () => {
    const o = v.round_one_outputs.outputs[0];
    const draws = [hexToBytes(o.hiding_nonce_randomness), hexToBytes(o.binding_nonce_randomness)];
    const c = frost.commit(secretOf(o.identifier), (() => draws.shift()!) as never);
    const other = frost.commit(secretOf(v.round_one_outputs.outputs[1].identifier));
    const list = [c.commitments, other.commitments];
    frost.signShare(secretOf(o.identifier), pub, c.nonces, list, msg);
    expect(() => frost.signShare(secretOf(o.identifier), pub, c.nonces, list, msg)).toThrow(/already used/);
  });
});

describe.each(Object.keys(FILES) as FrostSuiteName[])('ZF frost DKG vectors, %s', (name) => {
  const v = load(`${FILES[name]}.dkg-zf`);
  const suite = frostSuite(name);
  const { frost } = suite;
  const t = v.config.MIN_PARTICIPANTS as number;
  const n = v.config.MAX_PARTICIPANTS as number;
  const parties = Array.from({ length: n }, (_, k) => k + 1);
  const inp = (i: number) => v.inputs[String(i)];
  const pkg = (i: number) => ({
    identifier: frost.Identifier.fromNumber(i),
    commitment: inp(i).vss_commitments.map(hexToBytes),
    proofOfKnowledge: hexToBytes(inp(i).proof_of_knowledge),
  });

  test('our proof-of-knowledge check accepts every vector proof and rejects a moved one', () => {
    for (const i of parties) {
      const c0 = decodePoint(suite, hexToBytes(inp(i).vss_commitments[0]), 'C0');
      const pok = hexToBytes(inp(i).proof_of_knowledge);
      const R = decodePoint(suite, pok.subarray(0, suite.elementBytes), 'R');
      const mu = decodeScalar(suite, pok.subarray(suite.elementBytes), 'mu');
      expect(verifyProofOfKnowledge(suite, i, c0, R, mu)).toBe(true);
      // The challenge binds the identifier: the same proof for another party fails.
      expect(verifyProofOfKnowledge(suite, (i % n) + 1, c0, R, mu)).toBe(false);
    }
  });

  test('our polynomial and Feldman helpers reproduce the shares', () => {
    for (const i of parties) {
      const coeffs = [inp(i).signing_key, inp(i).coefficient].map((h: string) => suite.Fn.fromBytes(hexToBytes(h)));
      const commitment = inp(i).vss_commitments.map((h: string) => decodePoint(suite, hexToBytes(h), 'C'));
      for (const j of parties.filter((j) => j !== i)) {
        const share = evalPolynomial(suite, coeffs, BigInt(j));
        expect(bytesToHex(suite.Fn.toBytes(share))).toBe(inp(j).signing_shares[String(i)]);
        expect(verifyFeldman(suite, commitment, j, share)).toBe(true);
        expect(verifyFeldman(suite, commitment, j, suite.Fn.add(share, 1n))).toBe(false);
      }
      expect(evalCommitment(suite, commitment, 0n).equals(commitment[0])).toBe(true);
    }
  });

  test('noble DKG round2/round3 reproduce shares, verifying shares and the group key', () => {
    for (const i of parties) {
      const others = parties.filter((j) => j !== i);
      const secret = {
        identifier: BigInt(i),
        coefficients: [inp(i).signing_key, inp(i).coefficient].map((h: string) => suite.Fn.fromBytes(hexToBytes(h))),
        commitment: inp(i).vss_commitments.map(hexToBytes),
        signers: { min: t, max: n },
        step: 1 as const,
      };
      const out = frost.DKG.round2(secret, others.map(pkg));
      for (const j of others) expect(bytesToHex(out[frost.Identifier.fromNumber(j)]!.signingShare)).toBe(inp(j).signing_shares[String(i)]);
      const received = others.map((j) => ({ identifier: frost.Identifier.fromNumber(j), signingShare: hexToBytes(inp(i).signing_shares[String(j)]) }));
      const key = frost.DKG.round3(secret, others.map(pkg), received);
      expect(bytesToHex(key.secret.signingShare)).toBe(inp(i).signing_share);
      expect(bytesToHex(key.public.commitments[0]!)).toBe(v.inputs.verifying_key);
      expect(bytesToHex(key.public.verifyingShares[frost.Identifier.fromNumber(i)]!)).toBe(inp(i).verifying_share);
    }
  });
});

// The arithmetic the signing sessions run (rfc9591.ts: noble's Point / Fn, on points validated
// once), step by step against the same Appendix E vectors, including the intermediate values the
// vector files carry under _derived (checked there against the RFC text and noble's FROST).
describe.each(Object.keys(FILES) as FrostSuiteName[])('our RFC 9591 arithmetic on the vectors, %s', (name) => {
  const v = load(FILES[name]);
  const suite = frostSuite(name);
  const msg = hexToBytes(v.inputs.message);
  const PK = hexToBytes(v.inputs.group_public_key);
  const outputs = v.round_one_outputs.outputs as (R1 & { binding_factor: string })[];
  const list: DecodedCommitment[] = outputs.map((o) => ({
    index: o.identifier,
    hiding: hexToBytes(o.hiding_nonce_commitment),
    binding: hexToBytes(o.binding_nonce_commitment),
    D: decodePoint(suite, hexToBytes(o.hiding_nonce_commitment), 'D'),
    E: decodePoint(suite, hexToBytes(o.binding_nonce_commitment), 'E'),
  }));
  const shareOf = (i: number) =>
    suite.Fn.fromBytes(hexToBytes(v.inputs.participant_shares.find((s: { identifier: number }) => s.identifier === i).participant_share));
  const hex = (s: bigint) => bytesToHex(suite.Fn.toBytes(s));

  test("commit (§5.1): nonces and commitments from the vectors' nonce randomness", () => {
    for (const o of outputs) {
      const draws = [hexToBytes(o.hiding_nonce_randomness), hexToBytes(o.binding_nonce_randomness)];
      const c = commit(suite, shareOf(o.identifier), () => draws.shift()!);
      expect([hex(c.nonces.hiding), hex(c.nonces.binding)]).toEqual([o.hiding_nonce, o.binding_nonce]);
      expect([bytesToHex(c.D.toBytes()), bytesToHex(c.E.toBytes())]).toEqual([o.hiding_nonce_commitment, o.binding_nonce_commitment]);
    }
    expect(() => commit(suite, shareOf(1), () => new Uint8Array(31))).toThrow(/32 bytes/);
  });

  test('binding factors (§4.4), group commitment (§4.5), challenge (§4.6), Lagrange coefficients (§4.2)', () => {
    const rho = bindingFactors(suite, PK, list, msg);
    expect(rho.map(hex)).toEqual(outputs.map((o) => o.binding_factor));
    const ctx = signingContext(suite, PK, list, msg);
    expect(bytesToHex(ctx.Rbytes)).toBe(v._derived.group_commitment);
    expect(hex(ctx.challenge)).toBe(v._derived.challenge);
    for (const o of outputs) expect(hex(lagrange(suite, ctx.indices, o.identifier))).toBe(v._derived.lambda[String(o.identifier)]);
  });

  test('signature shares (§5.2), verify_signature_share (§5.4) and the signature (§5.3)', () => {
    const ctx = signingContext(suite, PK, list, msg);
    const shares = outputs.map((o) =>
      signatureShare(
        suite,
        ctx,
        o.identifier,
        { hiding: suite.Fn.fromBytes(hexToBytes(o.hiding_nonce)), binding: suite.Fn.fromBytes(hexToBytes(o.binding_nonce)) },
        shareOf(o.identifier),
      ),
    );
    expect(shares.map(hex)).toEqual(v.round_two_outputs.outputs.map((o: { sig_share: string }) => o.sig_share));
    list.forEach((c, k) => {
      const PKi = suite.Point.BASE.multiply(shareOf(c.index));
      expect(verifySignatureShare(suite, ctx, c, PKi, shares[k]!)).toBe(true);
      // A share off by one, or checked against another signer's commitment or key, fails.
      expect(verifySignatureShare(suite, ctx, c, PKi, suite.Fn.add(shares[k]!, 1n))).toBe(false);
      expect(verifySignatureShare(suite, ctx, list[1 - k]!, PKi, shares[k]!)).toBe(false);
      expect(verifySignatureShare(suite, ctx, c, suite.Point.BASE.multiply(shareOf(list[1 - k]!.index)), shares[k]!)).toBe(false);
    });
    const sig = aggregateSignature(suite, ctx, shares);
    expect(bytesToHex(sig)).toBe(v.final_output.sig);
    expect(suite.verify(sig, msg, PK)).toBe(true);
    expect(suite.verify(sig, new Uint8Array([1, 2, 3]), PK)).toBe(false);
  });

  test('the binding factors bind the whole commitment list and the message', () => {
    const rho = bindingFactors(suite, PK, list, msg).map(hex);
    expect(bindingFactors(suite, PK, list, new Uint8Array([1])).map(hex)).not.toEqual(rho);
    const swapped = [{ ...list[0]!, hiding: list[1]!.hiding }, list[1]!];
    expect(bindingFactors(suite, PK, swapped, msg).map(hex)).not.toEqual(rho);
  });
});

describe.each(Object.keys(FILES) as FrostSuiteName[])('our DKG key derivation on the ZF vectors, %s', (name) => {
  const v = load(`${FILES[name]}.dkg-zf`);
  const suite = frostSuite(name);
  const n = v.config.MAX_PARTICIPANTS as number;
  const parties = Array.from({ length: n }, (_, k) => k + 1);
  const inp = (i: number) => v.inputs[String(i)];

  test('deriveKeyPackage reproduces each signing share, every verifying share and the group key', () => {
    const commitments = parties.map((j) => inp(j).vss_commitments.map((h: string) => decodePoint(suite, hexToBytes(h), 'C')));
    for (const i of parties) {
      const own = evalPolynomial(
        suite,
        [inp(i).signing_key, inp(i).coefficient].map((h: string) => suite.Fn.fromBytes(hexToBytes(h))),
        BigInt(i),
      );
      const received = new Map(parties.filter((j) => j !== i).map((j) => [j, suite.Fn.fromBytes(hexToBytes(inp(i).signing_shares[String(j)]))]));
      const key = deriveKeyPackage(suite, i, n, own, received, commitments);
      expect(bytesToHex(suite.Fn.toBytes(key.signingShare))).toBe(inp(i).signing_share);
      expect(bytesToHex(key.commitments[0]!.toBytes())).toBe(v.inputs.verifying_key);
      for (const j of parties) expect(bytesToHex(key.verifyingShares.get(j)!.toBytes())).toBe(inp(j).verifying_share);
    }
  });

  test('a received share that was not checked against its commitment cannot slip through', () => {
    const commitments = parties.map((j) => inp(j).vss_commitments.map((h: string) => decodePoint(suite, hexToBytes(h), 'C')));
    const own = evalPolynomial(
      suite,
      [inp(1).signing_key, inp(1).coefficient].map((h: string) => suite.Fn.fromBytes(hexToBytes(h))),
      1n,
    );
    const received = new Map([
      [2, suite.Fn.add(suite.Fn.fromBytes(hexToBytes(inp(1).signing_shares['2'])), 1n)],
      [3, suite.Fn.fromBytes(hexToBytes(inp(1).signing_shares['3']))],
    ]);
    expect(() => deriveKeyPackage(suite, 1, n, own, received, commitments)).toThrow(/does not match/);
  });
});
