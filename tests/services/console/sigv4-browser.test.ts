// The console's browser-side SigV4 (services/console/public/sigv4.js): its SHA-256 and HMAC equal
// node:crypto's, and what it signs passes the gateway's own verifier (services/kms-api/sigv4.ts);
// a wrong secret does not.
import { describe, expect, test } from '@jest/globals';
import { createHash, createHmac, randomBytes } from 'node:crypto';
// @ts-expect-error -- plain browser JavaScript, no type declarations
import { hmacSha256, sha256, signGet } from '../../../services/console/public/sigv4.js';
import { verifySigV4 } from '../../../services/kms-api/sigv4.ts';
import { KmsError } from '../../../services/kms-api/errors.ts';

const sha = sha256 as (b: Uint8Array) => Uint8Array;
const hmac = hmacSha256 as (k: Uint8Array, m: Uint8Array) => Uint8Array;
const sign = signGet as (o: Record<string, unknown>) => Record<string, string>;

const credential = {
  accessKeyId: 'AKIACONSOLETEST00001',
  secretAccessKey: 'console-secret-0000000000000000000000000',
  principal: 'arn:aws:iam::111122223333:user/ops',
};
const credentials = new Map([[credential.accessKeyId, credential]]);

function verify(headers: Record<string, string>, url: string, now = new Date()) {
  const rawHeaders = ['Host', '127.0.0.1:4599', ...Object.entries(headers).flat()];
  return verifySigV4({ method: 'GET', url, rawHeaders, body: Buffer.alloc(0) }, { credentials, region: 'eu-west-1', service: 'kms', now });
}

describe('console SigV4 in the browser', () => {
  test('SHA-256 and HMAC-SHA-256 equal node:crypto at every padding boundary', () => {
    for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000]) {
      const data = randomBytes(n);
      expect(Buffer.from(sha(data)).toString('hex')).toBe(createHash('sha256').update(data).digest('hex'));
      for (const keyLength of [0, 32, 64, 65, 100]) {
        const key = randomBytes(keyLength);
        expect(Buffer.from(hmac(key, data)).toString('hex')).toBe(createHmac('sha256', key).update(data).digest('hex'));
      }
    }
  });

  test('a signed GET passes the gateway verifier, with and without a query', () => {
    const date = new Date();
    const plain = sign({ path: '/console/api/state', target: 'TuttiConsole.State', host: '127.0.0.1:4599', region: 'eu-west-1', ...credential, date });
    expect(verify(plain, '/console/api/state')).toEqual({ accessKeyId: credential.accessKeyId, principal: credential.principal });
    const withQuery = sign({
      path: '/console/api/audit',
      target: 'TuttiConsole.Audit',
      query: { party: 'party-1', limit: 50 },
      host: '127.0.0.1:4599',
      region: 'eu-west-1',
      ...credential,
      date,
    });
    expect(verify(withQuery, '/console/api/audit?party=party-1&limit=50').principal).toBe(credential.principal);
  });

  test('a wrong secret, another path or another region is refused with an AWS error', () => {
    const wrong = sign({
      path: '/console/api/state',
      target: 'TuttiConsole.State',
      host: '127.0.0.1:4599',
      region: 'eu-west-1',
      ...credential,
      secretAccessKey: 'not-the-secret',
    });
    expect(() => verify(wrong, '/console/api/state')).toThrow(KmsError);
    const good = sign({ path: '/console/api/state', target: 'TuttiConsole.State', host: '127.0.0.1:4599', region: 'eu-west-1', ...credential });
    expect(() => verify(good, '/console/api/audit')).toThrow(/signature/i);
    const region = sign({ path: '/console/api/state', target: 'TuttiConsole.State', host: '127.0.0.1:4599', region: 'us-east-1', ...credential });
    expect(() => verify(region, '/console/api/state')).toThrow(KmsError);
  });
});
