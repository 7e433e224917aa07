// Trust review E5 (M3): the party did not authenticate the coordinator, so an impostor on the
// party's ws:// link (any coordinator id, the party's public identity) got it to log in and obey
// 'delete-key'. Now the party pins the gateway's key (peers.json "coordinator", as
// startPartyFromDir does): the link becomes ready only once the coordinator signed the party's
// own challenge, and every control message must carry the gateway's signature and the next
// per-connection sequence number.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import { CoordinatorHub, PartyLink } from '../../../services/transport/channel.ts';
import { AUTH_OK, coordinatorAuthMessage, createChallenge, partyChallengeOf, verifyResponse } from '../../../services/transport/auth.ts';
import { MAX_CONTROL_FRAME_BYTES, bytesToBase64, decodeControl, encodeControl } from '../../../services/transport/control.ts';
import { generateCoordinatorIdentity, pinVerifier } from '../../../services/transport/coordinator-identity.ts';
import { signControl, verifyControl } from '../../../services/transport/control-signature.ts';
import { publicIdentity } from '../../../services/transport/identity.ts';
import type { CoordinatorToParty } from '../../../services/control/messages.ts';
import { makeHarness, sleep, type Harness } from '../../support/party-harness.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initParty } from '../../../services/main/cluster.ts';
import { startPartyFromDir } from '../../../services/main/party-daemon.ts';

const KEY = '6a0e0d0c-0b0a-4908-8706-050403020100';
let h: Harness;
const waitFor = async (ok: () => boolean, ms = 4000) => {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await sleep(20);
  return ok();
};

beforeAll(async () => {
  h = makeHarness({ deletionWaitMs: 0 });
  await h.dkg(KEY);
});
afterAll(() => h.close());

/** party-1's link, configured as startPartyFromDir configures it: the gateway's key pinned. */
function victimLink(url: string) {
  const victim = h.nodes.get('party-1')!;
  const refused: string[] = [];
  const delivered: unknown[] = [];
  const link = new PartyLink({
    url,
    identity: victim.identity,
    coordinator: h.gateway.pin,
    minBackoffMs: 50,
    maxBackoffMs: 100,
    onMessage: (m) => {
      delivered.push(m);
      victim.party.handle(m as unknown as CoordinatorToParty);
    },
    onRefused: (r) => refused.push(r),
  });
  link.start();
  return { link, refused, delivered, victim };
}

