// The gateway's liveness and readiness: /healthz answers as soon as it listens; /readyz is 503
// until two parties are linked (and names why); a gateway off loopback without TLS never starts.
import { expect, test } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway } from '../../../services/main/gateway.ts';
import { gatewayTls } from '../../../services/main/tls-config.ts';
import { generateIdentity, publicIdentity } from '../../../services/transport/identity.ts';
import type { GatewayConfig } from '../../../services/main/config.ts';

test('/healthz 200 and /readyz 503 with no party linked; JSON both', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tutti-ready-'));
  const config: GatewayConfig = {
    region: 'eu-west-1',
    accountId: '111122223333',
    coordinatorId: 'coordinator-ready',
    credentials: [{ accessKeyId: 'AKIATUTTITEST0000001', secretAccessKey: 'secret', principal: 'arn:aws:iam::111122223333:user/t' }],
    parties: ['party-1', 'party-2', 'party-3'].map((id) => publicIdentity(generateIdentity(id))),
  };
  const lines: string[] = [];
  process.env.TUTTI_GATEWAY_MASTER_KEY = 'ab'.repeat(32);
  const gw = await startGateway(config, join(dir, 'gateway'), { host: '127.0.0.1', port: 0, roundTimeoutMs: 1000, log: (l) => lines.push(l) });
  try {
    expect(gw.scheme).toBe('http');
    const health = await fetch(`http://127.0.0.1:${gw.port}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${gw.port}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ ready: false, reason: '0 of 2 parties needed are connected', connectedParties: [] });
  } finally {
    delete process.env.TUTTI_GATEWAY_MASTER_KEY;
    await gw.close();
  }
  expect(lines.at(-1)).toBe('gateway: stopped');
  // Closing twice is one close.
  await gw.close();
});

test('off loopback, no certificate: refused before anything listens', () => {
  expect(() => gatewayTls('0.0.0.0', {})).toThrow(/needs TLS/);
});
