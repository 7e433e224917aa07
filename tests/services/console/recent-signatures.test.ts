// The gateway's bounded memory of Sign outcomes for the console (services/console/recent-signatures.ts).
import { describe, expect, test } from '@jest/globals';
import { RecentSignatures, recordingSigns } from '../../../services/console/recent-signatures.ts';
import { KmsError } from '../../../services/kms-api/errors.ts';
import type { KeyService } from '../../../services/kms-api/key-service.ts';

const record = (i: number) => ({ at: i, keyId: `k${i}`, signingAlgorithm: 'ED25519_SHA_512', messageType: 'RAW', principal: 'p', outcome: 'ok', ms: 1 });

describe('recent signatures', () => {
  test('keeps the last `capacity` outcomes, newest first', () => {
    const ring = new RecentSignatures(3);
    for (let i = 1; i <= 5; i++) ring.add(record(i));
    expect(ring.list().map((r) => r.at)).toEqual([5, 4, 3]);
    const small = new RecentSignatures(3);
    small.add(record(1));
    expect(small.list().map((r) => r.at)).toEqual([1]);
  });

  test('records each Sign through the KeyService, ok or the AWS error type, and passes everything else through', async () => {
    const ring = new RecentSignatures();
    let fail = false;
    const inner = {
      name: 'inner',
      sign: async () => {
        if (fail) throw new KmsError('DisabledException', 'disabled');
        return { key: { keyId: 'resolved-id' }, signature: new Uint8Array(64) };
      },
      describeKey: async function (this: { name: string }) {
        return this.name;
      },
    } as unknown as KeyService;
    const svc = recordingSigns(inner, ring);
    const caller = { accessKeyId: 'a', principal: 'arn:aws:iam::111122223333:user/x' };
    const req = { keyId: 'alias/x', message: new Uint8Array(1), messageType: 'RAW' as const, signingAlgorithm: 'ED25519_SHA_512' };
    await svc.sign(req, caller);
    fail = true;
    await expect(svc.sign(req, caller)).rejects.toThrow('disabled');
    expect(ring.list().map((r) => [r.keyId, r.outcome, r.principal])).toEqual([
      ['alias/x', 'DisabledException', caller.principal],
      ['resolved-id', 'ok', caller.principal],
    ]);
    expect(await svc.describeKey('x', caller)).toBe('inner');
  });
});