describe('a party authenticates its coordinator', () => {
  test('E5: an impostor hub with another coordinator id gets no login and deletes no share', async () => {
    const impostor = new CoordinatorHub({ server: 0, coordinatorId: 'definitely-not-the-gateway', parties: [h.allowlist[0]!] });
    await impostor.listening();
    const { link, refused, victim } = victimLink(impostor.url()!);
    try {
      expect(await waitFor(() => refused.length >= 2)).toBe(true);
      expect(impostor.isConnected('party-1')).toBe(false);
      expect(link.isReady()).toBe(false);
      expect(refused[0]).toMatch(/refused a coordinator calling itself "definitely-not-the-gateway"/);
      impostor.send('party-1', { type: 'delete-key', keyId: KEY });
      await sleep(100);
      expect(victim.shares.activeVersion(KEY)).toBe(1);
    } finally {
      await link.close();
      await impostor.close();
    }
  });

  test('an impostor using the genuine id but its own key, or a hub that proves no key, is refused', async () => {
    const otherKey = generateCoordinatorIdentity(h.gateway.coordinatorId).identity;
    for (const identity of [otherKey, undefined]) {
      const hub = new CoordinatorHub({ server: 0, coordinatorId: h.gateway.coordinatorId, parties: [h.allowlist[0]!], ...(identity ? { identity } : {}) });
      await hub.listening();
      const { link, refused, victim } = victimLink(hub.url()!);
      try {
        expect(await waitFor(() => refused.length >= 1)).toBe(true);
        expect(refused[0]).toMatch(identity ? /does not verify under the pinned key: not the configured gateway/ : /did not prove its key/);
        expect(link.isReady()).toBe(false);
        expect(link.stats.authFailures).toBeGreaterThanOrEqual(1);
        hub.send('party-1', { type: 'delete-key', keyId: KEY });
        await sleep(100);
        expect(victim.shares.activeVersion(KEY)).toBe(1);
      } finally {
        await link.close();
        await hub.close();
      }
    }
  });

  test('the genuine gateway: mutual authentication, signed messages delivered without their signature fields', async () => {
    const hub = new CoordinatorHub({ server: 0, coordinatorId: h.gateway.coordinatorId, parties: [h.allowlist[0]!], identity: h.gateway });
    await hub.listening();
    const { link, delivered, refused } = victimLink(hub.url()!);
    try {
      await link.waitReady(4000);
      hub.send('party-1', { type: 'peer-commitments', keyId: KEY, commitments: [] });
      // A message that fits the frame limit unsigned but not signed is not sent, and uses up no sequence number.
      const base = { type: 'peer-commitments', keyId: KEY, commitments: [''] };
      const pad = MAX_CONTROL_FRAME_BYTES - 20 - JSON.stringify(base).length;
      expect(hub.send('party-1', { ...base, commitments: ['x'.repeat(pad)] })).toBe(false);
      hub.send('party-1', { type: 'peer-commitments', keyId: KEY, commitments: [] });
      expect(await waitFor(() => delivered.length === 2)).toBe(true);
      expect(delivered[0]).toEqual({ type: 'peer-commitments', keyId: KEY, commitments: [] });
      expect(refused).toEqual([]);
    } finally {
      await link.close();
      await hub.close();
    }
  });

  test('on an authenticated link, unsigned, replayed and tampered control messages are dropped with a reason', async () => {
    // A coordinator that holds the genuine key but misbehaves on the wire (or a man in the middle
    // injecting frames into the ws:// stream): the party delivers only correctly signed, in-sequence messages.
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    const sockets: WebSocket[] = [];
    wss.on('connection', (ws) => {
      sockets.push(ws);
      const { message, challenge } = createChallenge(h.gateway.coordinatorId);
      ws.send(encodeControl(message));
      ws.once('message', (data) => {
        const msg = decodeControl((data as Buffer).toString())!;
        const v = verifyResponse(msg, h.gateway.coordinatorId, challenge, new Map([['party-1', publicIdentity(h.nodes.get('party-1')!.identity)]]));
        if (!v.ok) return ws.close();
        const nonce = partyChallengeOf(msg)!;
        ws.send(
          encodeControl({
            type: AUTH_OK,
            signature: bytesToBase64(h.gateway.sign(coordinatorAuthMessage(h.gateway.coordinatorId, 'party-1', nonce, challenge))),
          }),
        );
        const link = { coordinatorId: h.gateway.coordinatorId, partyId: 'party-1', nonce };
        const del = { type: 'delete-key', keyId: KEY, due: true, record: h.deletionRecord(KEY, { windowDays: 0 }) };
        ws.send(JSON.stringify(del)); // unsigned
        const first = signControl({ type: 'peer-commitments', keyId: KEY, commitments: [] }, 1, link, h.gateway.sign);
        ws.send(first);
        ws.send(first); // replayed
        ws.send(signControl(del, 2, link, h.gateway.sign).replace('"due":true', '"due":false')); // tampered after signing
        ws.send(signControl(del, 3, { ...link, nonce: new Uint8Array(32) }, h.gateway.sign)); // signed for another connection
      });
    });
    const { link, delivered, refused, victim } = victimLink(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/parties`);
    try {
      expect(await waitFor(() => refused.length >= 4)).toBe(true);
      expect(delivered).toEqual([{ type: 'peer-commitments', keyId: KEY, commitments: [] }]);
      expect(refused[0]).toMatch(/unsigned 'delete-key' message/);
      expect(refused[1]).toMatch(/out of sequence .*replayed or reordered/);
      expect(refused[2]).toMatch(/does not verify under the pinned coordinator key/);
      expect(refused[3]).toMatch(/out of sequence|does not verify/);
      expect(link.stats.refusedControl).toBe(4);
      expect(victim.shares.activeVersion(KEY)).toBe(1);
    } finally {
      await link.close();
      for (const s of sockets) s.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
    }
  });

  test('a party whose peers.json pins no coordinator refuses to start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tutti-nopin-'));
    try {
      const me = initParty(join(dir, 'party-1'), 'party-1');
      writeFileSync(join(dir, 'party-1', 'peers.json'), JSON.stringify({ peers: [me] }));
      await expect(startPartyFromDir(join(dir, 'party-1'), { coordinatorUrl: 'ws://127.0.0.1:1/parties', log: () => {} })).rejects.toThrow(
        /pins no coordinator: add \{"coordinator"/,
      );
      writeFileSync(join(dir, 'party-1', 'peers.json'), JSON.stringify({ coordinator: { coordinatorId: 'c-1', signPublic: 'zz' }, peers: [me] }));
      await expect(startPartyFromDir(join(dir, 'party-1'), { coordinatorUrl: 'ws://127.0.0.1:1/parties', log: () => {} })).rejects.toThrow(
        /peers.json: coordinator pin: signPublic must be 64 lowercase hex/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('verifyControl binds the connection, the sequence and every byte', () => {
    const link = { coordinatorId: h.gateway.coordinatorId, partyId: 'party-1', nonce: new Uint8Array(32).fill(7) };
    const verify = pinVerifier(h.gateway.pin);
    const msg = { type: 'abort', session: 'a'.repeat(64), message: 'x', kind: 'timeout', culprits: [] };
    const signed = JSON.parse(signControl(msg, 5, link, h.gateway.sign));
    expect(verifyControl(signed, 5, link, verify)).toEqual({ ok: true, message: msg });
    expect(verifyControl(signed, 6, link, verify).ok).toBe(false);
    expect(verifyControl(signed, 5, { ...link, partyId: 'party-2' }, verify).ok).toBe(false);
    expect(verifyControl({ ...signed, message: 'y' }, 5, link, verify).ok).toBe(false);
    expect(verifyControl(msg, 1, link, verify)).toEqual({ ok: false, reason: "unsigned 'abort' message" });
  });
});
