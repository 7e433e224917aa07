// The key-policy engine, table-driven: which documents are refused, and which requests each
// policy allows, denies explicitly or leaves implicitly denied.
import { describe, expect, test } from '@jest/globals';
import {
  PolicyError,
  accessDeniedMessage,
  accountOf,
  defaultKeyPolicy,
  evaluate,
  parseKeyPolicy,
  type Decision,
  type PolicyRequest,
} from '../../policies/aws-key-policy.ts';

const ACCOUNT = '111122223333';
const OTHER = '444455556666';
const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;
const BOB = `arn:aws:iam::${ACCOUNT}:user/bob`;
const CAROL = `arn:aws:iam::${OTHER}:user/carol`;
const ROLE = `arn:aws:sts::${ACCOUNT}:assumed-role/signer/session-1`;

const doc = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });
const allow = (extra: object) => ({ Effect: 'Allow', Resource: '*', ...extra });
const deny = (extra: object) => ({ Effect: 'Deny', Resource: '*', ...extra });

function request(principal: string, action: string, context: Record<string, string> = {}): PolicyRequest {
  return { principal, action, resource: KEY, context: { 'kms:CallerAccount': accountOf(principal) ?? '', ...context } };
}

describe('parseKeyPolicy refuses what is not a key policy', () => {
  const cases: [string, string, RegExp][] = [
    ['not JSON', '{not json', /not valid JSON/],
    ['an array', '[]', /must be a JSON object/],
    ['no Statement', JSON.stringify({ Version: '2012-10-17' }), /no Statement/],
    ['unknown top-level element', JSON.stringify({ Statement: [], Statements: [] }), /unknown top-level element 'Statements'/],
    ['bad Version', JSON.stringify({ Version: '2020-01-01', Statement: [] }), /Version must be one of/],
    ['statement not an object', doc('x' as unknown as object), /Statement 1 must be a JSON object/],
    ['unknown statement element', doc(allow({ Principal: '*', Action: 'kms:*', Foo: 1 })), /unknown element 'Foo'/],
    ['bad Effect', doc({ Effect: 'Maybe', Principal: '*', Action: 'kms:*', Resource: '*' }), /Effect must be/],
    ['no principal', doc(allow({ Action: 'kms:*' })), /^Policy contains a statement with no principal\.$/],
    ['Principal and NotPrincipal', doc(allow({ Principal: '*', NotPrincipal: '*', Action: 'kms:*' })), /both Principal and NotPrincipal/],
    [
      'invalid principal ARN',
      doc(allow({ Principal: { AWS: 'alice' }, Action: 'kms:*' })),
      /^Policy contains a statement with one or more invalid principals\.$/,
    ],
    ['empty principal list', doc(allow({ Principal: { AWS: [] }, Action: 'kms:*' })), /invalid principals/],
    ['unknown principal type', doc(allow({ Principal: { Robot: 'r2d2' }, Action: 'kms:*' })), /unknown principal type 'Robot'/],
    ['malformed action', doc(allow({ Principal: '*', Action: 'Sign' })), /is not of the form 'kms:<Operation>'/],
    ['action not a string', doc(allow({ Principal: '*', Action: [1] })), /must be a string or a list of strings/],
    [
      'unknown condition operator',
      doc(allow({ Principal: '*', Action: 'kms:*', Condition: { StringSorta: { 'kms:MessageType': 'RAW' } } })),
      /unknown condition operator 'StringSorta'/,
    ],
    [
      'numeric operator with text',
      doc(allow({ Principal: '*', Action: 'kms:*', Condition: { NumericLessThan: { 'kms:ScheduleKeyDeletionPendingWindowInDays': 'ten' } } })),
      /needs numeric values/,
    ],
    [
      'condition value an object',
      doc(allow({ Principal: '*', Action: 'kms:*', Condition: { StringEquals: { 'kms:MessageType': { a: 1 } } } })),
      /must be strings, numbers or booleans/,
    ],
    ['TuttiSigningPolicy not an object', JSON.stringify({ Statement: [], TuttiSigningPolicy: 'anything' }), /TuttiSigningPolicy must be a JSON object/],
    [
      'TuttiSigningPolicyChange not an object',
      JSON.stringify({ Statement: [], TuttiSigningPolicyChange: [] }),
      /TuttiSigningPolicyChange must be a JSON object/,
    ],
  ];
  test.each(cases)('%s', (_name, text, message) => {
    expect(() => parseKeyPolicy(text)).toThrow(PolicyError);
    expect(() => parseKeyPolicy(text)).toThrow(message);
  });

  test('accepts a statement without Action or Resource (AWS: accepted, but it has no effect)', () => {
    const p = parseKeyPolicy(doc({ Effect: 'Allow', Principal: '*' }));
    expect(evaluate(p, request(ALICE, 'kms:Sign'))).toEqual({ effect: 'ImplicitDeny' });
  });

  test('keeps TuttiSigningPolicy and TuttiSigningPolicyChange without interpreting them', () => {
    const signing = { rules: [{ anything: ['goes', 1, { here: true }] }] };
    const change = { revision: 2, previousHash: '0x00', approvals: [] };
    const p = parseKeyPolicy(JSON.stringify({ Version: '2012-10-17', Statement: [], TuttiSigningPolicy: signing, TuttiSigningPolicyChange: change }));
    expect(p.tuttiSigningPolicy).toEqual(signing);
    expect(p.tuttiSigningPolicyChange).toEqual(change);
    expect(p.statements).toEqual([]);
  });

  test('the default policy parses and names the account root', () => {
    const text = defaultKeyPolicy(ACCOUNT);
    const parsed = JSON.parse(text);
    expect(parsed).toEqual({
      Version: '2012-10-17',
      Id: 'key-default-1',
      Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }],
    });
    expect(parseKeyPolicy(text).statements).toHaveLength(1);
  });
});

