// What the coordinator sees of a DKG: signed broadcasts and sealed point-to-point frames only. It
// holds no share, cannot open a sealed frame, and one flipped byte in a sealed frame is dropped by
// its receiver (TOB-SILA-14: it proves nothing about the sender), so a relay that replaces a frame
// only makes the session end at its deadline, with no key created. The coordinator runs in this process (so the test can tap its
// relay); the parties are real processes.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateKeyCommand, KMSClient, ListKeysCommand, SignCommand } from '@aws-sdk/client-kms';
import { prepareCluster, spawnParty, waitForParties, type Spawned } from '../../services/main/cluster.ts';
import { startGateway, type RunningGateway } from '../../services/main/gateway.ts';
import { paths } from '../../services/main/config.ts';
import { openDatabase } from '../../services/storage/db.ts';
import { loadMasterKey } from '../../services/storage/master-key.ts';
import { ShareStore } from '../../services/storage/share-store.ts';
import { FRAME_SIGNED_WITH_KEY, frameKind, open } from '../../services/transport/secure-envelope.ts';
import { SessionKeys } from '../../services/transport/session-keys.ts';
import { TransportError } from '../../services/transport/errors.ts';
import { readIdentityFile, readPublicIdentityFile } from '../../services/storage/identity-file.ts';
import { splitLengthPrefixed } from '../../protocols/core/bytes.ts';
import { generateIdentity, parsePublicIdentity } from '../../services/transport/identity.ts';
import type { EnvelopeMessage } from '../../services/control/messages.ts';
import type { FrostKeyShare } from '../../protocols/frost/share.ts';
import { REGION, TEST_CREDENTIALS } from '../support/cluster.ts';

jest.setTimeout(120_000);

const dataDir = mkdtempSync(join(tmpdir(), 'tutti-view-'));
let gateway: RunningGateway;
const parties: Spawned[] = [];
let kms: KMSClient;
const relayed: { msg: EnvelopeMessage; from: string }[] = [];
let tamper: ((msg: EnvelopeMessage) => EnvelopeMessage) | undefined;

