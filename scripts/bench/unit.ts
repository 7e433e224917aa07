// The unit of issue 6: single-key signing with noble (the library the protocols are built on),
// and the protocol alone with every party in this process. Every signature is checked with
// node:crypto, outside the timed region.
import { createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ed448 } from '@noble/curves/ed448.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { p256 } from '@noble/curves/nist.js';
import { summarize, timeSync, type Loop, type Summary } from './stats.ts';
import { MESSAGE_BYTES, type BenchSpec, type Config, type Curve } from './specs.ts';
import type { InProcessKey } from './drivers.ts';

const SPKI_PREFIX = { ed25519: '302a300506032b6570032100', ed448: '3043300506032b6571033a00' } as const;

/** node:crypto key for a raw public key: Ed25519/Ed448 raw, ECDSA SEC1 (compressed or not). */
export function nodeKey(curve: Curve, publicKey: Uint8Array): KeyObject {
  if (curve === 'ed25519' || curve === 'ed448')
    return createPublicKey({ key: Buffer.concat([Buffer.from(SPKI_PREFIX[curve], 'hex'), publicKey]), format: 'der', type: 'spki' });
  const P = curve === 'secp256k1' ? secp256k1.Point : p256.Point;
  const raw = P.fromBytes(publicKey).toBytes(false);
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');
  return createPublicKey({
    key: { kty: 'EC', crv: curve === 'secp256k1' ? 'secp256k1' : 'P-256', x: b64(raw.subarray(1, 33)), y: b64(raw.subarray(33)) },
    format: 'jwk',
  });
}

type Signer = { sign: (msg: Uint8Array) => Uint8Array; key: KeyObject; digest: string | null; dsaEncoding?: 'ieee-p1363' };

function signer(curve: Curve): Signer {
  switch (curve) {
    case 'ed25519': {
      const sk = ed25519.utils.randomSecretKey();
      return { sign: (m) => ed25519.sign(m, sk), key: nodeKey(curve, ed25519.getPublicKey(sk)), digest: null };
    }
    case 'ed448': {
      const sk = ed448.utils.randomSecretKey();
      return { sign: (m) => ed448.sign(m, sk), key: nodeKey(curve, ed448.getPublicKey(sk)), digest: null };
    }
    // ECDSA over SHA-256 of the message (what ECDSA_SHA_256 with MessageType RAW means), compact r ‖ s.
    case 'secp256k1': {
      const sk = secp256k1.utils.randomSecretKey();
      return { sign: (m) => secp256k1.sign(m, sk), key: nodeKey(curve, secp256k1.getPublicKey(sk)), digest: 'sha256', dsaEncoding: 'ieee-p1363' };
    }
    case 'p256': {
      const sk = p256.utils.randomSecretKey();
      return { sign: (m) => p256.sign(m, sk), key: nodeKey(curve, p256.getPublicKey(sk)), digest: 'sha256', dsaEncoding: 'ieee-p1363' };
    }
  }
}

export type SingleKeyResult = { curve: Curve; sign: Summary };

export function singleKey(curve: Curve, loop: Loop): SingleKeyResult {
  const s = signer(curve);
  const msgs: Uint8Array[] = [];
  const sigs: Uint8Array[] = [];
  const samples = timeSync(loop, () => {
    const m = new Uint8Array(randomBytes(MESSAGE_BYTES));
    const a = performance.now();
    const sig = s.sign(m);
    const dt = performance.now() - a;
    msgs.push(m);
    sigs.push(sig);
    return dt;
  });
  for (let i = 0; i < sigs.length; i++) {
    const key = s.dsaEncoding ? { key: s.key, dsaEncoding: s.dsaEncoding } : s.key;
    if (!verify(s.digest, msgs[i]!, key, sigs[i]!)) throw new Error(`single-key ${curve}: node:crypto rejected signature ${i}`);
  }
  return { curve, sign: summarize(samples) };
}

