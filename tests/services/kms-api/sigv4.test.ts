// SigV4 on the server (docs/kms-compatibility.md "Wire protocol", cases AUTH-*): requests signed by @smithy/signature-v4 (the JS
// SDK's signer) and, when the aws CLI is installed, by botocore; then left unsigned, mis-scoped,
// expired or tampered with. Nothing that fails authentication may reach the KeyService.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, test } from '@jest/globals';
import { ed25519 } from '@noble/curves/ed25519.js';
import { formatAmzDate, parseAmzDate } from '../../../services/kms-api/sigv4.ts';
import { CREDS, REGION, rawError, rawRequest, startServer, type RawRequest, type TestServer } from './support.ts';

const MISSING = '11111111-2222-3333-4444-555555555555';
const DESCRIBE = JSON.stringify({ KeyId: MISSING });
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

async function withServer(fn: (s: TestServer) => Promise<void>, opts: { now?: () => Date } = {}): Promise<void> {
  const server = await startServer(opts);
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

/** Expects the request to be refused with this type (and message, if given) before reaching the service. */
async function expectRefused(s: TestServer, r: RawRequest, type: string, message?: string): Promise<Record<string, unknown>> {
  const res = await rawError(s, { body: DESCRIBE, ...r });
  expect(res.status).toBe(400);
  expect(res.headers.get('content-type')).toBe('application/x-amz-json-1.1');
  expect(res.body!.__type).toBe(type);
  if (message !== undefined) expect(res.body!.message).toBe(message);
  expect(s.keys.calls).toHaveLength(0);
  return res.body!;
}

describe('SigV4', () => {
  test('a request signed like the JS SDK (x-amz-content-sha256) or like botocore (without it) is accepted', async () => {
    await withServer(async (s) => {
      for (const contentSha256 of [true, false]) {
        const res = await rawRequest(s, { target: 'ListKeys', contentSha256 });
        expect(res.status).toBe(200);
      }
      expect(s.keys.calls.map((c) => c.caller)).toEqual([
        { accessKeyId: CREDS.accessKeyId, principal: CREDS.principal },
        { accessKeyId: CREDS.accessKeyId, principal: CREDS.principal },
      ]);
    });
  });

  test('AUTH-01: no Authorization header is MissingAuthenticationTokenException', async () => {
    await withServer((s) => expectRefused(s, { sign: false }, 'MissingAuthenticationTokenException', 'Missing Authentication Token').then(() => {}));
  });

  test('AUTH-02/03: an Authorization header that is not complete SigV4 is IncompleteSignatureException', async () => {
    await withServer(async (s) => {
      const strip = (re: RegExp) => (r: { headers: Record<string, string> }) => {
        r.headers.authorization = r.headers.authorization!.replace(re, '');
      };
      const noSig = await expectRefused(s, { after: strip(/, Signature=[0-9a-f]+/) }, 'IncompleteSignatureException');
      expect(noSig.message).toBe("Authorization header requires 'Signature' parameter.");
      const noCred = await expectRefused(s, { after: strip(/Credential=[^,]+, /) }, 'IncompleteSignatureException');
      expect(noCred.message).toBe("Authorization header requires 'Credential' parameter.");
      await expectRefused(
        s,
        {
          after: (r) => {
            r.headers.authorization = r.headers.authorization!.replace('AWS4-HMAC-SHA256', 'AWS4-ECDSA-P256-SHA256');
          },
        },
        'IncompleteSignatureException',
      );
      await expectRefused(s, { sign: false, extraHeaders: { authorization: 'Basic dXNlcjpwYXNz' } }, 'IncompleteSignatureException');
      await expectRefused(s, { sign: false, extraHeaders: { authorization: 'AWS4-HMAC-SHA256' } }, 'IncompleteSignatureException');
      const badPair = await expectRefused(
        s,
        {
          after: (r) => {
            r.headers.authorization = r.headers.authorization!.replace('Credential=', 'Credential ');
          },
        },
        'IncompleteSignatureException',
      );
      expect(badPair.message).toContain('not a valid key=value pair (missing equal-sign) in Authorization header');
      const scope = await expectRefused(
        s,
        {
          after: (r) => {
            r.headers.authorization = r.headers.authorization!.replace('/aws4_request', '');
          },
        },
        'IncompleteSignatureException',
      );
      expect(scope.message).toMatch(/^Credential must have exactly 5 slash-delimited elements, e\.g\. keyid\/date\/region\/service\/term, got '/);
    });
  });

  test('AUTH-04: an unknown access key is UnrecognizedClientException', async () => {
    await withServer((s) =>
      expectRefused(s, { accessKeyId: 'AKIAUNKNOWN000000000' }, 'UnrecognizedClientException', 'The security token included in the request is invalid.').then(
        () => {},
      ),
    );
  });

  test("AUTH-05: the wrong secret is InvalidSignatureException with AWS's words", async () => {
    await withServer((s) => expectRefused(s, { secretAccessKey: 'not-the-secret' }, 'InvalidSignatureException', MISMATCH).then(() => {}));
  });

  test('AUTH-06/07/11: a body changed after signing is refused, with or without x-amz-content-sha256; UNSIGNED-PAYLOAD is refused', async () => {
    await withServer(async (s) => {
      const tamper = (r: { body: string | Uint8Array }) => {
        r.body = JSON.stringify({ KeyId: `${MISSING.slice(0, -1)}6` });
      };
      await expectRefused(s, { after: tamper }, 'InvalidSignatureException', "The provided 'x-amz-content-sha256' header does not match what was computed.");
      await expectRefused(s, { after: tamper, contentSha256: false }, 'InvalidSignatureException', MISMATCH);
      // A forged hash that matches the forged body still breaks the signature.
      await expectRefused(
        s,
        {
          after: (r) => {
            tamper(r);
            r.headers['x-amz-content-sha256'] = sha256Hex(r.body as string);
          },
        },
        'InvalidSignatureException',
        MISMATCH,
      );
      await expectRefused(s, { extraHeaders: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }, 'InvalidSignatureException');
    });
  });

  test('AUTH-08: X-Amz-Target changed after signing (DescribeKey replayed as another operation) is refused', async () => {
    await withServer(async (s) => {
      await expectRefused(
        s,
        {
          after: (r) => {
            r.headers['x-amz-target'] = 'TrentService.ListKeys';
          },
        },
        'InvalidSignatureException',
        MISMATCH,
      );
    });
  });

  test('AUTH-09/10: host, x-amz-date and x-amz-target must be signed', async () => {
    await withServer(async (s) => {
      await expectRefused(s, { unsigned: ['x-amz-target'] }, 'InvalidSignatureException', "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.");
      await expectRefused(s, { unsigned: ['host'] }, 'InvalidSignatureException', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
      // smithy always signs x-amz-date; drop it from SignedHeaders by hand.
      await expectRefused(
        s,
        {
          after: (r) => {
            r.headers.authorization = r.headers.authorization!.replace(';x-amz-date', '');
          },
        },
        'InvalidSignatureException',
        "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.",
      );
    });
  });

  test('AUTH-12/13/14: ±5 minutes of clock skew; beyond, AWS\'s "Signature expired" / "not yet current" messages', async () => {
    const now = new Date('2026-11-23T23:50:18Z');
    await withServer(
      async (s) => {
        await expectRefused(
          s,
          { signingDate: new Date(now.getTime() - 6 * 60_000) },
          'InvalidSignatureException',
          'Signature expired: 20261123T234418Z is now earlier than 20261123T234518Z (20261123T235018Z - 5 min.)',
        );
        await expectRefused(
          s,
          { signingDate: new Date(now.getTime() + 6 * 60_000) },
          'InvalidSignatureException',
          'Signature not yet current: 20261123T235618Z is still later than 20261123T235518Z (20261123T235018Z + 5 min.)',
        );
        for (const minutes of [-5, -4, 4, 5]) {
          const res = await rawRequest(s, { target: 'ListKeys', signingDate: new Date(now.getTime() + minutes * 60_000) });
          expect([minutes, res.status]).toEqual([minutes, 200]);
        }
        // The Date header tells the client our clock.
        const res = await rawRequest(s, { target: 'ListKeys', signingDate: now });
        expect(res.headers.get('date')).toBe('Mon, 23 Nov 2026 23:50:18 GMT');
      },
      { now: () => now },
    );
  });

  test("AUTH-15/18: X-Amz-Date must be present, well-formed and on the credential scope's day", async () => {
    const now = new Date('2026-11-24T00:01:00Z');
    await withServer(
      async (s) => {
        await expectRefused(
          s,
          {
            signingDate: new Date('2026-11-23T23:59:00Z'),
            after: (r) => {
              r.headers['x-amz-date'] = '20261124T000100Z';
            },
          },
          'InvalidSignatureException',
          "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20261123' != '20261124', from '20261124T000100Z'.",
        );
        await expectRefused(
          s,
          {
            after: (r) => {
              delete r.headers['x-amz-date'];
            },
          },
          'IncompleteSignatureException',
        );
        await expectRefused(
          s,
          {
            after: (r) => {
              r.headers['x-amz-date'] = '2026-11-24T00:01:00Z';
            },
          },
          'IncompleteSignatureException',
        );
      },
      { now: () => now },
    );
  });

  test('AUTH-16/17: a credential scoped to another region or service is refused', async () => {
    await withServer(async (s) => {
      await expectRefused(s, { region: 'eu-west-1' }, 'InvalidSignatureException', 'Credential should be scoped to a valid region. ');
      await expectRefused(s, { service: 's3' }, 'InvalidSignatureException', "Credential should be scoped to correct service: 'kms'. ");
    });
  });

  test('AUTH-19: a session token for a static key is UnrecognizedClientException', async () => {
    await withServer((s) => expectRefused(s, { extraHeaders: { 'x-amz-security-token': 'FwoGZXIvYXdzE' } }, 'UnrecognizedClientException').then(() => {}));
  });

  test('AUTH-24: signed header values are canonicalised (trimmed, runs of spaces collapsed)', async () => {
    await withServer(async (s) => {
      const res = await rawRequest(s, { target: 'ListKeys', extraHeaders: { 'x-test': '  a    b  c ' } });
      expect(res.status).toBe(200);
    });
  });

  test('AUTH-22: the aws CLI (botocore: content-type;host;x-amz-date;x-amz-target signed, no payload hash) can Sign', async () => {
    if (!process.env.PATH?.split(':').some((d) => existsSync(`${d}/aws`))) {
      console.warn('aws CLI not installed; skipping the botocore signer check');
      return;
    }
    await withServer(async (s) => {
      const key = await s.keys.createKey(
        { keySpec: 'ECC_NIST_EDWARDS25519', keyUsage: 'SIGN_VERIFY', description: '', tags: [] },
        { accessKeyId: 'x', principal: 'x' },
      );
      const env = {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        AWS_ACCESS_KEY_ID: CREDS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: CREDS.secretAccessKey,
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_MAX_ATTEMPTS: '1',
      };
      const message = Buffer.from('hello from botocore').toString('base64');
      const { stdout } = await promisify(execFile)(
        'aws',
        [
          '--endpoint-url',
          s.url,
          '--region',
          REGION,
          '--output',
          'json',
          'kms',
          'sign',
          '--key-id',
          key.keyId,
          '--message',
          message,
          '--message-type',
          'RAW',
          '--signing-algorithm',
          'ED25519_SHA_512',
          '--cli-binary-format',
          'base64',
        ],
        { env, timeout: 30_000 },
      ).catch(async () =>
        promisify(execFile)(
          'aws',
          [
            // aws CLI v1 has no --cli-binary-format and base64-encodes the string itself.
            '--endpoint-url',
            s.url,
            '--region',
            REGION,
            '--output',
            'json',
            'kms',
            'sign',
            '--key-id',
            key.keyId,
            '--message',
            'hello from botocore',
            '--message-type',
            'RAW',
            '--signing-algorithm',
            'ED25519_SHA_512',
          ],
          { env, timeout: 30_000 },
        ),
      );
      const out = JSON.parse(stdout) as { KeyId: string; Signature: string; SigningAlgorithm: string };
      expect(out.KeyId).toBe(key.arn);
      const sig = Buffer.from(out.Signature, 'base64');
      expect(ed25519.verify(sig, Buffer.from('hello from botocore'), key.publicKeyDer!.subarray(12))).toBe(true);
    });
  }, 60_000);

  test('amz dates round-trip and impossible dates are rejected', () => {
    expect(formatAmzDate(new Date('2026-11-23T23:40:18.999Z'))).toBe('20261123T234018Z');
    expect(parseAmzDate('20261123T234018Z')?.toISOString()).toBe('2026-11-23T23:40:18.000Z');
    for (const bad of ['20261323T234018Z', '20260230T000000Z', '20261123T244018Z', '20261123T234018', '2026-11-23T23:40:18Z']) {
      expect([bad, parseAmzDate(bad)]).toEqual([bad, null]);
    }
  });
});

function sha256Hex(body: string): string {
  return createHash('sha256').update(body).digest('hex');
}
