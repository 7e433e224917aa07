// solanaMessage conditions: versions, address lookup tables, program list (allow: every instruction;
// deny: any instruction),
// instruction count, and whether the signing key pays the fee (account 0).
import type { SolanaMessage } from '../decoders/solana-message.ts';
import { base58Encode } from '../decoders/base58.ts';
import type { SolanaMessageFormat } from '../types.ts';
import { fails, firstMiss, unknown, type Verdict } from './verdict.ts';

const keyHex = (k: Uint8Array): string => Array.from(k, (x) => x.toString(16).padStart(2, '0')).join('');

export function solanaVerdict(
  f: SolanaMessageFormat,
  programs: ReadonlySet<string> | null,
  m: SolanaMessage,
  publicKey: Uint8Array | undefined,
  effect: 'allow' | 'deny',
): Verdict {
  const tables = f.addressLookupTables ?? (effect === 'allow' ? 'deny' : 'allowForNonProgramAccounts');
  return firstMiss(
    () => (f.versions && !(f.versions.in as string[]).includes(m.version) ? fails(`message version ${m.version} is not allowed`) : null),
    () => (tables === 'deny' && m.lookups.length > 0 ? fails('address lookup tables are not allowed') : null),
    () => {
      // No `programs`: any program (the default policy's blind Solana rule, policies/default-policy.ts).
      if (programs === null) return null;
      // In an allow rule the list is an allowlist: every instruction's program must be in it. In a
      // deny rule it is a blocklist: the rule applies when *any* instruction calls a listed
      // program, so one harmless System Program instruction cannot hide a forbidden call (the same
      // polarity as `[*]` in deny rules, docs/policies.md "solanaMessage").
      if (effect === 'deny') {
        return m.programIds.some((p) => programs.has(keyHex(p))) ? null : fails('no instruction calls a listed program');
      }
      const bad = m.programIds.find((p) => !programs.has(keyHex(p)));
      return bad ? fails(`program ${base58Encode(bad)} is not in the allowlist`) : null;
    },
    () =>
      f.maxInstructions !== undefined && m.instructions.length > f.maxInstructions
        ? fails(`${m.instructions.length} instructions, at most ${f.maxInstructions}`)
        : null,
    () => {
      if (!f.signingKeyMustBeFeePayer) return null;
      if (!publicKey) return unknown("the key's public key was not supplied, so the fee payer cannot be checked");
      return keyHex(publicKey) === keyHex(m.accountKeys[0]!) ? null : fails('the signing key is not the fee payer');
    },
  );
}
