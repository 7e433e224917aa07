// The policy language's schema and install-time checks: the four example policies validate, every
// mutation the signing-policy research tried on its schema (adapted to this language) is refused, and the JSON copy of the schema
// for other tools is the schema the engine uses.
import { readFileSync } from 'node:fs';
import { compilePolicy, policyErrors, PolicyInvalid } from '../../policies/compile.ts';
import { policyHash } from '../../policies/hash.ts';
import { canonicalize } from '../../policies/jcs.ts';
import { POLICY_SCHEMA } from '../../policies/policy-schema.ts';
import type { PolicyDocument } from '../../policies/types.ts';
import { fixture } from './support/requests.ts';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const edit = (name: string, f: (d: Doc) => void): Doc => {
  const d = JSON.parse(JSON.stringify(fixture(name))) as Doc;
  f(d);
  return d;
};

describe('policy schema', () => {
  test.each(['evm-payout', 'safe-owner', 'solana-waas', 'ed448-rewards'])('%s validates', (name) => {
    expect(policyErrors(fixture(name))).toEqual([]);
  });

  test('policies/schema/policy.schema.json is POLICY_SCHEMA', () => {
    const file = JSON.parse(readFileSync(new URL('../../policies/schema/policy.schema.json', import.meta.url), 'utf8')) as unknown;
    expect(file).toEqual(JSON.parse(JSON.stringify(POLICY_SCHEMA)));
  });

  const mutations: Array<[string, Doc, RegExp]> = [
    [
      'EIP-712 allow rule without domain.fields',
      edit('safe-owner', (d) => {
        delete d.rules[1].conditions.format.domain.fields;
        delete d.rules[1].conditions.format.domain.chainId;
        delete d.rules[1].conditions.format.domain.verifyingContract;
      }),
      /must have required property 'fields'/,
    ],
    [
      'EVM allow rule without chainId',
      edit('evm-payout', (d) => {
        delete d.rules[2].conditions.format.chainId;
      }),
      /must have required property 'chainId'/,
    ],
    [
      'allow rule with only a caller condition',
      edit('evm-payout', (d) => {
        d.rules.push({ id: 'x', effect: 'allow', conditions: { caller: { accessKeyIds: { in: ['AKIAEXAMPLEPAYOUT001'] } } } });
      }),
      /must have required property 'format'/,
    ],
    [
      'amount as a JSON number',
      edit('evm-payout', (d) => {
        d.rules[3].conditions.format.value.max = 1;
      }),
      /value\/max must be string/,
    ],
    [
      'typed-data path "to; drop"',
      edit('safe-owner', (d) => {
        d.rules[1].conditions.format.message[1].path = 'to; drop';
      }),
      /path must match pattern/,
    ],
    [
      'checksummed address',
      edit('evm-payout', (d) => {
        d.rules[2].conditions.format.to.in = ['0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48'];
      }),
      /must match pattern/,
    ],
    [
      'defaultEffect allow',
      edit('evm-payout', (d) => {
        d.defaultEffect = 'allow';
      }),
      /defaultEffect must be equal to constant/,
    ],
    [
      'approvals on a deny rule',
      edit('evm-payout', (d) => {
        d.rules[0].approvals = { threshold: 1, approvers: ['cfo'] };
      }),
      /approvals boolean schema is false/,
    ],
    [
      'same approver twice in changeApprovals',
      edit('evm-payout', (d) => {
        d.governance.changeApprovals.approvers = ['cfo', 'cfo'];
      }),
      /must NOT have duplicate items/,
    ],
    [
      'time window with a timezone',
      edit('evm-payout', (d) => {
        d.rules[3].conditions.time.utcWindows[0].timezone = 'Europe/Berlin';
      }),
      /must NOT have additional properties 'timezone'/,
    ],
    [
      'chainID misspelled',
      edit('evm-payout', (d) => {
        const f = d.rules[2].conditions.format;
        f.chainID = f.chainId;
        delete f.chainId;
      }),
      /chainId/,
    ],
    [
      'unknown algorithm ECDSA_SHA3_256',
      edit('evm-payout', (d) => {
        d.rules[2].conditions.signingAlgorithm.in.push('ECDSA_SHA3_256');
      }),
      /must be equal to one of the allowed values/,
    ],
    [
      'format kind cosmosTx',
      edit('evm-payout', (d) => {
        d.rules[2].conditions.format.kind = 'cosmosTx';
      }),
      /tag "kind"/,
    ],
    [
      'json format (not in language v1)',
      edit('ed448-rewards', (d) => {
        d.rules[0].conditions.format = { kind: 'json', schema: {} };
      }),
      /tag "kind"/,
    ],
    [
      'unknown top-level field',
      edit('evm-payout', (d) => {
        d.revision = 1;
      }),
      /must NOT have additional properties 'revision'/,
    ],
    [
      'approval threshold above 10 (GrantTokens limit)',
      edit('evm-payout', (d) => {
        d.rules[4].approvals.threshold = 11;
      }),
      /must be <= 10/,
    ],
    // semantic checks (compile.ts)
    [
      'duplicate rule ids',
      edit('evm-payout', (d) => {
        d.rules[3].id = 'usdc-payouts';
      }),
      /rule id is used twice/,
    ],
    [
      'threshold above the approver count',
      edit('evm-payout', (d) => {
        d.rules[4].approvals = { threshold: 3, approvers: ['cfo', 'sec-officer'] };
      }),
      /threshold 3 exceeds 2/,
    ],
    [
      'unknown approver id',
      edit('evm-payout', (d) => {
        d.rules[4].approvals.approvers = ['cfo', 'ceo'];
      }),
      /'ceo' is not in approvers/,
    ],
    [
      'invalid ed25519 public key',
      edit('evm-payout', (d) => {
        d.approvers[1].publicKey = '0x11bb';
      }),
      /not a valid ed25519 key/,
    ],
    [
      'secp256k1 key uncompressed',
      edit('evm-payout', (d) => {
        d.approvers[0].publicKey = '0x04' + 'aa'.repeat(64);
      }),
      /not a valid secp256k1 key/,
    ],
    [
      'notBefore after notAfter',
      edit('evm-payout', (d) => {
        d.rules[3].conditions.time = { notBefore: '2026-01-02T00:00:00Z', notAfter: '2026-01-01T00:00:00Z' };
      }),
      /notBefore must be before notAfter/,
    ],
    [
      'February 30',
      edit('evm-payout', (d) => {
        d.rules[3].conditions.time = { notBefore: '2026-02-30T00:00:00Z' };
      }),
      /not a real date/,
    ],
    [
      'window that ends before it starts',
      edit('evm-payout', (d) => {
        d.rules[3].conditions.time.utcWindows[0].end = '06:00';
      }),
      /start before it ends/,
    ],
    [
      'pattern with a back-reference',
      edit('evm-payout', (d) => {
        d.rules[5].conditions.format.utf8Pattern = '(a)\\1';
      }),
      /utf8Pattern/,
    ],
    [
      'EVM format on an Ed25519 key',
      edit('solana-waas', (d) => {
        d.rules[0].conditions.format = { kind: 'evmTransaction', txTypes: { in: ['eip1559'] }, chainId: { in: ['1'] } };
      }),
      /cannot be signed by a ECC_NIST_EDWARDS25519 key/,
    ],
    [
      'algorithm of another key spec',
      edit('ed448-rewards', (d) => {
        d.rules[0].conditions.signingAlgorithm.in = ['ED25519_SHA_512'];
      }),
      /not an algorithm of ECC_NIST_EDWARDS448/,
    ],
    [
      'domain value constrained but not hashed',
      edit('safe-owner', (d) => {
        d.rules[1].conditions.format.domain.name = { in: ['Safe'] };
      }),
      /domain.name is constrained but not in domain.fields/,
    ],
    [
      'layout bytes of the wrong length',
      edit('ed448-rewards', (d) => {
        d.rules[0].conditions.format.layout[0].equalsHex = '0x5152';
      }),
      /is not 4 bytes/,
    ],
    [
      'lte on an address argument',
      edit('evm-payout', (d) => {
        d.rules[2].conditions.format.data.abi[0].args[0].index = 0;
      }),
      /lte needs a uint argument/,
    ],
    [
      'program id that is not base58 of 32 bytes',
      edit('solana-waas', (d) => {
        d.rules[0].conditions.format.programs.allowlist.push('z'.repeat(44));
      }),
      /not a 32-byte base58 key/,
    ],
  ];
  test.each(mutations)('refuses: %s', (_name, doc, message) => {
    const errors = policyErrors(doc);
    expect(errors.join('\n')).toMatch(message);
    expect(() => compilePolicy(doc)).toThrow(PolicyInvalid);
  });
});

