// A DKLs23 share restored from a backup is dealer-only (protocols/dkls23/keyshare.ts `dealerOnly`):
// a real Party holding one refuses to sign, presign or refresh with it, with an error that says
// why, before any session or policy decision (services/party/protocol-families.ts dealsOnly).
// Dealing with it in a reshare: tests/protocols/backup/dkls23-restore.test.ts and the drill
// tests/e2e/backup-drill-dkls.slow.test.ts.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { isDealerOnlyShare, parseDealerShare, type DklsKeyShare } from '../../../protocols/dkls23/keyshare.ts';
import { bytesToHex } from '../../../protocols/core/bytes.ts';
import { SessionFailed } from '../../../services/coordinator/session-runner.ts';
import type { KeyMeta } from '../../../services/party/party-options.ts';
import { makeHarness, type Harness } from '../../support/party-harness.ts';
import { testKey } from '../../support/dkls23-test-keys.ts';

const KEY = '3a0e0d0c-0b0a-4908-8706-0504030201ff';
let h: Harness;

beforeAll(() => {
  h = makeHarness({ refreshes: true });
  const key = testKey('secp256k1-2of3');
  // The share as a restore leaves it: the original without its OT material, marked dealer-only.
  // tests/protocols/backup/dkls23-restore.test.ts checks that restoreShare gives exactly this from a
  // backup (a verifiable encryption of every bit of the scalar: seconds on secp256k1); the subject
  // here is the party's refusal, so the share is built directly, and checked as a dealer share.
  const { peers: _peers, ...publicAndSecret } = key.shares.get(1)!;
  const share: DklsKeyShare = { ...publicAndSecret, peers: {}, dealerOnly: true };
  expect(isDealerOnlyShare(share)).toBe(true);
  expect(() => parseDealerShare(share)).not.toThrow();
  const meta: KeyMeta = {
    keySpec: 'ECC_SECG_P256K1',
    protocol: 'dkls23-secp256k1',
    suite: 'secp256k1',
    threshold: 2,
    n: 3,
    parties: h.allowlist.slice(0, 3),
    publicKey: bytesToHex(key.publicKey),
    transcriptHash: share.transcriptHash,
    policyHash: null,
    self: 1,
  };
  const shares = h.nodes.get('party-1')!.shares;
  shares.putPending({ keyId: KEY, protocol: 'dkls23-secp256k1', version: 1, share, meta });
  shares.activate(KEY, 1);
});
afterAll(() => h?.close());

async function refusal(p: Promise<unknown>): Promise<{ kind: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SessionFailed) return { kind: e.failure.kind, message: e.failure.message };
    throw e;
  }
  throw new Error('the restored share was used');
}

const alone = new Map([[1, 'party-1']]);
const WHY = /restored from a backup without its OT material; it only deals in a ReshareKey/;

describe('a party holding a restored (dealer-only) DKLs23 share', () => {
  test('refuses to sign with it', async () => {
    const request = {
      message: Buffer.from('restored').toString('base64'),
      messageType: 'RAW' as const,
      signingAlgorithm: 'ECDSA_SHA_256',
      caller: { accessKeyId: 'AKIA', principal: 'p' },
    };
    const r = await refusal(
      h.runner.run('dkls23-secp256k1/sign', alone, (session) => ({ type: 'open', kind: 'sign', session, keyId: KEY, signers: [1, 2], request })),
    );
    expect(r).toEqual({ kind: 'bad-parameters', message: expect.stringMatching(WHY) });
  });

  test('refuses to presign or refresh with it', async () => {
    const presign = await refusal(
      h.runner.run('dkls23-secp256k1/presign', alone, (session) => ({ type: 'open', kind: 'presign', session, keyId: KEY, signers: [1, 2] })),
    );
    expect(presign.message).toMatch(WHY);
    const refresh = await refusal(
      h.runner.run('dkls23-secp256k1/refresh', alone, (session) => ({ type: 'open', kind: 'refresh', session, keyId: KEY, liftBans: false })),
    );
    expect(refresh.message).toMatch(WHY);
    expect(h.nodes.get('party-1')!.shares.activeVersion(KEY)).toBe(1);
  });
});
