// Conditions that used to fail open (issue 11, items 3, 9 and 14; docs/security.md "What a policy
// enforces"): an EVM rule's `data.abi` without `selectors`, `[*]` in an EIP-712 deny rule, and an
// EIP-712 string with a lone surrogate. Each test is named after the attack it stops; each one
// allowed (or wrongly denied) before the fix.
import { describe, expect, test } from '@jest/globals';
import { compilePolicy, policyErrors, type CompiledPolicy } from '../../policies/compile.ts';
import { evaluate } from '../../policies/evaluate.ts';
import type { EvmTransactionFormat, Rule, TypedFieldConstraint } from '../../policies/types.ts';
import { jsonBytes } from './support/eip712.ts';
import { baseTx, eip1559, eip2930, legacy155, PAYEE, transferData, TREASURY, USDC, type Tx1559 } from './support/evm.ts';
import { context, fixture, request } from './support/requests.ts';
import { filled, message as solMessage, SYSTEM_PROGRAM, transfer } from './support/solana.ts';
import { base58Encode } from '../../policies/decoders/base58.ts';

const word = (h: string): string => h.replace(/^0x/, '').padStart(64, '0');
const MAX = (1n << 256n) - 1n;
const approveData = (spender: string, amount: bigint): string => `0x095ea7b3${word(spender)}${word(amount.toString(16))}`;
const TRANSFER = '0xa9059cbb';
const APPROVE = '0x095ea7b3';

const withRules = (...rules: Rule[]): CompiledPolicy => compilePolicy({ ...fixture('evm-payout'), rules });
const decide = (p: CompiledPolicy, message: Uint8Array) => evaluate(p, request('P-EVM', message), context());
const tx = (over: Partial<Tx1559> = {}): Uint8Array => eip1559(baseTx(over));

/** An EVM allow rule with the two conditions every EVM allow rule needs, plus `extra`. */
const evmAllow = (extra: Partial<EvmTransactionFormat>, id = 'evm'): Rule => ({
  id,
  effect: 'allow',
  conditions: { format: { kind: 'evmTransaction', txTypes: { in: ['eip1559'] }, chainId: { in: ['1'] }, ...extra } },
});
const capTransfers = { selector: TRANSFER, abi: ['address', 'uint256'], args: [{ index: 1, constraint: { op: 'lte' as const, value: '1000' } }] };

