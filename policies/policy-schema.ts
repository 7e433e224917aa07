// JSON Schema (draft 2020-12) of the Tutti signing-policy language, version 1 — adapted from
// the signing-policy research note's schema, as docs/policies.md "The document" and "Differences from the research proposal" describe it.
// Unknown properties are rejected everywhere so that a typo (`chainID`) can never silently drop a
// constraint. A JSON copy for other tools lives in policies/schema/policy.schema.json; a test keeps
// the two identical. Semantic checks JSON Schema cannot express are in compile.ts. The key specs and
// signing algorithms are those of the one table (protocols/core/key-specs.ts).
import { KEY_SPEC_NAMES, SIGNING_ALGORITHM_NAMES } from '../protocols/core/key-specs.ts';

export const POLICY_LANGUAGE = 'tutti-signing-policy/1';

const strList = (items: object, maxItems = 1024) => ({ type: 'array', minItems: 1, maxItems, uniqueItems: true, items });
const inSet = (items: object, maxItems = 1024) => ({
  type: 'object',
  additionalProperties: false,
  required: ['in'],
  properties: { in: strList(items, maxItems) },
});

export const POLICY_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'urn:tutti:signing-policy:1',
  title: 'Tutti per-key signing policy, language version 1',
  description: 'Deny-by-default rule list that every party evaluates on its own before it contributes to a signature.',
  type: 'object',
  additionalProperties: false,
  required: ['policyLanguage', 'keyBinding', 'defaultEffect', 'governance', 'rules'],
  properties: {
    policyLanguage: { const: POLICY_LANGUAGE },
    description: { type: 'string', maxLength: 1024 },
    keyBinding: {
      type: 'object',
      additionalProperties: false,
      required: ['keySpec'],
      properties: { keyId: { $ref: '#/$defs/keyId' }, keySpec: { enum: [...KEY_SPEC_NAMES] } },
    },
    defaultEffect: { const: 'deny' },
    limits: { type: 'object', additionalProperties: false, properties: { maxMessageBytes: { type: 'integer', minimum: 1, maximum: 1048576 } } },
    approvers: { type: 'array', maxItems: 64, items: { $ref: '#/$defs/approver' } },
    governance: {
      type: 'object',
      additionalProperties: false,
      required: ['changeApprovals'],
      properties: {
        changeApprovals: { $ref: '#/$defs/approvalRequirement' },
        reshareApprovals: { $ref: '#/$defs/approvalRequirement' },
        activationDelaySeconds: { type: 'integer', minimum: 0, maximum: 2592000 },
      },
    },
    keyRateLimits: { type: 'array', minItems: 1, maxItems: 8, items: { $ref: '#/$defs/rateLimit' } },
    // Which child keys (non-hardened HD paths, docs/protocols.md "HD derivation") may be derived from
    // this key and sign under it: each level a decimal index or '*'. Absent: every path; []: none.
    derivation: {
      type: 'object',
      additionalProperties: false,
      required: ['allowedPaths'],
      properties: { allowedPaths: { type: 'array', maxItems: 64, items: { type: 'string', pattern: '^m(/(\\*|0|[1-9][0-9]{0,9})){1,16}$' } } },
    },
    rules: { type: 'array', maxItems: 256, items: { $ref: '#/$defs/rule' } },
  },
  $defs: {
    keyId: { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' },
    hash32: { type: 'string', pattern: '^0x[0-9a-f]{64}$' },
    hexBytes: { type: 'string', pattern: '^0x([0-9a-f]{2})*$', maxLength: 16386 },
    evmAddress: { type: 'string', pattern: '^0x[0-9a-f]{40}$', description: 'Lower-case only; the engine lower-cases what it parses, never the policy.' },
    selector: { type: 'string', pattern: '^0x[0-9a-f]{8}$' },
    uintDec: { type: 'string', pattern: '^(0|[1-9][0-9]{0,77})$', description: 'Unsigned integer as a decimal string; JSON numbers are not used for amounts.' },
    solanaPubkey: { type: 'string', pattern: '^[1-9A-HJ-NP-Za-km-z]{32,44}$' },
    utcTimestamp: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' },
    ruleId: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' },
    approverId: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,62}$' },
    pattern: { type: 'string', minLength: 1, maxLength: 512, description: 'Whole-text pattern, linear-time subset of ECMAScript regex (policies/pattern.ts).' },
    approver: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'scheme', 'publicKey'],
      properties: {
        id: { $ref: '#/$defs/approverId' },
        scheme: { enum: ['ed25519', 'secp256k1'] },
        publicKey: { $ref: '#/$defs/hexBytes', description: 'ed25519: 32 bytes; secp256k1: 33-byte compressed SEC1.' },
        label: { type: 'string', maxLength: 128 },
      },
    },
    approvalRequirement: {
      type: 'object',
      additionalProperties: false,
      required: ['threshold', 'approvers'],
      properties: {
        threshold: { type: 'integer', minimum: 1, maximum: 10, description: 'At most 10: Sign carries at most 10 GrantTokens.' },
        approvers: { type: 'array', minItems: 1, maxItems: 64, uniqueItems: true, items: { $ref: '#/$defs/approverId' } },
        maxAgeSeconds: { type: 'integer', minimum: 1, maximum: 604800 },
      },
    },
    rateLimit: {
      type: 'object',
      additionalProperties: false,
      required: ['count', 'windowSeconds'],
      properties: { count: { type: 'integer', minimum: 1, maximum: 1000000000 }, windowSeconds: { type: 'integer', minimum: 1, maximum: 31536000 } },
    },
    stringSet: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      maxProperties: 1,
      properties: { in: strList({ type: 'string', maxLength: 256 }), notIn: strList({ type: 'string', maxLength: 256 }) },
    },
    addressSet: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      maxProperties: 1,
      properties: { in: strList({ $ref: '#/$defs/evmAddress' }, 4096), notIn: strList({ $ref: '#/$defs/evmAddress' }, 4096) },
    },
    uintSet: inSet({ $ref: '#/$defs/uintDec' }, 256),
    uintRange: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: { min: { $ref: '#/$defs/uintDec' }, max: { $ref: '#/$defs/uintDec' } },
    },
    lengthRange: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: { min: { type: 'integer', minimum: 0, maximum: 1048576 }, max: { type: 'integer', minimum: 0, maximum: 1048576 } },
    },
    valueConstraint: {
      description:
        'One comparison on one decoded value. Numbers compare as unsigned/signed bigints; addresses and bytes as lower-case 0x-hex; other strings as exact text.',
      type: 'object',
      additionalProperties: false,
      required: ['op'],
      properties: {
        op: { enum: ['eq', 'neq', 'in', 'notIn', 'lt', 'lte', 'gt', 'gte'] },
        value: { type: 'string', maxLength: 256 },
        values: strList({ type: 'string', maxLength: 256 }, 4096),
      },
      if: { properties: { op: { enum: ['in', 'notIn'] } } },
      then: { required: ['values'], not: { required: ['value'] } },
      else: { required: ['value'], not: { required: ['values'] } },
    },
    typedFieldConstraint: {
      type: 'object',
      additionalProperties: false,
      required: ['path', 'op'],
      properties: {
        path: {
          type: 'string',
          maxLength: 256,
          pattern: '^[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*|\\[\\*\\]|\\[[0-9]{1,4}\\])*$',
          description: 'Path into the decoded message (walks the EIP-712 types, never raw JSON keys). [*]: every element must satisfy the constraint.',
        },
        op: { enum: ['eq', 'neq', 'in', 'notIn', 'lt', 'lte', 'gt', 'gte', 'minCount', 'maxCount'] },
        value: { type: 'string', maxLength: 256 },
        values: strList({ type: 'string', maxLength: 256 }, 4096),
      },
      if: { properties: { op: { enum: ['in', 'notIn'] } } },
      then: { required: ['values'], not: { required: ['value'] } },
      else: { required: ['value'], not: { required: ['values'] } },
    },
    abiArgConstraint: {
      type: 'object',
      additionalProperties: false,
      required: ['selector', 'abi'],
      properties: {
        selector: { $ref: '#/$defs/selector' },
        abi: {
          description: 'Static head-only types; calldata must be exactly 4 + 32*n bytes, every word canonically padded.',
          type: 'array',
          maxItems: 16,
          items: {
            type: 'string',
            pattern:
              '^(address|bool|bytes(3[0-2]|[12][0-9]|[1-9])|uint(8|16|24|32|40|48|56|64|72|80|88|96|104|112|120|128|136|144|152|160|168|176|184|192|200|208|216|224|232|240|248|256))$',
          },
        },
        args: {
          type: 'array',
          maxItems: 16,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['index', 'constraint'],
            properties: { index: { type: 'integer', minimum: 0, maximum: 15 }, constraint: { $ref: '#/$defs/valueConstraint' } },
          },
        },
      },
    },
    byteField: {
      type: 'object',
      additionalProperties: false,
      required: ['offset', 'length'],
      minProperties: 3,
      maxProperties: 3,
      properties: {
        offset: { type: 'integer', minimum: 0, maximum: 1048576 },
        length: { type: 'integer', minimum: 1, maximum: 4096 },
        equalsHex: { $ref: '#/$defs/hexBytes' },
        oneOfHex: strList({ $ref: '#/$defs/hexBytes' }, 256),
        uintBigEndian: { $ref: '#/$defs/uintRange' },
      },
    },
    formatRaw: {
      type: 'object',
      additionalProperties: false,
      required: ['kind'],
      properties: {
        kind: { const: 'raw' },
        length: { $ref: '#/$defs/lengthRange' },
        layout: { type: 'array', minItems: 1, maxItems: 64, items: { $ref: '#/$defs/byteField' } },
        utf8Pattern: { $ref: '#/$defs/pattern' },
        sequence: {
          description: 'Anti-equivocation: the big-endian integer at this field must be strictly greater than the last one this party signed under this rule.',
          type: 'object',
          additionalProperties: false,
          required: ['offset', 'length', 'mode'],
          properties: {
            offset: { type: 'integer', minimum: 0, maximum: 1048576 },
            length: { type: 'integer', minimum: 1, maximum: 32 },
            mode: { const: 'strictlyIncreasing' },
          },
        },
      },
    },
    formatEip191: {
      type: 'object',
      additionalProperties: false,
      required: ['kind'],
      properties: { kind: { const: 'eip191' }, length: { $ref: '#/$defs/lengthRange' }, utf8Pattern: { $ref: '#/$defs/pattern' } },
    },
    formatEip712: {
      type: 'object',
      additionalProperties: false,
      required: ['kind'],
      properties: {
        kind: { const: 'eip712' },
        domain: {
          type: 'object',
          additionalProperties: false,
          properties: {
            fields: {
              description:
                'EIP712Domain must list exactly these fields (canonical EIP-712 order). Guards against constraints on domain values that are not hashed.',
              type: 'array',
              minItems: 1,
              maxItems: 5,
              uniqueItems: true,
              items: { enum: ['name', 'version', 'chainId', 'verifyingContract', 'salt'] },
            },
            name: { $ref: '#/$defs/stringSet' },
            version: { $ref: '#/$defs/stringSet' },
            chainId: { $ref: '#/$defs/uintSet' },
            verifyingContract: { $ref: '#/$defs/addressSet' },
            salt: inSet({ $ref: '#/$defs/hash32' }, 64),
          },
        },
        primaryType: { $ref: '#/$defs/stringSet' },
        typeHash: inSet({ $ref: '#/$defs/hash32' }, 64),
        message: { type: 'array', minItems: 1, maxItems: 64, items: { $ref: '#/$defs/typedFieldConstraint' } },
      },
    },
    formatEvmTransaction: {
      type: 'object',
      additionalProperties: false,
      required: ['kind'],
      properties: {
        kind: { const: 'evmTransaction' },
        txTypes: inSet({ enum: ['legacyEip155', 'eip2930', 'eip1559'] }, 3),
        chainId: { $ref: '#/$defs/uintSet' },
        to: { $ref: '#/$defs/addressSet' },
        contractCreation: {
          enum: ['excluded', 'included', 'only'],
          description: 'Whether the rule covers transactions with an empty `to`. Default: excluded for allow rules, included for deny rules.',
        },
        value: { $ref: '#/$defs/uintRange' },
        gasLimit: { $ref: '#/$defs/uintRange' },
        maxFeePerGas: { $ref: '#/$defs/uintRange', description: 'gasPrice for legacy / EIP-2930' },
        nonce: { $ref: '#/$defs/uintRange' },
        accessList: { enum: ['mustBeEmpty', 'any'] },
        data: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: {
            allowEmpty: { type: 'boolean' },
            maxBytes: { type: 'integer', minimum: 0, maximum: 1048576 },
            selectors: inSet({ $ref: '#/$defs/selector' }),
            abi: { type: 'array', minItems: 1, maxItems: 64, items: { $ref: '#/$defs/abiArgConstraint' } },
          },
        },
      },
    },
    formatSolanaMessage: {
      type: 'object',
      additionalProperties: false,
      required: ['kind'],
      properties: {
        kind: { const: 'solanaMessage' },
        versions: inSet({ enum: ['legacy', 'v0'] }, 2),
        programs: {
          type: 'object',
          additionalProperties: false,
          required: ['allowlist'],
          properties: { allowlist: strList({ $ref: '#/$defs/solanaPubkey' }, 256) },
        },
        addressLookupTables: { enum: ['deny', 'allowForNonProgramAccounts'] },
        maxInstructions: { type: 'integer', minimum: 1, maximum: 64 },
        signingKeyMustBeFeePayer: { type: 'boolean' },
      },
    },
    format: {
      type: 'object',
      discriminator: { propertyName: 'kind' },
      required: ['kind'],
      oneOf: [
        { $ref: '#/$defs/formatRaw' },
        { $ref: '#/$defs/formatEip191' },
        { $ref: '#/$defs/formatEip712' },
        { $ref: '#/$defs/formatEvmTransaction' },
        { $ref: '#/$defs/formatSolanaMessage' },
      ],
    },
    conditions: {
      description:
        'All present conditions must hold (AND). An absent condition does not constrain, except format: a rule without one covers raw bytes and DIGEST only.',
      type: 'object',
      additionalProperties: false,
      properties: {
        signingAlgorithm: inSet({ enum: [...SIGNING_ALGORITHM_NAMES] }, SIGNING_ALGORITHM_NAMES.length),
        messageType: inSet({ enum: ['RAW', 'DIGEST'] }, 2),
        messageBytes: { $ref: '#/$defs/lengthRange' },
        format: { $ref: '#/$defs/format' },
        caller: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: {
            accessKeyIds: inSet({ type: 'string', pattern: '^[A-Z0-9]{16,128}$' }),
            principals: inSet({ type: 'string', minLength: 1, maxLength: 2048 }),
            identityVerifiedBy: {
              description: 'party: every party verified the caller itself; frontEnd: asserted by the gateway (weaker).',
              enum: ['party', 'frontEnd'],
            },
          },
        },
        time: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: {
            notBefore: { $ref: '#/$defs/utcTimestamp' },
            notAfter: { $ref: '#/$defs/utcTimestamp' },
            utcWindows: {
              type: 'array',
              minItems: 1,
              maxItems: 32,
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['isoWeekdays', 'start', 'end'],
                properties: {
                  isoWeekdays: { type: 'array', minItems: 1, maxItems: 7, uniqueItems: true, items: { type: 'integer', minimum: 1, maximum: 7 } },
                  start: { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' },
                  end: { type: 'string', pattern: '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$' },
                },
              },
            },
          },
        },
      },
    },
    rule: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'effect', 'conditions'],
      properties: {
        id: { $ref: '#/$defs/ruleId' },
        description: { type: 'string', maxLength: 512 },
        effect: { enum: ['allow', 'deny'] },
        conditions: { $ref: '#/$defs/conditions' },
        approvals: { $ref: '#/$defs/approvalRequirement' },
        rateLimits: { type: 'array', minItems: 1, maxItems: 4, items: { $ref: '#/$defs/rateLimit' } },
        onRateLimitExhausted: { enum: ['deny', 'continue'] },
      },
      allOf: [
        { if: { properties: { effect: { const: 'deny' } } }, then: { properties: { approvals: false, rateLimits: false, onRateLimitExhausted: false } } },
        {
          if: { properties: { effect: { const: 'allow' } } },
          then: { properties: { conditions: { anyOf: [{ required: ['format'] }, { required: ['messageType'] }] } } },
        },
        {
          if: { properties: { effect: { const: 'allow' }, conditions: { properties: { format: { properties: { kind: { const: 'evmTransaction' } } } } } } },
          then: { properties: { conditions: { properties: { format: { required: ['txTypes', 'chainId'] } } } } },
        },
        {
          if: { properties: { effect: { const: 'allow' }, conditions: { properties: { format: { properties: { kind: { const: 'eip712' } } } } } } },
          then: {
            properties: { conditions: { properties: { format: { required: ['domain', 'primaryType'], properties: { domain: { required: ['fields'] } } } } } },
          },
        },
      ],
    },
  },
} as const;