beforeAll(async () => {
  const config = prepareCluster({ dataDir, parties: 3, region: REGION, accountId: '111122223333', ...TEST_CREDENTIALS });
  gateway = await startGateway(config, paths.gatewayDir(dataDir), {
    host: '127.0.0.1',
    port: 0,
    roundTimeoutMs: 3000,
    log: () => {},
    faults: {
      tap: (msg, from) => {
        relayed.push({ msg, from });
        return tamper ? tamper(msg) : msg;
      },
    },
  });
  const url = `ws://127.0.0.1:${gateway.port}/parties`;
  for (const p of config.parties) parties.push(spawnParty(dataDir, p.partyId, url));
  await Promise.all(parties.map((p) => p.ready));
  await waitForParties(`http://127.0.0.1:${gateway.port}`, 3);
  kms = new KMSClient({ endpoint: `http://127.0.0.1:${gateway.port}`, region: REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
});

afterAll(async () => {
  kms?.destroy();
  await Promise.all(
    parties.map(
      (p) =>
        new Promise<void>((r) => {
          p.child.once('exit', () => r());
          p.child.kill('SIGTERM');
        }),
    ),
  );
  await gateway?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function readShare(partyId: string, keyId: string): FrostKeyShare {
  const dir = paths.partyDir(dataDir, partyId);
  const db = openDatabase(paths.sharesDb(dir));
  try {
    return new ShareStore(db, loadMasterKey({ dataDir: dir, env: {} })).getActive(keyId)!.share as FrostKeyShare;
  } finally {
    db.close();
  }
}

describe("the coordinator's view", () => {
  test('a DKG relays signed broadcasts and sealed p2p frames only, and no share', async () => {
    relayed.length = 0;
    const out = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' }));
    const keyId = out.KeyMetadata!.KeyId!;
    expect(relayed.length).toBeGreaterThan(0);
    const frames = relayed.map(({ msg }) => ({ msg, bytes: Uint8Array.from(msg.data) }));
    for (const { msg, bytes } of frames) expect(frameKind(bytes)).toBe(msg.to === 0 ? 'signed' : 'sealed');
    // Point-to-point frames exist (the DKG's secret shares) and are all sealed.
    expect(frames.filter(({ msg }) => msg.to !== 0).length).toBe(3 * 2);

    // The shares the parties hold appear nowhere in what was relayed.
    const everything = Buffer.concat(frames.map((f) => Buffer.from(f.bytes)));
    for (const p of ['party-1', 'party-2', 'party-3']) {
      const share = Buffer.from(readShare(p, keyId).signingShare, 'hex');
      expect(share.length).toBe(32);
      expect(everything.includes(share)).toBe(false);
    }
    // Someone who is not the addressed party (the coordinator, say) cannot open a sealed frame.
    const outsider = generateIdentity('coordinator-x');
    const config = prepareCluster({ dataDir, parties: 3, region: REGION, accountId: '111122223333', ...TEST_CREDENTIALS });
    const lookup = (i: number) => parsePublicIdentity(config.parties[i - 1]);
    for (const { msg, bytes } of frames.filter(({ msg }) => msg.to !== 0)) {
      expect(() => open(bytes, outsider, lookup, msg.to)).toThrow();
    }
  });

  test("recorded frames plus a party's whole folder but its master key open nothing (trust-review H1)", async () => {
    relayed.length = 0;
    await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' }));
    const frames = relayed.map(({ msg }) => ({ msg, bytes: Uint8Array.from(msg.data) }));
    const partyDir = paths.partyDir(dataDir, 'party-1');
    // What the party holds (read here with its master key, to check the attacker's haul against it).
    const { identity } = readIdentityFile(paths.identity(partyDir), loadMasterKey({ dataDir: partyDir, env: {} }));
    for (const name of readdirSync(partyDir).filter((n) => n !== 'master.key' && statSync(join(partyDir, n)).isFile())) {
      const bytes = readFileSync(join(partyDir, name));
      for (const secret of [identity.signSecret, identity.kexSecret]) {
        expect(bytes.includes(Buffer.from(secret))).toBe(false);
        expect(bytes.includes(Buffer.from(Buffer.from(secret).toString('hex')))).toBe(false);
      }
    }
    // Worst case: the attacker has the identity secrets anyway, and every announced session key.
    const lookup = (i: number) => readPublicIdentityFile(paths.identity(paths.partyDir(dataDir, `party-${i}`)));
    const attacker = new SessionKeys();
    for (const { msg, bytes } of frames) {
      if (bytes[1] === FRAME_SIGNED_WITH_KEY && msg.from !== 1) attacker.learn(msg.from, splitLengthPrefixed(bytes.subarray(2), 3)[1]!);
    }
    const toParty1 = frames.filter(({ msg }) => msg.to === 1);
    expect(toParty1).toHaveLength(2);
    for (const { bytes } of toParty1) {
      let err: unknown;
      try {
        open(bytes, identity, lookup, 1, undefined, attacker);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TransportError);
      expect((err as TransportError).reason).toBe('bad-seal');
    }
  });

  test('one flipped byte in a sealed payload is dropped; without the real frame the DKG ends at its deadline and no key appears', async () => {
    const before = (await kms.send(new ListKeysCommand({}))).Keys?.length ?? 0;
    let flipped = 0;
    tamper = (msg) => {
      if (msg.to === 0 || flipped) return msg;
      flipped++;
      const bytes = Uint8Array.from(msg.data);
      bytes[bytes.length - 5]! ^= 0x01;
      return { ...msg, data: bytes };
    };
    try {
      await expect(kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' }))).rejects.toMatchObject({
        name: 'DependencyTimeoutException',
      });
    } finally {
      tamper = undefined;
    }
    expect(flipped).toBe(1);
    expect((await kms.send(new ListKeysCommand({}))).Keys?.length ?? 0).toBe(before);
    // And the cluster is fine afterwards.
    const ok = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' }));
    const sig = await kms.send(
      new SignCommand({ KeyId: ok.KeyMetadata!.KeyId!, Message: new Uint8Array([1, 2, 3]), MessageType: 'RAW', SigningAlgorithm: 'ED25519_SHA_512' }),
    );
    expect(sig.Signature?.length).toBe(64);
  });

  test('metrics on the gateway and on each party', async () => {
    const text = await (await fetch(`http://127.0.0.1:${gateway.port}/metrics`)).text();
    expect(text).toMatch(/tutti_kms_requests_total\{[^}]*operation="CreateKey"[^}]*outcome="ok"/);
    expect(text).toMatch(/tutti_protocol_session_duration_seconds_count\{[^}]*protocol="frost-ed25519\/dkg"/);
    expect(text).toMatch(/tutti_protocol_aborts_total/);
    for (const p of parties) {
      const { metricsPort } = (await p.ready) as { metricsPort: number };
      const partyText = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      expect(partyText).toMatch(/tutti_protocol_session_duration_seconds_count\{[^}]*protocol="frost-ed25519\/dkg"/);
      expect(partyText).toMatch(/tutti_party_connected\{[^}]*\} 1/);
    }
  });
});