describe('policy hash (SHA-256 over "tutti-signing-policy/1\\n" ‖ JCS)', () => {
  test('independent of key order and whitespace, sensitive to every value', () => {
    const doc = fixture('evm-payout');
    const reverse = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(reverse)
        : v && typeof v === 'object'
          ? Object.fromEntries(
              Object.entries(v)
                .reverse()
                .map(([k, x]) => [k, reverse(x)]),
            )
          : v;
    const shuffled = reverse(doc) as PolicyDocument;
    expect(JSON.stringify(shuffled)).not.toBe(JSON.stringify(doc));
    expect(policyHash(shuffled)).toBe(policyHash(doc));
    expect(
      policyHash(
        edit('evm-payout', (d) => {
          d.rules[2].rateLimits[0].count = 101;
        }),
      ),
    ).not.toBe(policyHash(doc));
    expect(policyHash(doc)).toMatch(/^0x[0-9a-f]{64}$/);
    expect(compilePolicy(doc).hash).toBe(policyHash(doc));
  });

  test('the hash input is the documented byte string', async () => {
    const { sha256 } = await import('@noble/hashes/sha2.js');
    const doc = fixture('solana-waas');
    const expected = Buffer.from(sha256(new TextEncoder().encode(`tutti-signing-policy/1\n${canonicalize(doc)}`))).toString('hex');
    expect(policyHash(doc)).toBe(`0x${expected}`);
  });
});
