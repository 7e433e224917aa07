/* global document, location, URLSearchParams, fetch, Node, window */
// The operator console's page (docs/console.md): signs every request with the credential typed
// into the login form (sigv4.js), polls /console/api/state every 2 s and the chosen party's audit
// log every 5 s, and draws the gateway's Prometheus figures as small SVG charts. Read-only: it only
// issues GET requests. No framework, no build step.
import { signGet } from './sigv4.js';

const $ = (sel) => document.querySelector(sel);
const POLL_MS = 2000;
const AUDIT_MS = 5000;
const SAMPLES = 60;

let credential = null;
let region = 'us-east-1';
let pollTimer = null;
let auditTimer = null;
const history = [];

/** A signed GET of the console API; throws an Error with the AWS error type and message. */
async function api(path, query = {}) {
  await info;
  const target =
    'TuttiConsole.' +
    path
      .split('/')
      .pop()
      .replace(/^./, (c) => c.toUpperCase());
  const headers = signGet({ path, query, host: location.host, target, region, ...credential });
  const qs = new URLSearchParams(query).toString();
  const res = await fetch(path + (qs ? '?' + qs : ''), { headers, cache: 'no-store' });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${body.__type ?? res.status}${body.message ? ': ' + body.message : ''}`);
  return body;
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c ?? '')));
  return e;
}

const time = (ms) =>
  ms
    ? new Date(ms)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z')
    : '—';
const short = (id) => (id && id.length > 13 ? id.slice(0, 8) + '…' : id);

function renderParties(state) {
  const tbody = $('#parties tbody');
  tbody.replaceChildren(
    ...state.parties.map((p) =>
      el(
        'tr',
        { 'data-party': p.partyId },
        el('td', {}, p.partyId),
        el('td', { class: p.connected ? 'ok' : 'bad' }, p.connected ? 'connected' : 'disconnected'),
        el('td', {}, time(p.since)),
        el('td', {}, p.sessions),
      ),
    ),
  );
  const f = state.figures;
  $('#gateway-figures').textContent =
    `sessions running or queued: ${f.sessions} · unsettled refreshes: ${f.unsettledRefreshes} · share deletions pending: ${f.pendingShareDeletions}`;
  const select = $('#audit-party');
  if (!select.options.length) {
    for (const p of state.parties) select.append(el('option', { value: p.partyId }, p.partyId));
  }
}

function renderKeys(state) {
  const parties = state.parties.map((p) => p.partyId);
  $('#keys thead').replaceChildren(
    el('tr', {}, ...['Key', 'Spec', 'State', 't of n', 'Created'].map((h) => el('th', {}, h)), ...parties.map((p) => el('th', {}, p))),
  );
  $('#keys tbody').replaceChildren(
    ...state.keys.map((k) => {
      const cells = parties.map((p) => {
        if (!k.parties.includes(p)) return el('td', { class: 'muted' }, '');
        if (k.revisions === null) return el('td', { class: 'muted' }, 'no access');
        const r = k.revisions.find((x) => x.partyId === p);
        return el('td', { 'data-revision': `${k.keyId}/${p}`, title: r ? `policy hash ${r.policyHash}` : 'no acknowledgement' }, r ? `rev ${r.revision}` : '—');
      });
      return el(
        'tr',
        { 'data-key-id': k.keyId },
        el('td', { class: 'mono', title: k.arn }, k.keyId),
        el('td', {}, k.keySpec),
        el('td', { class: k.keyState === 'Enabled' ? 'ok' : '' }, k.keyState),
        el('td', {}, `${k.threshold} of ${k.parties.length}`),
        el('td', {}, time(k.created)),
        ...cells,
      );
    }),
  );
}

function renderSignatures(state) {
  $('#signatures tbody').replaceChildren(
    ...state.signatures
      .slice(0, 50)
      .map((s) =>
        el(
          'tr',
          { 'data-signature-key': s.keyId },
          el('td', {}, time(s.at)),
          el('td', { class: 'mono', title: s.keyId }, short(s.keyId)),
          el('td', {}, s.signingAlgorithm),
          el('td', {}, s.messageType),
          el('td', { class: 'mono' }, s.principal.replace(/^arn:aws:iam::\d+:/, '')),
          el('td', { class: s.outcome === 'ok' ? 'ok' : 'bad' }, s.outcome),
          el('td', {}, s.ms),
        ),
      ),
  );
}

/** The charts: each figure as a rate (per second) or a level, over the last SAMPLES samples. */
const CHARTS = [
  { id: 'kms-rate', label: 'KMS requests / s', rate: (f) => f.kmsRequests },
  { id: 'sign-rate', label: 'Sign requests / s', rate: (f) => f.signRequests },
  { id: 'error-rate', label: 'KMS errors / s', rate: (f) => f.kmsErrors },
  { id: 'sign-latency', label: 'Sign latency, ms (mean over the interval)', ratio: (f) => [f.signSeconds * 1000, f.signCount] },
  { id: 'relay-rate', label: 'Relayed envelopes / s', rate: (f) => f.relayedEnvelopes },
  { id: 'relay-bytes', label: 'Relayed KB / s', rate: (f) => f.relayedBytes / 1024 },
  { id: 'aborts', label: 'Protocol aborts / s', rate: (f) => f.protocolAborts },
  { id: 'connected', label: 'Parties connected', level: (f) => f.partiesConnected },
  { id: 'sessions', label: 'Sessions running or queued', level: (f) => f.sessions },
];

function series(chart) {
  const out = [];
  for (let i = 1; i < history.length; i++) {
    const [a, b] = [history[i - 1], history[i]];
    const dt = (b.at - a.at) / 1000;
    if (chart.level) out.push(chart.level(b.figures));
    else if (chart.rate) out.push(dt > 0 ? Math.max(0, (chart.rate(b.figures) - chart.rate(a.figures)) / dt) : 0);
    else {
      const [sa, ca] = chart.ratio(a.figures);
      const [sb, cb] = chart.ratio(b.figures);
      out.push(cb > ca ? (sb - sa) / (cb - ca) : 0);
    }
  }
  return out;
}

function renderCharts() {
  const box = $('#charts');
  if (!box.children.length) {
    for (const c of CHARTS) {
      const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
      svg.setAttribute('viewBox', `0 0 ${SAMPLES} 48`);
      svg.setAttribute('preserveAspectRatio', 'none');
      svg.append(document.createElementNS('http://www.w3.org/2000/svg', 'polyline'));
      box.append(el('div', { class: 'chart', id: `chart-${c.id}` }, el('div', { class: 'label' }, c.label), el('div', { class: 'value' }, '—'), svg));
    }
  }
  for (const c of CHARTS) {
    const values = series(c);
    const node = $(`#chart-${c.id}`);
    const max = Math.max(1e-9, ...values);
    const last = values.at(-1);
    node.querySelector('.value').textContent = last === undefined ? '—' : last >= 100 ? last.toFixed(0) : last.toFixed(2);
    const x0 = SAMPLES - values.length;
    node.querySelector('polyline').setAttribute('points', values.map((v, i) => `${x0 + i},${(46 - (v / max) * 44).toFixed(2)}`).join(' '));
  }
}

