// The operator console (docs/console.md) in Debian's headless Chromium, against real processes: a
// gateway and three parties, one Ed25519 key, one signature. The page is opened at /console, the
// login takes the gateway's access key and secret, and what an operator checks is asserted: the key,
// the parties connected, each party's signing-policy revision, the signature, the audit log entry
// of it at a party, and charts drawn. A wrong secret is refused. Screenshots go to test-artifacts/.
// Skipped, with a message, where no Chromium is installed.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CreateKeyCommand, type KMSClient, SignCommand } from '@aws-sdk/client-kms';
import type { Browser, Page } from 'playwright-core';
import { TEST_CREDENTIALS, TestCluster } from '../support/cluster.ts';

jest.setTimeout(90_000);

const CHROMIUM = process.env.TUTTI_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test-artifacts');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`console.test.ts: skipped — no Chromium at ${CHROMIUM} (apt-get install chromium, or set TUTTI_CHROMIUM)`);
const maybe = haveChromium ? describe : describe.skip;

let cluster: TestCluster;
let kms: KMSClient;
let browser: Browser;
let keyId: string;

beforeAll(async () => {
  if (!haveChromium) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  const { chromium } = await import('playwright-core');
  [cluster, browser] = await Promise.all([
    new TestCluster().start(),
    chromium.launch({
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
    }),
  ]);
  kms = cluster.client();
  const created = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY', Description: 'console e2e' }));
  keyId = created.KeyMetadata!.KeyId!;
  await kms.send(
    new SignCommand({ KeyId: keyId, Message: new TextEncoder().encode('seen by the console'), MessageType: 'RAW', SigningAlgorithm: 'ED25519_SHA_512' }),
  );
});

afterAll(async () => {
  kms?.destroy();
  await browser?.close();
  await cluster?.stop();
});

/** The little of the DOM these page functions use (they run in the browser; tsconfig has no DOM types). */
type BrowserGlobals = { document: { querySelectorAll(selector: string): Iterable<{ textContent: string | null; getAttribute(name: string): string | null }> } };

/** Waits until `selector` matches an element whose text contains `text`; returns that text. */
async function waitText(page: Page, selector: string, text: string, timeout = 15_000): Promise<string> {
  const handle = await page.waitForFunction(
    ([sel, want]) =>
      [...(globalThis as unknown as BrowserGlobals).document.querySelectorAll(sel!)].map((e) => e.textContent ?? '').find((t) => t.includes(want!)),
    [selector, text],
    { timeout },
  );
  return (await handle.jsonValue()) as string;
}

async function logIn(page: Page, secret: string): Promise<void> {
  await page.goto(`${cluster.endpoint}/console`);
  await page.fill('#access-key', TEST_CREDENTIALS.accessKeyId);
  await page.fill('#secret', secret);
  await page.click('#login-button');
}

maybe('operator console in headless Chromium', () => {
  test('a wrong secret is refused and nothing is shown', async () => {
    const page = await browser.newPage();
    try {
      await logIn(page, 'not-the-secret-at-all-00000000000000000000');
      expect(await waitText(page, '#login-error', 'Refused')).toMatch(/InvalidSignatureException|signature/i);
      expect(await page.locator('#console').isHidden()).toBe(true);
      await page.screenshot({ path: join(ARTIFACTS, 'console-refused.png') });
    } finally {
      await page.close();
    }
  });

  test('the key, the parties, each revision, the signature and the audit entry appear', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    try {
      await logIn(page, TEST_CREDENTIALS.secretAccessKey);
      const row = await waitText(page, `#keys tr[data-key-id="${keyId}"]`, 'Enabled');
      expect(row).toContain('ECC_NIST_EDWARDS25519');
      expect(row).toContain('2 of 3');
      for (const p of ['party-1', 'party-2', 'party-3']) {
        expect(await page.locator(`#parties tr[data-party="${p}"] td:nth-child(2)`).textContent()).toBe('connected');
        expect(await page.locator(`[data-revision="${keyId}/${p}"]`).textContent()).toBe('rev 1');
      }
      const signature = await waitText(page, `#signatures tr[data-signature-key="${keyId}"]`, 'ED25519_SHA_512');
      expect(signature).toContain('ok');
      // Party-1 signs (the first t connected, in key order): its audit log holds the decision.
      const audit = await waitText(page, `#audit tr[data-audit-key="${keyId}"]`, 'sign');
      expect(audit).toContain('allow');
      // Charts: a few more signatures while the page samples, then every chart has a line.
      for (let i = 0; i < 3; i++) {
        await kms.send(
          new SignCommand({ KeyId: keyId, Message: new TextEncoder().encode(`chart ${i}`), MessageType: 'RAW', SigningAlgorithm: 'ED25519_SHA_512' }),
        );
      }
      await page.waitForFunction(
        () =>
          [...(globalThis as unknown as BrowserGlobals).document.querySelectorAll('#charts polyline')].every(
            (p) => (p.getAttribute('points') ?? '').split(' ').length >= 2,
          ),
        null,
        { timeout: 15_000 },
      );
      expect(await page.locator('#charts .chart').count()).toBeGreaterThanOrEqual(6);
      await page.screenshot({ path: join(ARTIFACTS, 'console.png'), fullPage: true });
    } finally {
      await page.close();
    }
  });

  test('read-only: the console API has no write route, and refuses unsigned reads', async () => {
    const unsigned = await fetch(`${cluster.endpoint}/console/api/state`);
    expect(unsigned.status).toBe(400);
    expect(((await unsigned.json()) as { __type: string }).__type).toBe('MissingAuthenticationTokenException');
    const post = await fetch(`${cluster.endpoint}/console/api/state`, { method: 'POST', body: '{}' });
    expect(((await post.json()) as { __type: string }).__type).toBe('UnsupportedOperationException');
  });
});
