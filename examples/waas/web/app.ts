// The page's side of the WaaS example: a DeviceParty (packages/party-client) in the browser. The
// vault key comes from the user's secret through PBKDF2 (a passkey's PRF output through HKDF is the
// stronger choice where the app has passkeys: docs/waas.md "The vault key").
import { DeviceParty, indexedDbStorage, registrationFromKms } from '../../../packages/party-client/src/index.ts';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const status = (s: string) => ($('status').textContent = s);

async function vaultKey(secret: string, partyId: string): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt: new TextEncoder().encode(`tutti-waas-example/${partyId}`), iterations: 210_000 },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

async function api<T>(path: string, body?: object): Promise<T> {
  const res = await fetch(path, body ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {});
  const json = (await res.json()) as T & { error?: string; __type?: string; message?: string };
  if (!res.ok) throw Object.assign(new Error(json.message ?? res.statusText), { type: json.error ?? json.__type ?? 'Error' });
  return json;
}

let party: DeviceParty | undefined;
let keyId = '';
let nonce = 0;

$('unlock').onclick = async () => {
  try {
    const config = await api<{ partiesUrl: string }>('/api/config');
    const partyId = localStorage.getItem('partyId') ?? `device-${crypto.randomUUID().slice(0, 8)}`;
    localStorage.setItem('partyId', partyId);
    status('opening the vault…');
    party = await DeviceParty.open({ partyId, storage: indexedDbStorage(partyId), key: await vaultKey($<HTMLInputElement>('secret').value, partyId) });
    status('registering the device…');
    const reg = await api<Parameters<typeof registrationFromKms>[0]>('/api/devices', party.identity);
    await party.connect({ url: config.partiesUrl, registration: registrationFromKms(reg) });
    status('creating the key (both parties run the DKG)…');
    const t0 = performance.now();
    const key = await api<{ keyId: string; address: string }>('/api/keys', { partyId });
    keyId = key.keyId;
    $('address').textContent = key.address;
    status(`ready (key made in ${Math.round(performance.now() - t0)} ms)`);
    $<HTMLButtonElement>('pay').disabled = false;
  } catch (e) {
    status(`failed: ${(e as Error).message}`);
  }
};

$('pay').onclick = async () => {
  const out = $('result');
  out.className = '';
  out.textContent = 'signing…';
  const t0 = performance.now();
  try {
    const r = await api<{ signedTransaction: string; hash: string }>('/api/sign', {
      keyId,
      to: $<HTMLInputElement>('to').value,
      valueWei: $<HTMLInputElement>('value').value,
      nonce: nonce++,
    });
    out.className = 'ok';
    out.dataset.ms = String(Math.round(performance.now() - t0));
    out.dataset.signed = r.signedTransaction;
    out.textContent = `signed ${r.hash} in ${out.dataset.ms} ms`;
  } catch (e) {
    out.className = 'denied';
    out.textContent = `refused (${(e as { type?: string }).type}): ${(e as Error).message}`;
  }
};