describe('approve(spender, 2^256 − 1) through a rule that caps transfer amounts with data.abi and no selectors', () => {
  const p = withRules(evmAllow({ to: { in: [USDC] }, value: { max: '0' }, data: { abi: [capTransfers] } }));

  test('a transfer within the cap is allowed, one above it is not', () => {
    expect(decide(p, tx({ data: transferData(PAYEE, 1000n) }))).toMatchObject({ decision: 'allow', rule: 'evm' });
    expect(decide(p, tx({ data: transferData(PAYEE, 1001n) }))).toMatchObject({
      code: 'NO_MATCHING_ALLOW',
      reasons: [expect.stringMatching(/argument 1 of 0xa9059cbb 1001 is not lte 1000/)],
    });
  });

  test.each([
    ['approve(spender, MAX)', approveData(PAYEE, MAX)],
    ['transferFrom(owner, to, MAX)', `0x23b872dd${word(PAYEE)}${word(PAYEE)}${word(MAX.toString(16))}`],
    ['an unknown selector with no arguments', '0xdeadbeef'],
  ])('%s is refused: an ABI restricts the rule to its functions', (_name, data) => {
    expect(decide(p, tx({ data }))).toMatchObject({
      decision: 'deny',
      code: 'NO_MATCHING_ALLOW',
      reasons: [expect.stringMatching(/is not one of the rule's ABI functions/)],
    });
  });

  test('calldata without a selector, and empty calldata, are refused', () => {
    expect(decide(p, tx({ data: '0x010203' })).code).toBe('NO_MATCHING_ALLOW');
    expect(decide(p, tx({ data: '0x' })).code).toBe('NO_MATCHING_ALLOW');
  });

  test('in a deny rule an ABI also names only its functions: "deny large transfers" does not deny approve', () => {
    const q = withRules(
      {
        id: 'deny-large-transfers',
        effect: 'deny',
        conditions: { format: { kind: 'evmTransaction', data: { abi: [{ ...capTransfers, args: [{ index: 1, constraint: { op: 'gt', value: '1000' } }] }] } } },
      },
      evmAllow({ to: { in: [USDC] } }),
    );
    expect(decide(q, tx({ data: transferData(PAYEE, 1001n) }))).toMatchObject({ code: 'EXPLICIT_DENY', rule: 'deny-large-transfers' });
    expect(decide(q, tx({ data: transferData(PAYEE, 1000n) }))).toMatchObject({ decision: 'allow', rule: 'evm' });
    expect(decide(q, tx({ data: approveData(PAYEE, 5n) }))).toMatchObject({ decision: 'allow', rule: 'evm' });
  });

  test('an abi entry whose selector is not in data.selectors could never apply: refused at install', () => {
    const doc = { ...fixture('evm-payout'), rules: [evmAllow({ data: { selectors: { in: [APPROVE] }, abi: [capTransfers] } })] };
    expect(policyErrors(doc).join('\n')).toMatch(/selector 0xa9059cbb is not in data.selectors/);
  });
});

describe('every evmTransaction condition: a payload that misses a field the rule names does not match the rule', () => {
  // [condition, rule fields, a payload that satisfies them, a payload that misses, why]
  const rows: Array<[string, Partial<EvmTransactionFormat>, Uint8Array, Uint8Array, RegExp]> = [
    ['txTypes', {}, tx(), eip2930(baseTx()), /transaction type eip2930 is not allowed/],
    ['txTypes (legacy)', {}, tx(), legacy155(baseTx()), /transaction type legacyEip155 is not allowed/],
    ['chainId', {}, tx(), tx({ chainId: 8453n }), /chainId 8453 is not one of 1/],
    ['contractCreation excluded (default)', {}, tx(), tx({ to: '0x', data: '0x6080' }), /contract creation is not allowed/],
    ['contractCreation only', { contractCreation: 'only' }, tx({ to: '0x', data: '0x6080' }), tx(), /contract creation only/],
    ['to in', { to: { in: [USDC] } }, tx(), tx({ to: TREASURY }), /to 0x1111.* is not in the allowed set/],
    ['to notIn', { to: { notIn: [TREASURY] } }, tx(), tx({ to: TREASURY }), /is in the excluded set/],
    [
      'to in, contract creation included',
      { to: { in: [USDC] }, contractCreation: 'included' },
      tx(),
      tx({ to: '0x', data: '0x6080' }),
      /contract creation has no recipient/,
    ],
    ['value max', { value: { max: '0' } }, tx(), tx({ value: 1n }), /value 1 is above 0/],
    ['value min', { value: { min: '1' } }, tx({ value: 1n }), tx(), /value 0 is below 1/],
    ['gasLimit', { gasLimit: { max: '90000' } }, tx(), tx({ gasLimit: 90_001n }), /gasLimit 90001 is above 90000/],
    ['maxFeePerGas', { maxFeePerGas: { max: '30000000000' } }, tx(), tx({ maxFeePerGas: 30_000_000_001n }), /maxFeePerGas 30000000001 is above/],
    ['nonce', { nonce: { min: '7', max: '7' } }, tx(), tx({ nonce: 8n }), /nonce 8 is above 7/],
    ['accessList', { accessList: 'mustBeEmpty' }, tx(), tx({ accessList: [[TREASURY, []]] }), /access list must be empty/],
    ['data.allowEmpty false', { data: { allowEmpty: false } }, tx(), tx({ data: '0x' }), /empty calldata is not allowed/],
    ['data.maxBytes', { data: { maxBytes: 68 } }, tx(), tx({ data: `${transferData(PAYEE, 1n)}00` }), /calldata of 69 bytes is above 68/],
    ['data.selectors', { data: { selectors: { in: [TRANSFER] } } }, tx(), tx({ data: approveData(PAYEE, 1n) }), /selector 0x095ea7b3 is not allowed/],
    ['data.selectors, empty calldata', { data: { selectors: { in: [TRANSFER] } } }, tx(), tx({ data: '0x' }), /empty calldata is not allowed/],
    ['data.selectors, calldata shorter than a selector', { data: { selectors: { in: [TRANSFER] } } }, tx(), tx({ data: '0xa9059c' }), /has no selector/],
    [
      'data.abi, another function',
      { data: { abi: [capTransfers] } },
      tx({ data: transferData(PAYEE, 1n) }),
      tx({ data: approveData(PAYEE, 1n) }),
      /not one of the rule's ABI functions/,
    ],
    [
      'data.abi argument',
      { data: { abi: [capTransfers] } },
      tx({ data: transferData(PAYEE, 1n) }),
      tx({ data: transferData(PAYEE, 1001n) }),
      /argument 1 .* is not lte 1000/,
    ],
    [
      'data.abi, non-canonical calldata',
      { data: { abi: [capTransfers] } },
      tx({ data: transferData(PAYEE, 1n) }),
      tx({ data: `${transferData(PAYEE, 1n)}${'00'.repeat(32)}` }),
      /PARSE_ERROR|NONCANONICAL/,
    ],
    [
      'data.abi and selectors',
      { data: { selectors: { in: [TRANSFER, APPROVE] }, abi: [capTransfers] } },
      tx({ data: transferData(PAYEE, 1n) }),
      tx({ data: approveData(PAYEE, 1n) }),
      /not one of the rule's ABI functions/,
    ],
  ];
  test.each(rows)('%s', (_name, fields, good, bad, why) => {
    const p = withRules(evmAllow(fields));
    expect(decide(p, good)).toMatchObject({ decision: 'allow', rule: 'evm' });
    const d = decide(p, bad);
    expect(d).toMatchObject({ decision: 'deny', code: 'NO_MATCHING_ALLOW' });
    expect(d.reasons.join('\n')).toMatch(why);
  });
});

describe('a recipient blocklist with [*] in a deny rule, bypassed by adding one allowed recipient', () => {
  const BAD = '0x000000000000000000000000000000000000dead';
  const GOOD = '0x4444444444444444444444444444444444444444';
  const OTHER = '0x5555555555555555555555555555555555555555';
  const payout = (recipients: Array<[string, number]>): Uint8Array =>
    jsonBytes({
      types: {
        EIP712Domain: [{ name: 'chainId', type: 'uint256' }],
        Payout: [{ name: 'recipients', type: 'Recipient[]' }],
        Recipient: [
          { name: 'to', type: 'address' },
          { name: 'amount', type: 'uint256' },
        ],
      },
      primaryType: 'Payout',
      domain: { chainId: 1 },
      message: { recipients: recipients.map(([to, amount]) => ({ to, amount })) },
    });
  const policyWith = (deny: TypedFieldConstraint, allow: TypedFieldConstraint[] = []): CompiledPolicy =>
    withRules(
      { id: 'deny-recipients', effect: 'deny', conditions: { format: { kind: 'eip712', message: [deny] } } },
      {
        id: 'payouts',
        effect: 'allow',
        conditions: {
          format: {
            kind: 'eip712',
            domain: { fields: ['chainId'], chainId: { in: ['1'] } },
            primaryType: { in: ['Payout'] },
            ...(allow.length > 0 ? { message: allow } : {}),
          },
        },
      },
    );
  const blocklist = policyWith({ path: 'recipients[*].to', op: 'in', values: [BAD] }, [{ path: 'recipients[*].amount', op: 'lte', value: '1000' }]);

  test.each([
    [
      '[GOOD, BAD] (the bypass) is denied',
      [
        [GOOD, 1],
        [BAD, 1],
      ],
      'EXPLICIT_DENY',
    ],
    [
      '[BAD, GOOD] is denied',
      [
        [BAD, 1],
        [GOOD, 1],
      ],
      'EXPLICIT_DENY',
    ],
    ['[BAD] is denied', [[BAD, 1]], 'EXPLICIT_DENY'],
    ['[GOOD] is allowed', [[GOOD, 1]], 'ALLOW'],
    [
      '[GOOD, OTHER] is allowed',
      [
        [GOOD, 1],
        [OTHER, 1],
      ],
      'ALLOW',
    ],
    ['[] is allowed (nothing to block: no false deny)', [], 'ALLOW'],
  ] as Array<[string, Array<[string, number]>, string]>)('deny rule, [*] means ANY element: %s', (_name, recipients, code) => {
    expect(decide(blocklist, payout(recipients)).code).toBe(code);
  });

  test('allow rule, [*] still means EVERY element: one amount above the cap is enough to miss; [] satisfies', () => {
    expect(
      decide(
        blocklist,
        payout([
          [GOOD, 500],
          [OTHER, 1000],
        ]),
      ),
    ).toMatchObject({ decision: 'allow', rule: 'payouts' });
    const d = decide(
      blocklist,
      payout([
        [GOOD, 500],
        [OTHER, 1001],
      ]),
    );
    expect(d).toMatchObject({ code: 'NO_MATCHING_ALLOW', reasons: [expect.stringMatching(/recipients\[\*\]\.amount 1001 is not lte 1000/)] });
  });

  test('deny rule with notIn: ANY recipient outside the allowlist denies, even beside allowed ones', () => {
    const p = policyWith({ path: 'recipients[*].to', op: 'notIn', values: [GOOD] });
    expect(
      decide(
        p,
        payout([
          [GOOD, 1],
          [OTHER, 1],
        ]),
      ).code,
    ).toBe('EXPLICIT_DENY');
    expect(
      decide(
        p,
        payout([
          [GOOD, 1],
          [GOOD, 2],
        ]),
      ).code,
    ).toBe('ALLOW');
  });

  test('deny rule with a numeric op: ANY amount above the limit denies', () => {
    const p = policyWith({ path: 'recipients[*].amount', op: 'gt', value: '1000' });
    expect(
      decide(
        p,
        payout([
          [GOOD, 1],
          [OTHER, 5000],
        ]),
      ).code,
    ).toBe('EXPLICIT_DENY');
    expect(
      decide(
        p,
        payout([
          [GOOD, 1],
          [OTHER, 1000],
        ]),
      ).code,
    ).toBe('ALLOW');
  });

  test('a fixed index is one element in both polarities', () => {
    const p = policyWith({ path: 'recipients[0].to', op: 'in', values: [BAD] });
    expect(
      decide(
        p,
        payout([
          [GOOD, 1],
          [BAD, 1],
        ]),
      ).code,
    ).toBe('ALLOW');
    expect(
      decide(
        p,
        payout([
          [BAD, 1],
          [GOOD, 1],
        ]),
      ).code,
    ).toBe('EXPLICIT_DENY');
    // recipients[0] of an empty array does not exist: undeterminable, so the deny rule matches.
    expect(decide(p, payout([]))).toMatchObject({ code: 'EXPLICIT_DENY', reasons: [expect.stringMatching(/fail closed/)] });
  });
});

describe('an EIP-712 string with a lone surrogate, hashed as U+FFFD, past a deny rule on the U+FFFD value', () => {
  const typed = (name: string, note = 'hi'): Uint8Array =>
    jsonBytes({
      types: { EIP712Domain: [{ name: 'name', type: 'string' }], Note: [{ name: 'text', type: 'string' }] },
      primaryType: 'Note',
      domain: { name },
      message: { text: note },
    });
  const p = withRules(
    { id: 'deny-evil-domain', effect: 'deny', conditions: { format: { kind: 'eip712', domain: { fields: ['name'], name: { in: ['\ufffd'] } } } } },
    { id: 'notes', effect: 'allow', conditions: { format: { kind: 'eip712', domain: { fields: ['name'] }, primaryType: { in: ['Note'] } } } },
  );

  test('the lone surrogate is refused as PARSE_ERROR (it used to be allowed, with the digest of the denied U+FFFD name)', () => {
    expect(new TextDecoder().decode(typed('\ud800'))).toContain('\\ud800');
    expect(decide(p, typed('\ud800'))).toMatchObject({
      decision: 'deny',
      code: 'PARSE_ERROR',
      rule: 'builtin:decode',
      reasons: [expect.stringMatching(/domain\.name is not well-formed Unicode/)],
    });
    expect(decide(p, typed('\ufffd'))).toMatchObject({ code: 'EXPLICIT_DENY', rule: 'deny-evil-domain' });
  });

  test.each([
    ['a high surrogate alone in a message string', 'pay \ud83d'],
    ['a low surrogate alone', '\ude00 pay'],
    ['a reversed pair', '\ude00\ud83d'],
  ])('%s is refused', (_name, note) => {
    expect(decide(p, typed('ok', note))).toMatchObject({ code: 'PARSE_ERROR', reasons: [expect.stringMatching(/message\.text is not well-formed Unicode/)] });
  });

  test('a well-formed astral character (a surrogate pair) is fine', () => {
    expect(decide(p, typed('ok', 'pay 🙂'))).toMatchObject({ decision: 'allow', rule: 'notes' });
  });
});

describe('a Solana program blocklist in a deny rule, bypassed by adding one System Program instruction', () => {
  const EVIL = filled(0xe7);
  const PAYER = filled(0x11);
  const evilIx = { program: 3, accounts: [0], data: Uint8Array.of(1) };
  const policy = compilePolicy({
    ...fixture('solana-waas'),
    rules: [
      ...fixture('solana-waas').rules.map((r) => ({ ...r, rateLimits: undefined })),
      { id: 'no-evil', effect: 'deny', conditions: { format: { kind: 'solanaMessage', programs: { allowlist: [base58Encode(EVIL)] } } } },
      {
        id: 'any-program',
        effect: 'allow',
        conditions: { messageType: { in: ['RAW'] }, format: { kind: 'solanaMessage', programs: { allowlist: [SYSTEM_PROGRAM, base58Encode(EVIL)] } } },
      },
    ],
  } as never);
  const sign = (m: Uint8Array) => evaluate(policy, request('P-SOL', m, { publicKey: PAYER }), context());

  test('a transfer plus an instruction calling the blocked program is denied by the deny rule', () => {
    const m = transfer(PAYER, 1_000_000n, [evilIx], [EVIL]);
    expect(sign(m)).toMatchObject({ decision: 'deny', code: 'EXPLICIT_DENY', rule: 'no-evil' });
  });
  test('the blocked program alone is denied too', () => {
    const m = solMessage({ keys: [PAYER, filled(0x22), EVIL], instructions: [{ program: 2, accounts: [0], data: Uint8Array.of(1) }] });
    expect(sign(m)).toMatchObject({ decision: 'deny', code: 'EXPLICIT_DENY', rule: 'no-evil' });
  });
  test('a plain transfer calls no blocked program and is allowed', () => {
    expect(sign(transfer(PAYER))).toMatchObject({ decision: 'allow', code: 'ALLOW' });
  });
});
