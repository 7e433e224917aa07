// Wire details the SDK hides, driven with fetch (signed by @smithy/signature-v4): framing, JSON and
// base64 errors, AWS's validation message template, error bodies and statuses, and faults in the
// KeyService. Case ids are those of the KMS conformance list (docs/kms-compatibility.md "How this is checked").
import { describe, expect, test } from '@jest/globals';
import { dependencyTimeout, keyUnavailable } from '../../../services/kms-api/errors.ts';
import { createMetrics } from '../../../services/metrics/metrics.ts';
import { ACCOUNT, CREDS, REGION, b64, rawError, rawRequest, startServer, type TestServer } from './support.ts';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MISSING = '11111111-2222-3333-4444-555555555555';
const caller = { accessKeyId: CREDS.accessKeyId, principal: CREDS.principal };

function expectAwsHeaders(headers: Headers): void {
  expect(headers.get('content-type')).toBe('application/x-amz-json-1.1');
  expect(headers.get('x-amzn-requestid')).toMatch(UUID_RE);
  const date = Date.parse(headers.get('date') ?? '');
  expect(Math.abs(date - Date.now())).toBeLessThan(2_000);
}

async function withServer(fn: (s: TestServer) => Promise<void>): Promise<void> {
  const server = await startServer();
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

const edKey = (s: TestServer) => s.keys.createKey({ keySpec: 'ECC_NIST_EDWARDS25519', keyUsage: 'SIGN_VERIFY', description: '', tags: [] }, caller);
const validation = (message: string) => ({ status: 400, body: { __type: 'ValidationException', message } });

describe('framing', () => {
  test('PROTO-01/12: a success carries Content-Type, x-amzn-RequestId and Date; application/x-amz-json-1.0 is accepted too', async () => {
    await withServer(async (s) => {
      const key = await edKey(s);
      const res = await rawRequest(s, { body: JSON.stringify({ KeyId: key.keyId }) });
      expect(res.status).toBe(200);
      expectAwsHeaders(res.headers);
      expect((res.json!.KeyMetadata as { CreationDate: unknown }).CreationDate).toBe(key.creationDate.getTime() / 1000);
      const other = await rawRequest(s, { body: JSON.stringify({ KeyId: key.keyId }), extraHeaders: { 'content-type': 'application/x-amz-json-1.0' } });
      expect(other.status).toBe(200);
      // Every response gets its own request id.
      expect(other.headers.get('x-amzn-requestid')).not.toBe(res.headers.get('x-amzn-requestid'));
    });
  });

  test('PROTO-02/03/04: a missing or unknown X-Amz-Target is UnknownOperationException without a message', async () => {
    await withServer(async (s) => {
      for (const target of [null, 'NoSuchOp']) {
        const res = await rawRequest(s, { target });
        expect(res.status).toBe(400);
        expect(res.json).toEqual({ __type: 'UnknownOperationException' });
        expectAwsHeaders(res.headers);
      }
      const foreign = await rawRequest(s, { extraHeaders: { 'x-amz-target': 'Foo.DescribeKey' } });
      expect(foreign.json).toEqual({ __type: 'UnknownOperationException' });
    });
  });

  test('PROTO-05: a KMS operation this service does not implement is UnsupportedOperationException naming it', async () => {
    await withServer(async (s) => {
      const res = await rawError(s, { target: 'Encrypt', body: JSON.stringify({ KeyId: MISSING, Plaintext: 'aGk=' }) });
      expect(res.status).toBe(400);
      expect(res.body!.__type).toBe('UnsupportedOperationException');
      expect(res.body!.message).toContain('Encrypt');
    });
  });

  test('PROTO-06/07/08: malformed JSON, a non-object body or a member of the wrong type is SerializationException without a message', async () => {
    await withServer(async (s) => {
      for (const body of ['{"KeyId":', '[]', 'null', '"x"', '{"KeyId":123}', '{"KeyId":"k","GrantTokens":"t"}', '{"Limit":1.5}']) {
        const target = body.includes('Limit') ? 'ListKeys' : 'DescribeKey';
        const res = await rawRequest(s, { target, body });
        expect([body, res.status, res.json]).toEqual([body, 400, { __type: 'SerializationException' }]);
        expectAwsHeaders(res.headers);
      }
    });
  });

  test('PROTO-10/11: unknown members are ignored, null members count as absent, and an empty body is {}', async () => {
    await withServer(async (s) => {
      const key = await edKey(s);
      const ok = await rawRequest(s, { body: JSON.stringify({ KeyId: key.arn, SomeFutureMember: true, GrantTokens: null }) });
      expect(ok.status).toBe(200);
      const empty = await rawError(s, { body: '' });
      expect(empty).toMatchObject(validation("1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null"));
    });
  });

  test('PROTO-13: other paths and methods get a JSON 404, not an HTML page', async () => {
    await withServer(async (s) => {
      for (const [method, path] of [
        ['GET', '/'],
        ['POST', '/nope'],
        ['PUT', '/'],
      ] as const) {
        const res = await fetch(`${s.url}${path}`, { method });
        expect(res.status).toBe(404);
        expectAwsHeaders(res.headers);
        expect(await res.json()).toEqual({ __type: 'UnknownOperationException' });
      }
    });
  });

  test('PROTO-14: a body over the limit is refused before hashing, the connection closed, and the server keeps serving', async () => {
    await withServer(async (s) => {
      const big = JSON.stringify({ KeyId: MISSING, Message: b64(new Uint8Array(2 * 1024 * 1024)), SigningAlgorithm: 'ED25519_SHA_512' });
      const res = await rawRequest(s, { target: 'Sign', body: big, contentSha256: false }).catch((e: unknown) => e);
      // fetch may see the early answer or, while still uploading, a reset connection; either way nothing reached the service.
      if (!(res instanceof Error)) {
        expect(res).toMatchObject({ status: 400, json: { __type: 'ValidationException', message: 'Request body must be at most 1048576 bytes.' } });
      }
      expect(s.keys.calls).toHaveLength(0);
      expect((await rawRequest(s, { target: 'ListKeys' })).status).toBe(200);
    });
  });

  test('PROTO-14: a smaller configured limit applies to chunked bodies too', async () => {
    const server = await startServer({ maxBodyBytes: 1000 });
    try {
      const body = JSON.stringify({ KeyId: 'x'.repeat(2000) });
      const chunked = new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode(body));
          c.close();
        },
      });
      const res = await fetch(`${server.url}/`, {
        method: 'POST',
        body: chunked,
        duplex: 'half',
        headers: { 'x-amz-target': 'TrentService.DescribeKey', 'content-type': 'application/x-amz-json-1.1' },
      } as RequestInit);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ __type: 'ValidationException', message: 'Request body must be at most 1000 bytes.' });
      expect(res.headers.get('connection')).toBe('close');
    } finally {
      await server.close();
    }
  });
});