async function poll() {
  try {
    const state = await api('/console/api/state');
    history.push({ at: state.now, figures: state.figures });
    if (history.length > SAMPLES + 1) history.shift();
    $('#who').textContent = state.caller;
    renderParties(state);
    renderKeys(state);
    renderSignatures(state);
    renderCharts();
  } catch (err) {
    $('#who').textContent = `refresh failed: ${err.message}`;
  }
}

async function pollAudit() {
  const partyId = $('#audit-party').value;
  if (!partyId) return;
  try {
    const log = await api('/console/api/audit', { party: partyId, limit: 50 });
    $('#audit-status').textContent = log.available ? `${log.total} entries in all` : 'party not connected or not answering';
    $('#audit tbody').replaceChildren(
      ...log.entries
        .slice()
        .reverse()
        .map((e) =>
          el(
            'tr',
            { 'data-audit-key': e.keyId },
            el('td', {}, e.seq),
            el('td', {}, time(e.at)),
            el('td', { class: 'mono', title: e.keyId }, short(e.keyId)),
            el('td', {}, e.event),
            el('td', { class: e.decision === 'allow' ? 'ok' : 'bad' }, e.decision),
            el('td', {}, e.code),
            el('td', {}, e.rule ?? ''),
            el('td', { class: 'mono', title: e.hash }, e.hash.slice(0, 12)),
          ),
        ),
    );
  } catch (err) {
    $('#audit-status').textContent = `audit log: ${err.message}`;
  }
}

$('#login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('#login-error').textContent = '';
  credential = { accessKeyId: $('#access-key').value.trim(), secretAccessKey: $('#secret').value };
  try {
    await api('/console/api/state'); // proves the credential before anything is shown
  } catch (err) {
    credential = null;
    $('#login-error').textContent = `Refused: ${err.message}`;
    return;
  }
  $('#secret').value = '';
  $('#login').hidden = true;
  $('#console').hidden = false;
  await poll();
  await pollAudit();
  pollTimer = setInterval(poll, POLL_MS);
  auditTimer = setInterval(pollAudit, AUDIT_MS);
  $('#audit-party').addEventListener('change', pollAudit);
});

window.addEventListener('pagehide', () => {
  clearInterval(pollTimer);
  clearInterval(auditTimer);
  credential = null;
});

// The region scopes every signature; asked once, before the first signed request.
const info = fetch('/console/api/info')
  .then((r) => r.json())
  .then((body) => {
    region = body.region;
  })
  .catch(() => {});
