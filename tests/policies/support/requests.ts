// Default requests and contexts for the table-driven tests (the preamble of the research cases, docs/policies.md: unexpired,
// verified caller AKIAEXAMPLEPAYOUT001, a weekday at 10:00 UTC).
import { readFileSync } from 'node:fs';
import { compilePolicy, type CompiledPolicy } from '../../../policies/compile.ts';
import type { EvaluationContext, PolicyDocument, SignRequest } from '../../../policies/types.ts';

/** Wednesday 2025-06-04 10:00:00 UTC. */
export const WEDNESDAY_10 = Date.UTC(2025, 5, 4, 10, 0, 0);
/** Saturday 2025-06-07 10:00:00 UTC. */
export const SATURDAY_10 = Date.UTC(2025, 5, 7, 10, 0, 0);

export function fixture(name: string): PolicyDocument {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}.json`, import.meta.url), 'utf8')) as PolicyDocument;
}

export const POLICIES: Record<string, CompiledPolicy> = {
  'P-EVM': compilePolicy(fixture('evm-payout')),
  'P-SAFE': compilePolicy(fixture('safe-owner')),
  'P-SOL': compilePolicy(fixture('solana-waas')),
  'P-ED448': compilePolicy(fixture('ed448-rewards')),
};

const KEY_SPECS: Record<string, string> = {
  'P-EVM': 'ECC_SECG_P256K1',
  'P-SAFE': 'ECC_SECG_P256K1',
  'P-SOL': 'ECC_NIST_EDWARDS25519',
  'P-ED448': 'ECC_NIST_EDWARDS448',
};
const ALGORITHMS: Record<string, string> = {
  'P-EVM': 'ECDSA_KECCAK_256',
  'P-SAFE': 'ECDSA_KECCAK_256',
  'P-SOL': 'ED25519_SHA_512',
  'P-ED448': 'ED448_SHAKE_256',
};

export function request(policy: string, message: Uint8Array, over: Partial<SignRequest> = {}): SignRequest {
  return {
    keyId: POLICIES[policy]!.document.keyBinding.keyId!,
    keySpec: KEY_SPECS[policy]!,
    signingAlgorithm: ALGORITHMS[policy]!,
    messageType: 'RAW',
    message,
    caller: {
      accessKeyId: policy === 'P-ED448' ? 'AKIANODEOPERATOR0001' : 'AKIAEXAMPLEPAYOUT001',
      principal: 'arn:aws:iam::111122223333:user/payout',
      verifiedBy: 'party',
    },
    ...over,
  };
}

/** A context whose counters are a map scope → timestamps of earlier charges. */
export function context(now = WEDNESDAY_10, charges: Record<string, number[]> = {}, sequence: Record<string, bigint> = {}): EvaluationContext {
  return {
    now,
    rateLimitCounts: (scope, windowMs) => (charges[scope] ?? []).filter((t) => t > now - windowMs && t <= now).length,
    sequenceHighWater: (ruleId) => sequence[ruleId],
  };
}