type Row = [string, object[], PolicyRequest, Decision['effect']];

describe('evaluate', () => {
  const rows: Row[] = [
    // the default policy: every principal of the account, nobody else
    ['default: alice may sign', [JSON.parse(defaultKeyPolicy(ACCOUNT)).Statement[0]], request(ALICE, 'kms:Sign'), 'Allow'],
    [
      'default: an assumed role of the account may schedule deletion',
      [JSON.parse(defaultKeyPolicy(ACCOUNT)).Statement[0]],
      request(ROLE, 'kms:ScheduleKeyDeletion'),
      'Allow',
    ],
    ['default: another account may not', [JSON.parse(defaultKeyPolicy(ACCOUNT)).Statement[0]], request(CAROL, 'kms:DescribeKey'), 'ImplicitDeny'],
    ['bare account id as principal', [allow({ Principal: { AWS: ACCOUNT }, Action: 'kms:*' })], request(BOB, 'kms:Verify'), 'Allow'],
    [
      'other account root admits its principals',
      [allow({ Principal: { AWS: [`arn:aws:iam::${OTHER}:root`] }, Action: 'kms:Sign' })],
      request(CAROL, 'kms:Sign'),
      'Allow',
    ],
    // principals
    ['exact user ARN', [allow({ Principal: { AWS: ALICE }, Action: 'kms:Sign' })], request(ALICE, 'kms:Sign'), 'Allow'],
    ['another user of the same account', [allow({ Principal: { AWS: ALICE }, Action: 'kms:Sign' })], request(BOB, 'kms:Sign'), 'ImplicitDeny'],
    ['principal list', [allow({ Principal: { AWS: [ALICE, BOB] }, Action: 'kms:Sign' })], request(BOB, 'kms:Sign'), 'Allow'],
    ['Principal "*"', [allow({ Principal: '*', Action: 'kms:Sign' })], request(CAROL, 'kms:Sign'), 'Allow'],
    ['Principal {AWS: "*"}', [allow({ Principal: { AWS: '*' }, Action: 'kms:Sign' })], request(CAROL, 'kms:Sign'), 'Allow'],
    [
      'service principals never match a caller',
      [allow({ Principal: { Service: 'logs.amazonaws.com' }, Action: 'kms:*' })],
      request(ALICE, 'kms:Sign'),
      'ImplicitDeny',
    ],
    ['NotPrincipal', [allow({ NotPrincipal: { AWS: BOB }, Action: 'kms:*' })], request(ALICE, 'kms:Sign'), 'Allow'],
    ['NotPrincipal excludes', [allow({ NotPrincipal: { AWS: BOB }, Action: 'kms:*' })], request(BOB, 'kms:Sign'), 'ImplicitDeny'],
    // actions
    ['action list', [allow({ Principal: '*', Action: ['kms:Verify', 'kms:Sign'] })], request(ALICE, 'kms:Sign'), 'Allow'],
    ['action not listed', [allow({ Principal: '*', Action: ['kms:Verify'] })], request(ALICE, 'kms:Sign'), 'ImplicitDeny'],
    ['action wildcard', [allow({ Principal: '*', Action: 'kms:Get*' })], request(ALICE, 'kms:GetPublicKey'), 'Allow'],
    ['action wildcard does not over-match', [allow({ Principal: '*', Action: 'kms:Get*' })], request(ALICE, 'kms:PutKeyPolicy'), 'ImplicitDeny'],
    ['action names are case-insensitive', [allow({ Principal: '*', Action: 'KMS:sign' })], request(ALICE, 'kms:Sign'), 'Allow'],
    ['"*" action', [allow({ Principal: '*', Action: '*' })], request(ALICE, 'kms:TagResource'), 'Allow'],
    ["another service's action", [allow({ Principal: '*', Action: 's3:*' })], request(ALICE, 'kms:Sign'), 'ImplicitDeny'],
    ['NotAction', [allow({ Principal: '*', NotAction: 'kms:ScheduleKeyDeletion' })], request(ALICE, 'kms:Sign'), 'Allow'],
    ['NotAction excludes', [allow({ Principal: '*', NotAction: ['kms:Schedule*'] })], request(ALICE, 'kms:ScheduleKeyDeletion'), 'ImplicitDeny'],
    // resources
    ['resource = the key ARN', [{ Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: KEY }], request(ALICE, 'kms:Sign'), 'Allow'],
    [
      'resource = another key',
      [{ Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: `arn:aws:kms:us-east-1:${ACCOUNT}:key/other` }],
      request(ALICE, 'kms:Sign'),
      'ImplicitDeny',
    ],
    ['resource glob', [{ Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: `arn:aws:kms:*:${ACCOUNT}:key/*` }], request(ALICE, 'kms:Sign'), 'Allow'],
    ['NotResource', [{ Effect: 'Allow', Principal: '*', Action: 'kms:*', NotResource: `arn:aws:kms:*:*:key/other` }], request(ALICE, 'kms:Sign'), 'Allow'],
    // explicit deny wins, in any order
    [
      'deny after allow',
      [allow({ Principal: '*', Action: 'kms:*' }), deny({ Principal: { AWS: BOB }, Action: 'kms:Sign' })],
      request(BOB, 'kms:Sign'),
      'ExplicitDeny',
    ],
    [
      'deny before allow',
      [deny({ Principal: { AWS: BOB }, Action: 'kms:Sign' }), allow({ Principal: '*', Action: 'kms:*' })],
      request(BOB, 'kms:Sign'),
      'ExplicitDeny',
    ],
    [
      'deny for someone else',
      [deny({ Principal: { AWS: BOB }, Action: 'kms:Sign' }), allow({ Principal: '*', Action: 'kms:*' })],
      request(ALICE, 'kms:Sign'),
      'Allow',
    ],
    [
      'deny of another action',
      [deny({ Principal: '*', Action: 'kms:ScheduleKeyDeletion' }), allow({ Principal: '*', Action: 'kms:*' })],
      request(ALICE, 'kms:Sign'),
      'Allow',
    ],
    ['no statements at all', [], request(ALICE, 'kms:Sign'), 'ImplicitDeny'],
    // conditions on kms:SigningAlgorithm, kms:MessageType, kms:CallerAccount
    [
      'StringEquals SigningAlgorithm matches',
      [allow({ Principal: '*', Action: 'kms:Sign', Condition: { StringEquals: { 'kms:SigningAlgorithm': 'ED25519_SHA_512' } } })],
      request(ALICE, 'kms:Sign', { 'kms:SigningAlgorithm': 'ED25519_SHA_512' }),
      'Allow',
    ],
    [
      'StringEquals SigningAlgorithm differs',
      [allow({ Principal: '*', Action: 'kms:Sign', Condition: { StringEquals: { 'kms:SigningAlgorithm': 'ED25519_SHA_512' } } })],
      request(ALICE, 'kms:Sign', { 'kms:SigningAlgorithm': 'ED448_SHAKE_256' }),
      'ImplicitDeny',
    ],
    [
      'StringEquals is case-sensitive in values',
      [allow({ Principal: '*', Action: 'kms:Sign', Condition: { StringEquals: { 'kms:MessageType': 'raw' } } })],
      request(ALICE, 'kms:Sign', { 'kms:MessageType': 'RAW' }),
      'ImplicitDeny',
    ],
    [
      'StringEqualsIgnoreCase',
      [allow({ Principal: '*', Action: 'kms:Sign', Condition: { StringEqualsIgnoreCase: { 'kms:MessageType': 'raw' } } })],
      request(ALICE, 'kms:Sign', { 'kms:MessageType': 'RAW' }),
      'Allow',
    ],
    [
      'condition key names are case-insensitive',
      [allow({ Principal: '*', Action: 'kms:Sign', Condition: { StringEquals: { 'KMS:messagetype': 'RAW' } } })],
      request(ALICE, 'kms:Sign', { 'kms:MessageType': 'RAW' }),
      'Allow',
    ],
    [
      'one of several values',
      [allow({ Principal: '*', Action: 'kms:Sign', Condition: { StringEquals: { 'kms:SigningAlgorithm': ['ED448_SHAKE_256', 'ED25519_SHA_512'] } } })],
      request(ALICE, 'kms:Sign', { 'kms:SigningAlgorithm': 'ED25519_SHA_512' }),
      'Allow',
    ],
    [
      'every key must hold',
      [allow({ Principal: '*', Action: 'kms:Sign', Condition: { StringEquals: { 'kms:SigningAlgorithm': 'ED25519_SHA_512', 'kms:MessageType': 'DIGEST' } } })],
      request(ALICE, 'kms:Sign', { 'kms:SigningAlgorithm': 'ED25519_SHA_512', 'kms:MessageType': 'RAW' }),
      'ImplicitDeny',
    ],
    [
      'every operator must hold',
      [
        allow({
          Principal: '*',
          Action: 'kms:Sign',
          Condition: { StringEquals: { 'kms:SigningAlgorithm': 'ED25519_SHA_512' }, StringLike: { 'kms:MessageType': 'D*' } },
        }),
      ],
      request(ALICE, 'kms:Sign', { 'kms:SigningAlgorithm': 'ED25519_SHA_512', 'kms:MessageType': 'RAW' }),
      'ImplicitDeny',
    ],
    [
      'StringLike glob',
      [allow({ Principal: '*', Action: 'kms:Sign', Condition: { StringLike: { 'kms:SigningAlgorithm': 'ED*_SHA_???' } } })],
      request(ALICE, 'kms:Sign', { 'kms:SigningAlgorithm': 'ED25519_SHA_512' }),
      'Allow',
    ],
    [
      'StringNotLike',
      [allow({ Principal: '*', Action: 'kms:Sign', Condition: { StringNotLike: { 'kms:SigningAlgorithm': 'ECDSA_*' } } })],
      request(ALICE, 'kms:Sign', { 'kms:SigningAlgorithm': 'ED25519_SHA_512' }),
      'Allow',
    ],
    [
      'StringNotEquals matching value',
      [allow({ Principal: '*', Action: 'kms:Sign', Condition: { StringNotEquals: { 'kms:MessageType': 'DIGEST' } } })],
      request(ALICE, 'kms:Sign', { 'kms:MessageType': 'DIGEST' }),
      'ImplicitDeny',
    ],
    [
      'CallerAccount',
      [allow({ Principal: '*', Action: 'kms:*', Condition: { StringEquals: { 'kms:CallerAccount': OTHER } } })],
      request(CAROL, 'kms:Sign'),
      'Allow',
    ],
    [
      'CallerAccount of another account',
      [allow({ Principal: '*', Action: 'kms:*', Condition: { StringEquals: { 'kms:CallerAccount': OTHER } } })],
      request(ALICE, 'kms:Sign'),
      'ImplicitDeny',
    ],
    [
      'deny with a condition',
      [
        allow({ Principal: '*', Action: 'kms:*' }),
        deny({ Principal: '*', Action: 'kms:Sign', Condition: { StringNotEquals: { 'kms:SigningAlgorithm': 'ED25519_SHA_512' } } }),
      ],
      request(ALICE, 'kms:Sign', { 'kms:SigningAlgorithm': 'ED448_SHAKE_256' }),
      'ExplicitDeny',
    ],
    // absent condition keys
    [
      'absent key: StringEquals is false',
      [allow({ Principal: '*', Action: 'kms:*', Condition: { StringEquals: { 'kms:SigningAlgorithm': 'ED25519_SHA_512' } } })],
      request(ALICE, 'kms:DescribeKey'),
      'ImplicitDeny',
    ],
    [
      'absent key: StringNotEquals is true',
      [allow({ Principal: '*', Action: 'kms:*', Condition: { StringNotEquals: { 'kms:SigningAlgorithm': 'ED25519_SHA_512' } } })],
      request(ALICE, 'kms:DescribeKey'),
      'Allow',
    ],
    [
      'absent key: IfExists is true',
      [allow({ Principal: '*', Action: 'kms:*', Condition: { StringEqualsIfExists: { 'kms:SigningAlgorithm': 'ED25519_SHA_512' } } })],
      request(ALICE, 'kms:DescribeKey'),
      'Allow',
    ],
    [
      'present key: IfExists still checks',
      [allow({ Principal: '*', Action: 'kms:*', Condition: { StringEqualsIfExists: { 'kms:SigningAlgorithm': 'ED25519_SHA_512' } } })],
      request(ALICE, 'kms:Sign', { 'kms:SigningAlgorithm': 'ED448_SHAKE_256' }),
      'ImplicitDeny',
    ],
    [
      'Null true: key absent',
      [allow({ Principal: '*', Action: 'kms:*', Condition: { Null: { 'kms:SigningAlgorithm': 'true' } } })],
      request(ALICE, 'kms:DescribeKey'),
      'Allow',
    ],
    [
      'Null false: key absent',
      [allow({ Principal: '*', Action: 'kms:*', Condition: { Null: { 'kms:SigningAlgorithm': 'false' } } })],
      request(ALICE, 'kms:DescribeKey'),
      'ImplicitDeny',
    ],
    [
      'ForAnyValue with absent key',
      [allow({ Principal: '*', Action: 'kms:*', Condition: { 'ForAnyValue:StringEquals': { 'kms:SigningAlgorithm': 'X' } } })],
      request(ALICE, 'kms:DescribeKey'),
      'ImplicitDeny',
    ],
    [
      'ForAllValues with absent key',
      [allow({ Principal: '*', Action: 'kms:*', Condition: { 'ForAllValues:StringEquals': { 'kms:SigningAlgorithm': 'X' } } })],
      request(ALICE, 'kms:DescribeKey'),
      'Allow',
    ],
    // numeric and bool
    [
      'NumericGreaterThanEquals',
      [
        allow({
          Principal: '*',
          Action: 'kms:ScheduleKeyDeletion',
          Condition: { NumericGreaterThanEquals: { 'kms:ScheduleKeyDeletionPendingWindowInDays': 14 } },
        }),
      ],
      request(ALICE, 'kms:ScheduleKeyDeletion', { 'kms:ScheduleKeyDeletionPendingWindowInDays': '30' }),
      'Allow',
    ],
    [
      'NumericGreaterThanEquals fails',
      [
        allow({
          Principal: '*',
          Action: 'kms:ScheduleKeyDeletion',
          Condition: { NumericGreaterThanEquals: { 'kms:ScheduleKeyDeletionPendingWindowInDays': 14 } },
        }),
      ],
      request(ALICE, 'kms:ScheduleKeyDeletion', { 'kms:ScheduleKeyDeletionPendingWindowInDays': '7' }),
      'ImplicitDeny',
    ],
    [
      'Bool',
      [allow({ Principal: '*', Action: 'kms:*', Condition: { Bool: { 'aws:SecureTransport': true } } })],
      request(ALICE, 'kms:Sign', { 'aws:SecureTransport': 'true' }),
      'Allow',
    ],
    [
      'ArnLike on aws:PrincipalArn',
      [allow({ Principal: '*', Action: 'kms:*', Condition: { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:user/a*` } } })],
      request(ALICE, 'kms:Sign', { 'aws:PrincipalArn': ALICE }),
      'Allow',
    ],
  ];
  test.each(rows)('%s', (_name, statements, req, expected) => {
    expect(evaluate(parseKeyPolicy(doc(...statements)), req).effect).toBe(expected);
  });

  test('the decision names the statement that decided', () => {
    const p = parseKeyPolicy(doc(allow({ Sid: 'Signers', Principal: '*', Action: 'kms:Sign' }), deny({ Principal: { AWS: BOB }, Action: 'kms:*' })));
    expect(evaluate(p, request(ALICE, 'kms:Sign'))).toEqual({ effect: 'Allow', statement: 'Signers' });
    expect(evaluate(p, request(BOB, 'kms:Sign'))).toEqual({ effect: 'ExplicitDeny', statement: '#2' });
  });
});

describe('messages and helpers', () => {
  test("AccessDeniedException messages in AWS's words", () => {
    const req = request(BOB, 'kms:Sign');
    expect(accessDeniedMessage(req, { effect: 'ImplicitDeny' })).toBe(
      `User: ${BOB} is not authorized to perform: kms:Sign on resource: ${KEY} because no resource-based policy allows the kms:Sign action`,
    );
    expect(accessDeniedMessage(req, { effect: 'ExplicitDeny', statement: '#1' })).toBe(
      `User: ${BOB} is not authorized to perform: kms:Sign on resource: ${KEY} with an explicit deny in a resource-based policy`,
    );
  });

  test('accountOf', () => {
    expect(accountOf(ALICE)).toBe(ACCOUNT);
    expect(accountOf(ROLE)).toBe(ACCOUNT);
    expect(accountOf(`arn:aws:iam::${OTHER}:root`)).toBe(OTHER);
    expect(accountOf('alice')).toBeUndefined();
  });
});
