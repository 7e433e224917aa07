// The console's API (services/console/console-api.ts) against a stand-in KeyService: a caller sees
// the signatures and audit entries of the keys it can list only; every read needs a SigV4
// signature with that read's own X-Amz-Target; nothing but GET exists.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
// @ts-expect-error -- plain browser JavaScript, no type declarations
import { signGet } from '../../../services/console/public/sigv4.js';
import { consoleRouter } from '../../../services/console/console-api.ts';
import { RecentSignatures } from '../../../services/console/recent-signatures.ts';
import type { AuditQueries } from '../../../services/console/audit-queries.ts';
import { createMetrics } from '../../../services/metrics/metrics.ts';
import type { Caller, KeyRecord, KeyService } from '../../../services/kms-api/key-service.ts';

const sign = signGet as (o: Record<string, unknown>) => Record<string, string>;
const ops = {
  accessKeyId: 'AKIACONSOLEOPS000001',
  secretAccessKey: 'ops-secret-00000000000000000000000000000',
  principal: 'arn:aws:iam::111122223333:user/ops',
};
const app1 = {
  accessKeyId: 'AKIACONSOLEAPP000001',
  secretAccessKey: 'app-secret-00000000000000000000000000000',
  principal: 'arn:aws:iam::111122223333:user/app',
};
const KEY_A = 'aaaaaaaa-0000-4000-8000-000000000001';
const KEY_B = 'bbbbbbbb-0000-4000-8000-000000000002';

const record = (keyId: string): KeyRecord =>
  ({
    keyId,
    arn: `arn:aws:kms:eu-west-1:111122223333:key/${keyId}`,
    keySpec: 'ECC_NIST_EDWARDS25519',
    keyState: 'Enabled',
    description: '',
    creationDate: new Date(0),
    threshold: 2,
    parties: ['party-1', 'party-2', 'party-3'],
  }) as unknown as KeyRecord;
// ops may list both keys and read KEY_A's policy only; app lists KEY_B only.
const keys = {
  listKeys: async (_l: number, _m: string | undefined, caller: Caller) => ({
    keys: caller.principal === ops.principal ? [record(KEY_A), record(KEY_B)] : [record(KEY_B)],
  }),
  signingPolicyRevisions: async (keyId: string) => {
    if (keyId !== KEY_A) throw new Error('AccessDeniedException');
    return [1, 2, 3].map((i) => ({ partyId: `party-${i}`, revision: 1, policyHash: 'h', signature: 's' }));
  },
} as unknown as KeyService;

const signatures = new RecentSignatures();
for (const keyId of [KEY_A, KEY_B])
  signatures.add({ at: 1, keyId, signingAlgorithm: 'ED25519_SHA_512', messageType: 'RAW', principal: 'p', outcome: 'ok', ms: 5 });
const entry = (seq: number, keyId: string) => ({
  seq,
  at: 1,
  keyId,
  session: 's',
  event: 'sign',
  decision: 'allow',
  code: 'ALLOW',
  rule: null,
  reasons: [],
  detail: {},
  requestDigest: 'd',
  prevHash: 'p',
  hash: 'h',
});
const audits = { ask: async () => ({ type: 'audit-log', id: 'x', total: 2, entries: [entry(1, KEY_A), entry(2, KEY_B)] }) } as unknown as AuditQueries;

let server: Server;
let host = '';
beforeAll(async () => {
  const app = express();
  app.use(
    '/console',
    consoleRouter({
      keys,
      credentials: [ops, app1],
      region: 'eu-west-1',
      parties: ['party-1', 'party-2', 'party-3'],
      isConnected: (p) => p !== 'party-3',
      connectionChanges: new Map(),
      signatures,
      audits,
      metrics: createMetrics('gateway'),
      gateway: () => ({ sessions: 0 }),
    }),
  );
  server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function get(path: string, who: typeof ops, target: string, query: Record<string, string> = {}) {
  const headers = sign({ path, query, host, target, region: 'eu-west-1', ...who });
  const qs = new URLSearchParams(query).toString();
  const res = await fetch(`http://${host}${path}${qs ? '?' + qs : ''}`, { headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('console API', () => {
  test('state: keys the caller can list, revisions where it may read the policy, parties, and only its keys’ signatures', async () => {
    const { status, body } = await get('/console/api/state', ops, 'TuttiConsole.State');
    expect(status).toBe(200);
    const shown = body.keys as { keyId: string; revisions: unknown }[];
    expect(shown.map((k) => k.keyId)).toEqual([KEY_A, KEY_B]);
    expect(shown[0]!.revisions).toHaveLength(3);
    expect(shown[1]!.revisions).toBeNull();
    expect((body.parties as { connected: boolean }[]).map((p) => p.connected)).toEqual([true, true, false]);
    const other = await get('/console/api/state', app1, 'TuttiConsole.State');
    expect((other.body.signatures as { keyId: string }[]).map((s) => s.keyId)).toEqual([KEY_B]);
  });

  test("audit: a party's entries for the caller's keys only", async () => {
    const { body } = await get('/console/api/audit', app1, 'TuttiConsole.Audit', { party: 'party-1' });
    expect((body.entries as { keyId: string }[]).map((e) => e.keyId)).toEqual([KEY_B]);
    expect((await get('/console/api/audit', app1, 'TuttiConsole.Audit', { party: 'party-9' })).body.__type).toBe('ValidationException');
  });

  test('a signature made for one read is refused for another, and a KMS target is no console read', async () => {
    expect((await get('/console/api/state', ops, 'TuttiConsole.Audit')).body.__type).toBe('UnknownOperationException');
    expect((await get('/console/api/state', ops, 'TrentService.ListKeys')).body.__type).toBe('UnknownOperationException');
  });

  test('read-only: no other method, and unsigned reads are refused', async () => {
    const post = await fetch(`http://${host}/console/api/state`, { method: 'POST' });
    expect(((await post.json()) as { __type: string }).__type).toBe('UnsupportedOperationException');
    const unsigned = await fetch(`http://${host}/console/api/state`);
    expect(((await unsigned.json()) as { __type: string }).__type).toBe('MissingAuthenticationTokenException');
    const page = await fetch(`http://${host}/console/`);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await page.text()).toContain('Tutti console');
  });
});