describe('blobs', () => {
  test('PROTO-09: a blob that is not strict, padded base64 is SerializationException without a message', async () => {
    await withServer(async (s) => {
      const key = await edKey(s);
      for (const message of ['not base64!!', 'aGk', 'aGk=\n', 'aGl=', 'a GkK']) {
        const res = await rawError(s, { target: 'Sign', body: JSON.stringify({ KeyId: key.keyId, Message: message, SigningAlgorithm: 'ED25519_SHA_512' }) });
        expect([message, res.status, res.body]).toEqual([message, 400, { __type: 'SerializationException' }]);
      }
      const sig = await rawError(s, {
        target: 'Verify',
        body: JSON.stringify({ KeyId: key.keyId, Message: 'aGk=', Signature: '%%%', SigningAlgorithm: 'ED25519_SHA_512' }),
      });
      expect(sig.body).toEqual({ __type: 'SerializationException' });
      expect(s.keys.calls.filter((c) => c.method !== 'createKey')).toHaveLength(0);
    });
  });

  test('SIGN-08/09/10, ED-09: Message is 1–4096 bytes, and its value is never echoed', async () => {
    await withServer(async (s) => {
      const key = await edKey(s);
      const sign = (bytes: number) =>
        rawRequest(s, {
          target: 'Sign',
          body: JSON.stringify({ KeyId: key.keyId, Message: b64(new Uint8Array(bytes).fill(7)), SigningAlgorithm: 'ED25519_SHA_512' }),
        });
      const ok = await sign(4096);
      expect(ok.status).toBe(200);
      expect(Buffer.from(ok.json!.Signature as string, 'base64')).toHaveLength(64);
      expect(await sign(4097)).toMatchObject({
        status: 400,
        json: {
          __type: 'ValidationException',
          message: "1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length less than or equal to 4096",
        },
      });
      expect(await sign(0)).toMatchObject({
        status: 400,
        json: {
          __type: 'ValidationException',
          message: "1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length greater than or equal to 1",
        },
      });
    });
  });

  test("VER-10/11/12: Signature is 1–6144 bytes and described as AWS's Java ByteBuffer", async () => {
    await withServer(async (s) => {
      const key = await edKey(s);
      const verify = (extra: Record<string, unknown>) =>
        rawError(s, { target: 'Verify', body: JSON.stringify({ KeyId: key.keyId, Message: 'aGk=', SigningAlgorithm: 'ED25519_SHA_512', ...extra }) });
      expect(await verify({ Signature: '' })).toMatchObject(
        validation(
          "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=0 cap=0]' at 'signature' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ),
      );
      expect(await verify({ Signature: b64(new Uint8Array(6145)) })).toMatchObject(
        validation(
          "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=6145 cap=6145]' at 'signature' failed to satisfy constraint: Member must have length less than or equal to 6144",
        ),
      );
      expect(await verify({})).toMatchObject(
        validation("1 validation error detected: Value null at 'signature' failed to satisfy constraint: Member must not be null"),
      );
    });
  });
});

describe("validation messages follow AWS's template", () => {
  const cases: [string, string, Record<string, unknown>, string][] = [
    ['DK-11', 'DescribeKey', {}, "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null"],
    [
      'DK-12',
      'DescribeKey',
      { KeyId: '' },
      "1 validation error detected: Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1",
    ],
    [
      'DK-13',
      'DescribeKey',
      { KeyId: 'k'.repeat(2049) },
      `1 validation error detected: Value '${'k'.repeat(2049)}' at 'keyId' failed to satisfy constraint: Member must have length less than or equal to 2048`,
    ],
    [
      'DK-16',
      'DescribeKey',
      { KeyId: MISSING, GrantTokens: Array(11).fill('t') },
      `1 validation error detected: Value '[${Array(11).fill('t').join(', ')}]' at 'grantTokens' failed to satisfy constraint: Member must have length less than or equal to 10`,
    ],
    [
      'LK-04',
      'ListKeys',
      { Limit: 0 },
      "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
    ],
    [
      'LK-05',
      'ListKeys',
      { Limit: 1001 },
      "1 validation error detected: Value '1001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000",
    ],
    [
      'LK-marker',
      'ListKeys',
      { Marker: '' },
      "1 validation error detected: Value '' at 'marker' failed to satisfy constraint: Member must have length greater than or equal to 1",
    ],
    [
      'SIGN-11',
      'Sign',
      { KeyId: MISSING, SigningAlgorithm: 'ED25519_SHA_512' },
      "1 validation error detected: Value null at 'message' failed to satisfy constraint: Member must not be null",
    ],
    [
      'SIGN-13',
      'Sign',
      { Message: 'aGk=' },
      "2 validation errors detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null; Value null at 'signingAlgorithm' failed to satisfy constraint: Member must not be null",
    ],
    [
      'CK-15',
      'CreateKey',
      { KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY', Description: 'd'.repeat(8193) },
      `1 validation error detected: Value '${'d'.repeat(8193)}' at 'description' failed to satisfy constraint: Member must have length less than or equal to 8192`,
    ],
    [
      'CK-19',
      'CreateKey',
      { KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY', Tags: [{ TagKey: 'k'.repeat(129), TagValue: 'v' }] },
      `1 validation error detected: Value '${'k'.repeat(129)}' at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length less than or equal to 128`,
    ],
    [
      'TG-08',
      'CreateKey',
      {
        KeySpec: 'ECC_NIST_EDWARDS25519',
        KeyUsage: 'SIGN_VERIFY',
        Tags: [
          { TagKey: 'a', TagValue: '' },
          { TagKey: 'b', TagValue: 'v'.repeat(257) },
        ],
      },
      `1 validation error detected: Value '${'v'.repeat(257)}' at 'tags.2.member.tagValue' failed to satisfy constraint: Member must have length less than or equal to 256`,
    ],
    [
      'tag-missing',
      'CreateKey',
      { KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY', Tags: [{ TagKey: 'a' }] },
      "1 validation error detected: Value null at 'tags.1.member.tagValue' failed to satisfy constraint: Member must not be null",
    ],
    [
      'policy-pattern',
      'CreateKey',
      { KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY', Policy: '{"a":"\u0100"}' },
      '1 validation error detected: Value \'{"a":"\u0100"}\' at \'policy\' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+',
    ],
  ];
  test.each(cases)('%s: %s', async (_id, target, body, message) => {
    await withServer(async (s) => {
      const res = await rawError(s, { target, body: JSON.stringify(body) });
      expect(res).toMatchObject(validation(message));
      expectAwsHeaders(res.headers);
      expect(s.keys.calls).toHaveLength(0);
    });
  });

  const enums: [string, string, Record<string, unknown>, string][] = [
    [
      'SIGN-18',
      'Sign',
      { KeyId: MISSING, Message: 'aGk=', SigningAlgorithm: 'FOO' },
      "1 validation error detected: Value 'FOO' at 'signingAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [",
    ],
    [
      'EXT-12',
      'Sign',
      { KeyId: MISSING, Message: 'aGk=', SigningAlgorithm: 'ECDSA_SHA3_256' },
      "1 validation error detected: Value 'ECDSA_SHA3_256' at 'signingAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [",
    ],
    [
      'SIGN-19',
      'Sign',
      { KeyId: MISSING, Message: 'aGk=', SigningAlgorithm: 'ED25519_SHA_512', MessageType: 'INVALID' },
      "1 validation error detected: Value 'INVALID' at 'messageType' failed to satisfy constraint: Member must satisfy enum value set: [",
    ],
    [
      'CK-09',
      'CreateKey',
      { KeySpec: 'HMAC_random', KeyUsage: 'SIGN_VERIFY' },
      "1 validation error detected: Value 'HMAC_random' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [",
    ],
    [
      'CK-10',
      'CreateKey',
      { KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'RANDOM' },
      "1 validation error detected: Value 'RANDOM' at 'keyUsage' failed to satisfy constraint: Member must satisfy enum value set: [",
    ],
  ];
  test.each(enums)('%s: %s enum', async (_id, target, body, prefix) => {
    await withServer(async (s) => {
      const res = await rawError(s, { target, body: JSON.stringify(body) });
      expect(res.status).toBe(400);
      expect(res.body!.__type).toBe('ValidationException');
      expect(res.body!.message).toEqual(expect.stringMatching(new RegExp(`^${prefix.replace(/[[\]().*+?^$|\\]/g, '\\$&')}[A-Z0-9_, ]+\\]$`)));
    });
  });

  test('the enum sets include the Tutti extensions and list values in sorted order', async () => {
    await withServer(async (s) => {
      const res = await rawError(s, { target: 'Sign', body: JSON.stringify({ KeyId: MISSING, Message: 'aGk=', SigningAlgorithm: 'X', MessageType: 'Y' }) });
      const message = res.body!.message as string;
      expect(message).toMatch(/^2 validation errors detected: /);
      expect(message).toContain("Value 'Y' at 'messageType' failed to satisfy constraint: Member must satisfy enum value set: [DIGEST, EXTERNAL_MU, RAW]");
      expect(message).toContain('ED448_SHAKE_256');
      expect(message).toContain('ECDSA_KECCAK_256');
    });
  });
});

describe('CreateKey request rules', () => {
  const base = { KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' };
  const cases: [string, Record<string, unknown>, string, string | undefined][] = [
    [
      'CK-05',
      { ...base, CustomerMasterKeySpec: 'ECC_SECG_P256K1' },
      'ValidationException',
      'You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.',
    ],
    [
      'CK-06',
      { KeySpec: 'ECC_NIST_EDWARDS25519' },
      'ValidationException',
      'You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.',
    ],
    ['CK-13', { ...base, Origin: 'EXTERNAL' }, 'UnsupportedOperationException', undefined],
    ['CK-14', { ...base, MultiRegion: true }, 'UnsupportedOperationException', undefined],
    ['custom key store', { ...base, CustomKeyStoreId: 'cks-1' }, 'UnsupportedOperationException', undefined],
    ['CK-16', { ...base, Tags: [{ TagKey: 'aws:x', TagValue: 'v' }] }, 'TagException', 'Tags beginning with aws: are reserved'],
    ['CK-17', { ...base, Tags: [{ TagKey: 'AWS:x', TagValue: 'v' }] }, 'TagException', 'Tags beginning with aws: are reserved'],
    ['CK-18', { ...base, Tags: Array.from({ length: 51 }, (_, i) => ({ TagKey: `t${i}`, TagValue: '' })) }, 'TagException', 'Too many tags'],
    [
      'TG-09',
      {
        ...base,
        Tags: [
          { TagKey: 'a', TagValue: '1' },
          { TagKey: 'a', TagValue: '2' },
        ],
      },
      'TagException',
      'Duplicate tag keys',
    ],
    ['CK-20', { ...base, Policy: '{not json' }, 'MalformedPolicyDocumentException', undefined],
  ];
  test.each(cases)('%s', async (_id, body, type, message) => {
    await withServer(async (s) => {
      const res = await rawError(s, { target: 'CreateKey', body: JSON.stringify(body) });
      expect(res.status).toBe(400);
      expect(res.body!.__type).toBe(type);
      expect(typeof res.body!.message).toBe('string');
      if (message !== undefined) expect(res.body!.message).toBe(message);
      expect(s.keys.calls).toHaveLength(0);
    });
  });

  test('CK-04/11: defaults reach the service (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT), and the service decides what it supports', async () => {
    await withServer(async (s) => {
      const res = await rawError(s, { target: 'CreateKey', body: '{}' });
      expect(res.body!.__type).toBe('UnsupportedOperationException');
      expect(s.keys.calls[0]!.args).toMatchObject({ keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', description: '', tags: [] });
      const deprecated = await rawRequest(s, {
        target: 'CreateKey',
        body: JSON.stringify({ CustomerMasterKeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY' }),
      });
      expect(deprecated.json!.__type).toBe('UnsupportedOperationException');
      expect(s.keys.calls[1]!.args).toMatchObject({ keySpec: 'ECC_SECG_P256K1', keyUsage: 'SIGN_VERIFY' });
    });
  });

  test('a JSON policy, a description and tags pass through; BypassPolicyLockoutSafetyCheck is accepted', async () => {
    await withServer(async (s) => {
      const policy = JSON.stringify({ Version: '2012-10-17', Statement: [] }, null, 2);
      const res = await rawRequest(s, {
        target: 'CreateKey',
        body: JSON.stringify({
          ...base,
          Policy: policy,
          Description: 'd',
          Tags: [{ TagKey: 'tutti:parties', TagValue: 'p1,p2,p3' }],
          BypassPolicyLockoutSafetyCheck: true,
        }),
      });
      expect(res.status).toBe(200);
      expect(s.keys.calls[0]!.args).toEqual({
        keySpec: 'ECC_NIST_EDWARDS25519',
        keyUsage: 'SIGN_VERIFY',
        description: 'd',
        tags: [{ TagKey: 'tutti:parties', TagValue: 'p1,p2,p3' }],
        policy,
        bypassPolicyLockoutSafetyCheck: true,
      });
      expect(res.json!.KeyMetadata).toMatchObject({ Description: 'd', KeyState: 'Enabled', Enabled: true });
    });
  });
});

describe('errors from the KeyService', () => {
  test("DK-05/07: unknown and malformed key ids are NotFoundException with AWS's message", async () => {
    await withServer(async (s) => {
      expect(await rawError(s, { body: JSON.stringify({ KeyId: MISSING }) })).toMatchObject({
        status: 400,
        body: { __type: 'NotFoundException', message: `Key 'arn:aws:kms:${REGION}:${ACCOUNT}:key/${MISSING}' does not exist` },
      });
      expect(
        await rawError(s, { target: 'Sign', body: JSON.stringify({ KeyId: 'fake-key-id', Message: 'aGk=', SigningAlgorithm: 'ED25519_SHA_512' }) }),
      ).toMatchObject({ status: 400, body: { __type: 'NotFoundException', message: "Invalid keyId 'fake-key-id'" } });
    });
  });

  test('SIGN-22/23, ED-08: Disabled, PendingDeletion and a wrong algorithm keep their type and message', async () => {
    await withServer(async (s) => {
      const key = await edKey(s);
      const sign = (alg = 'ED25519_SHA_512') =>
        rawError(s, { target: 'Sign', body: JSON.stringify({ KeyId: key.keyId, Message: 'aGk=', SigningAlgorithm: alg }) });
      expect(await sign('ECDSA_SHA_256')).toMatchObject({
        status: 400,
        body: { __type: 'InvalidKeyUsageException', message: 'Algorithm ECDSA_SHA_256 is incompatible with key spec ECC_NIST_EDWARDS25519.' },
      });
      s.keys.setState(key.keyId, 'Disabled');
      expect(await sign()).toMatchObject({ status: 400, body: { __type: 'DisabledException', message: `${key.arn} is disabled.` } });
      s.keys.setState(key.keyId, 'PendingDeletion');
      expect(await sign()).toMatchObject({ status: 400, body: { __type: 'KMSInvalidStateException', message: `${key.arn} is pending deletion.` } });
    });
  });

  test('VER-05: a signature that does not verify is {"__type":"KMSInvalidSignatureException"} and nothing else', async () => {
    await withServer(async (s) => {
      const key = await edKey(s);
      const res = await rawRequest(s, {
        target: 'Verify',
        body: JSON.stringify({ KeyId: key.keyId, Message: b64('hello'), Signature: b64(new Uint8Array(64)), SigningAlgorithm: 'ED25519_SHA_512' }),
      });
      expect(res.status).toBe(400);
      expect(res.text).toBe('{"__type":"KMSInvalidSignatureException"}');
      expectAwsHeaders(res.headers);
    });
  });

  test('a plain Error from the service is a 500 KMSInternalException with a generic message; the detail is logged and the server keeps serving', async () => {
    await withServer(async (s) => {
      s.keys.fault = new Error('sqlite: disk I/O error at /var/lib/tutti/keys.db');
      const res = await rawError(s, { body: JSON.stringify({ KeyId: MISSING }) });
      expect(res.status).toBe(500);
      expect(res.body).toEqual({
        __type: 'KMSInternalException',
        message: 'The request was rejected because an internal exception occurred. The request can be retried.',
      });
      expectAwsHeaders(res.headers);
      expect(s.logs.join('\n')).toContain('disk I/O error');
      s.keys.fault = 'a thrown string';
      expect((await rawError(s, { body: JSON.stringify({ KeyId: MISSING }) })).status).toBe(500);
      s.keys.fault = undefined;
      const key = await edKey(s);
      expect((await rawRequest(s, { body: JSON.stringify({ KeyId: key.keyId }) })).status).toBe(200);
    });
  });

  test('DependencyTimeoutException is 503 and KeyUnavailableException 500, messages kept', async () => {
    await withServer(async (s) => {
      s.keys.fault = dependencyTimeout("Sign timed out waiting for the key's parties.");
      expect(await rawError(s, { body: JSON.stringify({ KeyId: MISSING }) })).toMatchObject({
        status: 503,
        body: { __type: 'DependencyTimeoutException', message: "Sign timed out waiting for the key's parties." },
      });
      s.keys.fault = keyUnavailable('Only 1 of 3 parties are reachable.');
      expect(await rawError(s, { body: JSON.stringify({ KeyId: MISSING }) })).toMatchObject({
        status: 500,
        body: { __type: 'KeyUnavailableException', message: 'Only 1 of 3 parties are reachable.' },
      });
    });
  });

  test('LK-06: a marker the service did not issue is InvalidMarkerException', async () => {
    await withServer(async (s) => {
      const res = await rawError(s, { target: 'ListKeys', body: JSON.stringify({ Marker: 'bogus' }) });
      expect(res.status).toBe(400);
      expect(res.body!.__type).toBe('InvalidMarkerException');
    });
  });
});

describe('Sign and Verify members settled by the front end', () => {
  test('SIGN-26: DryRun:true reaches the service as dryRun and answers DryRunOperationException; nothing is signed', async () => {
    await withServer(async (s) => {
      const key = await edKey(s);
      const signed = await rawRequest(s, { target: 'Sign', body: JSON.stringify({ KeyId: key.keyId, Message: 'aGk=', SigningAlgorithm: 'ED25519_SHA_512' }) });
      const signature = signed.json!.Signature as string;
      for (const target of ['Sign', 'Verify']) {
        const res = await rawError(s, {
          target,
          body: JSON.stringify({ KeyId: key.keyId, Message: 'aGk=', Signature: signature, SigningAlgorithm: 'ED25519_SHA_512', DryRun: true }),
        });
        expect(res).toMatchObject({
          status: 400,
          body: { __type: 'DryRunOperationException', message: 'The request would have succeeded, but the DryRun option is set.' },
        });
        expect(s.keys.calls.at(-1)!.args).toMatchObject({ dryRun: true });
      }
      expect(s.keys.signatures).toBe(1);
      // A dry run that would fail answers the failure.
      const bad = await rawError(s, {
        target: 'Sign',
        body: JSON.stringify({ KeyId: key.keyId, Message: 'aGk=', SigningAlgorithm: 'ED448_SHAKE_256', DryRun: true }),
      });
      expect(bad.body!.__type).toBe('InvalidKeyUsageException');
      // DryRun:false is an ordinary call.
      await rawRequest(s, { target: 'Sign', body: JSON.stringify({ KeyId: key.keyId, Message: 'aGk=', SigningAlgorithm: 'ED25519_SHA_512', DryRun: false }) });
      expect(s.keys.calls.at(-1)!.args).toMatchObject({ dryRun: false });
      expect(s.keys.signatures).toBe(2);
    });
  });

  test('SIGN-20: MessageType EXTERNAL_MU (ML-DSA only) is ValidationException', async () => {
    await withServer(async (s) => {
      const res = await rawError(s, {
        target: 'Sign',
        body: JSON.stringify({ KeyId: MISSING, Message: 'aGk=', MessageType: 'EXTERNAL_MU', SigningAlgorithm: 'ED25519_SHA_512' }),
      });
      expect(res.status).toBe(400);
      expect(res.body!.__type).toBe('ValidationException');
      expect(s.keys.calls).toHaveLength(0);
    });
  });

  test('DIGEST reaches the service, which decides (ED-03: Ed25519 is RAW only)', async () => {
    await withServer(async (s) => {
      const key = await edKey(s);
      const res = await rawError(s, {
        target: 'Sign',
        body: JSON.stringify({ KeyId: key.keyId, Message: b64(new Uint8Array(64)), MessageType: 'DIGEST', SigningAlgorithm: 'ED25519_SHA_512' }),
      });
      expect(res.body!.__type).toBe('ValidationException');
      expect(s.keys.calls.at(-1)!.args).toMatchObject({ messageType: 'DIGEST' });
    });
  });
});

describe('health and metrics', () => {
  test("GET /healthz answers, GET /metrics exposes this app's registry only", async () => {
    const a = await startServer();
    const b = await startServer();
    try {
      const health = await fetch(`${a.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });

      await rawRequest(a, { body: JSON.stringify({ KeyId: MISSING }) });
      await rawRequest(a, { target: 'ListKeys' });
      await rawRequest(a, { target: 'NoSuchOp' });
      const res = await fetch(`${a.url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      expect(res.headers.get('x-amzn-requestid')).toMatch(UUID_RE);
      const text = await res.text();
      expect(text).toContain('tutti_kms_requests_total{operation="DescribeKey",outcome="NotFoundException",component="gateway"} 1');
      expect(text).toContain('tutti_kms_requests_total{operation="ListKeys",outcome="ok",component="gateway"} 1');
      expect(text).toContain('tutti_kms_requests_total{operation="unknown",outcome="UnknownOperationException",component="gateway"} 1');
      expect(text).toContain('tutti_kms_request_duration_seconds_count{component="gateway",operation="ListKeys"} 1');

      const other = await (await fetch(`${b.url}/metrics`)).text();
      expect(other).not.toContain('operation="ListKeys"');
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('createMetrics gives each component its own registry with every metric declared once', async () => {
    const gateway = createMetrics('gateway');
    const party = createMetrics('party');
    gateway.relayedEnvelopes.inc({ protocol: 'frost-ed25519/sign' });
    gateway.relayedBytes.inc({ protocol: 'frost-ed25519/sign' }, 512);
    party.aborts.inc({ protocol: 'frost-ed448/dkg', kind: 'invalid-share' });
    party.sessionDuration.observe({ protocol: 'frost-ed448/dkg', outcome: 'abort' }, 0.2);
    party.sessionRounds.observe({ protocol: 'frost-ed448/dkg' }, 3);
    gateway.partyConnections.set({ party: 'p1' }, 1);
    const g = await gateway.registry.metrics();
    const p = await party.registry.metrics();
    expect(g).toContain('tutti_relayed_bytes_total{protocol="frost-ed25519/sign",component="gateway"} 512');
    expect(g).toContain('tutti_party_connected{party="p1",component="gateway"} 1');
    expect(g).not.toContain('invalid-share');
    expect(p).toContain('tutti_protocol_aborts_total{protocol="frost-ed448/dkg",kind="invalid-share",component="party"} 1');
    expect(p).toContain('tutti_protocol_session_rounds_count{component="party",protocol="frost-ed448/dkg"} 1');
    expect((await gateway.registry.getMetricsAsJSON()).map((m) => m.name).sort()).toEqual([
      'tutti_kms_request_duration_seconds',
      'tutti_kms_requests_total',
      'tutti_party_connected',
      'tutti_party_consume_batch_sessions',
      'tutti_policy_decisions_total',
      'tutti_presign_stock',
      'tutti_protocol_aborts_total',
      'tutti_protocol_session_duration_seconds',
      'tutti_protocol_session_rounds',
      'tutti_relayed_bytes_total',
      'tutti_relayed_envelopes_total',
    ]);
  });
});
