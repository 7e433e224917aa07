// TLS is optional on loopback (npm start stays zero-config) and required anywhere else.
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatewayTls, isLoopbackHost, partyTls } from '../../../services/main/tls-config.ts';
import { createLog, parseLogFormat } from '../../../services/main/log.ts';

const dir = mkdtempSync(join(tmpdir(), 'tutti-tlscfg-'));
const cert = join(dir, 'c.pem');
const key = join(dir, 'k.pem');
writeFileSync(cert, 'CERT');
writeFileSync(key, 'KEY');

describe('tls-config', () => {
  test('loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'gateway', 'example.com', '128.0.0.1']) expect(isLoopbackHost(h)).toBe(false);
  });

  test('gateway: plain HTTP on loopback only; a certificate without its key is refused', () => {
    expect(gatewayTls('127.0.0.1', {})).toBeUndefined();
    expect(() => gatewayTls('0.0.0.0', {})).toThrow(/refusing to serve plain HTTP on 0.0.0.0/);
    expect(() => gatewayTls('0.0.0.0', { cert })).toThrow(/both a certificate and its key/);
    expect(gatewayTls('0.0.0.0', { cert, key })).toEqual({ cert: 'CERT', key: 'KEY' });
  });

  test('party: ws:// only to loopback; a CA only with wss://', () => {
    expect(partyTls('ws://127.0.0.1:4599/parties')).toEqual({});
    expect(() => partyTls('ws://gateway:4599/parties')).toThrow(/must be wss:\/\//);
    expect(() => partyTls('ws://127.0.0.1:4599/parties', cert)).toThrow(/not wss/);
    expect(partyTls('wss://gateway:4599/parties', cert)).toEqual({ ca: 'CERT' });
    expect(partyTls('wss://gateway:4599/parties')).toEqual({});
  });
});

describe('structured logs', () => {
  test('json: one object per line, request id lifted from the text, fields kept', () => {
    const lines: string[] = [];
    const log = createLog('gateway', 'json', (s) => lines.push(s));
    log('kms-api request=0b0e2c4e-1111-4222-8333-444455556666 op=Sign KMSInternalException: boom');
    log('access', { requestId: 'r-1', operation: 'Sign', status: 200 });
    const [a, b] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    expect(a).toMatchObject({ component: 'gateway', requestId: '0b0e2c4e-1111-4222-8333-444455556666', level: 'info' });
    expect(typeof a!.time).toBe('string');
    expect(b).toMatchObject({ requestId: 'r-1', operation: 'Sign', status: 200, msg: 'access' });
  });

  test('text is the line as is; unknown formats are refused', () => {
    const lines: string[] = [];
    createLog('party', 'text', (s) => lines.push(s))('hello');
    expect(lines).toEqual(['hello\n']);
    expect(parseLogFormat(undefined)).toBe('text');
    expect(parseLogFormat('json')).toBe('json');
    expect(() => parseLogFormat('xml')).toThrow(/text or json/);
  });
});
