// The operator commands (services/main/operator.ts, cli.ts init-operator / pin / tls): what each
// writes, that re-running keeps keys, and what they refuse.
import { describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliArgs } from '../../../services/main/cluster.ts';
import { ensureCa, initGatewayOperator, initPartyOperator, readPinFile, tlsPaths, writePeers } from '../../../services/main/operator.ts';
import { paths, type PeersConfig } from '../../../services/main/config.ts';
import { createCsr } from '../../../services/transport/certificates.ts';
import { writeFileSync } from 'node:fs';

const env = { TUTTI_MASTER_KEY: '' };

describe('operator commands', () => {
  test('three party identities, a gateway with certificate and config, peers.json pinning it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tutti-op-'));
    const ids = ['party-1', 'party-2', 'party-3'].map((id) => initPartyOperator(join(root, id), id, env));
    const caDir = join(root, 'ca');
    const r = await initGatewayOperator({
      root: join(root, 'cluster'),
      hosts: ['gw.example', '10.1.2.3'],
      parties: ids,
      caDir,
      region: 'eu-west-1',
      accountId: '111122223333',
      env,
    });
    expect(r.config.parties).toEqual(ids);
    expect(r.config.credentials).toHaveLength(1);
    const gwDir = paths.gatewayDir(join(root, 'cluster'));
    expect(statSync(tlsPaths.key(gwDir)).mode & 0o077).toBe(0);
    expect(statSync(tlsPaths.caKey(caDir)).mode & 0o077).toBe(0);
    const cert = new X509Certificate(readFileSync(r.files.cert!));
    expect(cert.checkIssued(new X509Certificate(readFileSync(r.files.ca!)))).toBe(true);
    expect(cert.checkHost('gw.example')).toBe('gw.example');
    expect(cert.checkIP('10.1.2.3')).toBe('10.1.2.3');

    // Re-running keeps the identity, credential and TLS key; a party with other keys is refused.
    const again = await initGatewayOperator({ root: join(root, 'cluster'), hosts: [], parties: ids.slice(0, 1), region: 'x', accountId: '1', env });
    expect(again.pin).toEqual(r.pin);
    expect(again.config.credentials).toEqual(r.config.credentials);
    expect(again.config.region).toBe('eu-west-1');
    const impostor = { ...ids[1]!, signPublic: ids[0]!.signPublic };
    await expect(initGatewayOperator({ root: join(root, 'cluster'), hosts: [], parties: [impostor], region: 'x', accountId: '1', env })).rejects.toThrow(
      /already pins party-2 with other keys/,
    );

    const pinFile = join(root, 'pin.json');
    writeFileSync(pinFile, JSON.stringify({ coordinator: r.pin }));
    expect(readPinFile(pinFile)).toEqual(r.pin);
    writePeers(join(root, 'party-2'), r.pin, ids);
    const peers = JSON.parse(readFileSync(paths.peers(join(root, 'party-2')), 'utf8')) as PeersConfig;
    expect(peers).toEqual({ coordinator: r.pin, peers: ids });
    expect(() => writePeers(join(root, 'party-2'), r.pin, [ids[0]!, ids[2]!])).toThrow(/do not include this party \(party-2\)/);
    expect(() => writePeers(join(root, 'party-2'), r.pin, [...ids, ids[0]!])).toThrow(/twice/);
  });

  test('a gateway without a CA folder gets a key and CSR only; without --host it is refused', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tutti-op-'));
    await expect(initGatewayOperator({ root, hosts: [], parties: [], region: 'r', accountId: '111122223333', env })).rejects.toThrow(/--host is needed/);
    const root2 = mkdtempSync(join(tmpdir(), 'tutti-op-'));
    const r = await initGatewayOperator({ root: root2, hosts: ['gw'], parties: [], region: 'r', accountId: '111122223333', env });
    expect(r.files.cert).toBeUndefined();
    expect(readFileSync(r.files.csr, 'utf8')).toMatch(/BEGIN CERTIFICATE REQUEST/);
  });

  test('cli: tls ca, then tls sign of an outside CSR', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tutti-op-'));
    const { csrPem } = await createCsr(['signed.example']);
    writeFileSync(join(dir, 'req.csr'), csrPem);
    const cli = (...args: string[]) =>
      new Promise<string>((resolve, reject) =>
        execFile(process.execPath, [...cliArgs(), ...args], { timeout: 60_000 }, (err, out, errOut) => (err ? reject(new Error(errOut)) : resolve(out))),
      );
    await cli('tls', 'ca', '--out', join(dir, 'ca'));
    expect(await cli('tls', 'sign', '--ca', join(dir, 'ca'), '--csr', join(dir, 'req.csr'), '--out', join(dir, 'signed.crt'))).toMatch(/wrote/);
    const cert = new X509Certificate(readFileSync(join(dir, 'signed.crt')));
    expect(cert.checkHost('signed.example')).toBe('signed.example');
    expect(cert.checkIssued(new X509Certificate((await ensureCa(join(dir, 'ca'))).certPem))).toBe(true);
    await expect(cli('init-operator', '--role', 'nope')).rejects.toThrow(/--role party\|gateway/);
  }, 90_000);
});
