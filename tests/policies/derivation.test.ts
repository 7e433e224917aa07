// `derivation.allowedPaths` (docs/policies.md "Derived keys"): a derived child key signs under its
// parent's signing policy only at a path the policy allows; without the field, any path; with [],
// none. The schema refuses hardened and malformed patterns.
import { describe, expect, test } from '@jest/globals';
import { compilePolicy, evaluate, policyErrors } from '../../policies/index.ts';
import { defaultSigningPolicy } from '../../policies/default-policy.ts';
import { derivationAllowed } from '../../policies/match/derivation.ts';

const ctx = { now: Date.UTC(2026, 0, 1), rateLimitCounts: () => 0 };
const base = defaultSigningPolicy('ECC_SECG_P256K1', ['ECDSA_SHA_256', 'ECDSA_KECCAK_256']);
const req = (derivationPath?: string) => ({
  keyId: '0f0e0d0c-0b0a-4908-8706-050403020100',
  keySpec: 'ECC_SECG_P256K1',
  signingAlgorithm: 'ECDSA_SHA_256',
  messageType: 'RAW',
  message: new TextEncoder().encode('hello'),
  caller: { accessKeyId: 'AK', principal: 'p' },
  ...(derivationPath === undefined ? {} : { derivationPath }),
});

describe('derivation.allowedPaths', () => {
  test('absent: the parent and every child path sign', () => {
    const p = compilePolicy(base);
    expect(evaluate(p, req(), ctx).decision).toBe('allow');
    expect(evaluate(p, req('m/9/9/9'), ctx).decision).toBe('allow');
  });

  test('m/0/*: m/0/5 signs, m/1/5 and m/0/5/1 are refused; the parent itself still signs', () => {
    const p = compilePolicy({ ...base, derivation: { allowedPaths: ['m/0/*'] } });
    expect(evaluate(p, req('m/0/5'), ctx).decision).toBe('allow');
    expect(evaluate(p, req('m/1/5'), ctx)).toMatchObject({ decision: 'deny', code: 'KEY_MISMATCH', rule: 'builtin:derivation' });
    expect(evaluate(p, req('m/0/5/1'), ctx)).toMatchObject({ decision: 'deny', rule: 'builtin:derivation' });
    expect(evaluate(p, req(), ctx).decision).toBe('allow');
  });

  test('[]: no child signs', () => {
    const p = compilePolicy({ ...base, derivation: { allowedPaths: [] } });
    expect(evaluate(p, req('m/0'), ctx)).toMatchObject({ decision: 'deny', rule: 'builtin:derivation' });
  });

  test.each(["m/0'", 'm/0h', 'm', 'm/01', 'm/**', 'x/0'])('pattern %s is refused by the schema', (pattern) => {
    expect(policyErrors({ ...base, derivation: { allowedPaths: [pattern] } }).length).toBeGreaterThan(0);
  });

  test('matching: same depth, * for one level', () => {
    expect(derivationAllowed('m/0/5', ['m/0/*'])).toBe(true);
    expect(derivationAllowed('m/0', ['m/0/*', 'm/0'])).toBe(true);
    expect(derivationAllowed('m/0', [])).toBe(false);
    expect(derivationAllowed('m/0', undefined)).toBe(true);
  });
});