export type InProcessResult = { keySpec: string; t: number; n: number; keygen: Summary; sign: Summary };

/** DKG (at least once, more while the time budget lasts), then sign with the first t parties, every party in this process. */
export function inProcess(spec: BenchSpec, cfg: Config, keygenLoop: Loop, signLoop: Loop): InProcessResult {
  const driver = spec.inProcess!;
  const signers = Array.from({ length: cfg.t }, (_, k) => k + 1);
  let key: InProcessKey | undefined;
  const keygen = timeSync(keygenLoop, () => {
    key = driver.keygen(cfg.t, cfg.n);
  });
  if (!key) throw new Error('no key');
  const k: InProcessKey = key;
  const nk = nodeKey(spec.curve, k.publicKey);
  const vk = driver.dsaEncoding ? { key: nk, dsaEncoding: driver.dsaEncoding } : nk;
  const sign = timeSync(signLoop, () => {
    const m = new Uint8Array(randomBytes(MESSAGE_BYTES));
    const a = performance.now();
    const sig = driver.sign(k, signers, m);
    const dt = performance.now() - a;
    if (!verify(spec.verifyDigest, m, vk, sig)) throw new Error(`in-process ${spec.keySpec} ${cfg.t}-of-${cfg.n}: node:crypto rejected a signature`);
    return dt;
  });
  return { keySpec: spec.keySpec, t: cfg.t, n: cfg.n, keygen: summarize(keygen), sign: summarize(sign) };
}

export type EnvelopeCost = { frameBytes: number; controlBytes: number; protect: Summary; open: Summary; control: Summary };

/**
 * What one protocol envelope costs a party beside the protocol: protect (Ed25519-signed broadcast
 * frame) by the sender, open (signature check) by each receiver, and the control framing both ways
 * (the binary envelope frame of services/transport/control.ts), for a FROST
 * Ed25519 round-1 payload (two commitments and the request digest, 128 bytes).
 */
export async function envelopeCost(loop: Loop): Promise<EnvelopeCost> {
  const { generateIdentity, publicIdentity } = await import('../../services/transport/identity.ts');
  const { protect, open } = await import('../../services/transport/secure-envelope.ts');
  const { encodeBinaryEnvelope, decodeBinaryControl } = await import('../../services/transport/control.ts');
  const a = generateIdentity('party-1'),
    b = generateIdentity('party-2');
  const senders = (i: number) => (i === 1 ? publicIdentity(a) : i === 2 ? publicIdentity(b) : undefined);
  const envelope = () => ({
    protocol: 'frost-ed25519/sign',
    session: new Uint8Array(randomBytes(32)),
    round: 1,
    from: 1,
    to: 0,
    payload: new Uint8Array(randomBytes(128)),
  });
  const frames: Uint8Array[] = [];
  const protectT = timeSync(loop, (i) => {
    const e = envelope();
    const t0 = performance.now();
    const f = protect(e, a);
    const dt = performance.now() - t0;
    if (i >= 0) frames.push(f);
    return dt;
  });
  const openT = timeSync({ ...loop, maxIter: frames.length }, (i) => {
    const f = frames[Math.max(0, i) % frames.length]!;
    const t0 = performance.now();
    open(f, b, senders, 2);
    return performance.now() - t0;
  });
  const frame = frames[0]!;
  const session = 'ab'.repeat(32);
  let wire: Buffer = Buffer.alloc(0);
  const controlT = timeSync(loop, () => {
    const t0 = performance.now();
    wire = encodeBinaryEnvelope({ type: 'envelope', session, from: 1, to: 0, data: frame });
    const m = decodeBinaryControl(wire)!;
    if (!(m.data instanceof Uint8Array) || m.session !== session) throw new Error('binary frame');
    return performance.now() - t0;
  });
  return { frameBytes: frame.length, controlBytes: wire.length, protect: summarize(protectT), open: summarize(openT), control: summarize(controlT) };
}
