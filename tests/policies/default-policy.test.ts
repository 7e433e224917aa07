// The default signing policy (a key created without TuttiSigningPolicy): blind signing as on AWS —
// RAW and DIGEST with the key's AWS algorithms, any Solana message for Ed25519 — the invariants as
// always, and a governance nobody can satisfy.
import { describe, expect, test } from '@jest/globals';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { checkPolicyRevision, compilePolicy, evaluate, policyErrors } from '../../policies/index.ts';
import { DEFAULT_DIGEST_RULE_ID, DEFAULT_RULE_ID, DEFAULT_SOLANA_RULE_ID, FROZEN_APPROVER_KEY, defaultSigningPolicy } from '../../policies/default-policy.ts';
import { transfer } from './support/solana.ts';

const ctx = { now: Date.UTC(2026, 0, 1), rateLimitCounts: () => 0 };
const req = (keySpec: string, signingAlgorithm: string, message: Uint8Array, messageType = 'RAW') => ({
  keyId: '0f0e0d0c-0b0a-4908-8706-050403020100',
  keySpec,
  signingAlgorithm,
  messageType,
  message,
  caller: { accessKeyId: 'AK', principal: 'p' },
});

describe('the default signing policy', () => {
  test.each([
    ['ECC_NIST_EDWARDS25519', ['ED25519_SHA_512', 'ED25519_PH_SHA_512'], ['ED25519_SHA_512'], ['ED25519_PH_SHA_512']],
    ['ECC_NIST_EDWARDS448', ['ED448_SHAKE_256'], ['ED448_SHAKE_256'], []],
    ['ECC_SECG_P256K1', ['ECDSA_SHA_256', 'ECDSA_KECCAK_256'], ['ECDSA_SHA_256'], ['ECDSA_SHA_256']],
    ['ECC_NIST_P256', ['ECDSA_SHA_256'], ['ECDSA_SHA_256'], ['ECDSA_SHA_256']],
  ] as const)('%s: valid; RAW with %j, DIGEST with %j (never ECDSA_KECCAK_256)', (spec, algorithms, raw, digest) => {
    const doc = defaultSigningPolicy(spec, algorithms);
    expect(policyErrors(doc)).toEqual([]);
    expect(doc.rules[0]).toEqual({ id: DEFAULT_RULE_ID, effect: 'allow', conditions: { signingAlgorithm: { in: raw }, messageType: { in: ['RAW'] } } });
    const d = doc.rules.find((r) => r.id === DEFAULT_DIGEST_RULE_ID);
    if (digest.length === 0) expect(d).toBeUndefined();
    else expect(d).toEqual({ id: DEFAULT_DIGEST_RULE_ID, effect: 'allow', conditions: { signingAlgorithm: { in: digest }, messageType: { in: ['DIGEST'] } } });
    expect(doc.rules.some((r) => r.id === DEFAULT_SOLANA_RULE_ID)).toBe(spec === 'ECC_NIST_EDWARDS25519');
  });

  test('signs DIGESTs blind, as AWS does (the Ethereum AWS KMS signers send keccak256 as an ECDSA_SHA_256 DIGEST)', () => {
    const k1 = compilePolicy(defaultSigningPolicy('ECC_SECG_P256K1', ['ECDSA_SHA_256', 'ECDSA_KECCAK_256']));
    const digest = new Uint8Array(32).fill(7);
    const d = evaluate(k1, req('ECC_SECG_P256K1', 'ECDSA_SHA_256', digest, 'DIGEST'), ctx);
    expect(d).toMatchObject({ decision: 'allow', rule: DEFAULT_DIGEST_RULE_ID });
    expect(d.digest).toEqual(digest);
    const p256 = compilePolicy(defaultSigningPolicy('ECC_NIST_P256', ['ECDSA_SHA_256']));
    expect(evaluate(p256, req('ECC_NIST_P256', 'ECDSA_SHA_256', digest, 'DIGEST'), ctx)).toMatchObject({ decision: 'allow', rule: DEFAULT_DIGEST_RULE_ID });
    const ed = compilePolicy(defaultSigningPolicy('ECC_NIST_EDWARDS25519', ['ED25519_SHA_512', 'ED25519_PH_SHA_512']));
    expect(evaluate(ed, req('ECC_NIST_EDWARDS25519', 'ED25519_PH_SHA_512', new Uint8Array(64), 'DIGEST'), ctx)).toMatchObject({
      decision: 'allow',
      rule: DEFAULT_DIGEST_RULE_ID,
    });
    // Still not ECDSA_KECCAK_256 (a Tutti extension, never raw bytes), and never a DIGEST of the wrong length.
    expect(evaluate(k1, req('ECC_SECG_P256K1', 'ECDSA_KECCAK_256', digest, 'DIGEST'), ctx)).toMatchObject({ decision: 'deny' });
    expect(evaluate(k1, req('ECC_SECG_P256K1', 'ECDSA_SHA_256', new Uint8Array(31), 'DIGEST'), ctx)).toMatchObject({ code: 'ALGORITHM_MISMATCH' });
  });

  test('signs any Solana message under Ed25519 (the AWS KMS Solana signers send it RAW)', () => {
    const p = compilePolicy(defaultSigningPolicy('ECC_NIST_EDWARDS25519', ['ED25519_SHA_512', 'ED25519_PH_SHA_512']));
    const sol = transfer(new Uint8Array(32).fill(9));
    expect(evaluate(p, req('ECC_NIST_EDWARDS25519', 'ED25519_SHA_512', sol), ctx)).toMatchObject({
      decision: 'allow',
      rule: DEFAULT_SOLANA_RULE_ID,
      format: 'solanaMessage',
    });
    // I-4 still: bytes that only begin with a Solana message are neither a message nor raw bytes.
    expect(evaluate(p, req('ECC_NIST_EDWARDS25519', 'ED25519_SHA_512', Uint8Array.from([...sol, 1, 2, 3])), ctx)).toMatchObject({
      code: 'INVARIANT',
      rule: 'builtin:I-4',
    });
  });

  test('is deterministic', () => {
    expect(compilePolicy(defaultSigningPolicy('ECC_NIST_EDWARDS25519', ['ED25519_SHA_512'])).hash).toBe(
      compilePolicy(defaultSigningPolicy('ECC_NIST_EDWARDS25519', ['ED25519_SHA_512'])).hash,
    );
  });

  test('allows raw bytes up to the engine default size; the invariants still hold', () => {
    const p = compilePolicy(defaultSigningPolicy('ECC_NIST_EDWARDS25519', ['ED25519_SHA_512']));
    expect(evaluate(p, req('ECC_NIST_EDWARDS25519', 'ED25519_SHA_512', new Uint8Array(131072)), ctx)).toMatchObject({
      decision: 'allow',
      rule: DEFAULT_RULE_ID,
    });
    expect(evaluate(p, req('ECC_NIST_EDWARDS25519', 'ED25519_SHA_512', new Uint8Array(131073)), ctx)).toMatchObject({ code: 'MESSAGE_TOO_LARGE' });
    expect(evaluate(p, req('ECC_NIST_EDWARDS25519', 'ED25519_SHA_512', new Uint8Array(64), 'DIGEST'), ctx)).toMatchObject({ code: 'ALGORITHM_MISMATCH' });
    const k1 = compilePolicy(defaultSigningPolicy('ECC_SECG_P256K1', ['ECDSA_SHA_256', 'ECDSA_KECCAK_256']));
    expect(evaluate(k1, req('ECC_SECG_P256K1', 'ECDSA_SHA_256', new Uint8Array(32)), ctx)).toMatchObject({ code: 'INVARIANT', rule: 'builtin:I-2' });
    expect(evaluate(k1, req('ECC_SECG_P256K1', 'ECDSA_KECCAK_256', new Uint8Array(40)), ctx)).toMatchObject({ decision: 'deny' });
  });

  test("its only approver's key is the documented nothing-up-my-sleeve point: no revision can be approved", () => {
    // Recomputed here from the description in policies/default-policy.ts.
    let expected = '';
    for (let i = 0; !expected; i++) {
      const c = sha512(new TextEncoder().encode(`tutti-signing-policy/1 default policy: frozen governance:${i}`)).slice(0, 32);
      try {
        expected = `0x${Buffer.from(ed25519.Point.fromBytes(c).clearCofactor().toBytes()).toString('hex')}`;
      } catch {
        /* next */
      }
    }
    expect(FROZEN_APPROVER_KEY).toBe(expected);
    const current = defaultSigningPolicy('ECC_NIST_EDWARDS448', ['ED448_SHAKE_256']);
    const next = { ...current, rules: [{ id: 'any', effect: 'allow' as const, conditions: { messageType: { in: ['RAW' as const] } } }] };
    const r = checkPolicyRevision(
      '0f0e0d0c-0b0a-4908-8706-050403020100',
      { revision: 1, previousHash: null, policy: current },
      { revision: 2, previousHash: compilePolicy(current).hash, policy: next },
      [],
      ctx.now,
    );
    expect(r).toMatchObject({ ok: false, code: 'GOVERNANCE' });
  });
});
