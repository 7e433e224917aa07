// The WaaS example in real headless Chromium (issue 16, examples/waas, docs/waas.md): the page runs
// a device party (the browser bundle of packages/party-client), the example backend registers it
// and creates a 2-of-2 device+server Ethereum key; the page signs an EIP-1559 payment the key's
// policy allows — the signed transaction recovers to the address shown — and is refused one it
// does not allow. Chromium is Debian's (/usr/bin/chromium, or CHROMIUM_PATH); without one the file
// is skipped with a message saying so.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { recoverTransactionAddress, type TransactionSerialized } from 'viem';
import { CreateKeyCommand, GetPublicKeyCommand, SignCommand } from '@aws-sdk/client-kms';
import { ed25519 } from '@noble/curves/ed25519.js';
import { startWalletBackend } from '../../examples/waas/server.ts';
import { ACCOUNT, REGION, TEST_CREDENTIALS, TestCluster } from '../support/cluster.ts';

// What the page functions below read (they run in Chromium; the repo's typecheck has no DOM types).
declare const document: { getElementById(id: string): { textContent: string | null; className: string } | null };
declare const localStorage: { getItem(key: string): string | null };
type PageElement = { className: string; textContent: string | null; dataset: Record<string, string | undefined> };

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`waas-browser: SKIPPED — no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);

(haveChromium ? describe : describe.skip)('WaaS example in Chromium', () => {
  let cluster: TestCluster;
  let backend: Awaited<ReturnType<typeof startWalletBackend>>;
  let browser: Browser;
  let page: Page;
  let address = '';

  beforeAll(async () => {
    cluster = await new TestCluster().start({ parties: 1, gatewayEnv: { TUTTI_ROUND_TIMEOUT_MS: '8000' } });
    backend = await startWalletBackend({
      endpoint: cluster.endpoint,
      region: REGION,
      accountId: ACCOUNT,
      credentials: TEST_CREDENTIALS,
      serverParty: 'party-1',
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage();
    page.on('console', (m) => process.env.TUTTI_DEBUG && console.log(`page: ${m.text()}`));
    await page.goto(backend.url);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await backend?.close();
    await cluster?.stop();
  });

  test('the page makes a 2-of-2 device+server key and shows its address', async () => {
    await page.fill('#secret', 'correct horse battery staple');
    await page.click('#unlock');
    await page.waitForFunction(() => /^(ready|failed)/.test(document.getElementById('status')!.textContent ?? ''), null, { timeout: 70_000 });
    expect(await page.textContent('#status')).toMatch(/^ready/);
    address = (await page.textContent('#address')) ?? '';
    expect(address).toMatch(/^0x[0-9a-f]{40}$/);
  }, 80_000);

  const pay = async (valueWei: string): Promise<{ cls: string; text: string; signed?: string; ms?: number }> => {
    await page.fill('#value', valueWei);
    await page.click('#pay');
    await page.waitForFunction(() => ['ok', 'denied'].includes(document.getElementById('result')!.className), null, { timeout: 30_000 });
    const r = await page.$eval('#result', (e) => ({
      cls: e.className,
      text: e.textContent ?? '',
      signed: (e as unknown as PageElement).dataset.signed,
      ms: Number((e as unknown as PageElement).dataset.ms),
    }));
    await page.$eval('#result', (e) => (e.className = ''));
    return r;
  };

  test('a payment the policy allows is signed: the transaction recovers to the address shown', async () => {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await pay('1000000000000000'); // 0.001 ETH
      expect({ cls: r.cls, text: r.cls === 'ok' ? '' : r.text }).toEqual({ cls: 'ok', text: '' });
      expect((await recoverTransactionAddress({ serializedTransaction: r.signed as TransactionSerialized })).toLowerCase()).toBe(address);
      times.push(r.ms!);
    }
    console.log(`device-party (Chromium) secp256k1 2-of-2 Sign, page to signed tx: median ${[...times].sort((a, b) => a - b)[1]} ms over ${times.length}`);
  }, 60_000);

  test('a payment over the limit is refused by the policy, with the AWS error', async () => {
    const r = await pay('1000000000000000000'); // 1 ETH
    expect(r.cls).toBe('denied');
    expect(r.text).toMatch(/AccessDeniedException/);
  }, 30_000);

  test('measurement: an Ed25519 (Solana) 2-of-2 key of the same device party in Chromium, signed through the SDK', async () => {
    const partyId = await page.evaluate(() => localStorage.getItem('partyId'));
    const kms = cluster.client();
    const created = await kms.send(
      new CreateKeyCommand({
        KeySpec: 'ECC_NIST_EDWARDS25519',
        KeyUsage: 'SIGN_VERIFY',
        Tags: [
          { TagKey: 'tutti:parties', TagValue: `party-1,${partyId}` },
          { TagKey: 'tutti:threshold', TagValue: '2' },
        ],
      }),
    );
    const keyId = created.KeyMetadata!.KeyId!;
    const pub = (await kms.send(new GetPublicKeyCommand({ KeyId: keyId }))).PublicKey!.subarray(-32);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const message = new TextEncoder().encode(`solana message ${i}`);
      const t0 = performance.now();
      const out = await kms.send(new SignCommand({ KeyId: keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ED25519_SHA_512' }));
      times.push(performance.now() - t0);
      expect(ed25519.verify(out.Signature!, message, pub, { zip215: false })).toBe(true);
    }
    console.log(`device-party (Chromium) Ed25519 2-of-2 Sign: median ${[...times].sort((a, b) => a - b)[2]!.toFixed(0)} ms over ${times.length}`);
  }, 60_000);
});
